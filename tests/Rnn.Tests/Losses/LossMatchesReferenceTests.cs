using System.Globalization;
using Rnn.Losses;

namespace Rnn.Tests.Losses;

/// <summary>
/// Every loss agrees with its float64 oracle on random shapes, with and without a mask; the oracle's
/// gradient agrees with central finite differences of its loss; from-logits losses equal the probability
/// losses composed with the sigmoid or softmax.
/// </summary>
public class LossMatchesReferenceTests
{
    private const double LossTolerance = 1e-5;       // relative: float32 logs and exps against float64
    private const double GradientTolerance = 1e-5;   // relative to the largest gradient element

    public static TheoryData<string, int, int, int, bool, bool> Shapes()
    {
        var data = new TheoryData<string, int, int, int, bool, bool>();
        foreach (var id in LossCases.All)
        {
            foreach (var classes in new[] { 1, 3, 17 })
            {
                foreach (var masked in new[] { false, true })
                {
                    foreach (var weighted in new[] { false, true })
                    {
                        data.Add(id, 7, 0, classes, masked, weighted);    // [batch, k]
                        data.Add(id, 3, 5, classes, masked, weighted);    // [batch, time, k]
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Compute_MatchesReference_LossAndGradient(string id, int batch, int time, int classes, bool masked, bool weighted)
    {
        var random = new Random(HashCode.Combine(id.Length, id[^1], batch, time, classes, masked, weighted));
        var rows = batch * Math.Max(time, 1);
        var (prediction, target) = LossCases.Data(id, random, rows, classes);
        var mask = masked ? LossCases.Mask(random, rows) : null;

        // Sample-step weights as Sequential passes them: some zero, some above 1.
        var weights = weighted ? Enumerable.Range(0, rows).Select(r => r % 4 == 1 ? 0f : (float)(0.25 + (2 * random.NextDouble()))).ToArray() : null;
        var loss = LossCases.Create(id);
        var reference = LossCases.Reference(id);

        var gradient = TestUtil.ToTensor(Enumerable.Repeat(float.NaN, rows * classes).ToArray(), LossCases.PredictionShape(batch, time, classes));
        var predictionTensor = TestUtil.ToTensor(prediction, LossCases.PredictionShape(batch, time, classes));
        var targetTensor = TestUtil.ToTensor(target, LossCases.TargetShape(id, batch, time, classes));
        var actual = weights is not null
            ? loss.Compute(predictionTensor, targetTensor, mask, mask is not null, gradient, weights)
            : mask is null
                ? loss.Compute(predictionTensor, targetTensor, gradient)
                : loss.Compute(predictionTensor, targetTensor, mask, gradient);

        var p = TestUtil.ToDoubles(prediction);
        var y = TestUtil.ToDoubles(target);
        var flags = mask?.Select(m => m != 0).ToArray();
        var w = weights is null ? null : TestUtil.ToDoubles(weights);
        var expected = reference.Loss(p, y, rows, classes, flags, w);
        AssertRelative(expected, actual, LossTolerance, $"{id} loss");
        AssertGradient(reference.Gradient(p, y, rows, classes, flags, w), TestUtil.Span(gradient), GradientTolerance, $"{id} gradient");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Compute_WithoutGradient_ReturnsTheSameLoss(string id, int batch, int time, int classes, bool masked, bool weighted)
    {
        var random = new Random(batch + time + classes);
        var rows = batch * Math.Max(time, 1);
        var (prediction, target) = LossCases.Data(id, random, rows, classes);
        var mask = masked ? LossCases.Mask(random, rows) : [];
        var weights = weighted ? Enumerable.Range(0, rows).Select(r => (float)(r % 3)).ToArray() : [];
        var loss = LossCases.Create(id);
        var gradient = new float[rows * classes];

        var withGradient = loss.Compute(prediction, target, gradient, rows, classes, mask, weights);
        var without = loss.Compute(prediction, target, default, rows, classes, mask, weights);

        Assert.Equal(withGradient, without, 6);
    }

    public static TheoryData<string, int> GradientCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var id in LossCases.All)
        {
            data.Add(id, 1);
            data.Add(id, 3);
            data.Add(id, 17);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Reference_Gradient_MatchesFiniteDifferences(string id, int classes)
    {
        const int Rows = 6;
        const double H = 1e-6;
        var random = new Random(classes * 31);
        var (prediction, target) = LossCases.Data(id, random, Rows, classes);
        var p = TestUtil.ToDoubles(prediction);
        var y = TestUtil.ToDoubles(target);
        var mask = LossCases.Mask(random, Rows).Select(m => m != 0).ToArray();
        var reference = LossCases.Reference(id);

        var analytic = reference.Gradient(p, y, Rows, classes, mask);
        var numeric = new double[p.Length];
        for (var i = 0; i < p.Length; i++)
        {
            var saved = p[i];
            p[i] = saved + H;
            var plus = reference.Loss(p, y, Rows, classes, mask);
            p[i] = saved - H;
            var minus = reference.Loss(p, y, Rows, classes, mask);
            p[i] = saved;
            numeric[i] = (plus - minus) / (2 * H);
        }

        TestUtil.AssertClose(numeric, analytic, 1e-7, 1e-5, $"{id} reference gradient");
    }

    public static TheoryData<string, int> LogitCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var classes in new[] { 1, 3, 17 })
        {
            data.Add("bce", classes);
        }

        // Categorical with k = 1 is always clipped (softmax of one logit is 1), so not compared.
        foreach (var classes in new[] { 3, 17 })
        {
            data.Add("cce", classes);
            data.Add("scce", classes);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LogitCases))]
    public void FromLogits_EqualsProbabilityLossOfActivatedLogits(string id, int classes)
    {
        const int Rows = 8;
        var random = new Random(classes + id.Length);
        var (logits, target) = LossCases.Data(id + "_logits", random, Rows, classes);
        var probabilities = new float[logits.Length];
        if (id == "bce")
        {
            for (var i = 0; i < logits.Length; i++)
            {
                probabilities[i] = (float)(1 / (1 + Math.Exp(-logits[i])));
            }
        }
        else
        {
            Softmax.Forward(logits, probabilities, Rows, classes);
        }

        var logitGradient = new float[logits.Length];
        var probabilityGradient = new float[logits.Length];
        var fromLogits = LossCases.Create(id + "_logits").Compute(logits, target, logitGradient, Rows, classes, default);
        var fromProbabilities = LossCases.Create(id).Compute(probabilities, target, probabilityGradient, Rows, classes, default);

        AssertRelative(fromProbabilities, fromLogits, LossTolerance, $"{id} loss");

        // Chain rule through the activation: dL/dx = J(x)ᵀ dL/dp.
        var chained = new float[logits.Length];
        if (id == "bce")
        {
            for (var i = 0; i < logits.Length; i++)
            {
                chained[i] = probabilityGradient[i] * probabilities[i] * (1 - probabilities[i]);
            }
        }
        else
        {
            Softmax.Backward(probabilities, probabilityGradient, chained, Rows, classes);
        }

        AssertGradient(TestUtil.ToDoubles(chained), logitGradient, 1e-4, $"{id} gradient");
    }

    private static void AssertRelative(double expected, double actual, double tolerance, string what)
        => Assert.True(
            Math.Abs(actual - expected) <= tolerance * Math.Max(Math.Abs(expected), 1e-3),
            string.Create(CultureInfo.InvariantCulture, $"{what}: expected {expected:G9}, got {actual:G9}."));

    /// <summary>
    /// Element-wise |actual - expected| ≤ tolerance · max|expected| (gradients are scaled by 1/count, so small), with max|expected|
    /// taken as at least 1e-9: a gradient that is 0 in exact arithmetic (cosine similarity of one value, whose direction is
    /// its sign) comes out as rounding noise near 1e-17 in both.
    /// </summary>
    private static void AssertGradient(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        var scale = 0.0;
        foreach (var e in expected)
        {
            scale = Math.Max(scale, Math.Abs(e));
        }

        TestUtil.AssertClose(expected, TestUtil.ToDoubles(actual), tolerance * Math.Max(scale, 1e-9), 0, what);
    }
}
