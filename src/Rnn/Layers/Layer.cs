using System.Numerics.Tensors;

namespace Rnn.Layers;

/// <summary>
/// A building block of a model: a differentiable function of its input with trainable
/// <see cref="Parameters"/>. Parameters are created lazily by <see cref="Build"/>, from the shape of the
/// first input (Keras style). <see cref="Forward(Tensor{float}, bool)"/> with <c>training: true</c> keeps
/// what <see cref="Backward(Tensor{float})"/> needs; backward returns the gradient with respect to the input
/// and adds (<c>+=</c>) the parameter gradients into <see cref="Parameter.Gradient"/>.
/// </summary>
/// <remarks>
/// Shapes given to and returned by <see cref="Build"/> and <see cref="ComputeOutputShape"/> exclude the batch
/// dimension; -1 marks a size that is not fixed (for example the number of time steps).
/// </remarks>
public abstract class Layer
{
    private readonly List<Parameter> _parameters = [];
    private string _name;
    private int[]? _inputShape;

    /// <summary>Creates a layer named <paramref name="name"/>, or <paramref name="defaultName"/> when it is null.</summary>
    /// <param name="name">The name given by the caller, or null.</param>
    /// <param name="defaultName">The layer kind's default name, e.g. <c>lstm</c>.</param>
    protected Layer(string? name, string defaultName)
    {
        _name = ValidateName(name ?? defaultName);
    }

    /// <summary>
    /// The layer's name: the prefix of its parameter names in model files (for example <c>lstm.weight_ih_l0</c>).
    /// Letters, digits, '_' and '-' only.
    /// </summary>
    public string Name
    {
        get => _name;
        set => _name = ValidateName(value);
    }

    /// <summary>Whether <see cref="Build"/> has created the parameters.</summary>
    public bool IsBuilt => _inputShape is not null;

    /// <summary>The input shape (without batch) the layer was built for, or null before <see cref="Build"/>.</summary>
    public IReadOnlyList<int>? InputShape => _inputShape;

    /// <summary>The trainable parameters, in a fixed order (empty before <see cref="Build"/>).</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Total number of trainable values.</summary>
    public long ParameterCount => _parameters.Sum(p => (long)p.Length);

    /// <summary>
    /// Creates the parameters for inputs of shape <paramref name="inputShape"/> (without batch). Building again
    /// with a compatible shape does nothing; an incompatible one throws.
    /// </summary>
    /// <param name="inputShape">The input shape without the batch dimension; -1 for a size that may vary.</param>
    /// <exception cref="ArgumentException">The shape does not suit the layer, or differs from the one it was built for.</exception>
    public void Build(params ReadOnlySpan<int> inputShape)
    {
        if (_inputShape is not null)
        {
            CheckInputShape(inputShape, "input shape");
            return;
        }

        ValidateInputShape(inputShape);
        BuildCore(inputShape);
        _inputShape = inputShape.ToArray();
    }

    /// <summary>The output shape (without batch) for an input of shape <paramref name="inputShape"/> (without batch).</summary>
    /// <param name="inputShape">The input shape without the batch dimension.</param>
    /// <returns>The output shape without the batch dimension.</returns>
    /// <exception cref="ArgumentException">The shape does not suit the layer.</exception>
    public int[] ComputeOutputShape(params ReadOnlySpan<int> inputShape)
    {
        ValidateInputShape(inputShape);
        return ComputeOutputShapeCore(inputShape);
    }

    /// <summary>Applies the layer to a batch.</summary>
    /// <param name="input">The input, batch first.</param>
    /// <param name="training">Whether this pass is part of training: keeps what <see cref="Backward(Tensor{float})"/> needs and enables dropout.</param>
    /// <returns>The output, batch first.</returns>
    /// <exception cref="ArgumentException">The input's shape does not suit the layer.</exception>
    public Tensor<float> Forward(Tensor<float> input, bool training = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        ValidateInput(input);
        EnsureBuilt(input);
        return ForwardCore(input, training);
    }

    /// <summary>
    /// Backpropagates through the last <c>training: true</c> <see cref="Forward(Tensor{float}, bool)"/>: returns dL/dinput and adds
    /// dL/dparameter to every parameter's gradient.
    /// </summary>
    /// <param name="outputGradient">dL/doutput, the shape of the last output.</param>
    /// <returns>dL/dinput, the shape of the last input.</returns>
    /// <exception cref="InvalidOperationException">There was no training forward pass to backpropagate through.</exception>
    /// <exception cref="ArgumentException">The gradient's shape differs from the output's.</exception>
    public Tensor<float> Backward(Tensor<float> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        return BackwardCore(outputGradient);
    }

