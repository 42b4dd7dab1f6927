using System.Globalization;

namespace Rnn.Metrics;

/// <summary>Which curve <see cref="Auc"/> measures the area under (Keras's <c>curve</c>).</summary>
public enum AucCurve
{
    /// <summary>The ROC curve: recall (true positive rate) against false positive rate (Keras's <c>'ROC'</c>).</summary>
    Roc,

    /// <summary>The precision–recall curve (Keras's <c>'PR'</c>), interpolated as Davis and Goadrich (2006).</summary>
    PrecisionRecall,
}

/// <summary>
/// The area under the ROC or precision–recall curve of yes/no predictions, approximated as Keras's <c>AUC</c> does: every
/// value (each of the k values of a sample-step, flattened; Keras's <c>multi_label=False</c>) is counted at
/// <c>numThresholds</c> thresholds, −1e-7, <c>1/(n−1)</c>, …, <c>(n−2)/(n−1)</c>, 1 + 1e-7, as predicted positive where
/// <c>p &gt; threshold</c> and as positive where its target is not 0, weighted by its sample weight. The ROC area is the
/// trapezoidal sum of recall over the false positive rate; the precision–recall area Keras's interpolation, which
/// varies the true and predicted positive counts linearly between thresholds. Predictions are probabilities, or logits
/// with <c>fromLogits</c>. The approximation is best when predictions spread over [0, 1]; more thresholds make it finer.
/// </summary>
public sealed class Auc : Metric
{
    private readonly float[] _thresholds;
    private readonly double[] _positives;
    private readonly double[] _negatives;

    /// <summary>Creates the metric.</summary>
    /// <param name="numThresholds">Thresholds to count at (Keras's <c>num_thresholds</c>, 200), at least 2.</param>
    /// <param name="curve">The ROC curve (default) or the precision–recall curve.</param>
    /// <param name="fromLogits">Whether predictions are logits (a sigmoid is applied first) rather than probabilities.</param>
    /// <param name="name">The name in training history; <c>auc</c> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numThresholds"/> is below 2 or <paramref name="curve"/> is undefined.</exception>
    public Auc(int numThresholds = 200, AucCurve curve = AucCurve.Roc, bool fromLogits = false, string? name = null)
        : base(name, "auc")
    {
        if (numThresholds < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(numThresholds), numThresholds, $"Metric '{Name}' needs at least 2 thresholds but was given {numThresholds}.");
        }

        if (!Enum.IsDefined(curve))
        {
            throw new ArgumentOutOfRangeException(nameof(curve), curve, $"Metric '{Name}' was given an unknown curve.");
        }

        (NumThresholds, Curve, FromLogits) = (numThresholds, curve, fromLogits);
        _thresholds = new float[numThresholds];
        _thresholds[0] = -1e-7f;
        for (var i = 1; i < numThresholds - 1; i++)
        {
            _thresholds[i] = (float)(i / (double)(numThresholds - 1));
        }

        _thresholds[^1] = 1f + 1e-7f;

        // Counts by how many thresholds a value is above (0 to n): a value above k thresholds is predicted positive at the first k.
        _positives = new double[numThresholds + 1];
        _negatives = new double[numThresholds + 1];
    }

    /// <summary>The number of thresholds.</summary>
    public int NumThresholds { get; }

    /// <summary>The curve whose area is measured.</summary>
    public AucCurve Curve { get; }

    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits { get; }

    /// <summary>The thresholds, ascending.</summary>
    public IReadOnlyList<float> Thresholds => _thresholds;

    private protected override void Accumulate(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int rows, int classes, ReadOnlySpan<byte> mask, ReadOnlySpan<float> weights)
    {
        for (var r = 0; r < rows; r++)
        {
            var w = weights.IsEmpty ? 1.0 : weights[r];
            if ((!mask.IsEmpty && mask[r] == 0) || w == 0)
            {
                continue;
            }

            for (var i = r * classes; i < (r + 1) * classes; i++)
            {
                var p = FromLogits ? 1f / (1f + MathF.Exp(-prediction[i])) : prediction[i];
                var above = ThresholdsBelow(p);
                (target[i] != 0f ? _positives : _negatives)[above] += w;
            }
        }
    }

    private protected override float ComputeResult()
    {
        double positives = 0, negatives = 0;
        for (var k = 0; k <= NumThresholds; k++)
        {
            positives += _positives[k];
            negatives += _negatives[k];
        }

        // From the last threshold down: the counts predicted positive at threshold i are those of values above more than
        // i thresholds; each step adds the interval between thresholds i and i + 1.
        double tpNext = _positives[NumThresholds], fpNext = _negatives[NumThresholds];
        var area = 0.0;
        for (var i = NumThresholds - 2; i >= 0; i--)
        {
            var (tp, fp) = (tpNext + _positives[i + 1], fpNext + _negatives[i + 1]);
            area += Curve == AucCurve.Roc
                ? (Ratio(fp, negatives) - Ratio(fpNext, negatives)) * (Ratio(tp, positives) + Ratio(tpNext, positives)) / 2
                : PrecisionRecallIncrement(tp, fp, tpNext, fpNext, positives);
            (tpNext, fpNext) = (tp, fp);
        }

        return (float)area;
    }

    private protected override void ResetCore()
    {
        Array.Clear(_positives);
        Array.Clear(_negatives);
    }

    private protected override void AddSettings(Dictionary<string, string> config)
    {
        config["num_thresholds"] = NumThresholds.ToString(CultureInfo.InvariantCulture);
        config["curve"] = Curve == AucCurve.Roc ? "ROC" : "PR";
        config["from_logits"] = FromLogits ? "true" : "false";
    }

    /// <summary>Keras's <c>divide_no_nan</c>: 0 when the denominator is 0.</summary>
    private static double Ratio(double numerator, double denominator) => denominator == 0 ? 0 : numerator / denominator;

    /// <summary>
    /// The area of one interval of the precision–recall curve, Keras's <c>interpolate_pr_auc</c>: with TP and
    /// P = TP + FP linear between thresholds A and B, <c>slope · (ΔTP + intercept · ln(P_A / P_B)) / positives</c>.
    /// </summary>
    private static double PrecisionRecallIncrement(double tpA, double fpA, double tpB, double fpB, double positives)
    {
        var (pA, pB) = (tpA + fpA, tpB + fpB);
        var deltaTp = tpA - tpB;
        var slope = Ratio(deltaTp, Math.Max(pA - pB, 0));
        var intercept = tpB - (slope * pB);
        var ratio = pA > 0 && pB > 0 ? Ratio(pA, Math.Max(pB, 0)) : 1;
        return Ratio(slope * (deltaTp + (intercept * Math.Log(ratio))), Math.Max(positives, 0));
    }

    /// <summary>How many thresholds lie strictly below <paramref name="p"/> (none for NaN).</summary>
    private int ThresholdsBelow(float p)
    {
        int low = 0, high = _thresholds.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (p > _thresholds[middle])
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }
}
