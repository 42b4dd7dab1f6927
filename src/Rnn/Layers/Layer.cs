using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Rnn.Layers;

/// <summary>
/// A building block of a model: a differentiable function of its input with trainable
/// <see cref="Parameters"/>. Parameters are created lazily by <see cref="Build"/>, from the shape of the
/// first input or from a declared input shape (Keras style). <see cref="Forward(Tensor{float}, bool)"/> with
/// <c>training: true</c> keeps what <see cref="Backward(Tensor{float})"/> needs (including a reference to
/// the input: do not change it before backward); backward returns the gradient with respect to the input and
/// adds (<c>+=</c>) the parameter gradients into <see cref="Parameter.Gradient"/>.
/// </summary>
/// <remarks>
/// Shapes given to and returned by <see cref="Build"/> and <see cref="ComputeOutputShape"/> exclude the batch
/// dimension; -1 marks a size that is not fixed (for example the number of time steps).
/// </remarks>
public abstract class Layer
{
    private readonly List<Parameter> _parameters = [];
    private readonly int[]? _declaredInputShape;
    private string _name;
    private int[]? _inputShape;
    private int? _seed;

    /// <summary>Creates a layer.</summary>
    /// <param name="name">The name given by the caller, or null for <paramref name="defaultName"/>.</param>
    /// <param name="defaultName">The layer kind's default name, e.g. <c>lstm</c>.</param>
    /// <param name="declaredInputShape">The input shape without batch the caller declared, or null.</param>
    /// <param name="seed">Seed for initialization and dropout, or null to take one from the model or at random.</param>
    private protected Layer(string? name, string defaultName, int[]? declaredInputShape, int? seed)
    {
        _name = ValidateName(name ?? defaultName);
        HasDefaultName = name is null;
        _declaredInputShape = declaredInputShape;
        _seed = seed;
    }

    /// <summary>
    /// The layer's name: the prefix of its parameter names in model files (for example <c>lstm.weight_ih_l0</c>).
    /// Letters, digits, '_' and '-' only. A Sequential model makes default names unique (<c>lstm_1</c>, ...).
    /// </summary>
    public string Name
    {
        get => _name;
        set
        {
            _name = ValidateName(value);
            HasDefaultName = false;
        }
    }

    /// <summary>Whether <see cref="Build"/> has created the parameters.</summary>
    public bool IsBuilt => _inputShape is not null;

    /// <summary>The input shape (without batch) the layer was built for, else the declared one, else null.</summary>
    public IReadOnlyList<int>? InputShape => _inputShape ?? _declaredInputShape;

    /// <summary>
    /// The trainable parameters, in a fixed order. Reading it builds the layer if its input shape was
    /// declared; before that it is empty.
    /// </summary>
    public IReadOnlyList<Parameter> Parameters
    {
        get
        {
            if (_inputShape is null && _declaredInputShape is not null)
            {
                Build(_declaredInputShape);
            }

            return _parameters;
        }
    }

    /// <summary>Total number of parameter values, trainable or frozen (0 before the layer is built).</summary>
    public long ParameterCount => Parameters.Sum(p => (long)p.Length);

    /// <summary>
    /// Whether training updates this layer's parameters (Keras's <c>trainable</c>; default true). A frozen layer
    /// (false) still passes gradients back to the layers before it, and its dropout still acts in training, but
    /// <see cref="Sequential"/> gives its parameters to no optimizer, and the backward pass of a built-in layer
    /// leaves <see cref="Parameter.Gradient"/> as it was instead of adding dL/dparameter (which saves the weight-gradient
    /// products). Backward in a model stops at the first layer with trainable parameters. Use it to keep pretrained weights fixed, e.g. an <see cref="Embedding"/> loaded from word vectors,
    /// or an encoder while a new head trains. Takes effect at the next training step; model files keep it.
    /// </summary>
    public bool Trainable { get; set; } = true;

    /// <summary>The seed for initialization and dropout: given, assigned by a model, or drawn at random when the layer is built.</summary>
    public int? Seed => _seed;

