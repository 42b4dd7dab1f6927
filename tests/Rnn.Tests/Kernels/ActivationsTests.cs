using Rnn.Kernels;

namespace Rnn.Tests.Kernels;

/// <summary>
/// <see cref="Activations"/> at every length 1..256 (every mix of Vector512, 256, 128 and scalar steps) and
/// every width this machine supports, against float64 references.
/// </summary>
public class ActivationsTests
{
    private const double ExpRelativeTolerance = 1.25e-7;
    private const double SigmoidAbsoluteTolerance = 1e-7;
    private const double TanhAbsoluteTolerance = 4.2e-7;

    /// <summary>Backward helpers: a few roundings of products of values in [0, 1] and dy.</summary>
    private const double BackwardRelativeTolerance = 4 * 6e-8;

    private const float Sentinel = -12345f;

    public enum Activation
    {
        Exp,
        Sigmoid,
        Tanh,
        Relu,
        SigmoidBackward,
        TanhBackward,
        ReluBackward,
    }

    public static TheoryData<Activation, int> FunctionsAndWidths()
    {
        var data = new TheoryData<Activation, int>();
        foreach (var function in Enum.GetValues<Activation>())
        {
            foreach (var width in UnitLoop.Supported)
            {
                data.Add(function, (int)width);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FunctionsAndWidths))]
    public void Activation_EveryLength_MatchesFloat64Reference(Activation function, int widthValue)
    {
        var width = (SimdWidth)widthValue;
        var random = new Random(17);
        for (var length = 1; length <= 256; length++)
        {
            var x = Inputs(random, function, length);
            var dy = RandomArray(random, length, -2f, 2f);

            // One sentinel past the end: the remainder steps must not write beyond the span.
            var y = new float[length + 1];
            y[length] = Sentinel;
            Run(function, width, x, dy, y.AsSpan(0, length));

            for (var i = 0; i < length; i++)
            {
                var (expected, tolerance) = Reference(function, x[i], dy[i]);
                Assert.True(Math.Abs(y[i] - expected) <= tolerance, $"{function} {width} length {length}: f({x[i]:R}) = {y[i]:R}, expected {expected:R} ± {tolerance:R}");
            }

            Assert.Equal(Sentinel, y[length]);
        }
    }

    [Theory]
    [MemberData(nameof(FunctionsAndWidths))]
    public void Activation_InPlace_GivesTheSameBitsAsOutOfPlace(Activation function, int widthValue)
    {
        var width = (SimdWidth)widthValue;
        var random = new Random(23);
        var x = Inputs(random, function, 203);
        var dy = RandomArray(random, x.Length, -2f, 2f);
        var separate = new float[x.Length];
        Run(function, width, x, dy, separate);

        var inPlace = (float[])x.Clone();
        Run(function, width, inPlace, dy, inPlace);

        Assert.Equal(separate, inPlace);
    }

    [Theory]
    [InlineData(Activation.Exp)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.TanhBackward)]
    public void Activation_AllSupportedWidths_AgreeBitwise(Activation function)
    {
        // The widths run the same operation sequence per element (fused everywhere, or nowhere without FMA).
        var random = new Random(29);
        var x = Inputs(random, function, 1000);
        var dy = RandomArray(random, x.Length, -2f, 2f);
        var expected = new float[x.Length];
        Run(function, UnitLoop.Best, x, dy, expected);
        foreach (var width in UnitLoop.Supported)
        {
            var actual = new float[x.Length];
            Run(function, width, x, dy, actual);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Relu_NaNAndSignedZero_PassThrough()
    {
        foreach (var width in UnitLoop.Supported)
        {
            var x = Enumerable.Repeat(float.NaN, 16).Concat(Enumerable.Repeat(-0f, 16)).ToArray();
            var y = new float[x.Length];
            Activations.Relu(x, y, width);
            Assert.All(y.Take(16), v => Assert.True(float.IsNaN(v)));
            Assert.All(y.Skip(16), v => Assert.Equal(0f, v));
        }
    }

    private static float[] Inputs(Random random, Activation function, int length) => function switch
    {
        Activation.Exp => RandomArray(random, length, -87f, 88f),
        Activation.Sigmoid or Activation.Tanh or Activation.Relu => RandomArray(random, length, -12f, 12f),
        Activation.SigmoidBackward => RandomArray(random, length, 0f, 1f),
        Activation.TanhBackward => RandomArray(random, length, -1f, 1f),
        _ => RandomArray(random, length, -1f, 1f),
    };

    private static void Run(Activation function, SimdWidth width, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> y)
    {
        switch (function)
        {
            case Activation.Exp:
                Activations.Exp(x, y, width);
                break;
            case Activation.Sigmoid:
                Activations.Sigmoid(x, y, width);
                break;
            case Activation.Tanh:
                Activations.Tanh(x, y, width);
                break;
            case Activation.Relu:
                Activations.Relu(x, y, width);
                break;
            case Activation.SigmoidBackward:
                Activations.SigmoidBackward(x, dy, y, width);
                break;
            case Activation.TanhBackward:
                Activations.TanhBackward(x, dy, y, width);
                break;
            default:
                Activations.ReluBackward(x, dy, y, width);
                break;
        }
    }

    /// <summary>The float64 value and the allowed error for one element (x is y for the backward helpers).</summary>
    private static (double Expected, double Tolerance) Reference(Activation function, double x, double dy)
    {
        switch (function)
        {
            case Activation.Exp:
                return (Math.Exp(x), ExpRelativeTolerance * Math.Exp(x));
            case Activation.Sigmoid:
                return (1 / (1 + Math.Exp(-x)), SigmoidAbsoluteTolerance);
            case Activation.Tanh:
                return (Math.Tanh(x), TanhAbsoluteTolerance);
            case Activation.Relu:
                return (Math.Max(0, x), 0);
            case Activation.SigmoidBackward:
                {
                    var expected = dy * x * (1 - x);
                    return (expected, BackwardRelativeTolerance * Math.Abs(expected));
                }

            case Activation.TanhBackward:
                {
                    var expected = dy * (1 - (x * x));
                    return (expected, BackwardRelativeTolerance * Math.Abs(expected));
                }

            default:
                return (x > 0 ? dy : 0, 0);
        }
    }

    private static float[] RandomArray(Random random, int length, float from, float to)
    {
        var x = new float[length];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)(from + ((to - from) * random.NextDouble()));
        }

        return x;
    }
}
