using Rnn.Kernels;

namespace Rnn.Tests.Kernels;

/// <summary>
/// Accuracy of <see cref="SimdMath"/> against float64 over dense grids and at the edges. The bounds are
/// the ones its XML docs promise (measured maxima: exp 1.19e-7 relative; sigmoid 8.9e-8 absolute and 1.9e-7
/// relative; tanh 3.0e-7 with FMA, 4.0e-7 without).
/// </summary>
public class SimdMathTests
{
    private const double ExpRelativeTolerance = 1.25e-7;
    private const double SigmoidAbsoluteTolerance = 1e-7;
    private const double SigmoidRelativeTolerance = 2e-7;
    private const double TanhTolerance = 4.2e-7;

    /// <summary>Smallest normal float.</summary>
    private const double MinNormal = 1.1754943508222875e-38;

    [Fact]
    public void Exp_DenseGrid_WithinOneUlpWhereNormal()
    {
        foreach (var x in Grid(-87.33f, 88.37f, 2_000_001))
        {
            var expected = Math.Exp(x);
            var actual = SimdMath.Exp<SimdScalar, float>(x);
            Assert.True(Math.Abs(actual - expected) <= ExpRelativeTolerance * expected, $"exp({x:R}) = {actual:R}, expected {expected:R}");
        }
    }

    [Fact]
    public void Exp_BelowNormalRange_IsSubnormalOrFlushedToZero()
    {
        foreach (var x in Grid(-104f, -87.34f, 100_001))
        {
            var expected = Math.Exp(x);
            var actual = SimdMath.Exp<SimdScalar, float>(x);
            Assert.True(actual >= 0 && actual < MinNormal && Math.Abs(actual - expected) <= 8.4e-39, $"exp({x:R}) = {actual:R}, expected {expected:R}");
        }
    }

    [Fact]
    public void Sigmoid_DenseGrid_MatchesFloat64()
    {
        foreach (var x in Grid(-110f, 110f, 2_000_001))
        {
            var expected = 1 / (1 + Math.Exp(-x));
            var actual = SimdMath.Sigmoid<SimdScalar, float>(x);
            var error = Math.Abs(actual - expected);
            Assert.True(error <= SigmoidAbsoluteTolerance, $"σ({x:R}) = {actual:R}, expected {expected:R}");
            Assert.True(expected < MinNormal || error <= SigmoidRelativeTolerance * expected, $"σ({x:R}) = {actual:R}, expected {expected:R} (relative)");
            Assert.InRange(actual, 0f, 1f);
        }
    }

    [Fact]
    public void Tanh_DenseGrid_MatchesFloat64AndNeverLeavesUnitInterval()
    {
        foreach (var x in Grid(-12f, 12f, 2_000_001))
        {
            var expected = Math.Tanh(x);
            var actual = SimdMath.Tanh<SimdScalar, float>(x);
            Assert.True(Math.Abs(actual - expected) <= TanhTolerance * Math.Max(Math.Abs(expected), 1e-30), $"tanh({x:R}) = {actual:R}, expected {expected:R}");

            // Never beyond ±1, so 1 - tanh² stays non-negative in backward passes.
            Assert.InRange(actual, -1f, 1f);
        }
    }

    [Fact]
    public void Tanh_TinyAndSubnormalInputs_KeepRelativeAccuracy()
    {
        foreach (var x in new[] { 1e-3f, 1e-10f, 1e-30f, 1.2e-38f, 1e-40f, float.Epsilon })
        {
            foreach (var sign in new[] { 1f, -1f })
            {
                var expected = Math.Tanh(sign * x);
                var actual = SimdMath.Tanh<SimdScalar, float>(sign * x);
                Assert.True(Math.Abs(actual - expected) <= Math.Max(TanhTolerance * Math.Abs(expected), float.Epsilon), $"tanh({sign * x:R}) = {actual:R}, expected {expected:R}");
            }
        }
    }

    public static TheoryData<float, float, float, float> EdgeValues() => new()
    {
        // x, exp(x), σ(x), tanh(x)
        { 0f, 1f, 0.5f, 0f },
        { float.PositiveInfinity, float.PositiveInfinity, 1f, 1f },
        { float.NegativeInfinity, 0f, 0f, -1f },
        { float.MaxValue, float.PositiveInfinity, 1f, 1f },
        { float.MinValue, 0f, 0f, -1f },
        { 88.5f, float.PositiveInfinity, 1f, 1f },
        { -100f, 0f, 0f, -1f },
        { 20f, 485165195.4f, 1f, 1f },
    };

    [Theory]
    [MemberData(nameof(EdgeValues))]
    public void SimdMath_EdgeValues_AreAsDocumented(float x, float exp, float sigmoid, float tanh)
    {
        foreach (var width in UnitLoop.Supported)
        {
            var actual = Apply(width, x);
            Assert.Equal(exp, actual.Exp);
            Assert.Equal(sigmoid, actual.Sigmoid);
            Assert.Equal(tanh, actual.Tanh);
        }
    }

    [Fact]
    public void SimdMath_SignedZeroAndNaN_AreAsDocumented()
    {
        foreach (var width in UnitLoop.Supported)
        {
            var negativeZero = Apply(width, -0f);
            Assert.Equal(1f, negativeZero.Exp);
            Assert.Equal(0.5f, negativeZero.Sigmoid);
            Assert.True(float.IsNegative(negativeZero.Tanh) && negativeZero.Tanh == 0f, $"{width}: tanh(-0) = {negativeZero.Tanh:R}");

            var nan = Apply(width, float.NaN);
            Assert.True(float.IsNaN(nan.Exp) && float.IsNaN(nan.Sigmoid) && float.IsNaN(nan.Tanh), $"{width}: NaN gave {nan}");
        }
    }

    /// <summary>Runs the three functions at one width (through <see cref="Activations"/>, which uses that width's ops).</summary>
    private static (float Exp, float Sigmoid, float Tanh) Apply(SimdWidth width, float x)
    {
        // A full vector of the same value, so the chosen width really computes it.
        var input = Enumerable.Repeat(x, (int)width).ToArray();
        var output = new float[input.Length];
        Activations.Exp(input, output, width);
        var exp = output[0];
        Activations.Sigmoid(input, output, width);
        var sigmoid = output[0];
        Activations.Tanh(input, output, width);
        return (exp, sigmoid, output[0]);
    }

    private static IEnumerable<float> Grid(float from, float to, int points)
    {
        for (var i = 0; i < points; i++)
        {
            yield return (float)(from + ((to - (double)from) * i / (points - 1)));
        }
    }
}
