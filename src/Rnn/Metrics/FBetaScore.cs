using System.Diagnostics;
using System.Globalization;

namespace Rnn.Metrics;

/// <summary>How <see cref="FBetaScore"/> and <see cref="F1Score"/> make one number of the classes' scores (Keras's <c>average</c>).</summary>
/// <remarks>
/// Keras's default, <c>average=None</c>, returns one score per class; a <see cref="Metric.Result"/> here is one number, so
/// that choice is not offered. For one class's score, give its column alone (predictions and targets <c>[batch, 1]</c>)
/// with a threshold.
/// </remarks>
public enum FScoreAverage
{
    /// <summary>One score from the counts summed over all classes (Keras's <c>"micro"</c>).</summary>
    Micro,

    /// <summary>The unweighted mean of the classes' scores (Keras's <c>"macro"</c>).</summary>
    Macro,

    /// <summary>The mean of the classes' scores weighted by their support, the (weighted) sum of their targets (Keras's <c>"weighted"</c>).</summary>
    Weighted,
}

/// <summary>
/// The F-beta score, the weighted harmonic mean of precision and recall, as Keras's
/// <c>FBetaScore(average, beta, threshold)</c> computes it:
/// <c>F = (1 + β²) · P·R / (β²·P + R + ε)</c> with <c>P = TP / (TP + FP + ε)</c>, <c>R = TP / (TP + FN + ε)</c>,
/// ε = 1e-7 (Keras's <c>backend.epsilon()</c>), then averaged over the classes as <see cref="Average"/> says.
/// </summary>
/// <remarks>
/// <para>
/// Predictions <c>[batch, k]</c> or <c>[batch, time, k]</c> (each sample-step a row), targets of the same shape (one-hot for
/// multi-class, several ones for multi-label). A value is predicted positive when <c>p &gt; threshold</c>; without a
/// threshold, when it equals its row's largest prediction and <c>|p| &gt; 1e-9</c> (so every value tied for the maximum
/// counts, and a row of zeros predicts nothing), as Keras does. For class c over the counted rows, with weight w and
/// target y (used as a number, as Keras does: 0 or 1 for hard labels):
/// <c>TP_c = Σ w·ŷ·y</c>, <c>FP_c = Σ w·ŷ·(1 − y)</c>, <c>FN_c = Σ w·(1 − ŷ)·y</c>, support <c>S_c = Σ w·y</c>.
/// <see cref="FScoreAverage.Micro"/> sums the counts over the classes into one score; <see cref="FScoreAverage.Macro"/>
/// takes the mean of the k scores; <see cref="FScoreAverage.Weighted"/> <c>Σ F_c·S_c / (Σ S_c + ε)</c>.
/// </para>
/// <para>
/// The number of classes is fixed by the first batch (except with <see cref="FScoreAverage.Micro"/>, whose counts are
/// not per class) and kept across <see cref="Metric.Reset"/>, as Keras builds its state once. Keras's <c>average=None</c>
/// (a vector of per-class scores) is not offered, since a result here is one number. 0 before anything was counted.
/// </para>
/// </remarks>
public class FBetaScore : Metric
{
    /// <summary>Keras's <c>backend.epsilon()</c>, added to every denominator.</summary>
    private const double Epsilon = 1e-7;

    /// <summary>Per class (one slot for micro): true positives, false positives, false negatives, support; null until the first batch.</summary>
    private double[]? _truePositives;
    private double[]? _falsePositives;
    private double[]? _falseNegatives;
    private double[]? _support;

    /// <summary>Creates the metric.</summary>
    /// <param name="average">How the classes' scores become one number (no default: Keras's default, per-class scores, is not offered).</param>
    /// <param name="beta">The weight of recall: β &gt; 1 favours recall, β &lt; 1 precision (Keras's default 1).</param>
    /// <param name="threshold">Predictions above it count as positive, in (0, 1] as Keras requires; null (Keras's default) for the row's largest prediction.</param>
    /// <param name="name">The name in training history; <c>fbeta_score</c> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="average"/> is undefined, <paramref name="beta"/> is not a finite number above 0, or <paramref name="threshold"/> is outside (0, 1].</exception>
    public FBetaScore(FScoreAverage average, float beta = 1f, float? threshold = null, string? name = null)
        : this(average, beta, threshold, name, "fbeta_score")
    {
    }

