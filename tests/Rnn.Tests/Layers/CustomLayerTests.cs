using System.Globalization;
using System.Numerics.Tensors;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Optimizers;

namespace Rnn.Tests.Layers;

/// <summary>A user's layer, written only against the public API: y = x ⊙ s with one learned scale per feature.</summary>
public sealed class FeatureScale : CustomLayer
{
    private Parameter _scale = null!;

    public FeatureScale(float initial = 1f, bool passesMask = false, string? name = null)
        : base(name, "feature_scale")
    {
        (Initial, PassesMaskOption) = (initial, passesMask);
    }

    public float Initial { get; }

    public bool PassesMaskOption { get; }

    public Parameter Scale => _scale;

    protected override bool PassesMask => PassesMaskOption;

    protected override int[] GetOutputShape(ReadOnlySpan<int> inputShape)
        => inputShape.Length is 1 or 2 && inputShape[^1] > 0
            ? inputShape.ToArray()
            : throw new ArgumentException($"Layer '{Name}' expects [batch, features] or [batch, time, features] but was given [batch, {string.Join(", ", inputShape.ToArray())}].");

    protected override void CreateWeights(ReadOnlySpan<int> inputShape, Random random)
    {
        _scale = AddWeight("scale", inputShape[^1]);
        var values = Values(_scale.Value);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Initial + (0.1f * (float)random.NextDouble());
        }
    }

    protected override void Forward(Tensor<float> input, Tensor<float> output, bool training)
    {
        Span<float> x = Values(input), y = Values(output), s = Values(_scale.Value);
        for (var i = 0; i < x.Length; i++)
        {
            y[i] = x[i] * s[i % s.Length];
        }
    }

    protected override void Backward(Tensor<float> input, Tensor<float> output, Tensor<float> outputGradient, Tensor<float>? inputGradient)
    {
        Span<float> x = Values(input), dy = Values(outputGradient), s = Values(_scale.Value), ds = Values(_scale.Gradient);
        var dx = inputGradient is null ? default : Values(inputGradient);
        for (var i = 0; i < x.Length; i++)
        {
            ds[i % s.Length] += dy[i] * x[i];
            if (!dx.IsEmpty)
            {
                dx[i] = dy[i] * s[i % s.Length];
            }
        }
    }

    protected override IReadOnlyDictionary<string, string> GetSettings() => new Dictionary<string, string>
    {
        ["initial"] = Initial.ToString("R", CultureInfo.InvariantCulture),
        ["passes_mask"] = PassesMaskOption ? "true" : "false",
    };

    public static FeatureScale FromSettings(string name, IReadOnlyDictionary<string, string> settings)
        => new(float.Parse(settings["initial"], CultureInfo.InvariantCulture), settings["passes_mask"] == "true", name);
}

/// <summary>A user's pooling layer: the mean over the real steps, read from <see cref="CustomLayer.StepMask"/>.</summary>
public sealed class MaskedMean() : CustomLayer(null, "masked_mean")
{
    protected override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => [inputShape[^1]];

    protected override void Forward(Tensor<float> input, Tensor<float> output, bool training)
    {
        var (batch, time, features) = ((int)input.Lengths[0], (int)input.Lengths[1], (int)input.Lengths[2]);
        Span<float> x = Values(input), y = Values(output);
        var mask = StepMask;
        y.Clear();
        for (var b = 0; b < batch; b++)
        {
            var count = 0;
            for (var t = 0; t < time; t++)
            {
                if (mask.IsEmpty || mask[(b * time) + t])
                {
                    count++;
                    for (var f = 0; f < features; f++)
                    {
                        y[(b * features) + f] += x[(((b * time) + t) * features) + f];
                    }
                }
            }

            for (var f = 0; count > 0 && f < features; f++)
            {
                y[(b * features) + f] /= count;
            }
        }
    }

    protected override void Backward(Tensor<float> input, Tensor<float> output, Tensor<float> outputGradient, Tensor<float>? inputGradient)
    {
        if (inputGradient is null)
        {
            return;
        }

        var (batch, time, features) = ((int)input.Lengths[0], (int)input.Lengths[1], (int)input.Lengths[2]);
        Span<float> dy = Values(outputGradient), dx = Values(inputGradient);
        var mask = StepMask;
        for (var b = 0; b < batch; b++)
        {
            var count = 0;
            for (var t = 0; t < time; t++)
            {
                count += mask.IsEmpty || mask[(b * time) + t] ? 1 : 0;
            }

            for (var t = 0; t < time; t++)
            {
                var real = mask.IsEmpty || mask[(b * time) + t];
                for (var f = 0; f < features; f++)
                {
                    dx[(((b * time) + t) * features) + f] = real ? dy[(b * features) + f] / count : 0f;
                }
            }
        }
    }
}

/// <summary>Keras's GaussianNoise: adds N(0, σ²) noise in training, nothing at inference; the gradient passes unchanged.</summary>
public sealed class GaussianNoise(float stddev, string? name = null) : CustomLayer(name, "gaussian_noise")
{
    public float Stddev { get; } = stddev;

