using System.Globalization;
using System.Numerics.Tensors;

namespace Rnn.Layers;

/// <summary>
/// Repeats each sample's vector <see cref="Repeats"/> times along a new time axis: [batch, features] → [batch, n, features],
/// <c>y[b, t, f] = x[b, f]</c>, as Keras's <c>RepeatVector(n)</c>. With it a Sequential model is an encoder–decoder:
/// an encoder that returns its last output, <c>RepeatVector(outputSteps)</c>, and a decoder that returns sequences
/// (<c>Lstm(h, returnSequences: true)</c>, then <c>Dense</c> per step). Backward sums over the copies. No parameters.
/// </summary>
public sealed class RepeatVector : Layer
{
    private readonly int[] _shape = new int[2];
    private bool _trained;

    /// <summary>Creates the layer.</summary>
    /// <param name="repeats">n, the number of time steps of the output (Keras's <c>n</c>); at least 1.</param>
    /// <param name="name">The layer's name, <c>repeat_vector</c> by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="repeats"/> is less than 1.</exception>
    public RepeatVector(int repeats, string? name = null)
        : base(name, "repeat_vector", null, 0)
    {
        if (repeats < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(repeats), repeats, $"Layer '{Name}': repeats must be at least 1 but was {repeats.ToString(CultureInfo.InvariantCulture)}.");
        }

        Repeats = repeats;
    }

    /// <summary>n, the number of copies: the output's time steps.</summary>
    public int Repeats { get; }

    internal override Dictionary<string, string> GetConfig() => LayerConfig.Of(("n", LayerConfig.Format(Repeats)));

    internal override void ForwardCore(Tensor<float> input, Tensor<float> output, ReadOnlySpan<byte> mask, bool training)
    {
        var (batch, features) = ((int)input.Lengths[0], (int)input.Lengths[1]);
        var x = input.AsFlatSpan();
        var y = output.AsFlatSpan();
        for (var b = 0; b < batch; b++)
        {
            var row = x.Slice(b * features, features);
            for (var t = 0; t < Repeats; t++)
            {
                row.CopyTo(y.Slice(((b * Repeats) + t) * features, features));
            }
        }

        (_shape[0], _shape[1], _trained) = (batch, features, training);
    }

    internal override int[] CheckBackward(Tensor<float> outputGradient)
    {
        if (!_trained)
        {
            throw NoTrainingForward();
        }

        CheckShape(outputGradient, [_shape[0], Repeats, _shape[1]], "output gradient", "the output of the last Forward");
        return [.. _shape];
    }

    internal override void BackwardCore(Tensor<float> outputGradient, Tensor<float>? inputGradient)
    {
        if (inputGradient is null)
        {
            return;
        }

        var (batch, features) = (_shape[0], _shape[1]);
        var dy = outputGradient.AsFlatSpan();
        var dx = inputGradient.AsFlatSpan();
        for (var b = 0; b < batch; b++)
        {
            var sum = dx.Slice(b * features, features);
            dy.Slice(b * Repeats * features, features).CopyTo(sum);
            for (var t = 1; t < Repeats; t++)
            {
                TensorPrimitives.Add(sum, dy.Slice(((b * Repeats) + t) * features, features), sum);
            }
        }
    }

    private protected override void ValidateInputShape(ReadOnlySpan<int> inputShape)
    {
        if (inputShape.Length != 1 || inputShape[0] < 1)
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects input of shape [batch, features] (one vector per sample, e.g. a recurrent layer's last output) but was given [batch, {string.Join(", ", inputShape.ToArray())}].");
        }
    }

    private protected override void BuildCore(ReadOnlySpan<int> inputShape, RandomSource random)
    {
    }

    private protected override int[] ComputeOutputShapeCore(ReadOnlySpan<int> inputShape) => [Repeats, inputShape[0]];

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"RepeatVector '{Name}' (n {Repeats})");
}
