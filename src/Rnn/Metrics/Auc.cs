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

/// <summary>How <see cref="Auc"/> sums the area between thresholds (Keras's <c>summation_method</c>, a Riemann sum).</summary>
public enum AucSummationMethod
{
    /// <summary>The mean of the two heights (trapezoids) for ROC; for precision–recall Keras's interpolation of the counts (Keras's <c>'interpolation'</c>).</summary>
    Interpolation,

    /// <summary>The lower of the two heights: a lower bound of the area (Keras's <c>'minoring'</c>).</summary>
    Minoring,

    /// <summary>The higher of the two heights: an upper bound of the area (Keras's <c>'majoring'</c>).</summary>
    Majoring,
}

/// <summary>
/// The area under the ROC or precision–recall curve of yes/no predictions, approximated as Keras's <c>AUC</c> does: every
/// value is counted at <c>numThresholds</c> thresholds t_0 … t_{n−1} = −1e-7, <c>1/(n−1)</c>, …, <c>(n−2)/(n−1)</c>, 1 + 1e-7,
/// as predicted positive where <c>p &gt; t_i</c> (p clipped to [0, 1]) and as positive where its target is not 0, weighted
/// by its sample weight. This gives TP_i, FP_i and, from the totals P and N, FN_i and TN_i.
/// </summary>
/// <remarks>
/// <para>
/// The area is the Riemann sum over the n − 1 intervals: <c>Σ_i (x_i − x_{i+1}) · h_i</c>, with x the false positive rate
/// <c>FP/N</c> and y the recall <c>TP/P</c> for ROC, or x the recall and y the precision <c>TP/(TP + FP)</c> for
/// precision–recall (each 0 when its denominator is 0), and the height h_i from y_i and y_{i+1} as
/// <see cref="SummationMethod"/> says: their mean (<see cref="AucSummationMethod.Interpolation"/>), their minimum
/// (<see cref="AucSummationMethod.Minoring"/>) or their maximum (<see cref="AucSummationMethod.Majoring"/>). The
/// precision–recall curve with interpolation is instead Keras's <c>interpolate_pr_auc</c> (Davis and Goadrich, 2006), which
/// varies TP and TP + FP linearly between thresholds.
/// </para>
/// <para>
/// Without <see cref="MultiLabel"/> (Keras's <c>multi_label=False</c>), the k values of every sample-step are flattened into
/// one set of yes/no values, each weighted also by its column's label weight when label weights are given. With it, each of
/// the k columns (labels) is counted on its own, its area computed as above, and the result is the mean of the k areas, or
/// <c>Σ w_l·AUC_l / Σ w_l</c> with label weights w. The number of labels is fixed by the first batch and kept across
/// <see cref="Metric.Reset"/>, as Keras builds its state once.
/// </para>
/// <para>
/// Predictions are probabilities, or logits with <see cref="FromLogits"/>. The approximation is best when predictions spread
/// over [0, 1]; more thresholds make it finer, and minoring and majoring bound it. The counts per threshold live in arrays
/// made once (for multi-label at the first batch), so a batch allocates nothing.
/// </para>
/// </remarks>
public sealed class Auc : Metric
{
    private readonly float[] _thresholds;
    private readonly float[]? _labelWeights;

    /// <summary>
    /// Counts by how many thresholds a value is above (0 to n), n + 1 per label: a value above j thresholds is predicted
    /// positive at the first j. One label without <see cref="MultiLabel"/>; for multi-label made at the first batch.
    /// </summary>
    private double[] _positives;
    private double[] _negatives;

    /// <summary>Creates the metric.</summary>
    /// <param name="numThresholds">Thresholds to count at (Keras's <c>num_thresholds</c>, 200), at least 2.</param>
    /// <param name="curve">The ROC curve (default) or the precision–recall curve.</param>
    /// <param name="summationMethod">How the area between thresholds is summed (Keras's <c>summation_method</c>, default interpolation).</param>
    /// <param name="multiLabel">Whether each column is a label with its own area, the areas then averaged (Keras's <c>multi_label</c>), rather than all values flattened.</param>
    /// <param name="labelWeights">Finite, non-negative weights, one per column: with <paramref name="multiLabel"/> of the labels' areas in the average; without, of each column's values in the counts (Keras's <c>label_weights</c>). Null for equal weights.</param>
    /// <param name="fromLogits">Whether predictions are logits (a sigmoid is applied first) rather than probabilities.</param>
    /// <param name="name">The name in training history; <c>auc</c> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numThresholds"/> is below 2, <paramref name="curve"/> or <paramref name="summationMethod"/> is undefined.</exception>
    /// <exception cref="ArgumentException"><paramref name="labelWeights"/> is empty or has a negative or non-finite weight.</exception>
    public Auc(
        int numThresholds = 200,
        AucCurve curve = AucCurve.Roc,
        AucSummationMethod summationMethod = AucSummationMethod.Interpolation,
        bool multiLabel = false,
        IReadOnlyList<float>? labelWeights = null,
        bool fromLogits = false,
        string? name = null)
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

