using System.Numerics.Tensors;

namespace Rnn.Metrics;

/// <summary>
/// Keras's <c>"accuracy"</c>: the accuracy that suits the shapes, chosen at every update as Keras chooses it
/// at compile time. Predictions with k = 1 are yes/no: <see cref="BinaryAccuracy"/> (threshold 0.5). Otherwise
/// targets without the class axis, or with a class axis of 1, are class indices:
/// <see cref="SparseCategoricalAccuracy"/>. Otherwise targets have the predictions' shape:
/// <see cref="CategoricalAccuracy"/>.
/// </summary>
public sealed class Accuracy : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="name">The name in training history; <c>accuracy</c> when null.</param>
    public Accuracy(string? name = null)
        : base(name, "accuracy")
    {
    }

    private protected override bool TargetsAreClassIndices(Tensor<float> prediction, Tensor<float> target)
    {
        var p = prediction.Lengths;
        var t = target.Lengths;
        return p.Length > 0 && p[^1] != 1 && (t.Length < p.Length || (t.Length > 0 && t[^1] == 1));
    }

    private protected override (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
        => (prediction.Length == 1 ? BinaryAccuracy.Fraction(prediction, target, 0.5f)
            : target.Length == 1 ? SparseCategoricalAccuracy.Matches(prediction, target[0])
            : CategoricalAccuracy.Matches(prediction, target), 1);
}
