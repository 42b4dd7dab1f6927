using Rnn.Metrics;

namespace Rnn.Tests.Metrics;

/// <summary>
/// Keras's <c>AUC</c>: its documented examples, precision–recall areas worked out by hand from Keras's interpolation, and
/// the ROC area with many thresholds against the exact area (the Mann–Whitney statistic) computed here.
/// </summary>
public class AucTests
{
    private static float Evaluate(Auc metric, float[] prediction, float[] target, float[]? weights = null)
    {
        var p = TestUtil.ToTensor(prediction, prediction.Length, 1);
        var y = TestUtil.ToTensor(target, target.Length);
        if (weights is null)
        {
            metric.Update(p, y);
        }
        else
        {
            metric.Update(p, y, TestUtil.ToTensor(weights, weights.Length));
        }

        return metric.Result;
    }

    [Fact]
    public void KerasDocumentedExample()
    {
        // keras.metrics.AUC(num_thresholds=3): update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]) → 0.75; with
        // sample_weight [1, 0, 0, 1] → 1.0 (the AUC docstring).
        var metric = new Auc(numThresholds: 3);
        Assert.Equal([-1e-7f, 0.5f, 1f + 1e-7f], metric.Thresholds);
        Assert.Equal(0.75f, Evaluate(metric, [0f, 0.5f, 0.3f, 0.9f], [0f, 0, 1, 1]), 6);
        metric.Reset();
        Assert.Equal(1f, Evaluate(metric, [0f, 0.5f, 0.3f, 0.9f], [0f, 0, 1, 1], [1f, 0, 0, 1]), 6);
    }

    [Fact]
    public void PrecisionRecallArea_FollowsKerasInterpolation()
    {
        // Thresholds −1e-7, 0.5, 1 + 1e-7. Right order (positive 0.9, negative 0.1): TP 1, 1, 0; predicted positives
        // P 2, 1, 0; the first interval adds nothing (ΔTP 0), the second slope 1 · ΔTP 1 / 1 positive = 1.
        Assert.Equal(1f, Evaluate(new Auc(3, AucCurve.PrecisionRecall), [0.9f, 0.1f], [1f, 0]), 6);

        // Wrong order (positive 0.1, negative 0.9): TP 1, 0, 0; P 2, 1, 0. First interval: slope 1, intercept
        // TP_B − slope · P_B = −1, area 1 · (1 + (−1) · ln(2 / 1)) / 1 = 1 − ln 2; the second adds nothing.
        Assert.Equal(1 - Math.Log(2), Evaluate(new Auc(3, AucCurve.PrecisionRecall), [0.1f, 0.9f], [1f, 0]), 6);
    }

    [Fact]
    public void RocArea_WithManyThresholds_IsTheExactArea()
    {
        var random = new Random(3);
        var target = Enumerable.Range(0, 400).Select(_ => random.NextDouble() < 0.3 ? 1f : 0f).ToArray();

        // Scores that separate the classes only partly, spread over (0, 1).
        var prediction = target.Select(y => (float)Math.Clamp((0.35 * y) + (0.65 * random.NextDouble()), 0.001, 0.999)).ToArray();
        var positives = prediction.Where((_, i) => target[i] == 1).ToArray();
        var negatives = prediction.Where((_, i) => target[i] == 0).ToArray();
        var exact = positives.Sum(p => negatives.Sum(n => p > n ? 1.0 : p == n ? 0.5 : 0)) / (positives.Length * (double)negatives.Length);
        Assert.InRange(exact, 0.65, 0.95);

        Assert.Equal(exact, Evaluate(new Auc(numThresholds: 20_000), prediction, target), 3);
        Assert.Equal(exact, Evaluate(new Auc(), prediction, target), 2);
    }

    [Fact]
    public void Logits_AreTheSameAsTheirProbabilities_AndResetForgets()
    {
        float[] logits = [-2f, 0.3f, 1.5f, -0.2f, 3f, -1f];
        float[] target = [0f, 1, 1, 0, 1, 0];
        var probabilities = logits.Select(z => 1f / (1f + MathF.Exp(-z))).ToArray();
        var fromLogits = new Auc(fromLogits: true);
        Assert.Equal(Evaluate(new Auc(), probabilities, target), Evaluate(fromLogits, logits, target));
        fromLogits.Reset();
        Assert.Equal(0f, fromLogits.Result);
    }

    [Fact]
    public void BadArguments_AreNamed()
    {
        Assert.Contains("needs at least 2 thresholds but was given 1", Assert.Throws<ArgumentOutOfRangeException>(() => new Auc(numThresholds: 1)).Message, StringComparison.Ordinal);
        Assert.Contains("curve 'XY'", Assert.Throws<ArgumentException>(() => Metric.FromConfig("auc", new Dictionary<string, string> { ["num_thresholds"] = "5", ["curve"] = "XY" })).Message, StringComparison.Ordinal);
    }
}