        if (!Enum.IsDefined(summationMethod))
        {
            throw new ArgumentOutOfRangeException(nameof(summationMethod), summationMethod, $"Metric '{Name}' expects summation method Interpolation, Minoring or Majoring but received {summationMethod}.");
        }

        if (labelWeights is not null)
        {
            _labelWeights = [.. labelWeights];
            if (_labelWeights.Length == 0)
            {
                throw new ArgumentException($"Metric '{Name}' expects one label weight per label but received none.", nameof(labelWeights));
            }

            if (SampleWeights.FirstInvalid(_labelWeights) is var i and >= 0)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"Metric '{Name}' expects finite, non-negative label weights but received {_labelWeights[i]} at index {i}."), nameof(labelWeights));
            }
        }

        (NumThresholds, Curve, SummationMethod, MultiLabel, FromLogits) = (numThresholds, curve, summationMethod, multiLabel, fromLogits);
        _thresholds = new float[numThresholds];
        _thresholds[0] = -1e-7f;
        for (var i = 1; i < numThresholds - 1; i++)
        {
            _thresholds[i] = (float)(i / (double)(numThresholds - 1));
        }

        _thresholds[^1] = 1f + 1e-7f;
        _positives = multiLabel ? [] : new double[numThresholds + 1];
        _negatives = multiLabel ? [] : new double[numThresholds + 1];
    }

    /// <summary>The number of thresholds.</summary>
    public int NumThresholds { get; }

    /// <summary>The curve whose area is measured.</summary>
    public AucCurve Curve { get; }

    /// <summary>How the area between thresholds is summed.</summary>
    public AucSummationMethod SummationMethod { get; }

    /// <summary>Whether each column is a label with its own area, the areas then averaged.</summary>
    public bool MultiLabel { get; }

    /// <summary>The weight of each column (label), or null for equal weights.</summary>
    public IReadOnlyList<float>? LabelWeights => _labelWeights;

    /// <summary>With <see cref="MultiLabel"/>, the number of labels, fixed by the first batch; null before it and without multi-label.</summary>
    public int? NumLabels { get; private set; }

    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits { get; }

    /// <summary>The thresholds, ascending.</summary>
    public IReadOnlyList<float> Thresholds => _thresholds;

    private protected override void Accumulate(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int rows, int classes, ReadOnlySpan<byte> mask, ReadOnlySpan<float> weights)
    {
        if (_labelWeights is not null && _labelWeights.Length != classes)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Metric '{Name}' has {_labelWeights.Length} label weights but received predictions with {classes} labels (columns) per sample-step."), nameof(prediction));
        }

        if (MultiLabel && NumLabels is null)
        {
            _positives = new double[(NumThresholds + 1) * classes];
            _negatives = new double[(NumThresholds + 1) * classes];
            NumLabels = classes;
        }
        else if (MultiLabel && NumLabels != classes)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Metric '{Name}' counts {NumLabels} labels (from its first batch) but received predictions with {classes} labels (columns) per sample-step."), nameof(prediction));
        }

        var weightColumns = !MultiLabel && _labelWeights is not null;
        for (var r = 0; r < rows; r++)
        {
            var w = weights.IsEmpty ? 1.0 : weights[r];
            if ((!mask.IsEmpty && mask[r] == 0) || w == 0)
            {
                continue;
            }

            for (var c = 0; c < classes; c++)
            {
                var i = (r * classes) + c;
                // Keras clips to [0, 1] "in case there are predict values out of the range": 1.5 counts as 1, below the last threshold.
                var p = Math.Clamp(FromLogits ? 1f / (1f + MathF.Exp(-prediction[i])) : prediction[i], 0f, 1f);
                var bucket = (MultiLabel ? c * (NumThresholds + 1) : 0) + ThresholdsBelow(p);
                (target[i] != 0f ? _positives : _negatives)[bucket] += weightColumns ? w * _labelWeights![c] : w;
            }
        }
    }

    private protected override float ComputeResult()
    {
        if (!MultiLabel)
        {
            return (float)Area(_positives, _negatives);
        }

        if (NumLabels is not { } labels)
        {
            return 0f;
        }

        // Keras's mean of the label areas, or divide_no_nan(Σ w·AUC, Σ w) with label weights.
        double sum = 0, weightSum = 0;
        var stride = NumThresholds + 1;
        for (var l = 0; l < labels; l++)
        {
            var area = Area(_positives.AsSpan(l * stride, stride), _negatives.AsSpan(l * stride, stride));
            var w = _labelWeights?[l] ?? 1.0;
            sum += w * area;
            weightSum += w;
        }

        return (float)Ratio(sum, weightSum);
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
        config["summation_method"] = SummationMethodName(SummationMethod);
        config["multi_label"] = MultiLabel ? "true" : "false";
        if (_labelWeights is not null)
        {
            config["label_weights"] = Optimizers.ConfigReader.Format(_labelWeights);
        }

        config["from_logits"] = FromLogits ? "true" : "false";
    }

    /// <summary>Rebuilds the metric from <see cref="Metric.GetConfig"/> settings (the <c>auc</c> case of <see cref="Metric.FromConfig"/>).</summary>
    internal static Auc FromConfig(Optimizers.ConfigReader read, string? name, string parameterName)
    {
        var numThresholds = read.RequiredInt("num_thresholds");
        var curve = read.Text("curve") switch
        {
            null or "ROC" => AucCurve.Roc,
            "PR" => AucCurve.PrecisionRecall,
            var other => throw new ArgumentException($"{read.Owner} has curve '{other}', but it must be ROC or PR.", parameterName),
        };
        var summation = read.Text("summation_method") switch
        {
            null or "interpolation" => AucSummationMethod.Interpolation,
            "minoring" => AucSummationMethod.Minoring,
            "majoring" => AucSummationMethod.Majoring,
            var other => throw new ArgumentException($"{read.Owner} has summation method '{other}', but it must be interpolation, minoring or majoring.", parameterName),
        };
        return new Auc(
            numThresholds,
            curve,
            summation,
            read.Bool("multi_label", false),
            read.OptionalFloatList("label_weights"),
            read.Bool("from_logits", false),
            name);
    }

    private static string SummationMethodName(AucSummationMethod method) => method switch
    {
        AucSummationMethod.Interpolation => "interpolation",
        AucSummationMethod.Minoring => "minoring",
        _ => "majoring",
    };

    /// <summary>The area under the curve of one label from its counts by thresholds below (n + 1 each).</summary>
    private double Area(ReadOnlySpan<double> positivesBelow, ReadOnlySpan<double> negativesBelow)
    {
        double positives = 0, negatives = 0;
        for (var k = 0; k <= NumThresholds; k++)
        {
            positives += positivesBelow[k];
            negatives += negativesBelow[k];
        }

        // From the last threshold down: the counts predicted positive at threshold i are those of values above more than
        // i thresholds; each step adds the interval between thresholds i and i + 1.
        double tpNext = positivesBelow[NumThresholds], fpNext = negativesBelow[NumThresholds];
        var area = 0.0;
        for (var i = NumThresholds - 2; i >= 0; i--)
        {
            var (tp, fp) = (tpNext + positivesBelow[i + 1], fpNext + negativesBelow[i + 1]);
            area += Curve == AucCurve.PrecisionRecall && SummationMethod == AucSummationMethod.Interpolation
                ? PrecisionRecallIncrement(tp, fp, tpNext, fpNext, positives)
                : RiemannTerm(tp, fp, tpNext, fpNext, positives, negatives);
            (tpNext, fpNext) = (tp, fp);
        }

        return area;
    }

    /// <summary>
    /// Keras's Riemann term of one interval, <c>(x_i − x_{i+1}) · h</c>: x the false positive rate and y the recall for ROC,
    /// x the recall and y the precision for precision–recall; h the mean, minimum or maximum of y_i and y_{i+1}.
    /// </summary>
    private double RiemannTerm(double tp, double fp, double tpNext, double fpNext, double positives, double negatives)
    {
        var (x, xNext, y, yNext) = Curve == AucCurve.Roc
            ? (Ratio(fp, negatives), Ratio(fpNext, negatives), Ratio(tp, positives), Ratio(tpNext, positives))
            : (Ratio(tp, positives), Ratio(tpNext, positives), Ratio(tp, tp + fp), Ratio(tpNext, tpNext + fpNext));
        var height = SummationMethod switch
        {
            AucSummationMethod.Minoring => Math.Min(y, yNext),
            AucSummationMethod.Majoring => Math.Max(y, yNext),
            _ => (y + yNext) / 2,
        };
        return (x - xNext) * height;
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
