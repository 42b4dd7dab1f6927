using System.Globalization;

namespace Rnn.Metrics;

/// <summary>
/// The fraction of values whose thresholded prediction equals the target: a value is right when
/// <c>(p &gt; threshold ? 1 : 0) == y</c>. Each of the k values of a sample-step is its own yes/no (multi-label),
/// so a sample-step's value is the fraction of its k values that are right. Keras's <c>binary_accuracy</c>;
/// as there, targets must be exactly 0 or 1 to ever count as right.
/// </summary>
public sealed class BinaryAccuracy : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="threshold">Predictions above it mean 1; 0.5 for probabilities, 0 for logits.</param>
    /// <param name="name">The name in training history; <c>binary_accuracy</c> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threshold"/> is not finite.</exception>
    public BinaryAccuracy(float threshold = 0.5f, string? name = null)
        : base(name, "binary_accuracy")
    {
        if (!float.IsFinite(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, $"Metric '{Name}' expects a finite threshold but received {threshold.ToString(CultureInfo.InvariantCulture)}.");
        }

        Threshold = threshold;
    }

    /// <summary>Predictions above it mean 1.</summary>
    public float Threshold { get; }

    private protected override (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target) => (Fraction(prediction, target, Threshold), 1);

    private protected override void AddSettings(Dictionary<string, string> config) => config["threshold"] = Threshold.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The fraction of values of one row that are right.</summary>
    internal static double Fraction(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, float threshold)
    {
        var right = 0;
        for (var i = 0; i < prediction.Length; i++)
        {
            if ((prediction[i] > threshold ? 1f : 0f) == target[i])
            {
                right++;
            }
        }

        return (double)right / prediction.Length;
    }
}
