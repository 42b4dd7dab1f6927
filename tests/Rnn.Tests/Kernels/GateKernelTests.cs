using Rnn.Kernels;

namespace Rnn.Tests.Kernels;

/// <summary>
/// The fused gate kernels at every SIMD width this machine has, over unit ranges that end in every
/// remainder, against the cell equations in float64.
/// </summary>
public class GateKernelTests
{
    private const double Tolerance = 2e-6;

    /// <summary>(SimdWidth as int, since theory parameters must be public types; hidden size).</summary>
    public static TheoryData<int, int> WidthsAndLengths()
    {
        var data = new TheoryData<int, int>();
        foreach (var width in UnitLoop.Supported)
        {
            foreach (var length in new[] { 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 20, 31, 32, 33, 47, 64, 65 })
            {
                data.Add((int)width, length);
            }
        }

        return data;
    }

    private static float[] Random(Random random, int length, double scale = 2.0)
        => [.. TestUtil.RandomArray(random, length, scale).Select(v => (float)v)];

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Theory]
    [MemberData(nameof(WidthsAndLengths))]
    public void LstmGates_ForwardAndBackward_MatchEquations(int simdWidth, int hidden)
    {
        var width = (SimdWidth)simdWidth;
        var random = new Random(hidden);
        var start = hidden > 2 ? 1 : 0;
        var a = Random(random, 4 * hidden, 3);
        var bias = Random(random, 4 * hidden);
        var cPrev = Random(random, hidden);
        var gates = (float[])a.Clone();
        var c = new float[hidden];
        var h = new float[hidden];
        LstmGates.Forward(gates, bias, cPrev, c, h, rows: 1, hidden, start, hidden, storeActivations: true, width);

        var dOut = Random(random, hidden);
        var dh = Random(random, hidden);
        var dc = Random(random, hidden);
        var dhIn = (float[])dh.Clone();
        var dcIn = (float[])dc.Clone();
        LstmGates.Backward(gates, c, cPrev, dOut, dh, dc, hidden, start, hidden, width);

        for (var j = start; j < hidden; j++)
        {
            var i = Sigmoid(a[j] + (double)bias[j]);
            var f = Sigmoid(a[hidden + j] + (double)bias[hidden + j]);
            var g = Math.Tanh(a[(2 * hidden) + j] + (double)bias[(2 * hidden) + j]);
            var o = Sigmoid(a[(3 * hidden) + j] + (double)bias[(3 * hidden) + j]);
            var cj = (f * cPrev[j]) + (i * g);
            var hj = o * Math.Tanh(cj);
            Assert.Equal(cj, c[j], Tolerance);
            Assert.Equal(hj, h[j], Tolerance);

            var dhj = dhIn[j] + (double)dOut[j];
            var tc = Math.Tanh(cj);
            var dcj = dcIn[j] + (dhj * o * (1 - (tc * tc)));
            Assert.Equal(dcj * g * i * (1 - i), gates[j], Tolerance);
            Assert.Equal(dcj * cPrev[j] * f * (1 - f), gates[hidden + j], Tolerance);
            Assert.Equal(dcj * i * (1 - (g * g)), gates[(2 * hidden) + j], Tolerance);
            Assert.Equal(dhj * tc * o * (1 - o), gates[(3 * hidden) + j], Tolerance);
            Assert.Equal(dcj * f, dc[j], Tolerance);
            Assert.Equal(0f, dh[j]);
        }

        // Units outside [start, hidden) are not touched.
        for (var j = 0; j < start; j++)
        {
            Assert.Equal(0f, h[j]);
            Assert.Equal(dhIn[j], dh[j]);
        }
    }

    [Theory]
    [MemberData(nameof(WidthsAndLengths))]
    public void GruGates_ForwardAndBackward_MatchEquations(int simdWidth, int hidden)
    {
        var width = (SimdWidth)simdWidth;
        var random = new Random(100 + hidden);
        var x = Random(random, 3 * hidden, 3);
        var u = Random(random, 3 * hidden, 3);
        var bx = Random(random, 3 * hidden);
        var bu = Random(random, 3 * hidden);
        var hPrev = Random(random, hidden, 1);
        var xs = (float[])x.Clone();
        var us = (float[])u.Clone();
        var h = new float[hidden];
        GruGates.Forward(xs, us, bx, bu, hPrev, h, rows: 1, hidden, 0, hidden, storeActivations: true, width);

        var dOut = Random(random, hidden);
        var dh = Random(random, hidden);
        var dhIn = (float[])dh.Clone();
        GruGates.Backward(xs, us, hPrev, dOut, dh, hidden, 0, hidden, width);

        for (var j = 0; j < hidden; j++)
        {
            var r = Sigmoid((double)x[j] + bx[j] + u[j] + bu[j]);
            var z = Sigmoid((double)x[hidden + j] + bx[hidden + j] + u[hidden + j] + bu[hidden + j]);
            var un = (double)u[(2 * hidden) + j] + bu[(2 * hidden) + j];
            var n = Math.Tanh(x[(2 * hidden) + j] + (double)bx[(2 * hidden) + j] + (r * un));
            Assert.Equal(((1 - z) * n) + (z * hPrev[j]), h[j], Tolerance);

            var dhj = dhIn[j] + (double)dOut[j];
            var dn = dhj * (1 - z) * (1 - (n * n));
            var dz = dhj * (hPrev[j] - n) * z * (1 - z);
            var dr = dn * un * r * (1 - r);
            Assert.Equal(dr, xs[j], Tolerance);
            Assert.Equal(dz, xs[hidden + j], Tolerance);
            Assert.Equal(dn, xs[(2 * hidden) + j], Tolerance);
            Assert.Equal(dr, us[j], Tolerance);
            Assert.Equal(dz, us[hidden + j], Tolerance);
            Assert.Equal(dn * r, us[(2 * hidden) + j], Tolerance);
            Assert.Equal(dhj * z, dh[j], Tolerance);
        }
    }

    [Theory]
    [MemberData(nameof(WidthsAndLengths))]
    public void SimpleRnnGates_ForwardAndBackward_MatchEquations(int simdWidth, int hidden)
    {
        var width = (SimdWidth)simdWidth;
        foreach (var relu in new[] { false, true })
        {
            var random = new Random(200 + hidden);
            var a = Random(random, hidden, 3);
            var bias = Random(random, hidden);
            var h = new float[hidden];
            SimpleRnnGates.Forward(a, bias, h, rows: 1, hidden, relu, 0, hidden, width);
            var dOut = Random(random, hidden);
            var dh = Random(random, hidden);
            var dhIn = (float[])dh.Clone();
            var da = new float[hidden];
            SimpleRnnGates.Backward(da, h, dOut, dh, relu, 0, hidden, width);
            for (var j = 0; j < hidden; j++)
            {
                var pre = (double)a[j] + bias[j];
                var hj = relu ? Math.Max(pre, 0) : Math.Tanh(pre);
                Assert.Equal(hj, h[j], Tolerance);
                var dhj = dhIn[j] + (double)dOut[j];
                Assert.Equal(relu ? (pre > 0 ? dhj : 0) : dhj * (1 - (hj * hj)), da[j], Tolerance);
                Assert.Equal(0f, dh[j]);
            }
        }
    }

    [Fact]
    public void LstmGates_WithoutOutputGradient_UsesRecurrentGradientOnly()
    {
        const int Hidden = 21;
        var random = new Random(5);
        var activations = Random(random, 4 * Hidden, 0.5).Select(v => v + 0.5f).ToArray();
        var c = Random(random, Hidden);
        var cPrev = Random(random, Hidden);
        var dh = Random(random, Hidden);
        var withEmpty = (float[])activations.Clone();
        var withZeros = (float[])activations.Clone();
        float[] dh1 = [.. dh], dh2 = [.. dh], dc1 = new float[Hidden], dc2 = new float[Hidden];
        LstmGates.Backward(withEmpty, c, cPrev, default, dh1, dc1, Hidden, 0, Hidden, UnitLoop.Best);
        LstmGates.Backward(withZeros, c, cPrev, new float[Hidden], dh2, dc2, Hidden, 0, Hidden, UnitLoop.Best);
        Assert.Equal(withZeros, withEmpty);
        Assert.Equal(dc2, dc1);
    }

    public static TheoryData<int, int, int> WidthsRowsAndLengths()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var width in UnitLoop.Supported)
        {
            foreach (var rows in new[] { 2, 3, 4, 5, 7, 9 })
            {
                // Tails of 4, 8, 12 and 13 units after whole Vector512 blocks, and none: the packed tails of
                // UnitLoop.RunRows (two rows of 8 or four rows of 4 in one Vector512) and the rows left over.
                foreach (var hidden in new[] { 4, 8, 12, 13, 20, 21, 28, 32, 44 })
                {
                    data.Add((int)width, rows, hidden);
                }
            }
        }

        return data;
    }

    /// <summary>
    /// Several rows in one call give the bits of one row at a time, whose math the tests above check: the
    /// packing of short row tails into one vector must neither mix rows up nor change a lane's arithmetic.
    /// </summary>
    [Theory]
    [MemberData(nameof(WidthsRowsAndLengths))]
    public void ForwardKernels_OverSeveralRows_EqualRowByRowCalls(int simdWidth, int rows, int hidden)
    {
        var width = (SimdWidth)simdWidth;
        var random = new Random((1000 * rows) + hidden);
        var start = hidden > 16 ? 16 - (hidden % 4) : 0;
        var gates = Random(random, rows * 4 * hidden, 3);
        var bias = Random(random, 4 * hidden);
        var previous = Random(random, rows * hidden);
        float[] together = [.. gates], c = new float[rows * hidden], h = new float[rows * hidden];
        LstmGates.Forward(together, bias, previous, c, h, rows, hidden, start, hidden, storeActivations: true, width);
        for (var b = 0; b < rows; b++)
        {
            var row = gates.AsSpan(b * 4 * hidden, 4 * hidden).ToArray();
            float[] rowC = new float[hidden], rowH = new float[hidden];
            LstmGates.Forward(row, bias, previous.AsSpan(b * hidden, hidden), rowC, rowH, 1, hidden, start, hidden, storeActivations: true, width);
            Assert.Equal(row, together.AsSpan(b * 4 * hidden, 4 * hidden).ToArray());
            Assert.Equal(rowC, c.AsSpan(b * hidden, hidden).ToArray());
            Assert.Equal(rowH, h.AsSpan(b * hidden, hidden).ToArray());
        }

        var u = Random(random, rows * 3 * hidden, 3);
        var x = Random(random, rows * 3 * hidden, 3);
        float[] xs = [.. x], us = [.. u], hg = new float[rows * hidden];
        GruGates.Forward(xs, us, bias.AsSpan(0, 3 * hidden), bias.AsSpan(hidden, 3 * hidden), previous, hg, rows, hidden, start, hidden, storeActivations: true, width);
        var hr = new float[rows * hidden];
        SimpleRnnGates.Forward(x, bias, hr, rows, hidden, relu: false, start, hidden, width);
        for (var b = 0; b < rows; b++)
        {
            float[] rowX = x.AsSpan(b * 3 * hidden, 3 * hidden).ToArray(), rowU = u.AsSpan(b * 3 * hidden, 3 * hidden).ToArray(), rowH = new float[hidden];
            GruGates.Forward(rowX, rowU, bias.AsSpan(0, 3 * hidden), bias.AsSpan(hidden, 3 * hidden), previous.AsSpan(b * hidden, hidden), rowH, 1, hidden, start, hidden, storeActivations: true, width);
            Assert.Equal(rowH, hg.AsSpan(b * hidden, hidden).ToArray());
            Assert.Equal(rowX, xs.AsSpan(b * 3 * hidden, 3 * hidden).ToArray());
            Assert.Equal(rowU, us.AsSpan(b * 3 * hidden, 3 * hidden).ToArray());
            var rnn = new float[hidden];
            SimpleRnnGates.Forward(x.AsSpan(b * hidden, hidden), bias, rnn, 1, hidden, relu: false, start, hidden, width);
            Assert.Equal(rnn, hr.AsSpan(b * hidden, hidden).ToArray());
        }
    }
}
