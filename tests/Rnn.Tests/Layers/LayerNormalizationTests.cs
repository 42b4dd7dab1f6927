using Rnn.Layers;
using Rnn.Losses;
using Rnn.Optimizers;
using Rnn.Serialization;
using Rnn.Tests.Serialization;

namespace Rnn.Tests.Layers;

/// <summary>
/// LayerNormalization: forward against a float64 reference written from its definition, backward (input, γ and β) against
/// central finite differences of that reference, every combination of center and scale; then in models, files and ONNX.
/// </summary>
public sealed class LayerNormalizationTests : IDisposable
{
    private const int Batch = 3, Time = 4, Features = 5;

    private readonly string _directory = Directory.CreateTempSubdirectory("rnn-layernorm-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>y = γ ⊙ (x − μ) / √(σ² + ε) + β per row of x [rows, features], in float64.</summary>
    private static double[] Reference(double[] x, double[]? gamma, double[]? beta, double epsilon)
    {
        var y = new double[x.Length];
        for (var r = 0; r < x.Length / Features; r++)
        {
            var row = x.Skip(r * Features).Take(Features).ToArray();
            var mean = row.Average();
            var variance = row.Select(v => (v - mean) * (v - mean)).Average();
            for (var f = 0; f < Features; f++)
            {
                var normalized = (row[f] - mean) / Math.Sqrt(variance + epsilon);
                y[(r * Features) + f] = (normalized * (gamma?[f] ?? 1)) + (beta?[f] ?? 0);
            }
        }

        return y;
    }

    public static TheoryData<bool, bool, bool> Cases()
    {
        var data = new TheoryData<bool, bool, bool>();
        foreach (var center in new[] { true, false })
        {
            foreach (var scale in new[] { true, false })
            {
                data.Add(center, scale, true);
            }
        }

        data.Add(true, true, false);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndBackward_MatchReferenceAndFiniteDifferences(bool center, bool scale, bool sequence)
    {
        const double Epsilon = 1e-3;
        var random = new Random(7);
        var rows = sequence ? Batch * Time : Batch;

        // An offset, so that a mean far from 0 is part of the test.
        var x = TestUtil.RandomArray(random, rows * Features, 2).Select(v => (double)(float)(v + 3)).ToArray();
        var gamma = scale ? TestUtil.RandomArray(random, Features).Select(v => (double)(float)(1 + v)).ToArray() : null;
        var beta = center ? TestUtil.RandomArray(random, Features).Select(v => (double)(float)v).ToArray() : null;
        var layer = new LayerNormalization(center: center, scale: scale);
        layer.Build(sequence ? [-1, Features] : [Features]);
        Assert.Equal((scale ? 1 : 0) + (center ? 1 : 0), layer.Parameters.Count);
        if (gamma is not null)
        {
            layer.Parameters[0].Assign(TestUtil.ToFloats(gamma));
        }

        if (beta is not null)
        {
            layer.Parameters[^1].Assign(TestUtil.ToFloats(beta));
        }

        var y = layer.Forward(TestUtil.ToTensor(x, sequence ? [Batch, Time, Features] : [Batch, Features]), training: true);
        TestUtil.AssertClose(Reference(x, gamma, beta, Epsilon), TestUtil.Span(y), 1e-5, "output");

        var dy = TestUtil.RandomArray(random, rows * Features);
        var dx = layer.Backward(TestUtil.ToTensor(dy, TestUtil.Shape(y)));
        double Loss() => TestUtil.Dot(Reference(x, gamma, beta, Epsilon), dy);
        TestUtil.AssertClose(TestUtil.NumericGradient(x, Loss), TestUtil.Span(dx), 1e-4, "dx");
        if (gamma is not null)
        {
            TestUtil.AssertClose(TestUtil.NumericGradient(gamma, Loss), TestUtil.Span(layer.Parameters[0].Gradient), 1e-4, "dγ");
        }

        if (beta is not null)
        {
            TestUtil.AssertClose(TestUtil.NumericGradient(beta, Loss), TestUtil.Span(layer.Parameters[^1].Gradient), 1e-4, "dβ");
        }
    }

    [Fact]
    public void StartsAsThePlainNormalization_WithPyTorchNames()
    {
        var layer = new LayerNormalization(epsilon: 1e-5f, name: "norm");
        layer.Build(Features);
        Assert.Equal(["weight", "bias"], layer.Parameters.Select(p => p.Name));
        Assert.All(TestUtil.Span(layer.Parameters[0].Value).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(TestUtil.Span(layer.Parameters[1].Value).ToArray(), v => Assert.Equal(0f, v));
        var y = TestUtil.Span(layer.Forward(TestUtil.ToTensor([1f, 2, 3, 4, 5], 1, Features))).ToArray();

        // Mean 3, variance 2: (x − 3) / √(2 + 1e-5).
        TestUtil.AssertClose([.. new[] { -2.0, -1, 0, 1, 2 }.Select(v => v / Math.Sqrt(2 + 1e-5))], y, 1e-6, "normalized");
    }

    [Fact]
    public void BadArguments_AreNamed()
    {
        Assert.Contains("positive, finite epsilon but received 0", Assert.Throws<ArgumentOutOfRangeException>(() => new LayerNormalization(epsilon: 0f)).Message, StringComparison.Ordinal);
        var layer = new LayerNormalization(name: "norm");
        layer.Build(Features);
        var error = Assert.Throws<ArgumentException>(() => layer.Forward(TestUtil.ToTensor(new float[6], 2, 3)));
        Assert.Contains("Layer 'norm' expects 5 input features but received 3", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => layer.Backward(TestUtil.ToTensor(new float[5], 1, 5)));
    }

    /// <summary>Between recurrent layers, saved and loaded, exported to ONNX Runtime, and converted to Keras's arrays and back.</summary>
    [Fact]
    public void InAModel_TrainsSavesExportsAndConverts()
    {
        var model = new Sequential(
            [new Lstm(6, returnSequences: true, inputShape: (null, 3)), new LayerNormalization(epsilon: 1e-5f), new Gru(4), new LayerNormalization(center: false), new Dense(1)],
            seed: 2);
        model.Compile(new Adam(0.01f), Loss.MeanSquaredError);
        var x = TestUtil.ToTensor(TestUtil.RandomArray(new Random(3), 8 * 5 * 3), 8, 5, 3);
        var y = TestUtil.ToTensor(TestUtil.RandomArray(new Random(4), 8), 8, 1);
        model.Fit(x, y, epochs: 2, batchSize: 4, verbose: 0);
        Assert.NotEqual(1f, model.Layers[1].Parameters[0].Data[0]);

        var path = Path.Combine(_directory, "norm.safetensors");
        model.Save(path);
        var loaded = Sequential.Load(path);
        Assert.Equal(TestUtil.Span(model.Predict(x)).ToArray(), TestUtil.Span(loaded.Predict(x)).ToArray());
        var norm = Assert.IsType<LayerNormalization>(loaded.Layers[3]);
        Assert.Equal((1e-3f, false, true), (norm.Epsilon, norm.Center, norm.Scale));
        Assert.Equal(1e-5f, ((LayerNormalization)loaded.Layers[1]).Epsilon);

        var onnx = Path.Combine(_directory, "norm.onnx");
        OnnxExporter.Export(model, onnx);
        OnnxTestUtil.AssertMatchesPredict(model, onnx, TestUtil.Span(x).ToArray(), 8, 5, 3);

        var arrays = KerasWeights.Export(model.Layers[1]);
        Assert.Equal(2, arrays.Count);
        var copy = new LayerNormalization(epsilon: 1e-5f);
        copy.Build(-1, 6);
        KerasWeights.Load(copy, arrays);
        Assert.Equal(model.Layers[1].Parameters.Select(p => p.Data), copy.Parameters.Select(p => p.Data));
    }
}