    /// <summary>Whether the name is the kind's default (a model may then rename it to keep names unique).</summary>
    internal bool HasDefaultName { get; private set; }

    /// <summary>Whether the output of <see cref="Forward(Tensor{float}, bool)"/> depends on <c>training</c> (dropout).</summary>
    internal virtual bool BehavesDifferentlyInTraining => false;

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
            CheckInputShape(inputShape, $"input shape [batch, {string.Join(", ", inputShape.ToArray())}]");
            return;
        }

        ValidateInputShape(inputShape);
        _seed ??= Random.Shared.Next();
        BuildCore(inputShape, new RandomSource(_seed.Value));
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
        PrepareForward(input);
        var output = TensorExtensions.Zeros(OutputShapeFor(input));
        ForwardCore(input, output, default, training);
        return output;
    }

    /// <summary>
    /// Backpropagates through the last <c>training: true</c> <see cref="Forward(Tensor{float}, bool)"/>: returns dL/dinput and adds
    /// dL/dparameter to every parameter's gradient (a frozen built-in layer adds nothing: see <see cref="Trainable"/>).
    /// </summary>
    /// <param name="outputGradient">dL/doutput, the shape of the last output.</param>
    /// <returns>dL/dinput, the shape of the last input.</returns>
    /// <exception cref="InvalidOperationException">There was no training forward pass to backpropagate through.</exception>
    /// <exception cref="ArgumentException">The gradient's shape differs from the output's.</exception>
    public Tensor<float> Backward(Tensor<float> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var inputShape = CheckBackward(outputGradient);
        var inputGradient = TensorExtensions.Zeros(inputShape);
        BackwardCore(outputGradient, inputGradient);
        return inputGradient;
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

    /// <summary>The layer's kind as model files name it (for example <c>Lstm</c>).</summary>
    internal virtual string TypeName => GetType().Name;

    /// <summary>The random source of training-time behaviour (dropout), whose state a model file saves; null when the layer has none.</summary>
    internal virtual RandomSource? TrainingRandom => null;

    /// <summary>
    /// How many trainable values <see cref="Build"/> would create for <paramref name="inputShape"/>, computed without
    /// allocating (so a model file's claims can be checked before anything is built); saturates at <see cref="long.MaxValue"/>.
    /// </summary>
    /// <param name="inputShape">A validated input shape without batch.</param>
    /// <returns>The number of values.</returns>
    internal virtual long CountParameters(ReadOnlySpan<int> inputShape) => 0;

    /// <summary>The options that recreate this layer with <see cref="LayerFactory.Create"/> (snake_case keys, invariant-culture values).</summary>
    /// <returns>The configuration.</returns>
    internal abstract Dictionary<string, string> GetConfig();

    /// <summary>Gives the layer a seed unless it has one (a model assigns seeds before building).</summary>
    /// <param name="seed">The seed.</param>
    internal void SetSeedIfUnset(int seed) => _seed ??= seed;

    /// <summary>Renames a layer whose name was the default, keeping <see cref="HasDefaultName"/>.</summary>
    /// <param name="name">The new, unique name.</param>
    internal void RenameDefault(string name) => _name = ValidateName(name);

    /// <summary>Validates an input batch and builds the layer from it if needed.</summary>
    /// <param name="input">The input, batch first.</param>
    internal void PrepareForward(Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ValidateInput(input);
        EnsureBuilt(input);
    }

    /// <summary>The full output shape (with batch) for a validated input.</summary>
    /// <param name="input">The input, batch first.</param>
    /// <returns>The output shape with batch.</returns>
    internal int[] OutputShapeFor(Tensor<float> input)
    {
        var inner = new int[input.Rank - 1];
        for (var i = 0; i < inner.Length; i++)
        {
            inner[i] = (int)input.Lengths[i + 1];
        }

        return [(int)input.Lengths[0], .. ComputeOutputShapeCore(inner)];
    }

    /// <summary>
    /// The forward pass on a built layer and an input <see cref="PrepareForward"/> accepted, writing into
    /// <paramref name="output"/> (shape <see cref="OutputShapeFor"/>).
    /// </summary>
    /// <param name="input">The input, batch first.</param>
    /// <param name="output">The output to write.</param>
    /// <param name="mask">[batch, time] 1 for real steps, 0 for padding; empty when there is no mask.</param>
    /// <param name="training">Whether to keep what backward needs.</param>
    internal abstract void ForwardCore(Tensor<float> input, Tensor<float> output, ReadOnlySpan<byte> mask, bool training);

    /// <summary>
    /// The backward pass after <see cref="CheckBackward"/> accepted <paramref name="outputGradient"/>: writes dL/dinput
    /// (overwriting) and adds the parameter gradients, unless <see cref="Trainable"/> is false.
    /// </summary>
    /// <param name="outputGradient">dL/doutput.</param>
    /// <param name="inputGradient">dL/dinput, the shape of the last input (written); null when nobody needs it (the first layer of a model), which saves its GEMM.</param>
    internal abstract void BackwardCore(Tensor<float> outputGradient, Tensor<float>? inputGradient);

    /// <summary>
    /// Checks that backward can run with this output gradient, naming the problem otherwise.
    /// </summary>
    /// <param name="outputGradient">dL/doutput.</param>
    /// <returns>The shape of the input gradient (the last training input's shape).</returns>
    internal abstract int[] CheckBackward(Tensor<float> outputGradient);

    /// <summary>
    /// Writes the [batch, time] mask this layer produces from its input (Masking, Embedding with maskZero) and
    /// returns true; returns false for layers that produce none (the default).
    /// </summary>
    /// <param name="input">The layer's input.</param>
    /// <param name="mask">[batch, time] destination.</param>
    /// <returns>Whether a mask was written.</returns>
    internal virtual bool ComputeMask(Tensor<float> input, Span<byte> mask) => false;

    /// <summary>Whether the output's time axis runs backwards relative to the input's (so a mask passed on must be reversed too).</summary>
    internal virtual bool ReversesTime => false;

    /// <summary>Whether a mask on the input still applies to this layer's output (it keeps the time axis).</summary>
    /// <param name="outputRank">Rank of the output, batch included.</param>
    /// <returns>True when the mask passes on.</returns>
    internal virtual bool PropagatesMask(int outputRank) => outputRank >= 3;

    /// <summary>The input-shape rule of layers that act on the last axis (Dense, LayerNormalization): [batch, features] or [batch, time, features], features known.</summary>
    /// <param name="inputShape">The input shape without batch.</param>
    /// <exception cref="ArgumentException">The shape breaks the rule.</exception>
    private protected void ValidateFeatureShape(ReadOnlySpan<int> inputShape)
    {
        if (inputShape.Length is < 1 or > 2 || inputShape[^1] < 1)
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects input of shape [batch, features] or [batch, time, features] with a known feature count, but was given [batch, {string.Join(", ", inputShape.ToArray())}].");
        }
    }

    /// <summary>Checks that a built last-axis layer gets the number of features it was built for.</summary>
    /// <param name="input">The input, batch first.</param>
    /// <exception cref="ArgumentException">The feature count differs.</exception>
    private protected void CheckFeatureCount(Tensor<float> input)
    {
        if (InputShape is { } shape && input.Rank >= 2 && input.Lengths[^1] != shape[^1])
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects {shape[^1]} input features but received {input.Lengths[^1]} (input shape {input.ShapeString()}).", nameof(input));
        }
    }

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
    /// <param name="random">The layer's seeded random source for initialization (and for seeding its dropout).</param>
    private protected abstract void BuildCore(ReadOnlySpan<int> inputShape, RandomSource random);

    /// <summary>The output shape for a validated input shape (both without batch).</summary>
    /// <param name="inputShape">The shape without the batch dimension.</param>
    /// <returns>The output shape without the batch dimension.</returns>
    private protected abstract int[] ComputeOutputShapeCore(ReadOnlySpan<int> inputShape);

    /// <summary>Throws an <see cref="InvalidOperationException"/> saying backward needs a training forward pass.</summary>
    /// <returns>Never returns.</returns>
    private protected InvalidOperationException NoTrainingForward()
        => new($"Layer '{Name}' cannot run Backward: there was no Forward with training: true since it was built or since the last inference Forward.");

    /// <summary>Throws unless <paramref name="tensor"/> has exactly the shape <paramref name="expected"/>.</summary>
    /// <param name="tensor">The tensor to check.</param>
    /// <param name="expected">The expected full shape.</param>
    /// <param name="what">What the tensor is, for the message.</param>
    /// <param name="context">Where the expectation comes from, for the message.</param>
    private protected void CheckShape(Tensor<float> tensor, ReadOnlySpan<int> expected, string what, string context)
    {
        var lengths = tensor.Lengths;
        var matches = lengths.Length == expected.Length;
        for (var i = 0; matches && i < expected.Length; i++)
        {
            matches = lengths[i] == expected[i];
        }

        if (!matches)
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects the {what} to have shape {TensorExtensions.ShapeString(expected)} ({context}) but received {tensor.ShapeString()}.");
        }
    }

    /// <summary>
    /// Checks a [batch, time] mask against a [batch, time, ...] input, naming the layer, what it expected and what came,
    /// and views it as bytes (1 at real steps); empty when <paramref name="mask"/> is null.
    /// </summary>
    /// <param name="input">The input the mask belongs to.</param>
    /// <param name="mask">The mask, or null.</param>
    /// <returns>[batch · time] bytes, or empty.</returns>
    /// <exception cref="ArgumentException">The mask is not a dense [batch, time] tensor.</exception>
    private protected ReadOnlySpan<byte> StepMaskOf(Tensor<float> input, Tensor<bool>? mask)
    {
        if (mask is null)
        {
            return default;
        }

        var (batch, time) = (input.Lengths[0], input.Lengths[1]);
        if (mask.Rank != 2 || mask.Lengths[0] != batch || mask.Lengths[1] != time || !mask.IsDense)
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects a dense mask of shape [{batch}, {time}] ([batch, time] for input shape {input.ShapeString()}) but received {TensorExtensions.ShapeString(mask.Lengths)}.",
                nameof(mask));
        }

        return MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref mask.GetPinnableReference(), checked((int)(batch * time))));
    }

    private void EnsureBuilt(Tensor<float> input)
    {
        var lengths = input.Lengths;
        if (lengths.Length < 2)
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects a batch of rank {(InputShape?.Count ?? 1) + 1} or more ([batch, ...]) but received rank {lengths.Length} (input shape {input.ShapeString()}).",
                nameof(input));
        }

        if (_inputShape is null)
        {
            if (_declaredInputShape is not null)
            {
                Build(_declaredInputShape);
            }
            else
            {
                var shape = new int[lengths.Length - 1];
                for (var i = 0; i < shape.Length; i++)
                {
                    shape[i] = IsVariableDimension(i) ? -1 : checked((int)lengths[i + 1]);
                }

                Build(shape);
                return;
            }
        }

        if (!MatchesBuiltShape(lengths[1..]))
        {
            CheckInputShape(input.Shape().AsSpan(1), $"input shape {input.ShapeString()}");
        }
    }

    /// <summary>Whether an input's dimensions after batch fit the built shape (allocation-free; the error path explains).</summary>
    private bool MatchesBuiltShape(ReadOnlySpan<nint> shape)
    {
        var built = _inputShape!;
        if (shape.Length != built.Length)
        {
            return false;
        }

        for (var i = 0; i < built.Length; i++)
        {
            if (built[i] >= 0 && shape[i] != built[i] && !IsVariableDimension(i))
            {
                return false;
            }
        }

        return true;
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

        static string Describe(int size) => size < 0 ? "any" : size.ToString(CultureInfo.InvariantCulture);
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
