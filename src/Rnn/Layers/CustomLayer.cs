using System.Numerics.Tensors;

namespace Rnn.Layers;

/// <summary>
/// The base of a layer written outside the library (Keras's subclassed <c>Layer</c>, with the backward pass written by
/// hand since there is no automatic differentiation): it goes into a <see cref="Sequential"/> model, trains with every
/// optimizer, and saves and loads with the model. For example, y = x · s with one learned scale per feature:
/// <code>
/// public sealed class Scale(string? name = null) : CustomLayer(name, "scale")
/// {
///     private Parameter _scale = null!;
///
///     protected override int[] GetOutputShape(ReadOnlySpan&lt;int&gt; inputShape) => inputShape.ToArray();
///
///     protected override void CreateWeights(ReadOnlySpan&lt;int&gt; inputShape, Random random)
///     {
///         _scale = AddWeight("scale", inputShape[^1]);
///         Values(_scale.Value).Fill(1f);
///     }
///
///     protected override void Forward(Tensor&lt;float&gt; input, Tensor&lt;float&gt; output, bool training)
///     {
///         Span&lt;float&gt; x = Values(input), y = Values(output), s = Values(_scale.Value);
///         for (var i = 0; i &lt; x.Length; i++) y[i] = x[i] * s[i % s.Length];
///     }
///
///     protected override void Backward(Tensor&lt;float&gt; input, Tensor&lt;float&gt; output, Tensor&lt;float&gt; outputGradient, Tensor&lt;float&gt;? inputGradient)
///     {
///         // dL/ds += Σ dL/dy ⊙ x over the rows; dL/dx = dL/dy ⊙ s.
///     }
/// }
/// </code>
/// Shapes exclude the batch axis and use -1 for a size that varies between calls: for inputs of rank 3
/// ([batch, time, features]) the time axis varies. A mask (from <see cref="Masking"/> or <see cref="Embedding"/>) reaches the
/// layer as <see cref="StepMask"/> and stops there unless <see cref="PassesMask"/> says the layer keeps each time step in
/// its place. Model files record the
/// layer's full type name and <see cref="GetSettings"/>; <see cref="Sequential.Load(string, IReadOnlyDictionary{string, CustomLayerFactory}?)"/>
/// recreates it with the factory given for that name. ONNX export does not know custom layers.
/// </summary>
public abstract class CustomLayer : Layer
{
    private Tensor<float>? _input;
    private Tensor<float>? _output;
    private bool[] _mask = [];
    private int _maskLength;
    private int _rank;
    private RandomSource? _random;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">The layer's name (letters, digits, '_' and '-'), or null for <paramref name="defaultName"/>, which a model makes unique.</param>
    /// <param name="defaultName">The kind's default name, e.g. <c>scale</c>.</param>
    /// <param name="seed">Seed of the <see cref="Random"/> given to <see cref="CreateWeights"/>; null to take one from the model.</param>
    protected CustomLayer(string? name, string defaultName, int? seed = null)
        : base(name, defaultName, null, seed)
    {
    }

    /// <summary>
    /// Whether a [batch, time] mask on the input still applies to the output: true for a layer that maps each time step on
    /// its own (the output keeps the time axis, step for step). False by default: the mask stops here.
    /// </summary>
    protected virtual bool PassesMask => false;

    /// <summary>
    /// The [batch, time] mask on the input of the current <see cref="Forward"/> and of the pass <see cref="Backward"/>
    /// follows, row-major (sample b, step t at <c>b · time + t</c>), true at real steps; empty when the input has no mask.
    /// A layer that reduces over time (attention, pooling) reads it to skip padding.
    /// </summary>
    protected ReadOnlySpan<bool> StepMask => _mask.AsSpan(0, _maskLength);

    /// <summary>The layer's kind as model files record it: the full type name.</summary>
    internal override string TypeName => GetType().FullName ?? GetType().Name;

    /// <summary>The generator of <see cref="NextUniform"/> and <see cref="NextNormal"/>, whose state resumable model files save.</summary>
    internal override RandomSource? TrainingRandom => _random;

    /// <summary>
    /// The output shape for an input shape, both without the batch axis (-1 where a size varies). Throw an
    /// <see cref="ArgumentException"/> naming the layer, what it expects and what it got, for a shape it cannot take: this
    /// is also how the layer checks its input.
    /// </summary>
    /// <param name="inputShape">The input shape without batch.</param>
    /// <returns>The output shape without batch.</returns>
    protected abstract int[] GetOutputShape(ReadOnlySpan<int> inputShape);

    /// <summary>Creates the layer's weights with <see cref="AddWeight"/> and initializes them, once, from the first input shape. None by default.</summary>
    /// <param name="inputShape">The input shape without batch (-1 where a size varies).</param>
    /// <param name="random">A generator seeded from the layer's seed, for reproducible initialization.</param>
    protected virtual void CreateWeights(ReadOnlySpan<int> inputShape, Random random)
    {
    }

    /// <summary>
    /// A uniform random number in [0, 1), for training-time randomness (dropout masks, noise) that must be reproducible: the
    /// layer's generator is seeded from its seed (so from the model's seed) when the layer is built, and a model file saved
    /// with <c>includeOptimizer</c> keeps its state, so that training resumed from it draws the same numbers.
    /// </summary>
    /// <returns>The number.</returns>
    /// <exception cref="InvalidOperationException">The layer is not built yet.</exception>
    protected float NextUniform() => RequireRandom().NextSingle();

