using System.Globalization;
using System.Numerics.Tensors;

namespace Rnn.Metrics;

/// <summary>
/// The fraction of sample-steps whose target class index is among the k largest predictions, ties counted in as
/// <see cref="TopKCategoricalAccuracy"/> counts them. Targets are class indices as for
/// <see cref="Losses.SparseCategoricalCrossEntropy"/>; every counted one must be an integer in [0, classes). Keras's
/// <c>SparseTopKCategoricalAccuracy</c> (<c>"sparse_top_k_categorical_accuracy"</c>).
/// </summary>
public sealed class SparseTopKCategoricalAccuracy : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="k">How many of the largest predictions count as right, at least 1 (Keras's default 5).</param>
    /// <param name="name">The name in training history; <c>sparse_top_k_categorical_accuracy</c> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    public SparseTopKCategoricalAccuracy(int k = 5, string? name = null)
        : base(name, "sparse_top_k_categorical_accuracy")
        => K = TopKCategoricalAccuracy.CheckK(Name, k);

    /// <summary>How many of the largest predictions count as right.</summary>
    public int K { get; }

    private protected override bool TargetsAreClassIndices(Tensor<float> prediction, Tensor<float> target) => true;

    /// <exception cref="ArgumentException">The target is no class index of the predictions.</exception>
    private protected override (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
    {
        var label = target[0];
        if (!(float.IsInteger(label) && label >= 0f && label < prediction.Length))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Metric '{Name}' expects class indices as targets: integers in [0, {prediction.Length}) but received {label}."),
                nameof(target));
        }

        return (TopKCategoricalAccuracy.InTopK(prediction, (int)label, K), 1);
    }

    private protected override void AddSettings(Dictionary<string, string> config) => TopKCategoricalAccuracy.AddK(config, K);
}
