using Rnn.Layers;
using Rnn.Serialization;

namespace Rnn.Tests.Serialization;

/// <summary>Keras's layouts and gate orders, each pinned by hand-made arrays, and Keras's equations run on Keras's layout.</summary>
public class KerasWeightsTests
{
    private static float[] Data(Layer layer, string name) => layer.Parameters.Single(p => p.Name == name).Value.ToArray();

    [Fact]
    public void Gru_MovesKerasBlocksZRHToPyTorchRZN()
    {
        var gru = new Gru(1, inputShape: (null, 1));
        _ = gru.Parameters;
        KerasWeights.Load(gru, [[10, 20, 30], [11, 21, 31], [12, 22, 32, 13, 23, 33]]);
        Assert.Equal([20f, 10f, 30f], Data(gru, "weight_ih_l0"));
        Assert.Equal([21f, 11f, 31f], Data(gru, "weight_hh_l0"));
        Assert.Equal([22f, 12f, 32f], Data(gru, "bias_ih_l0"));
        Assert.Equal([23f, 13f, 33f], Data(gru, "bias_hh_l0"));
        Assert.Equal([[10f, 20f, 30f], [11f, 21f, 31f], [12f, 22f, 32f, 13f, 23f, 33f]], KerasWeights.Export(gru));
    }

