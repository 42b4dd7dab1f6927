using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Rnn.Tests;

/// <summary>Shared helpers: random data, conversions, and closeness assertions that report the worst element.</summary>
public static class TestUtil
{
    /// <summary>Σ a·b in float64.</summary>
    public static double Dot(double[] a, double[] b) => a.Zip(b, (p, q) => p * q).Sum();

    /// <summary>Central differences (step 1e-6) of <paramref name="f"/> with respect to every element of <paramref name="values"/>, which it changes and restores.</summary>
    public static double[] NumericGradient(double[] values, Func<double> f)
    {
        const double Step = 1e-6;
        var gradient = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var saved = values[i];
            values[i] = saved + Step;
            var plus = f();
            values[i] = saved - Step;
            var minus = f();
            values[i] = saved;
            gradient[i] = (plus - minus) / (2 * Step);
        }

        return gradient;
    }

    public static double[] RandomArray(Random random, int length, double scale = 1.0)
    {
        var values = new double[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = ((2 * random.NextDouble()) - 1) * scale;
        }

        return values;
    }

    /// <summary>A tensor of the given shape with values uniform in [-1, 1) from <c>new Random(seed)</c>.</summary>
    public static Tensor<float> RandomTensor(int seed, params int[] shape)
        => ToTensor(RandomArray(new Random(seed), shape.Aggregate(1, (a, b) => a * b)), shape);

    public static Tensor<float> ToTensor(double[] values, params int[] shape)
        => Tensor.Create(values.Select(v => (float)v).ToArray(), shape.Select(s => (nint)s).ToArray());

    public static Tensor<float> ToTensor(float[] values, params int[] shape)
        => Tensor.Create(values, shape.Select(s => (nint)s).ToArray());

    public static float[] ToFloats(double[] values) => values.Select(v => (float)v).ToArray();

    public static double[] ToDoubles(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }

        return result;
    }

    public static Span<float> Span(Tensor<float> tensor)
        => MemoryMarshal.CreateSpan(ref tensor.GetPinnableReference(), checked((int)tensor.FlattenedLength));

    public static int[] Shape(Tensor<float> tensor) => tensor.Lengths.ToArray().Select(l => (int)l).ToArray();

    /// <summary>Asserts |actual - expected| ≤ tolerance · max(1, max|expected|) element-wise, naming the worst element.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} values but got {actual.Length}.");
        var scale = 1.0;
        foreach (var e in expected)
        {
            scale = Math.Max(scale, Math.Abs(e));
        }

        var worst = -1;
        var worstError = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            var error = Math.Abs(actual[i] - expected[i]);
            if (double.IsNaN(actual[i]) || error > worstError)
            {
                worstError = double.IsNaN(actual[i]) ? double.PositiveInfinity : error;
                worst = i;
            }
        }

        Assert.True(
            worstError <= tolerance * scale,
            string.Create(CultureInfo.InvariantCulture, $"{what}: max abs error {worstError:G4} at [{worst}] (expected {(worst >= 0 ? expected[worst] : 0):G9}, got {(worst >= 0 ? actual[worst] : 0):G9}) exceeds {tolerance:G3} × scale {scale:G4}."));
    }

    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double absolute, double relative, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} values but got {actual.Length}.");
        for (var i = 0; i < expected.Length; i++)
        {
            var error = Math.Abs(actual[i] - expected[i]);
            Assert.True(
                error <= absolute + (relative * Math.Abs(expected[i])),
                string.Create(CultureInfo.InvariantCulture, $"{what}[{i}]: expected {expected[i]:G10}, got {actual[i]:G10} (error {error:G3})."));
        }
    }

    /// <summary>Same length and the same bits in every element (NaN payloads and the sign of zero included).</summary>
    public static void AssertBitwiseEqual(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, expected bitwise {expected[i]:R}");
            }
        }
    }
}
