using Rnn.Losses;

namespace Rnn.Tests.Losses;

/// <summary>
/// Extreme inputs give finite, exact losses and gradients: logits of ±1e4 and ±88 (where a naive exp
/// overflows float32) and probabilities of exactly 0 and 1 (where a naive log is -∞).
/// </summary>
public class LossStabilityTests
{
    private static readonly float[] HugeLogits = [1e4f, -1e4f, 88f, -88f, 100f, 0f, 20f, -20f];

    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    [InlineData(0.5f)]
    public void BinaryCrossEntropyFromLogits_HugeLogits_GivesExactFiniteLossAndGradient(float y)
    {
        var n = HugeLogits.Length;
        var target = Enumerable.Repeat(y, n).ToArray();
        var gradient = new float[n];

        var loss = Loss.BinaryCrossEntropy(fromLogits: true).Compute(HugeLogits, target, gradient, rows: 1, classes: n, default);

        // Stable in float64 too: max(x, 0) - x y + log(1 + e^-|x|), and σ without overflow.
        var expected = HugeLogits.Average(x => Math.Max(x, 0) - ((double)x * y) + Math.Log(1 + Math.Exp(-Math.Abs((double)x))));
        Assert.True(float.IsFinite(loss));
        Assert.Equal(expected, loss, expected * 1e-6);
        for (var i = 0; i < n; i++)
        {
            double x = HugeLogits[i];
            var sigmoid = x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
            Assert.True(float.IsFinite(gradient[i]));
            Assert.Equal((sigmoid - y) / n, gradient[i], 1e-7);
        }
    }

    [Theory]
    [InlineData(15f, 1f)]
    [InlineData(20f, 1f)]
    [InlineData(30f, 1f)]
    [InlineData(-20f, 0f)]
    public void BinaryCrossEntropyFromLogits_ConfidentRightAnswer_KeepsItsTinyLoss(float x, float y)
    {
        // The loss is log(1 + e^-|x|) ≈ e^-|x|, which a float log(1 + t) rounds to 0 once t < 6e-8.
        var loss = Loss.BinaryCrossEntropy(fromLogits: true).Compute([x], [y], default, 1, 1, default);

        // log(1 + t) by its series: double's own 1 + t loses digits here too.
        var t = Math.Exp(-Math.Abs((double)x));
        var expected = t - (t * t / 2) + (t * t * t / 3);
        Assert.Equal(expected, loss, expected * 1e-5);
    }

    public static TheoryData<float[], int> CategoricalRows() => new()
    {
        { [1e4f, -1e4f, 0f], 0 },
        { [1e4f, -1e4f, 0f], 1 },
        { [88f, -88f, 88f], 2 },
        { [-88f, -88f, 88f], 0 },
        { [-1e4f, -1e4f, -1e4f], 1 },
        { [1e4f, 1e4f, -1e4f], 2 },
    };

    [Theory]
    [MemberData(nameof(CategoricalRows))]
    public void CategoricalFromLogits_HugeLogits_GivesExactFiniteLossAndGradient(float[] logits, int label)
    {
        var oneHot = new float[logits.Length];
        oneHot[label] = 1f;
        var dense = new float[logits.Length];
        var sparse = new float[logits.Length];

        var denseLoss = Loss.CategoricalCrossEntropy(fromLogits: true).Compute(logits, oneHot, dense, 1, logits.Length, default);
        var sparseLoss = Loss.SparseCategoricalCrossEntropy(fromLogits: true).Compute(logits, [label], sparse, 1, logits.Length, default);

        var max = logits.Max();
        var logSum = max + Math.Log(logits.Sum(x => Math.Exp(x - (double)max)));
        var expected = logSum - logits[label];
        foreach (var (loss, gradient) in new[] { (denseLoss, dense), (sparseLoss, sparse) })
        {
            Assert.True(float.IsFinite(loss));
            Assert.Equal(expected, loss, Math.Max(expected, 1) * 1e-6);
            for (var i = 0; i < logits.Length; i++)
            {
                var softmax = Math.Exp(logits[i] - logSum);
                Assert.Equal(softmax - (i == label ? 1 : 0), gradient[i], 1e-6);
            }
        }
    }

    [Theory]
    [InlineData(0f, 1f)]
    [InlineData(1f, 0f)]
    [InlineData(0f, 0f)]
    [InlineData(1f, 1f)]
    public void BinaryCrossEntropy_ProbabilitiesAtZeroOrOne_AreClippedToFiniteLossAndZeroGradient(float p, float y)
    {
        var gradient = new float[] { float.NaN };

        var loss = Loss.BinaryCrossEntropy().Compute([p], [y], gradient, 1, 1, default);

        // Clipped to [1e-7, 1 - 1e-7]: a wrong certain answer costs -log(1e-7) ≈ 16.1, a right one ≈ 1e-7.
        var clipped = Math.Clamp(p, 1e-7f, 1f - 1e-7f);
        var expected = -((y * Math.Log(clipped)) + ((1 - y) * Math.Log(1 - (double)clipped)));
        Assert.Equal(expected, loss, 1e-5);
        Assert.Equal(0f, gradient[0]);
    }

    [Fact]
    public void CategoricalCrossEntropy_ZeroProbabilityForTargetClass_IsClippedToFiniteLoss()
    {
        float[] prediction = [1f, 0f, 0f];
        var dense = new float[3];
        var sparse = new float[3];

        var denseLoss = Loss.CategoricalCrossEntropy().Compute(prediction, [0f, 1f, 0f], dense, 1, 3, default);
        var sparseLoss = Loss.SparseCategoricalCrossEntropy().Compute(prediction, [1f], sparse, 1, 3, default);

        Assert.Equal(-Math.Log(1e-7f), denseLoss, 1e-5);
        Assert.Equal(-Math.Log(1e-7f), sparseLoss, 1e-5);
        Assert.All(dense, g => Assert.Equal(0f, g));
        Assert.All(sparse, g => Assert.Equal(0f, g));
    }
}