    [Fact]
    public void Lstm_TransposesKernelsAndKeepsGateOrderIFCO()
    {
        var lstm = new Lstm(1, inputShape: (null, 2));
        _ = lstm.Parameters;

        // kernel [in = 2, 4H]: row x0 = (i, f, c, o) = 1..4, row x1 = 5..8.
        KerasWeights.Load(lstm, [[1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]);
        Assert.Equal([1f, 5f, 2f, 6f, 3f, 7f, 4f, 8f], Data(lstm, "weight_ih_l0"));
        Assert.Equal([9f, 10f, 11f, 12f], Data(lstm, "weight_hh_l0"));
        Assert.Equal([13f, 14f, 15f, 16f], Data(lstm, "bias_ih_l0"));
        Assert.Equal([0f, 0f, 0f, 0f], Data(lstm, "bias_hh_l0"));
    }

    [Fact]
    public void Export_AddsTheTwoBiasesIntoKerasSingleBias()
    {
        var rnn = new SimpleRnn(2, inputShape: (null, 1), initialization: Initializers.WeightInitialization.PyTorch, seed: 3);
        var sum = Data(rnn, "bias_ih_l0").Zip(Data(rnn, "bias_hh_l0"), (a, b) => a + b).ToArray();
        Assert.Equal(sum, KerasWeights.Export(rnn)[2]);
    }

    [Fact]
    public void Dense_TransposesTheKernel()
    {
        var dense = new Dense(3, inputShape: [2]);
        KerasWeights.Load(dense, [[1, 2, 3, 4, 5, 6], [7, 8, 9]]);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], Data(dense, "weight"));
        Assert.Equal([7f, 8f, 9f], Data(dense, "bias"));
    }

    [Fact]
    public void Bidirectional_TakesForwardThenBackwardArrays()
    {
        var rnn = new SimpleRnn(1, bidirectional: true, inputShape: (null, 1));
        _ = rnn.Parameters;
        KerasWeights.Load(rnn, [[1], [2], [3], [4], [5], [6]]);
        Assert.Equal([1f], Data(rnn, "weight_ih_l0"));
        Assert.Equal([4f], Data(rnn, "weight_ih_l0_reverse"));
        Assert.Equal([6f], Data(rnn, "bias_ih_l0_reverse"));
    }

    [Fact]
    public void Load_ThrowsForWrongArrayCountOrLengthAndChangesNothing()
    {
        var gru = new Gru(2, inputShape: (null, 3), name: "enc");
        var before = Data(gru, "weight_ih_l0");
        var error = Assert.Throws<ArgumentException>(() => KerasWeights.Load(gru, [new float[18], new float[12]]));
        Assert.Contains("Layer 'enc' (Gru) takes 3 Keras arrays (kernel_l0 [3, 6], recurrent_kernel_l0 [2, 6], bias_l0 [2, 6]) but received 2", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => KerasWeights.Load(gru, [new float[18], new float[12], new float[6]]));
        Assert.Contains("Keras array 2 (bias_l0) must have shape [2, 6] = 12 values but has 6", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Data(gru, "weight_ih_l0"));
    }

    /// <summary>
    /// Keras's GRU (reset_after=True) and LSTM written from Keras's own equations on Keras's layout (x·kernel,
    /// gate blocks z, r, h and i, f, c, o), in float64, against our layers after conversion.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ConvertedLayer_ComputesWhatKerasComputes(bool gru)
    {
        const int In = 3, H = 4, T = 5;
        var random = new Random(7);
        var g = gru ? 3 : 4;
        var kernel = TestUtil.RandomArray(random, In * g * H, 0.5);
        var recurrent = TestUtil.RandomArray(random, H * g * H, 0.5);
        var bias = TestUtil.RandomArray(random, (gru ? 2 : 1) * g * H, 0.5);
        var x = TestUtil.RandomArray(random, T * In);
        Recurrent layer = gru ? new Gru(H, inputShape: (null, In)) : new Lstm(H, inputShape: (null, In));
        KerasWeights.Load(layer, [TestUtil.ToFloats(kernel), TestUtil.ToFloats(recurrent), TestUtil.ToFloats(bias)]);
        var actual = TestUtil.Span(layer.Forward(TestUtil.ToTensor(x, 1, T, In))).ToArray();

        double[] Block(double[] rowVector, double[] matrix, int rows, int block)
        {
            var result = new double[H];
            for (var j = 0; j < H; j++)
            {
                for (var r = 0; r < rows; r++)
                {
                    result[j] += rowVector[r] * (float)matrix[(r * g * H) + (block * H) + j];
                }
            }

            return result;
        }

        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        var h = new double[H];
        var c = new double[H];
        for (var t = 0; t < T; t++)
        {
            var xt = x.Skip(t * In).Take(In).Select(v => (double)(float)v).ToArray();
            if (gru)
            {
                // z = σ(x Wz + bz + h Uz + buz); r likewise; hh = tanh(x Wh + bh + r ⊙ (h Uh + buh)); h = z h + (1 - z) hh.
                var (xz, xr, xh) = (Block(xt, kernel, In, 0), Block(xt, kernel, In, 1), Block(xt, kernel, In, 2));
                var (uz, ur, uh) = (Block(h, recurrent, H, 0), Block(h, recurrent, H, 1), Block(h, recurrent, H, 2));
                var next = new double[H];
                for (var j = 0; j < H; j++)
                {
                    double B(int row, int block) => (float)bias[(row * g * H) + (block * H) + j];
                    var z = Sigmoid(xz[j] + B(0, 0) + uz[j] + B(1, 0));
                    var r = Sigmoid(xr[j] + B(0, 1) + ur[j] + B(1, 1));
                    var hh = Math.Tanh(xh[j] + B(0, 2) + (r * (uh[j] + B(1, 2))));
                    next[j] = (z * h[j]) + ((1 - z) * hh);
                }

                h = next;
            }
            else
            {
                // i, f, c, o blocks; c = f c + i tanh(.); h = o tanh(c).
                var gatesX = Enumerable.Range(0, 4).Select(b => Block(xt, kernel, In, b)).ToArray();
                var gatesH = Enumerable.Range(0, 4).Select(b => Block(h, recurrent, H, b)).ToArray();
                for (var j = 0; j < H; j++)
                {
                    double A(int b) => gatesX[b][j] + gatesH[b][j] + (float)bias[(b * H) + j];
                    c[j] = (Sigmoid(A(1)) * c[j]) + (Sigmoid(A(0)) * Math.Tanh(A(2)));
                    h[j] = Sigmoid(A(3)) * Math.Tanh(c[j]);
                }
            }
        }

        TestUtil.AssertClose(h, actual, 1e-6, gru ? "Keras GRU" : "Keras LSTM");
    }
}
