using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Rnn.Initializers;

namespace Rnn.Layers;

/// <summary>
/// Maps integer token ids to learned vectors: input [batch, time] ids (stored as floats) to output
/// [batch, time, outputDim], with PyTorch's <c>nn.Embedding</c> layout (<c>weight</c> [inputDim, outputDim]).
/// With <see cref="MaskZero"/>, id 0 is padding: it produces a mask that recurrent layers and losses honor
/// (Keras's <c>mask_zero</c>; the vocabulary then needs inputDim = tokens + 1).
/// </summary>
public sealed class Embedding : Layer
{
    private Parameter? _weight;
    private Tensor<float>? _input;

    /// <summary>Creates the layer.</summary>
    /// <param name="inputDim">Vocabulary size: ids are in [0, inputDim).</param>
    /// <param name="outputDim">Length of each vector.</param>
    /// <param name="maskZero">Treat id 0 as padding and produce a mask.</param>
    /// <param name="inputLength">Sequence length, when fixed (for shapes in summaries); null when it varies.</param>
    /// <param name="initialization">Keras's (uniform ±0.05) or PyTorch's (standard normal) initialization.</param>
    /// <param name="seed">Seed for initialization; null to take one from the model or at random.</param>
    /// <param name="name">The layer's name, <c>embedding</c> by default.</param>
    public Embedding(int inputDim, int outputDim, bool maskZero = false, int? inputLength = null,
        WeightInitialization initialization = WeightInitialization.Keras, int? seed = null, string? name = null)
        : base(name, "embedding", [inputLength ?? -1], seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputDim, maskZero ? 2 : 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputDim, 1);
        if (inputLength is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(inputLength), inputLength, $"Layer '{Name}': inputLength must be ≥ 1 or null.");
        }

        InputDim = inputDim;
        OutputDim = outputDim;
        MaskZero = maskZero;
        Initialization = initialization;
    }

    /// <summary>Vocabulary size.</summary>
    public int InputDim { get; }

    /// <summary>Length of each vector.</summary>
    public int OutputDim { get; }

    /// <summary>Whether id 0 marks padding.</summary>
    public bool MaskZero { get; }

    /// <summary>How the weights are initialized when the layer is built.</summary>
    public WeightInitialization Initialization { get; }

    internal override long CountParameters(ReadOnlySpan<int> inputShape) => (long)InputDim * OutputDim;

    internal override Dictionary<string, string> GetConfig() => LayerConfig.Of(
        ("input_dim", LayerConfig.Format(InputDim)),
        ("output_dim", LayerConfig.Format(OutputDim)),
        ("mask_zero", LayerConfig.Format(MaskZero)),
        ("initialization", Initialization.ToString()),
        ("seed", LayerConfig.Format(Seed)));

    /// <summary>
    /// The padding mask of a batch of ids (Keras's <c>compute_mask</c>): [batch, time], false where the id is 0.
    /// For a recurrent layer's <c>mask</c> when the layers are used on their own; a model passes it along by itself.
    /// </summary>
    /// <param name="ids">[batch, time] token ids.</param>
    /// <returns>The mask, or null when <see cref="MaskZero"/> is off.</returns>
    public Tensor<bool>? ComputeMask(Tensor<float> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ValidateInput(ids);
        if (!MaskZero)
        {
            return null;
        }

        var mask = new bool[ids.FlattenedLength];
        ComputeMask(ids, System.Runtime.InteropServices.MemoryMarshal.AsBytes(mask.AsSpan()));
        return Tensor.Create(mask, [ids.Lengths[0], ids.Lengths[1]]);
    }

    internal override bool ComputeMask(Tensor<float> input, Span<byte> mask)
    {
        if (!MaskZero)
        {
            return false;
        }

        var ids = input.AsFlatSpan();
        for (var i = 0; i < mask.Length; i++)
        {
            mask[i] = ids[i] != 0f ? (byte)1 : (byte)0;
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void ForwardCore(Tensor<float> input, Tensor<float> output, ReadOnlySpan<byte> mask, bool training)
    {
        var ids = input.AsFlatSpan();
        var y = output.AsFlatSpan();
        var weight = _weight!.Data;
        for (var i = 0; i < ids.Length; i++)
        {
            weight.AsSpan((int)ids[i] * OutputDim, OutputDim).CopyTo(y.Slice(i * OutputDim, OutputDim));
        }

        _input = training ? input : null;
    }

    internal override int[] CheckBackward(Tensor<float> outputGradient)
    {
        var input = _input ?? throw NoTrainingForward();
        CheckShape(outputGradient, [.. input.Shape(), OutputDim], "output gradient", "the output of the last Forward");
        return input.Shape();
    }

    /// <summary>Adds each step's output gradient to its id's row; ids are not differentiable, so dL/dinput is zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void BackwardCore(Tensor<float> outputGradient, Tensor<float>? inputGradient)
    {
        inputGradient?.AsFlatSpan().Clear();
        if (!Trainable)
        {
            return;
        }

        var ids = _input!.AsFlatSpan();
        var dy = outputGradient.AsFlatSpan();
        var grad = _weight!.Grad;
        for (var i = 0; i < ids.Length; i++)
        {
            var row = grad.AsSpan((int)ids[i] * OutputDim, OutputDim);
            TensorPrimitives.Add(row, dy.Slice(i * OutputDim, OutputDim), row);
        }
    }

    private protected override void ValidateInputShape(ReadOnlySpan<int> inputShape)
    {
        if (inputShape.Length != 1)
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects token ids of shape [batch, time] but was given [batch, {string.Join(", ", inputShape.ToArray())}].");
        }
    }

    private protected override void ValidateInput(Tensor<float> input)
    {
        if (input.Rank != 2)
        {
            throw new ArgumentException($"Layer '{Name}' expects token ids of shape [batch, time] but received shape {input.ShapeString()}.", nameof(input));
        }

        var ids = input.AsFlatSpan();
        for (var i = 0; i < ids.Length; i++)
        {
            var id = ids[i];
            if (!(id >= 0f && id < InputDim) || id != MathF.Floor(id))
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"Layer '{Name}' expects integer token ids in [0, {InputDim}) but received {id} at [{i / input.Lengths[1]}, {i % input.Lengths[1]}] (input shape {input.ShapeString()})."),
                    nameof(input));
            }
        }
    }

    private protected override bool IsVariableDimension(int index) => true;

    private protected override void BuildCore(ReadOnlySpan<int> inputShape, RandomSource random)
    {
        _weight = AddParameter("weight", InputDim, OutputDim);
        if (Initialization == WeightInitialization.PyTorch)
        {
            for (var i = 0; i < _weight.Data.Length; i++)
            {
                _weight.Data[i] = (float)random.NextNormal();
            }
        }
        else
        {
            Init.Uniform(_weight.Data, 0.05, random);
        }

        _weight.MarkModified();
    }

    private protected override int[] ComputeOutputShapeCore(ReadOnlySpan<int> inputShape) => [inputShape[0], OutputDim];
}
