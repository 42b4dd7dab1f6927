using System.Globalization;

namespace Rnn.Metrics;

/// <summary>
/// Of the values predicted positive, the fraction that are: <c>TP / (TP + FP)</c>, counted over every value of every
/// counted sample-step (multi-label, like <see cref="BinaryAccuracy"/>), or only column <see cref="ClassId"/>. A value is
/// predicted positive when <c>p &gt; threshold</c> and is positive when its target is not 0. With sample weights the
/// counts are weighted. 0 while nothing was predicted positive. Keras's <c>Precision(thresholds, class_id)</c>.
/// </summary>
public sealed class Precision : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="threshold">Predictions above it count as positive; 0.5 for probabilities, 0 for logits.</param>
    /// <param name="classId">Count only this column of the predictions (one class of a one-hot output); null for all.</param>
    /// <param name="name">The name in training history; <c>precision</c> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threshold"/> is not finite or <paramref name="classId"/> is negative.</exception>
    public Precision(float threshold = 0.5f, int? classId = null, string? name = null)
        : base(name, "precision")
        => (Threshold, ClassId) = Confusion.Check(Name, threshold, classId);

    /// <summary>Predictions above it count as positive.</summary>
    public float Threshold { get; }

    /// <summary>The only column counted, or null for all.</summary>
    public int? ClassId { get; }

    private protected override (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
    {
        var (truePositives, predictedPositives, _) = Confusion.Count(Name, prediction, target, Threshold, ClassId);
        return (truePositives, predictedPositives);
    }

    private protected override void AddSettings(Dictionary<string, string> config) => Confusion.AddSettings(config, Threshold, ClassId);
}

/// <summary>
/// Of the values that are positive, the fraction predicted positive: <c>TP / (TP + FN)</c>, counted as
/// <see cref="Precision"/> counts. 0 while no target was positive. Keras's <c>Recall(thresholds, class_id)</c>.
/// </summary>
public sealed class Recall : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="threshold">Predictions above it count as positive; 0.5 for probabilities, 0 for logits.</param>
    /// <param name="classId">Count only this column of the predictions (one class of a one-hot output); null for all.</param>
    /// <param name="name">The name in training history; <c>recall</c> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threshold"/> is not finite or <paramref name="classId"/> is negative.</exception>
    public Recall(float threshold = 0.5f, int? classId = null, string? name = null)
        : base(name, "recall")
        => (Threshold, ClassId) = Confusion.Check(Name, threshold, classId);

    /// <summary>Predictions above it count as positive.</summary>
    public float Threshold { get; }

    /// <summary>The only column counted, or null for all.</summary>
    public int? ClassId { get; }

    private protected override (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
    {
        var (truePositives, _, positives) = Confusion.Count(Name, prediction, target, Threshold, ClassId);
        return (truePositives, positives);
    }

    private protected override void AddSettings(Dictionary<string, string> config) => Confusion.AddSettings(config, Threshold, ClassId);
}

/// <summary>The counting <see cref="Precision"/> and <see cref="Recall"/> share.</summary>
internal static class Confusion
{
    public static (float Threshold, int? ClassId) Check(string name, float threshold, int? classId)
    {
        if (!float.IsFinite(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, $"Metric '{name}' expects a finite threshold but received {threshold.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (classId < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(classId), classId, $"Metric '{name}' expects a class id of 0 or more but received {classId}.");
        }

        return (threshold, classId);
    }

    /// <summary>True positives, predicted positives and positives among the row's values (or its column <paramref name="classId"/>).</summary>
    public static (int TruePositives, int PredictedPositives, int Positives) Count(string name, ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, float threshold, int? classId)
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

        var (truePositives, predictedPositives, positives) = (0, 0, 0);
        for (var i = first; i < end; i++)
        {
            var predicted = prediction[i] > threshold;
            var actual = target[i] != 0f;
            truePositives += predicted && actual ? 1 : 0;
            predictedPositives += predicted ? 1 : 0;
            positives += actual ? 1 : 0;
        }

        return (truePositives, predictedPositives, positives);
    }

    public static void AddSettings(Dictionary<string, string> config, float threshold, int? classId)
    {
        config["threshold"] = threshold.ToString("R", CultureInfo.InvariantCulture);
        if (classId is { } id)
        {
            config["class_id"] = id.ToString(CultureInfo.InvariantCulture);
        }
    }
}
