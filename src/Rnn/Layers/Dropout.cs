using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Rnn.Layers;

/// <summary>
/// During training, sets each input element to zero with probability <see cref="Rate"/> and scales the
/// others by 1 / (1 - rate) (inverted dropout, as Keras and PyTorch do); outside training, the identity.
/// Any input shape; passes a mask through.
/// </summary>
public sealed class Dropout : Layer
{
    private RandomSource _random = new(0);
    private float[] _mask = [];
    private int[]? _shape;
    private bool _applied;

    /// <summary>Creates a Dropout layer.</summary>
    /// <param name="rate">The probability of dropping an element, in [0, 1).</param>
    /// <param name="seed">Seed of the dropout masks; null to take one from the model or at random.</param>
    /// <param name="name">The layer's name, <c>dropout</c> by default.</param>
    public Dropout(float rate, int? seed = null, string? name = null)
        : base(name, "dropout", null, seed)
    {
        if (!(rate >= 0f && rate < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, $"Layer '{Name}': the dropout rate must be in [0, 1) but was {rate.ToString(CultureInfo.InvariantCulture)}.");
        }

        Rate = rate;
    }

    /// <summary>The probability of dropping an element.</summary>
    public float Rate { get; }

    internal override bool BehavesDifferentlyInTraining => Rate > 0f;

    internal override RandomSource? TrainingRandom => IsBuilt ? _random : null;

    internal override Dictionary<string, string> GetConfig() => LayerConfig.Of(("rate", LayerConfig.Format(Rate)), ("seed", LayerConfig.Format(Seed)));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void ForwardCore(Tensor<float> input, Tensor<float> output, ReadOnlySpan<byte> mask, bool training)
    {
        var x = input.AsFlatSpan();
        var y = output.AsFlatSpan();
        _applied = training && Rate > 0f;
        _shape = training ? input.Shape() : null;
        if (!_applied)
        {
            x.CopyTo(y);
            return;
        }

        Buffers.Grow(ref _mask, x.Length);
        var keep = 1f / (1f - Rate);
        var m = _mask.AsSpan(0, x.Length);
        for (var i = 0; i < m.Length; i++)
        {
            m[i] = _random.NextSingle() < Rate ? 0f : keep;
        }

        TensorPrimitives.Multiply(x, m, y);
    }

    internal override int[] CheckBackward(Tensor<float> outputGradient)
    {
        var shape = _shape ?? throw NoTrainingForward();
        CheckShape(outputGradient, shape, "output gradient", "the output of the last Forward");
        return shape;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void BackwardCore(Tensor<float> outputGradient, Tensor<float>? inputGradient)
    {
        if (inputGradient is null)
        {
            return;
        }

        var dy = outputGradient.AsFlatSpan();
        var dx = inputGradient.AsFlatSpan();
        if (_applied)
        {
            TensorPrimitives.Multiply(dy, _mask.AsSpan(0, dy.Length), dx);
        }
        else
        {
            dy.CopyTo(dx);
        }
    }

    internal override bool PropagatesMask(int outputRank) => true;

    private protected override void ValidateInputShape(ReadOnlySpan<int> inputShape)
    {
    }

    private protected override bool IsVariableDimension(int index) => true;

    private protected override void BuildCore(ReadOnlySpan<int> inputShape, RandomSource random) => _random = new RandomSource(random.NextSeed());

    private protected override int[] ComputeOutputShapeCore(ReadOnlySpan<int> inputShape) => inputShape.ToArray();
}