    public static GaussianNoise FromSettings(string name, IReadOnlyDictionary<string, string> settings)
        => new(float.Parse(settings["stddev"], System.Globalization.CultureInfo.InvariantCulture), name);

    public float DrawBeforeBuild() => NextUniform();

    protected override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    protected override bool PassesMask => true;

    protected override IReadOnlyDictionary<string, string> GetSettings()
        => new Dictionary<string, string> { ["stddev"] = Stddev.ToString("R", System.Globalization.CultureInfo.InvariantCulture) };

    protected override void Forward(Tensor<float> input, Tensor<float> output, bool training)
    {
        Span<float> x = Values(input), y = Values(output);
        for (var i = 0; i < x.Length; i++)
        {
            y[i] = training ? x[i] + (Stddev * NextNormal()) : x[i];
        }
    }

    protected override void Backward(Tensor<float> input, Tensor<float> output, Tensor<float> outputGradient, Tensor<float>? inputGradient)
        => Values(outputGradient).CopyTo(inputGradient is null ? default : Values(inputGradient));
}

public sealed class CustomLayerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rnn-custom-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Dictionary<string, CustomLayerFactory> Factories => new() { [typeof(FeatureScale).FullName!] = FeatureScale.FromSettings };

    [Fact]
    public void Backward_MatchesFiniteDifferences_ForInputAndWeight()
    {
        var layer = new FeatureScale(0.5f);
        var x = TestUtil.RandomArray(new Random(1), 2 * 3 * 4).Select(v => (double)(float)v).ToArray();
        layer.Forward(TestUtil.ToTensor(x, 2, 3, 4), training: true);
        var scale = TestUtil.ToDoubles(layer.Scale.Data);
        double[] Reference() => [.. x.Select((v, i) => v * scale[i % 4])];
        var dy = TestUtil.RandomArray(new Random(2), x.Length);
        var dx = layer.Backward(TestUtil.ToTensor(dy, 2, 3, 4));
        TestUtil.AssertClose(Reference(), TestUtil.Span(layer.Forward(TestUtil.ToTensor(x, 2, 3, 4))), 1e-6, "output");
        TestUtil.AssertClose(TestUtil.NumericGradient(x, () => TestUtil.Dot(Reference(), dy)), TestUtil.Span(dx), 1e-5, "dx");
        TestUtil.AssertClose(TestUtil.NumericGradient(scale, () => TestUtil.Dot(Reference(), dy)), layer.Scale.Grad, 1e-5, "dscale");
    }

    /// <summary>In a model: it trains with the others, saves with its settings and weights, and loads through its factory.</summary>
    [Fact]
    public void Model_WithCustomLayer_TrainsSavesAndLoads()
    {
        var model = new Sequential([new Lstm(6, returnSequences: true, inputShape: (null, 3)), new FeatureScale(2f), new Gru(4), new Dense(1)], seed: 3);
        model.Compile(new Adam(0.01f), Loss.MeanSquaredError);
        var x = TestUtil.RandomTensor(4, 16, 5, 3);
        var y = TestUtil.RandomTensor(5, 16, 1);
        var scale = (FeatureScale)model.Layers[1];
        var before = scale.Scale.Data.ToArray();
        var history = model.Fit(x, y, epochs: 5, batchSize: 8, verbose: 0);
        Assert.NotEqual(before, scale.Scale.Data);
        Assert.True(history["loss"][^1] < history["loss"][0]);
        Assert.Contains("feature_scale (FeatureScale)", model.Summary(), StringComparison.Ordinal);

        var path = Path.Combine(_directory, "custom.safetensors");
        model.Save(path, includeOptimizer: true);
        var loaded = Sequential.Load(path, Factories);
        Assert.Equal(2f, ((FeatureScale)loaded.Layers[1]).Initial);
        Assert.Equal(TestUtil.Span(model.Predict(x)).ToArray(), TestUtil.Span(loaded.Predict(x)).ToArray());
        Assert.Equal(model.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0)["loss"], loaded.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0)["loss"]);

        var missing = Assert.Throws<InvalidDataException>(() => Sequential.Load(path));
        Assert.Contains($"has type '{typeof(FeatureScale).FullName}', which this version does not know", missing.Message, StringComparison.Ordinal);
        Assert.Contains("pass a factory for it: Sequential.Load(path,", missing.Message, StringComparison.Ordinal);

        var renamed = new Dictionary<string, CustomLayerFactory> { [typeof(FeatureScale).FullName!] = (_, settings) => FeatureScale.FromSettings("other", settings) };
        Assert.Contains("named the layer 'other' instead of 'feature_scale'", Assert.Throws<InvalidDataException>(() => Sequential.Load(path, renamed)).Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Training-time randomness drawn with NextNormal is the model seed's: the same seed trains bitwise the same, another
    /// seed differently, and a file saved with the optimizer resumes with the same draws as training that never stopped.
    /// </summary>
    [Fact]
    public void Randomness_IsSeededByTheModel_AndResumesFromAFile()
    {
        var x = TestUtil.RandomTensor(6, 16, 5, 3);
        var y = TestUtil.RandomTensor(7, 16, 1);
        Sequential Model(int seed)
        {
            var model = new Sequential([new GaussianNoise(0.5f), new Gru(4), new Dense(1)], seed: seed);
            model.Build(-1, 3);
            model.Compile(new Adam(0.01f), Loss.MeanSquaredError);
            return model;
        }

        var first = Model(8);
        var again = Model(8);
        var other = Model(9);
        other.SetWeights(first.GetWeights());
        var history = first.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);
        Assert.Equal(history["loss"], again.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0)["loss"]);
        Assert.NotEqual(history["loss"], other.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0)["loss"]);

        var path = Path.Combine(_directory, "noise.safetensors");
        first.Save(path, includeOptimizer: true);
        var loaded = Sequential.Load(path, new Dictionary<string, CustomLayerFactory> { [typeof(GaussianNoise).FullName!] = GaussianNoise.FromSettings });
        Assert.Equal(0.5f, ((GaussianNoise)loaded.Layers[0]).Stddev);
        Assert.Equal(first.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0)["loss"], loaded.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0)["loss"]);
        Assert.Equal(first.GetWeights(), loaded.GetWeights());

        var unbuilt = new GaussianNoise(1f, "noise");
        Assert.Contains("Layer 'noise' draws random numbers from a generator seeded when it is built", Assert.Throws<InvalidOperationException>(() => unbuilt.DrawBeforeBuild()).Message, StringComparison.Ordinal);
    }

    /// <summary>A mask stops at a custom layer unless it says it keeps the steps in place: then padding changes nothing downstream.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Mask_PassesThroughOnlyWhenTheLayerSaysSo(bool passesMask)
    {
        var model = new Sequential([new Masking(inputShape: (null, 2)), new FeatureScale(1f, passesMask), new Gru(5), new Dense(1)], seed: 6);
        var sequence = TestUtil.RandomTensor(7, 1, 3, 2);
        var padded = TestUtil.ToTensor([.. TestUtil.Span(sequence).ToArray(), 0, 0, 0, 0], 1, 5, 2);
        var alone = TestUtil.Span(model.Predict(sequence))[0];
        var withPadding = TestUtil.Span(model.Predict(padded))[0];
        if (passesMask)
        {
            Assert.Equal(alone, withPadding, 1e-6f);
        }
        else
        {
            Assert.NotEqual(alone, withPadding);
        }
    }

    /// <summary>A custom layer that reads the mask pools like the built-in layer, forward and through a training step.</summary>
    [Fact]
    public void StepMask_LetsACustomPoolingLayerSkipPadding_LikeTheBuiltInOne()
    {
        Sequential Model(Layer pooling)
        {
            var model = new Sequential([new Embedding(15, 4, maskZero: true), new Gru(5, returnSequences: true), pooling, new Dense(2)], seed: 8);
            model.Compile(new Sgd(0.1f), Loss.MeanSquaredError);
            return model;
        }

        var custom = Model(new MaskedMean());
        var builtIn = Model(new GlobalAveragePooling1D());
        var ids = TestUtil.ToTensor([3, 4, 0, 0, 5, 1, 2, 7, 9, 0, 0, 0], 3, 4);
        var y = TestUtil.ToTensor([0.5f, -0.5f, 1f, 0f, -1f, 0.25f], 3, 2);
        TestUtil.AssertClose(TestUtil.ToDoubles(TestUtil.Span(builtIn.Predict(ids))), TestUtil.Span(custom.Predict(ids)), 1e-6, "prediction");
        Assert.Equal(builtIn.TrainOnBatch(ids, y), custom.TrainOnBatch(ids, y), 1e-6f);
        TestUtil.AssertClose(TestUtil.ToDoubles(builtIn.GetWeights().SelectMany(w => w).ToArray()), custom.GetWeights().SelectMany(w => w).ToArray(), 1e-6, "weights after a step");
    }

    [Fact]
    public void OutputShapeErrors_AndBackwardWithoutTraining_AreReported()
    {
        var error = Assert.Throws<ArgumentException>(() => new FeatureScale().ComputeOutputShape(2, 3, 4));
        Assert.Contains("Layer 'feature_scale' expects [batch, features] or [batch, time, features] but was given [batch, 2, 3, 4]", error.Message, StringComparison.Ordinal);

        var layer = new FeatureScale();
        layer.Forward(TestUtil.RandomTensor(8, 2, 4));
        Assert.Throws<InvalidOperationException>(() => layer.Backward(TestUtil.RandomTensor(9, 2, 4)));
        Assert.Contains("has no ONNX export", Assert.Throws<NotSupportedException>(() => Rnn.Serialization.OnnxExporter.Export(new Sequential([new Dense(2, inputShape: [3]), new FeatureScale()]), Path.Combine(_directory, "x.onnx"))).Message, StringComparison.Ordinal);
    }
}
