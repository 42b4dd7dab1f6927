using System.Globalization;

namespace Rnn.Metrics;

/// <summary>
/// Of the values predicted positive, the fraction that are: <c>TP / (TP + FP)</c>, counted over every value of every
/// counted sample-step (multi-label, like <see cref="BinaryAccuracy"/>), or only column <see cref="ClassId"/>. A value is
/// predicted positive when <c>p &gt; threshold</c> and is positive when its target is not 0. With sample weights the
/// counts are weighted. 0 while nothing was predicted positive. Keras's <c>Precision(thresholds, top_k, class_id)</c>.
/// </summary>
/// <remarks>
/// With <see cref="TopK"/> = k, as Keras's <c>top_k</c>, only the k largest predictions of each sample-step keep their
/// value; the others count as −1e10 (Keras's <c>NEG_INF</c>), so the threshold, which then defaults to −1e10, makes
/// exactly the k largest predicted positive. Ties at the k-th place go to the lower indices (<c>tf.math.top_k</c>'s
/// order), and k must not exceed the number of classes. The top k are taken over the whole row before
/// <see cref="ClassId"/> picks its column: that column is predicted positive only where it is among its row's k largest.
/// </remarks>
public sealed class Precision : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="threshold">Predictions above it count as positive; 0 for logits. Null for 0.5, or −1e10 with <paramref name="topK"/> (Keras's defaults).</param>
    /// <param name="classId">Count only this column of the predictions (one class of a one-hot output); null for all.</param>
    /// <param name="topK">Only the k largest predictions of each sample-step can count as positive (Keras's <c>top_k</c>); null for all.</param>
    /// <param name="name">The name in training history; <c>precision</c> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threshold"/> is not finite, <paramref name="classId"/> is negative or <paramref name="topK"/> is below 1.</exception>
    public Precision(float? threshold = null, int? classId = null, int? topK = null, string? name = null)
        : base(name, "precision")
        => (Threshold, ClassId, TopK) = Confusion.Check(Name, threshold, classId, topK);

    /// <summary>Predictions above it count as positive.</summary>
    public float Threshold { get; }

    /// <summary>The only column counted, or null for all.</summary>
    public int? ClassId { get; }

    /// <summary>How many of the largest predictions of a sample-step can count as positive, or null for all.</summary>
    public int? TopK { get; }

    private protected override (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
    {
        var (truePositives, predictedPositives, _) = Confusion.Count(Name, prediction, target, Threshold, ClassId, TopK);
        return (truePositives, predictedPositives);
    }

    private protected override void AddSettings(Dictionary<string, string> config) => Confusion.AddSettings(config, Threshold, ClassId, TopK);
}

/// <summary>
/// Of the values that are positive, the fraction predicted positive: <c>TP / (TP + FN)</c>, counted as
/// <see cref="Precision"/> counts (with <see cref="TopK"/> and <see cref="ClassId"/> as there). 0 while no target was
/// positive. Keras's <c>Recall(thresholds, top_k, class_id)</c>.
/// </summary>
public sealed class Recall : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="threshold">Predictions above it count as positive; 0 for logits. Null for 0.5, or −1e10 with <paramref name="topK"/> (Keras's defaults).</param>
    /// <param name="classId">Count only this column of the predictions (one class of a one-hot output); null for all.</param>
    /// <param name="topK">Only the k largest predictions of each sample-step can count as positive (Keras's <c>top_k</c>); null for all.</param>
    /// <param name="name">The name in training history; <c>recall</c> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threshold"/> is not finite, <paramref name="classId"/> is negative or <paramref name="topK"/> is below 1.</exception>
    public Recall(float? threshold = null, int? classId = null, int? topK = null, string? name = null)
        : base(name, "recall")
        => (Threshold, ClassId, TopK) = Confusion.Check(Name, threshold, classId, topK);

    /// <summary>Predictions above it count as positive.</summary>
    public float Threshold { get; }

    /// <summary>The only column counted, or null for all.</summary>
    public int? ClassId { get; }

    /// <summary>How many of the largest predictions of a sample-step can count as positive, or null for all.</summary>
    public int? TopK { get; }

    private protected override (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
    {
        var (truePositives, _, positives) = Confusion.Count(Name, prediction, target, Threshold, ClassId, TopK);
        return (truePositives, positives);
    }

    private protected override void AddSettings(Dictionary<string, string> config) => Confusion.AddSettings(config, Threshold, ClassId, TopK);
}

/// <summary>The counting <see cref="Precision"/> and <see cref="Recall"/> share.</summary>
internal static class Confusion
{
    /// <summary>What a prediction outside the top k counts as: Keras's <c>NEG_INF</c>, also the threshold's default with top k.</summary>
    public const float OutsideTopK = -1e10f;

    public static (float Threshold, int? ClassId, int? TopK) Check(string name, float? threshold, int? classId, int? topK)
    {
        var value = threshold ?? (topK is null ? 0.5f : OutsideTopK);
        if (!float.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, $"Metric '{name}' expects a finite threshold but received {value.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (classId < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(classId), classId, $"Metric '{name}' expects a class id of 0 or more but received {classId}.");
        }

        if (topK < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(topK), topK, $"Metric '{name}' expects top k of 1 or more (or none) but received {topK}.");
        }

        return (value, classId, topK);
    }

    /// <summary>
    /// True positives, predicted positives and positives among the row's values (or its column <paramref name="classId"/>),
    /// with only the <paramref name="topK"/> largest values of the row keeping their value (Keras's <c>_filter_top_k</c>).
    /// </summary>
    public static (int TruePositives, int PredictedPositives, int Positives) Count(string name, ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, float threshold, int? classId, int? topK)
    {
        var (first, end) = (0, prediction.Length);
        if (classId is { } id)
        {
            if (id >= prediction.Length)
            {
                throw new ArgumentException($"Metric '{name}' counts class {id} but the predictions have {prediction.Length} classes per sample-step.", nameof(classId));
            }

            (first, end) = (id, id + 1);
        }

        if (topK > prediction.Length)
        {
            throw new ArgumentException($"Metric '{name}' keeps the top {topK} predictions of each sample-step but the predictions have {prediction.Length} classes per sample-step.", nameof(topK));
        }

        var (lastValue, lastIndex) = topK is { } k ? KthLargest(prediction, k) : default;
        var (truePositives, predictedPositives, positives) = (0, 0, 0);
        for (var i = first; i < end; i++)
        {
            var p = prediction[i];
            var kept = topK is null || p > lastValue || (p == lastValue && i <= lastIndex);
            var predicted = (kept ? p : OutsideTopK) > threshold;
            var actual = target[i] != 0f;
            truePositives += predicted && actual ? 1 : 0;
            predictedPositives += predicted ? 1 : 0;
            positives += actual ? 1 : 0;
        }

        return (truePositives, predictedPositives, positives);
    }

    public static void AddSettings(Dictionary<string, string> config, float threshold, int? classId, int? topK)
    {
        config["threshold"] = threshold.ToString("R", CultureInfo.InvariantCulture);
        if (classId is { } id)
        {
            config["class_id"] = id.ToString(CultureInfo.InvariantCulture);
        }

        if (topK is { } k)
        {
            config["top_k"] = k.ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// The k-th of <paramref name="row"/> in <c>tf.math.top_k</c>'s order (larger first, equal values by lower index):
    /// a value is among the top k when it is larger than this one, or equal and at no higher index. O(k·n) without a buffer,
    /// for the small k of top-k metrics.
    /// </summary>
    private static (float Value, int Index) KthLargest(ReadOnlySpan<float> row, int k)
    {
        var (value, index) = (float.PositiveInfinity, -1);
        for (var n = 0; n < k; n++)
        {
            var (nextValue, nextIndex) = (float.NegativeInfinity, -1);
            for (var i = 0; i < row.Length; i++)
            {
                var p = row[i];
                var after = p < value || (p == value && i > index);
                if (after && (nextIndex < 0 || p > nextValue))
                {
                    (nextValue, nextIndex) = (p, i);
                }
            }

            if (nextIndex < 0)
            {
                break;
            }

            (value, index) = (nextValue, nextIndex);
        }

        return (value, index);
    }
}
