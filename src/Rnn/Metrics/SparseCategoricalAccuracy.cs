using System.Numerics.Tensors;

namespace Rnn.Metrics;

/// <summary>
/// The fraction of sample-steps whose predicted class (the index of the largest prediction, ties to the
/// first) equals the target class index. Targets are class indices as for
/// <see cref="Losses.SparseCategoricalCrossEntropy"/>; a target that is no valid index never counts as right.
/// Keras's <c>sparse_categorical_accuracy</c>.
/// </summary>
public sealed class SparseCategoricalAccuracy : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="name">The name in training history; <c>sparse_categorical_accuracy</c> when null.</param>
    public SparseCategoricalAccuracy(string? name = null)
        : base(name, "sparse_categorical_accuracy")
    {
    }

    private protected override bool TargetsAreClassIndices(Tensor<float> prediction, Tensor<float> target) => true;

    private protected override (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target) => (Matches(prediction, target[0]), 1);

    /// <summary>1 when the row's arg-max is <paramref name="label"/>, else 0.</summary>
    internal static double Matches(ReadOnlySpan<float> prediction, float label)
        => TensorPrimitives.IndexOfMax(prediction) == label ? 1 : 0;
}
