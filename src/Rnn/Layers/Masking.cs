using System.Globalization;
using System.Numerics.Tensors;

namespace Rnn.Layers;

/// <summary>
/// Marks padded time steps: a step of a [batch, time, features] input whose features all equal
/// <see cref="MaskValue"/> is masked. Recurrent layers after it hold their state through masked steps, and
/// losses on sequence outputs skip them. The output is the input with masked steps set to zero (Keras's
/// <c>Masking</c>).
/// </summary>
public sealed class Masking : Layer
{
    private byte[] _mask = [];
    private int[]? _shape;

    /// <summary>Creates the layer.</summary>
    /// <param name="maskValue">The value that marks padding.</param>
    /// <param name="inputShape">(time, features) of one sample, time null when it varies.</param>
    /// <param name="name">The layer's name, <c>masking</c> by default.</param>
    public Masking(float maskValue = 0f, (int? Time, int Features)? inputShape = null, string? name = null)
        : base(name, "masking", inputShape is { } s ? [s.Time ?? -1, s.Features] : null, 0)
    {
        MaskValue = maskValue;
    }

    /// <summary>The value that marks padding.</summary>
    public float MaskValue { get; }

    internal override Dictionary<string, string> GetConfig() => LayerConfig.Of(("mask_value", LayerConfig.Format(MaskValue)));

    /// <summary>
    /// The padding mask of a batch (Keras's <c>compute_mask</c>): [batch, time], false where every feature of the
    /// step equals <see cref="MaskValue"/>. For a recurrent layer's <c>mask</c> when the layers are used on their own.
    /// </summary>
    /// <param name="input">[batch, time, features].</param>
    /// <returns>The mask.</returns>
    public Tensor<bool> ComputeMask(Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 3)
        {
            throw new ArgumentException($"Layer '{Name}' expects input of shape [batch, time, features] but received {input.ShapeString()}.", nameof(input));
        }

        var mask = new bool[input.Lengths[0] * input.Lengths[1]];
        ComputeMask(input, System.Runtime.InteropServices.MemoryMarshal.AsBytes(mask.AsSpan()));
        return Tensor.Create(mask, [input.Lengths[0], input.Lengths[1]]);
    }

    internal override bool ComputeMask(Tensor<float> input, Span<byte> mask)
    {
        var x = input.AsFlatSpan();
        var features = (int)input.Lengths[2];
        for (var r = 0; r < mask.Length; r++)
        {
            mask[r] = x.Slice(r * features, features).ContainsAnyExcept(MaskValue) ? (byte)1 : (byte)0;
        }

        return true;
    }

    internal override void ForwardCore(Tensor<float> input, Tensor<float> output, ReadOnlySpan<byte> mask, bool training)
    {
        var rows = (int)(input.Lengths[0] * input.Lengths[1]);
        Buffers.Grow(ref _mask, rows);
        var own = _mask.AsSpan(0, rows);
        ComputeMask(input, own);
        ApplyMask(input.AsFlatSpan(), output.AsFlatSpan(), own);
        _shape = training ? input.Shape() : null;
    }

    internal override int[] CheckBackward(Tensor<float> outputGradient)
    {
        var shape = _shape ?? throw NoTrainingForward();
        CheckShape(outputGradient, shape, "output gradient", "the output of the last Forward");
        return shape;
    }

    internal override void BackwardCore(Tensor<float> outputGradient, Tensor<float>? inputGradient)
    {
        if (inputGradient is not null)
        {
            ApplyMask(outputGradient.AsFlatSpan(), inputGradient.AsFlatSpan(), _mask.AsSpan(0, _shape![0] * _shape[1]));
        }
    }

    private protected override void ValidateInputShape(ReadOnlySpan<int> inputShape)
    {
        if (inputShape.Length != 2 || inputShape[1] < 1)
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects input of shape [batch, time, features] but was given [batch, {string.Join(", ", inputShape.ToArray())}].");
        }
    }

    private protected override bool IsVariableDimension(int index) => index == 0;

    private protected override void BuildCore(ReadOnlySpan<int> inputShape, RandomSource random)
    {
    }

    private protected override int[] ComputeOutputShapeCore(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    private static void ApplyMask(ReadOnlySpan<float> source, Span<float> destination, ReadOnlySpan<byte> mask)
    {
        var features = source.Length / mask.Length;
        for (var r = 0; r < mask.Length; r++)
        {
            var row = destination.Slice(r * features, features);
            if (mask[r] != 0)
            {
                source.Slice(r * features, features).CopyTo(row);
            }
            else
            {
                row.Clear();
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Masking '{Name}' (value {MaskValue})");
}
