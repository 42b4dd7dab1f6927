using Rnn.Losses;

namespace Rnn.Tests.Losses;

/// <summary>
/// The Keras rules of the regression, divergence and margin losses that random data in <see cref="LossMatchesReferenceTests"/>
/// does not reach: the hinge losses' 0/1 label conversion decided over the batch, ε floors and clips at zeros, and
/// finite results at extreme values. Expected values are Keras's formulas evaluated here in float64.
/// </summary>
public class KerasLossSemanticsTests
{
    private const double Eps = 1e-7f;

    private static (float Loss, float[] Gradient) Run(Loss loss, float[] prediction, float[] target, int rows, byte[]? mask = null)
    {
        var gradient = Enumerable.Repeat(float.NaN, prediction.Length).ToArray();
        var value = loss.Compute(prediction, target, gradient, rows, prediction.Length / rows, mask ?? default);
        return (value, gradient);
    }

    private static double HingeOf(float[] p, float[] t, bool squared)
        => p.Select((v, i) => Math.Pow(Math.Max(1 - ((double)t[i] * v), 0), squared ? 2 : 1)).Average();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Hinge_ZeroOneTargets_AreReadAsMinusOneAndOne(bool squared)
    {
        Loss loss = squared ? Loss.SquaredHinge : Loss.Hinge;
        float[] p = [0.3f, -1.5f, 2f, -0.2f];

        var (binary, binaryGradient) = Run(loss, p, [0f, 1f, 1f, 0f], rows: 2);
        var (signed, signedGradient) = Run(loss, p, [-1f, 1f, 1f, -1f], rows: 2);

        Assert.Equal(HingeOf(p, [-1f, 1f, 1f, -1f], squared), binary, 6);
        Assert.Equal(signed, binary);
        Assert.Equal(signedGradient, binaryGradient);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Hinge_BatchWithOtherLabels_UsesEveryTargetAsItIs(bool squared)
    {
        // One -1 anywhere in the batch: Keras's all-binary test fails, so the 0 of the first row stays 0 (margin 1).
        Loss loss = squared ? Loss.SquaredHinge : Loss.Hinge;
        float[] p = [0.3f, -1.5f, 2f, -0.2f];
        float[] y = [0f, 1f, 1f, -1f];

        var (value, gradient) = Run(loss, p, y, rows: 2);

        Assert.Equal(HingeOf(p, y, squared), value, 6);
        Assert.Equal(0f, gradient[0]);   // t = 0: the margin 1 does not depend on p
    }

    [Fact]
    public void Hinge_MaskedRowsDoNotDecideTheConversion()
    {
        // The masked row's -1 would block the conversion if it counted; only rows 0 and 2 decide, and they are binary.
        float[] p = [0.3f, -1.5f, 5f, 5f, 2f, -0.2f];
        var (masked, _) = Run(Loss.Hinge, p, [0f, 1f, -1f, -1f, 1f, 0f], rows: 3, [1, 0, 1]);

        Assert.Equal(HingeOf([0.3f, -1.5f, 2f, -0.2f], [-1f, 1f, 1f, -1f], squared: false), masked, 6);
    }

    [Fact]
    public void MeanSquaredLogarithmicError_ZerosAndNegatives_CountAsEpsilon()
    {
        var (value, gradient) = Run(Loss.MeanSquaredLogarithmicError, [0f, -3f, 2f], [-1f, 0f, 0f], rows: 1);

        var expected = new[] { (0.0, -1.0), (-3.0, 0.0), (2.0, 0.0) }
            .Average(c => Math.Pow(Math.Log(Math.Max(c.Item1, Eps) + 1) - Math.Log(Math.Max(c.Item2, Eps) + 1), 2));
        Assert.Equal(expected, value, 1e-6);
        Assert.Equal([0f, 0f], gradient[..2]);   // below ε the clip holds the prediction
        Assert.Equal(2 * Math.Log(3) / 3 / 3, gradient[2], 1e-6);
    }

    [Fact]
    public void MeanAbsolutePercentageError_ZeroTarget_DividesByEpsilon()
    {
        // Keras's own example: y [[0, 1], [0, 0]], p [[1, 1], [0, 0]] gives 2.5e8.
        var (value, gradient) = Run(Loss.MeanAbsolutePercentageError, [1f, 1f, 0f, 0f], [0f, 1f, 0f, 0f], rows: 2);

        Assert.Equal(100 * (1 / Eps) / 4, value, 1e-6 * value);
        Assert.Equal(100 / Eps / 2 / 2, gradient[0], 1e-6 * gradient[0]);
        Assert.Equal([0f, 0f, 0f], gradient[1..]);
    }

    [Theory]
    [InlineData(1e-4f)]
    [InlineData(-3e-3f)]
    [InlineData(1e-15f)]
    public void LogCosh_TinyErrors_KeepTheirDigits(float error)
    {
        // log(cosh e) = e²/2 - e⁴/12 + e⁶/45 - …, where a float log(cosh e) (or Keras's e + softplus(-2e) - log 2) loses all digits.
        var (value, gradient) = Run(Loss.LogCosh, [error], [0f], rows: 1);

        double e = error;
        var expected = (e * e / 2) - (Math.Pow(e, 4) / 12) + (Math.Pow(e, 6) / 45);
        Assert.Equal(expected, value, expected * 1e-6);
        Assert.Equal(Math.Tanh(e), gradient[0], Math.Abs(e) * 1e-6);
    }

    [Theory]
    [InlineData(1e30f, 0f)]
    [InlineData(-1.5e38f, 1.5e38f)]
    [InlineData(50f, -10f)]
    public void LogCosh_HugeErrors_GiveAbsoluteErrorMinusLogTwo(float p, float y)
    {
        var (value, gradient) = Run(Loss.LogCosh, [p], [y], rows: 1);

        var e = (double)p - y;
        Assert.True(float.IsFinite(value));
        Assert.Equal(Math.Abs(e) - Math.Log(2), value, Math.Abs(e) * 1e-6);
        Assert.Equal(Math.Sign(e), gradient[0]);
    }

    [Fact]
    public void KLDivergence_ClipsTargetsAndPredictionsToEpsilonAndOne()
    {
        // Row: y 0 → ε (adds ε log(ε / p)), y 1 against p 0 → p clipped to ε (gradient 0), p 2 → clipped to 1 (gradient 0).
        float[] p = [0.5f, 0f, 2f];
        float[] y = [0f, 1f, 1f];
        var (value, gradient) = Run(Loss.KLDivergence, p, y, rows: 1);

        var expected = (Eps * Math.Log(Eps / 0.5)) + Math.Log(1 / Eps) + Math.Log(1 / 1.0);
        Assert.Equal(expected, value, 1e-5);
        Assert.Equal(-Eps / 0.5, gradient[0], 1e-12);
        Assert.Equal([0f, 0f], gradient[1..]);
    }

    [Fact]
    public void Poisson_ZeroPredictionAndHugeRate_AreFinite()
    {
        float[] p = [0f, 0f, 1e30f];
        float[] y = [0f, 3f, 1f];
        var (value, gradient) = Run(Loss.Poisson, p, y, rows: 1);

        var expected = new[] { (0.0, 0.0), (0.0, 3.0), (1e30, 1.0) }.Average(c => c.Item1 - (c.Item2 * Math.Log(c.Item1 + Eps)));
        Assert.Equal(expected, value, expected * 1e-6);
        Assert.All(gradient, g => Assert.True(float.IsFinite(g)));
        Assert.Equal((1 - (3 / Eps)) / 3, gradient[1], 1e-6 * 3 / Eps);
    }

    [Fact]
    public void CosineSimilarity_SignAndZeroVectors_AsKeras()
    {
        // Keras's example: y [[0, 1], [1, 1], [1, 1]], p [[1, 0], [1, 1], [-1, -1]] gives per row [-0, -1, 1].
        var same = Run(Loss.CosineSimilarity, [1f, 1f], [1f, 1f], 1).Loss;
        var opposite = Run(Loss.CosineSimilarity, [-1f, -1f], [1f, 1f], 1).Loss;
        var orthogonal = Run(Loss.CosineSimilarity, [1f, 0f], [0f, 1f], 1).Loss;
        Assert.Equal(-1f, same, 6);
        Assert.Equal(1f, opposite, 6);
        Assert.Equal(0f, orthogonal);

        // A zero target: 0, whatever p, and nothing to learn.
        var (zeroTarget, zeroTargetGradient) = Run(Loss.CosineSimilarity, [0.5f, -2f], [0f, 0f], 1);
        Assert.Equal(0f, zeroTarget);
        Assert.Equal([0f, 0f], zeroTargetGradient);

        // A zero prediction: 0, and Keras's gradient -ŷ / ε through the floor of the norm.
        var (zeroPrediction, zeroPredictionGradient) = Run(Loss.CosineSimilarity, [0f, 0f], [3f, 4f], 1);
        Assert.Equal(0f, zeroPrediction);
        Assert.Equal(-0.6 / Eps, zeroPredictionGradient[0], 1e-6 / Eps);
        Assert.Equal(-0.8 / Eps, zeroPredictionGradient[1], 1e-6 / Eps);
    }

    [Fact]
    public void CosineSimilarity_HugeValues_GiveTheTrueCosine()
    {
        var (value, gradient) = Run(Loss.CosineSimilarity, [3e38f, 3e38f], [1f, 0f], 1);

        Assert.Equal(-Math.Sqrt(0.5), value, 1e-6);
        Assert.All(gradient, g => Assert.True(float.IsFinite(g)));
    }

    [Fact]
    public void Hinge_HugeScores_AreFinite()
    {
        var (value, gradient) = Run(Loss.SquaredHinge, [1e18f, 1e18f], [1f, -1f], 1);

        Assert.Equal(Math.Pow(1 + 1e18, 2) / 2, value, 1e30);
        Assert.Equal([0f, (float)(2 * (1 + 1e18) / 2)], gradient);
    }
}