    /// <summary>Creates the metric under another kind (<see cref="F1Score"/>).</summary>
    private protected FBetaScore(FScoreAverage average, float beta, float? threshold, string? name, string kind)
        : base(name, kind)
    {
        if (!Enum.IsDefined(average))
        {
            throw new ArgumentOutOfRangeException(nameof(average), average, $"Metric '{Name}' expects average Micro, Macro or Weighted but received {average}.");
        }

        if (!(float.IsFinite(beta) && beta > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, $"Metric '{Name}' expects a finite beta above 0 but received {beta.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (threshold is { } t && !(t > 0 && t <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, $"Metric '{Name}' expects a threshold in (0, 1] (as Keras) or none for the row's largest prediction but received {t.ToString(CultureInfo.InvariantCulture)}.");
        }

        (Average, Beta, Threshold) = (average, beta, threshold);
    }

    /// <summary>How the classes' scores become one number.</summary>
    public FScoreAverage Average { get; }

    /// <summary>The weight of recall in the harmonic mean.</summary>
    public float Beta { get; }

    /// <summary>Predictions above it count as positive; null when the row's largest prediction does.</summary>
    public float? Threshold { get; }

    /// <summary>The number of classes counted, fixed by the first batch; null before it (and always for <see cref="FScoreAverage.Micro"/>).</summary>
    public int? NumClasses => Average == FScoreAverage.Micro ? null : _support?.Length;

    private protected override void Accumulate(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int rows, int classes, ReadOnlySpan<byte> mask, ReadOnlySpan<float> weights)
    {
        Debug.Assert(target.Length == prediction.Length, "Dense targets: the caller checked the shapes.");
        var slots = Average == FScoreAverage.Micro ? 1 : classes;
        if (_support is null)
        {
            (_truePositives, _falsePositives, _falseNegatives, _support) = (new double[slots], new double[slots], new double[slots], new double[slots]);
        }
        else if (_support.Length != slots)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Metric '{Name}' counts {_support.Length} classes (from its first batch) but received predictions with {classes} classes per sample-step."), nameof(prediction));
        }

        for (var r = 0; r < rows; r++)
        {
            var w = weights.IsEmpty ? 1.0 : weights[r];
            if ((!mask.IsEmpty && mask[r] == 0) || w == 0)
            {
                continue;
            }

            var row = prediction.Slice(r * classes, classes);
            var largest = Threshold is null ? Largest(row) : 0f;
            for (var c = 0; c < classes; c++)
            {
                var p = row[c];
                var predicted = Threshold is { } t ? p > t : p >= largest && MathF.Abs(p) > 1e-9f;
                var y = (double)target[(r * classes) + c];
                var slot = slots == 1 ? 0 : c;
                if (predicted)
                {
                    _truePositives![slot] += w * y;
                    _falsePositives![slot] += w * (1 - y);
                }
                else
                {
                    _falseNegatives![slot] += w * y;
                }

                _support[slot] += w * y;
            }
        }
    }

    private protected override float ComputeResult()
    {
        if (_support is null)
        {
            return 0f;
        }

        var betaSquared = (double)Beta * Beta;
        double sum = 0, supportSum = 0;
        for (var c = 0; c < _support.Length; c++)
        {
            var tp = _truePositives![c];
            var precision = tp / (tp + _falsePositives![c] + Epsilon);
            var recall = tp / (tp + _falseNegatives![c] + Epsilon);
            var score = (1 + betaSquared) * (precision * recall / ((betaSquared * precision) + recall + Epsilon));
            sum += Average == FScoreAverage.Weighted ? score * _support[c] : score;
            supportSum += _support[c];
        }

        return (float)(Average == FScoreAverage.Weighted ? sum / (supportSum + Epsilon) : sum / _support.Length);
    }

    private protected override void ResetCore()
    {
        if (_support is not null)
        {
            Array.Clear(_truePositives!);
            Array.Clear(_falsePositives!);
            Array.Clear(_falseNegatives!);
            Array.Clear(_support);
        }
    }

    private protected override void AddSettings(Dictionary<string, string> config)
    {
        config["average"] = AverageName(Average);
        config["beta"] = Beta.ToString("R", CultureInfo.InvariantCulture);
        if (Threshold is { } t)
        {
            config["threshold"] = t.ToString("R", CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Keras's name of an average.</summary>
    internal static string AverageName(FScoreAverage average) => average switch
    {
        FScoreAverage.Micro => "micro",
        FScoreAverage.Macro => "macro",
        _ => "weighted",
    };

    /// <summary>The average Keras names <paramref name="text"/>.</summary>
    /// <exception cref="ArgumentException">It names none (Keras's <c>None</c>, per-class scores, included).</exception>
    internal static FScoreAverage ParseAverage(string owner, string? text, string parameterName) => text switch
    {
        "micro" => FScoreAverage.Micro,
        "macro" => FScoreAverage.Macro,
        "weighted" => FScoreAverage.Weighted,
        _ => throw new ArgumentException(
            $"{owner} has average '{text ?? "(none)"}', but it must be micro, macro or weighted (Keras's None, per-class scores, is not offered: a result here is one number).", parameterName),
    };

    /// <summary>The largest of <paramref name="row"/> (Keras's <c>ops.max</c> over the last axis; NaNs are passed over).</summary>
    private static float Largest(ReadOnlySpan<float> row)
    {
        var largest = float.NegativeInfinity;
        foreach (var p in row)
        {
            largest = p > largest ? p : largest;
        }

        return largest;
    }
}
