using System.Numerics.Tensors;

namespace Rnn.Metrics;

/// <summary>
/// The fraction of sample-steps whose predicted class (the index of the largest prediction) is the target's
/// (the index of the largest target, e.g. the 1 of a one-hot row). Ties go to the first index, as Keras's
/// argmax. Keras's <c>categorical_accuracy</c>.
/// </summary>
public sealed class CategoricalAccuracy : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="name">The name in training history; <c>categorical_accuracy</c> when null.</param>
    public CategoricalAccuracy(string? name = null)
        : base(name, "categorical_accuracy")
    {
    }

    private protected override (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target) => (Matches(prediction, target), 1);

    /// <summary>1 when the arg-maxes of the row agree, else 0.</summary>
    internal static double Matches(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
        => TensorPrimitives.IndexOfMax(prediction) == TensorPrimitives.IndexOfMax(target) ? 1 : 0;
}