    /// <summary>A standard normal random number (mean 0, variance 1), from the same generator as <see cref="NextUniform"/>.</summary>
    /// <returns>The number.</returns>
    /// <exception cref="InvalidOperationException">The layer is not built yet.</exception>
    protected float NextNormal() => (float)RequireRandom().NextNormal();

    /// <summary>
    /// Every value of <paramref name="tensor"/>, row-major, as one span: the tensors a layer is given (input, output and
    /// gradients) are dense, so this views them without copying.
    /// </summary>
    /// <param name="tensor">A dense tensor.</param>
    /// <returns>Its values.</returns>
    /// <exception cref="ArgumentException">The tensor is not dense.</exception>
    protected static Span<float> Values(Tensor<float> tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.IsDense ? tensor.AsFlatSpan() : throw new ArgumentException($"Values needs a dense tensor; this one has shape {tensor.ShapeString()} with strides.", nameof(tensor));
    }

    /// <summary>Adds a trainable weight, zero-filled; call it from <see cref="CreateWeights"/>.</summary>
    /// <param name="name">Its name within the layer (a model file stores it as <c>layer.name</c>).</param>
    /// <param name="shape">Its shape.</param>
    /// <returns>The weight: fill its <see cref="Parameter.Value"/> (through <see cref="Values"/>), read it in <see cref="Forward"/>, add to its <see cref="Parameter.Gradient"/> in <see cref="Backward"/>.</returns>
    protected Parameter AddWeight(string name, params int[] shape) => AddParameter(name, shape);

    /// <summary>Computes the output of a batch.</summary>
    /// <param name="input">The input, batch first; when <paramref name="training"/>, it is kept for <see cref="Backward"/> and must not be changed.</param>
    /// <param name="output">The output to write, batch first, in the shape <see cref="GetOutputShape"/> gives (zeroed or holding an earlier result).</param>
    /// <param name="training">Whether this is a training pass (backward will follow).</param>
    protected abstract void Forward(Tensor<float> input, Tensor<float> output, bool training);

    /// <summary>
    /// Backpropagates through the last training <see cref="Forward"/>: writes dL/dinput and adds (<c>+=</c>) dL/dweight to
    /// every weight's <see cref="Parameter.Gradient"/>. When the layer is frozen (<see cref="Layer.Trainable"/> false) nothing
    /// reads the weight gradients: skip them if that saves time, as the built-in layers do.
    /// </summary>
    /// <param name="input">The input of that pass.</param>
    /// <param name="output">Its output.</param>
    /// <param name="outputGradient">dL/doutput.</param>
    /// <param name="inputGradient">dL/dinput to overwrite, or null when nobody needs it (the first layer of a model).</param>
    protected abstract void Backward(Tensor<float> input, Tensor<float> output, Tensor<float> outputGradient, Tensor<float>? inputGradient);

    /// <summary>The settings that recreate the layer, saved in model files and passed to its <see cref="CustomLayerFactory"/> on load. None by default.</summary>
    /// <returns>Settings by name, invariant-culture text.</returns>
    protected virtual IReadOnlyDictionary<string, string> GetSettings() => new Dictionary<string, string>();

    internal override Dictionary<string, string> GetConfig() => new(GetSettings(), StringComparer.Ordinal);

    internal override void ForwardCore(Tensor<float> input, Tensor<float> output, ReadOnlySpan<byte> mask, bool training)
    {
        (_input, _output) = (null, null);
        Buffers.Grow(ref _mask, mask.Length);
        for (var i = 0; i < mask.Length; i++)
        {
            _mask[i] = mask[i] != 0;
        }

        _maskLength = mask.Length;
        Forward(input, output, training);
        if (training)
        {
            (_input, _output) = (input, output);
        }
    }

    internal override int[] CheckBackward(Tensor<float> outputGradient)
    {
        if (_input is null || _output is null)
        {
            throw NoTrainingForward();
        }

        CheckShape(outputGradient, _output.Shape(), "output gradient", "the output of the last Forward");
        return _input.Shape();
    }

    internal override void BackwardCore(Tensor<float> outputGradient, Tensor<float>? inputGradient) => Backward(_input!, _output!, outputGradient, inputGradient);

    internal override bool PropagatesMask(int outputRank) => PassesMask && outputRank >= 3;

    private protected override void ValidateInput(Tensor<float> input) => _rank = input.Rank;

    private protected override bool IsVariableDimension(int index) => index == 0 && _rank >= 3;

    private protected override void ValidateInputShape(ReadOnlySpan<int> inputShape) => _ = GetOutputShape(inputShape);

    private protected override void BuildCore(ReadOnlySpan<int> inputShape, RandomSource random)
    {
        CreateWeights(inputShape, new Random(random.NextSeed()));
        _random = new RandomSource(random.NextSeed());
    }

    private RandomSource RequireRandom()
        => _random ?? throw new InvalidOperationException($"Layer '{Name}' draws random numbers from a generator seeded when it is built; build it (or run it on data) first.");

    private protected override int[] ComputeOutputShapeCore(ReadOnlySpan<int> inputShape) => GetOutputShape(inputShape);
}

/// <summary>Recreates a <see cref="CustomLayer"/> from a model file: its name and the settings its <c>GetSettings</c> saved.</summary>
/// <param name="name">The layer's name in the file; give it to the layer's constructor.</param>
/// <param name="settings">The saved settings.</param>
/// <returns>The layer (its weights are then loaded from the file).</returns>
public delegate CustomLayer CustomLayerFactory(string name, IReadOnlyDictionary<string, string> settings);
