using Rnn.Layers;

namespace Rnn.Tests.Layers;

/// <summary>
/// Dense, Embedding, Masking, Dropout and activation layers: the float32 forward against a float64
/// reference written from the definition, and the float32 backward against central finite differences of
/// that reference.
/// </summary>
public class LayerGradientTests
{
    public static TheoryData<Activation, bool> DenseCases()
    {
        var data = new TheoryData<Activation, bool>();
        foreach (var activation in Enum.GetValues<Activation>())
        {
            data.Add(activation, false);
            data.Add(activation, true);
        }

        return data;
    }

    private static double ApplyReference(Activation activation, double x) => activation switch
    {
        Activation.Linear => x,
        Activation.Relu => Math.Max(x, 0),
        Activation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        Activation.Tanh => Math.Tanh(x),
        Activation.Elu => x > 0 ? x : Math.Exp(x) - 1,
        Activation.Softplus => Math.Log(1 + Math.Exp(x)),
        Activation.Silu => x / (1 + Math.Exp(-x)),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>act over each row of z [rows, columns] in float64.</summary>
    private static double[] ActivateReference(Activation activation, double[] z, int columns)
    {
        if (activation != Activation.Softmax)
        {
            return [.. z.Select(v => ApplyReference(activation, v))];
        }

        var y = new double[z.Length];
        for (var r = 0; r < z.Length; r += columns)
        {
            var max = z.Skip(r).Take(columns).Max();
            var sum = 0.0;
            for (var i = r; i < r + columns; i++)
            {
                sum += Math.Exp(z[i] - max);
            }

            for (var i = r; i < r + columns; i++)
            {
                y[i] = Math.Exp(z[i] - max) / sum;
            }
        }

        return y;
    }



    [Theory]
    [MemberData(nameof(DenseCases))]
    public void Dense_ForwardAndBackward_MatchReferenceAndFiniteDifferences(Activation activation, bool sequence)
    {
        const int Batch = 3, Time = 4, In = 5, Units = 6;
        var random = new Random((int)activation);
        int[] inputShape = sequence ? [Batch, Time, In] : [Batch, In];
        var rows = sequence ? Batch * Time : Batch;
        var x = TestUtil.RandomArray(random, rows * In).Select(v => (double)(float)v).ToArray();
        var dense = new Dense(Units, activation, seed: 3);
        dense.Build(sequence ? [-1, In] : [In]);
        var w = dense.Parameters[0].Data.Select(v => (double)v).ToArray();
        var b = TestUtil.RandomArray(random, Units).Select(v => (double)(float)v).ToArray();
        dense.Parameters[1].Assign(TestUtil.ToFloats(b));

        double[] Reference()
        {
            var z = new double[rows * Units];
            for (var r = 0; r < rows; r++)
            {
                for (var u = 0; u < Units; u++)
                {
                    var sum = b[u];
                    for (var k = 0; k < In; k++)
                    {
                        sum += x[(r * In) + k] * w[(u * In) + k];
                    }

                    z[(r * Units) + u] = sum;
                }
            }

            return ActivateReference(activation, z, Units);
        }

        var output = dense.Forward(TestUtil.ToTensor(x, inputShape), training: true);
        TestUtil.AssertClose(Reference(), TestUtil.Span(output), 1e-6, "output");

        var dy = TestUtil.RandomArray(random, rows * Units);
        var dx = dense.Backward(TestUtil.ToTensor(dy, TestUtil.Shape(output)));
        double Loss() => TestUtil.Dot(Reference(), dy);
        TestUtil.AssertClose(TestUtil.NumericGradient(x, Loss), TestUtil.Span(dx), 1e-5, "dx");
        TestUtil.AssertClose(TestUtil.NumericGradient(w, Loss), dense.Parameters[0].Grad, 1e-5, "dW");
        TestUtil.AssertClose(TestUtil.NumericGradient(b, Loss), dense.Parameters[1].Grad, 1e-5, "db");
    }

    [Theory]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Softmax)]
    [InlineData(Activation.Silu)]
    [InlineData(Activation.Elu)]
    public void ActivationLayer_Backward_MatchesFiniteDifferences(Activation activation)
    {
        var random = new Random(11);
        var x = TestUtil.RandomArray(random, 2 * 3 * 7, 3).Select(v => (double)(float)v).ToArray();
        var layer = new ActivationLayer(activation);
        var y = layer.Forward(TestUtil.ToTensor(x, 2, 3, 7), training: true);
        TestUtil.AssertClose(ActivateReference(activation, x, 7), TestUtil.Span(y), 1e-6, "output");
        var dy = TestUtil.RandomArray(random, x.Length);
        var dx = layer.Backward(TestUtil.ToTensor(dy, 2, 3, 7));
        TestUtil.AssertClose(TestUtil.NumericGradient(x, () => TestUtil.Dot(ActivateReference(activation, x, 7), dy)), TestUtil.Span(dx), 1e-5, "dx");
    }

    [Fact]
    public void Embedding_ForwardAndBackward_MatchLookupAndFiniteDifferences()
    {
        const int Vocabulary = 7, Dim = 4;
        var embedding = new Embedding(Vocabulary, Dim, seed: 5);
        float[] ids = [1, 6, 0, 1, 3, 3, 2, 0];
        var output = embedding.Forward(TestUtil.ToTensor(ids, 2, 4), training: true);
        var w = embedding.Parameters[0].Data.Select(v => (double)v).ToArray();
        double[] Reference() => [.. ids.SelectMany(id => w.Skip((int)id * Dim).Take(Dim))];
        TestUtil.AssertClose(Reference(), TestUtil.Span(output), 0, "lookup");
        var dy = TestUtil.RandomArray(new Random(2), ids.Length * Dim);
        var dx = embedding.Backward(TestUtil.ToTensor(dy, 2, 4, Dim));
        TestUtil.AssertClose(TestUtil.NumericGradient(w, () => TestUtil.Dot(Reference(), dy)), embedding.Parameters[0].Grad, 1e-6, "dW");
        Assert.All(TestUtil.Span(dx).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Embedding_ThrowsForIdsOutOfRangeOrNotIntegers()
    {
        var embedding = new Embedding(5, 3, name: "tokens");
        var error = Assert.Throws<ArgumentException>(() => embedding.Forward(TestUtil.ToTensor(new float[] { 1, 5 }, 1, 2)));
        Assert.Contains("Layer 'tokens' expects integer token ids in [0, 5) but received 5 at [0, 1]", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => embedding.Forward(TestUtil.ToTensor(new float[] { 1.5f, 2 }, 1, 2)));
        Assert.Contains("received 1.5 at [0, 0]", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => embedding.Forward(TestUtil.ToTensor(new float[] { 1, 2 }, 1, 2, 1)));
        Assert.Contains("expects token ids of shape [batch, time] but received shape [1, 2, 1]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Masking_ZeroesMaskedStepsAndTheirGradients()
    {
        var masking = new Masking(maskValue: -1f);
        float[] x = [1, 2, -1, -1, 3, -1, -1, -1];
        var y = masking.Forward(TestUtil.ToTensor(x, 2, 2, 2), training: true);
        Assert.Equal(new float[] { 1, 2, 0, 0, 3, -1, 0, 0 }, TestUtil.Span(y).ToArray());
        var dx = masking.Backward(TestUtil.ToTensor(new float[] { 1, 1, 1, 1, 1, 1, 1, 1 }, 2, 2, 2));
        Assert.Equal(new float[] { 1, 1, 0, 0, 1, 1, 0, 0 }, TestUtil.Span(dx).ToArray());
    }

    [Fact]
    public void Dropout_DropsAtTheRateScalesTheRestAndBackpropagatesTheSameMask()
    {
        const int N = 20000;
        const float Rate = 0.3f;
        var dropout = new Dropout(Rate, seed: 9);
        var x = TestUtil.ToTensor(Enumerable.Repeat(2f, N).ToArray(), 1, N);
        var y = TestUtil.Span(dropout.Forward(x, training: true)).ToArray();
        var dropped = y.Count(v => v == 0f);
        Assert.InRange(dropped / (double)N, Rate - 0.02, Rate + 0.02);
        Assert.All(y.Where(v => v != 0f), v => Assert.Equal(2f / (1f - Rate), v, 1e-6f));
        var dx = TestUtil.Span(dropout.Backward(TestUtil.ToTensor(Enumerable.Repeat(1f, N).ToArray(), 1, N))).ToArray();
        for (var i = 0; i < N; i++)
        {
            Assert.Equal(y[i] / 2f, dx[i], 1e-6f);
        }

        Assert.Equal(TestUtil.Span(x).ToArray(), TestUtil.Span(dropout.Forward(x, training: false)).ToArray());
    }

    [Fact]
    public void Dense_ThrowsForWrongFeatureCount()
    {
        var dense = new Dense(3, inputShape: [4], name: "head");
        var error = Assert.Throws<ArgumentException>(() => dense.Forward(TestUtil.ToTensor(new float[10], 2, 5)));
        Assert.Contains("Layer 'head' expects 4 input features but received 5 (input shape [2, 5])", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Layers_BackwardWithoutTrainingForward_Throw()
    {
        Layer[] layers = [new Dense(2, inputShape: [3]), new Dropout(0.5f), new Masking(), new Embedding(4, 2), new ActivationLayer(Activation.Relu)];
        foreach (var layer in layers)
        {
            var error = Assert.Throws<InvalidOperationException>(() => layer.Backward(TestUtil.ToTensor(new float[6], 1, 2, 3)));
            Assert.Contains($"Layer '{layer.Name}' cannot run Backward", error.Message, StringComparison.Ordinal);
        }
    }
}