    /// <summary>Sets every parameter gradient to zero.</summary>
    public void ZeroGradients()
    {
        foreach (var parameter in _parameters)
        {
            parameter.ZeroGradient();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{GetType().Name} '{Name}'";

    /// <summary>Creates and registers a parameter (during <see cref="BuildCore"/>).</summary>
    /// <param name="name">The parameter's name within the layer.</param>
    /// <param name="shape">Its shape.</param>
    /// <returns>The new parameter, zero-filled.</returns>
    private protected Parameter AddParameter(string name, params int[] shape)
    {
        var parameter = new Parameter(name, shape);
        _parameters.Add(parameter);
        return parameter;
    }

    /// <summary>Throws unless <paramref name="inputShape"/> (without batch) suits this kind of layer.</summary>
    /// <param name="inputShape">The shape without the batch dimension.</param>
    private protected abstract void ValidateInputShape(ReadOnlySpan<int> inputShape);

    /// <summary>
    /// Checks an input batch before anything else looks at it, so that a layer can say precisely what is
    /// wrong (for example the feature count); the default checks nothing.
    /// </summary>
    /// <param name="input">The input, batch first.</param>
    private protected virtual void ValidateInput(Tensor<float> input)
    {
    }

    /// <summary>Whether dimension <paramref name="index"/> of the input shape (without batch) may differ between calls, like the time axis of a recurrent layer.</summary>
    /// <param name="index">The dimension, 0 being the first after batch.</param>
    /// <returns>True when any size is accepted.</returns>
    private protected virtual bool IsVariableDimension(int index) => false;

    /// <summary>Creates the parameters for a validated input shape.</summary>
    /// <param name="inputShape">The shape without the batch dimension.</param>
    private protected abstract void BuildCore(ReadOnlySpan<int> inputShape);

    /// <summary>The output shape for a validated input shape (both without batch).</summary>
    /// <param name="inputShape">The shape without the batch dimension.</param>
    /// <returns>The output shape without the batch dimension.</returns>
    private protected abstract int[] ComputeOutputShapeCore(ReadOnlySpan<int> inputShape);

    /// <summary>The forward pass on a built layer and an input whose shape <see cref="EnsureBuilt"/> checked.</summary>
    /// <param name="input">The input, batch first.</param>
    /// <param name="training">Whether to keep what backward needs.</param>
    /// <returns>The output.</returns>
    private protected abstract Tensor<float> ForwardCore(Tensor<float> input, bool training);

    /// <summary>The backward pass.</summary>
    /// <param name="outputGradient">dL/doutput.</param>
    /// <returns>dL/dinput.</returns>
    private protected abstract Tensor<float> BackwardCore(Tensor<float> outputGradient);

    /// <summary>Builds the layer from the input's shape if needed, then checks the input against the built shape.</summary>
    /// <param name="input">The input, batch first.</param>
    private protected void EnsureBuilt(Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var lengths = input.Lengths;
        if (lengths.Length < 2)
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects a batch of rank {(_inputShape?.Length ?? 1) + 1} or more ([batch, ...]) but received rank {lengths.Length} (input shape {input.ShapeString()}).",
                nameof(input));
        }

        var shape = new int[lengths.Length - 1];
        for (var i = 0; i < shape.Length; i++)
        {
            shape[i] = checked((int)lengths[i + 1]);
        }

        if (_inputShape is null)
        {
            for (var i = 0; i < shape.Length; i++)
            {
                if (IsVariableDimension(i))
                {
                    shape[i] = -1;
                }
            }

            Build(shape);
        }
        else
        {
            CheckInputShape(shape, $"input shape {input.ShapeString()}");
        }
    }

    private void CheckInputShape(ReadOnlySpan<int> shape, string received)
    {
        var built = _inputShape!;
        if (shape.Length != built.Length)
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects input of rank {built.Length + 1} ([batch, {string.Join(", ", built.Select(Describe))}]) but received rank {shape.Length + 1} ({received}).");
        }

        for (var i = 0; i < built.Length; i++)
        {
            if (built[i] >= 0 && shape[i] >= 0 && shape[i] != built[i] && !IsVariableDimension(i))
            {
                throw new ArgumentException(
                    $"Layer '{Name}' expects input of shape [batch, {string.Join(", ", built.Select(Describe))}] but received {received}: dimension {i + 1} is {shape[i]}, not {built[i]}.");
            }
        }

        static string Describe(int size) => size < 0 ? "any" : size.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            throw new ArgumentException($"A layer name must be non-empty and use only letters, digits, '_' and '-', but received '{name}'.", nameof(name));
        }

        return name;
    }
}
