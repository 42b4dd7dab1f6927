using Rnn.Losses;

namespace Rnn.Tests.Losses;

/// <summary>The stable row-wise softmax: matches float64, survives huge logits, and its backward matches finite differences.</summary>
public class SoftmaxTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 3)]
    [InlineData(5, 17)]
    [InlineData(2, 300)]
    public void Forward_MatchesFloat64(int rows, int classes)
    {
        var random = new Random(rows * classes);
        var x = TestUtil.ToFloats(TestUtil.RandomArray(random, rows * classes, 6));
        var y = new float[x.Length];

        Softmax.Forward(x, y, rows, classes);

        var expected = new double[x.Length];
        for (var r = 0; r < rows; r++)
        {
            var sum = 0.0;
            for (var i = 0; i < classes; i++)
            {
                sum += Math.Exp(x[(r * classes) + i]);
            }

            for (var i = 0; i < classes; i++)
            {
                expected[(r * classes) + i] = Math.Exp(x[(r * classes) + i]) / sum;
            }
        }

        TestUtil.AssertClose(expected, y, 1e-6, "softmax");
    }

    [Fact]
    public void Forward_HugeLogits_GivesFiniteDistributions()
    {
        float[] x = [1e4f, -1e4f, 0f, 88f, 89f, -88f, -1e4f, -1e4f, -1e4f];
        var y = new float[x.Length];

        Softmax.Forward(x, y, 3, 3);

        Assert.Equal([1f, 0f, 0f], y[..3]);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(1 / (1 + Math.Exp(-1) + Math.Exp(-177)), y[4], 1e-6);   // the 89 of [88, 89, -88]
        Assert.Equal([1f / 3, 1f / 3, 1f / 3], y[6..]);
    }

    [Fact]
    public void Forward_InPlace_EqualsOutOfPlace()
    {
        var random = new Random(2);
        var x = TestUtil.ToFloats(TestUtil.RandomArray(random, 12, 3));
        var y = new float[12];
        Softmax.Forward(x, y, 3, 4);

        Softmax.Forward(x, x, 3, 4);

        Assert.Equal(y, x);
    }

    [Fact]
    public void Backward_MatchesFiniteDifferences()
    {
        const int Rows = 3, Classes = 5;
        const double H = 1e-3;
        var random = new Random(4);
        var x = TestUtil.ToFloats(TestUtil.RandomArray(random, Rows * Classes, 2));
        var dy = TestUtil.ToFloats(TestUtil.RandomArray(random, Rows * Classes));
        var y = new float[x.Length];
        Softmax.Forward(x, y, Rows, Classes);
        var dx = new float[x.Length];

        Softmax.Backward(y, dy, dx, Rows, Classes);

        // d/dx of Σ dy · softmax(x), in float64.
        double Objective(double[] logits)
        {
            var total = 0.0;
            for (var r = 0; r < Rows; r++)
            {
                var sum = Enumerable.Range(0, Classes).Sum(i => Math.Exp(logits[(r * Classes) + i]));
                for (var i = 0; i < Classes; i++)
                {
                    total += dy[(r * Classes) + i] * Math.Exp(logits[(r * Classes) + i]) / sum;
                }
            }

            return total;
        }

        var point = TestUtil.ToDoubles(x);
        var numeric = new double[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var saved = point[i];
            point[i] = saved + H;
            var plus = Objective(point);
            point[i] = saved - H;
            var minus = Objective(point);
            point[i] = saved;
            numeric[i] = (plus - minus) / (2 * H);
        }

        TestUtil.AssertClose(numeric, dx, 1e-5, "softmax backward");
    }
}
