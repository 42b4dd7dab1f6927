using System.Globalization;
using System.Numerics.Tensors;

namespace Rnn.Metrics;

/// <summary>
/// The fraction of sample-steps whose target class (the index of the largest target, ties to the first, e.g. the 1 of a
/// one-hot row) is among the k largest predictions. Ties count in, as Keras's <c>in_top_k</c>: the target class is in the
/// top k when fewer than k predictions are strictly larger than its own, so with k = 1 a prediction tied for the maximum
/// is right; a row with a non-finite prediction is never right. Keras's <c>TopKCategoricalAccuracy</c>
/// (<c>"top_k_categorical_accuracy"</c>).
/// </summary>
public sealed class TopKCategoricalAccuracy : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="k">How many of the largest predictions count as right, at least 1 (Keras's default 5). With k ≥ the number of classes every finite row is right.</param>
    /// <param name="name">The name in training history; <c>top_k_categorical_accuracy</c> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    public TopKCategoricalAccuracy(int k = 5, string? name = null)
        : base(name, "top_k_categorical_accuracy")
        => K = CheckK(Name, k);

    /// <summary>How many of the largest predictions count as right.</summary>
    public int K { get; }

    /// <summary>Throws unless <paramref name="k"/> is at least 1.</summary>
    internal static int CheckK(string name, int k)
        => k >= 1 ? k : throw new ArgumentOutOfRangeException(nameof(k), k, string.Create(CultureInfo.InvariantCulture, $"Metric '{name}' expects k of 1 or more but received {k}."));

    /// <summary>
    /// 1 when class <paramref name="label"/> is among the <paramref name="k"/> largest of <paramref name="prediction"/>, ties
    /// included (TensorFlow's <c>in_top_k</c>: fewer than k predictions strictly larger, and every prediction finite), else 0.
    /// </summary>
    internal static double InTopK(ReadOnlySpan<float> prediction, int label, int k)
    {
        var own = prediction[label];
        var larger = 0;
        foreach (var p in prediction)
        {
            if (!float.IsFinite(p))
            {
                return 0;
            }

            larger += p > own ? 1 : 0;
        }

        return larger < k ? 1 : 0;
    }

    /// <summary>Adds <c>k</c> to the configuration.</summary>
    internal static void AddK(Dictionary<string, string> config, int k) => config["k"] = k.ToString(CultureInfo.InvariantCulture);

    private protected override (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
        => (InTopK(prediction, TensorPrimitives.IndexOfMax(target), K), 1);

    private protected override void AddSettings(Dictionary<string, string> config) => AddK(config, K);
}
