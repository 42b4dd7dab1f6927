using System.Numerics.Tensors;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Optimizers;
using Rnn.Serialization;

namespace Rnn.Tests.Models;

/// <summary>
/// Keras's <c>layer.trainable = False</c>: a frozen layer keeps its weights bit for bit while the rest trains, still passes
/// gradients to the layers before it, and freezing the first layers is the same as training the rest on their outputs.
/// </summary>
public sealed class FreezingTests : IDisposable
{
    private const int Time = 5, Features = 3;

    private readonly string _directory = Directory.CreateTempSubdirectory("rnn-freezing-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Tensor<float> Ids(int seed, int rows, int time, int vocabulary)
    {
        var random = new Random(seed);
        return TestUtil.ToTensor(Enumerable.Range(0, rows * time).Select(_ => (float)random.Next(vocabulary)).ToArray(), rows, time);
    }

    private static float[] Values(Layer layer) => [.. layer.Parameters.SelectMany(p => TestUtil.Span(p.Value).ToArray())];

    [Fact]
    public void FrozenEmbedding_KeepsItsWeightsBitwise_EvenUnderWeightDecay_WhileTheRestTrains()
    {
        var x = Ids(1, 24, Time, 10);
        var y = TestUtil.RandomTensor(2, 24, 1);
        var model = new Sequential([new Embedding(10, 4, inputLength: Time) { Trainable = false }, new Lstm(6), new Dense(1)], seed: 3);

        // AdamW decays every weight it is given, even with a zero gradient: a frozen layer must not be given to it.
        model.Compile(new AdamW(learningRate: 0.01f, weightDecay: 0.1f), Loss.MeanSquaredError);
        var embedding = Values(model.Layers[0]);
        var lstm = Values(model.Layers[1]);
        var dense = Values(model.Layers[2]);

        model.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);

        Assert.Equal(embedding, Values(model.Layers[0]));
        Assert.NotEqual(lstm, Values(model.Layers[1]));
        Assert.NotEqual(dense, Values(model.Layers[2]));
        Assert.Equal(model.Parameters.Skip(1), model.TrainableParameters);
    }

    /// <summary>
    /// A frozen layer between two trainable ones: one plain gradient step changes the outer layers exactly as in the same
    /// model with nothing frozen (the gradient passes through the frozen layer unchanged), and leaves the frozen one alone.
    /// </summary>
    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("rnn")]
    [InlineData("dense")]
    public void FrozenMiddleLayer_PassesTheSameGradientToTheLayersBeforeIt(string kind)
    {
        var x = TestUtil.RandomTensor(4, 10, Time, Features);
        var y = TestUtil.RandomTensor(5, 10, 2);
        Sequential Make(bool freeze)
        {
            Layer middle = kind switch
            {
                "lstm" => new Lstm(5, bidirectional: true, numLayers: 2),
                "gru" => new Gru(5, returnSequences: true),
                "rnn" => new SimpleRnn(5, returnSequences: true, goBackwards: true),
                _ => new Dense(5, Activation.Tanh),
            };
            middle.Trainable = !freeze;
            Layer[] layers = kind is "lstm"
                ? [new Dense(4, inputShape: [Time, Features]), middle, new Dense(2)]
                : [new Dense(4, inputShape: [Time, Features]), middle, new Gru(3), new Dense(2)];
            var model = new Sequential(layers, seed: 6);
            model.Compile(new Sgd(0.1f), Loss.MeanSquaredError);
            return model;
        }

        var frozen = Make(freeze: true);
        var plain = Make(freeze: false);
        var middleBefore = Values(frozen.Layers[1]);
        Assert.Equal(Values(plain.Layers[1]), middleBefore);

        Assert.Equal(plain.TrainOnBatch(x, y), frozen.TrainOnBatch(x, y));

        Assert.Equal(middleBefore, Values(frozen.Layers[1]));
        Assert.NotEqual(middleBefore, Values(plain.Layers[1]));
        for (var i = 0; i < plain.Layers.Count; i++)
        {
            if (i != 1)
            {
                Assert.NotEqual(Values(Make(freeze: false).Layers[i]), Values(plain.Layers[i]));
                Assert.Equal(Values(plain.Layers[i]), Values(frozen.Layers[i]));
            }
        }
    }

    /// <summary>
    /// Freezing the first layers = training the rest on what the frozen layers output: same shuffling (same model seed),
    /// same starting weights, the frozen part applied once up front.
    /// </summary>
    [Fact]
    public void FreezingTheFirstLayers_EqualsTrainingTheRestOnTheirOutputs()
    {
        var x = TestUtil.RandomTensor(7, 30, Time, Features);
        var y = TestUtil.RandomTensor(8, 30, 1);
        var full = new Sequential([new Dense(4, Activation.Tanh, inputShape: [Time, Features]) { Trainable = false }, new Gru(5), new Dense(1)], seed: 9);
        var rest = new Sequential([new Gru(5, inputShape: (null, 4)), new Dense(1)], seed: 9);
        rest.SetWeights([.. full.GetWeights().Skip(2)]);
        var features = full.Layers[0].Forward(x);

        full.Compile(new Adam(0.01f), Loss.MeanSquaredError);
        rest.Compile(new Adam(0.01f), Loss.MeanSquaredError);
        var fullHistory = full.Fit(x, y, epochs: 3, batchSize: 8, verbose: 0);
        var restHistory = rest.Fit(features, y, epochs: 3, batchSize: 8, verbose: 0);

        TestUtil.AssertClose(TestUtil.ToDoubles([.. restHistory["loss"]]), [.. fullHistory["loss"]], 1e-6, "loss per epoch");
        var expected = rest.GetWeights().SelectMany(w => w).ToArray();
        var actual = full.GetWeights().Skip(2).SelectMany(w => w).ToArray();
        TestUtil.AssertClose(TestUtil.ToDoubles(expected), actual, 1e-5, "trained weights");
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("rnn")]
    [InlineData("dense")]
    [InlineData("embedding")]
    public void FrozenLayerBackward_GivesTheSameInputGradient_AndAddsNothingToTheParameterGradients(string kind)
    {
        Layer Make() => kind switch
        {
            "lstm" => new Lstm(4, returnSequences: true, bidirectional: true, numLayers: 2, seed: 1),
            "gru" => new Gru(4, returnSequences: true, seed: 1),
            "rnn" => new SimpleRnn(4, returnSequences: true, seed: 1),
            "dense" => new Dense(4, seed: 1),
            _ => new Embedding(10, 4, seed: 1),
        };
        var x = kind == "embedding" ? Ids(2, 3, Time, 10) : TestUtil.RandomTensor(2, 3, Time, Features);
        var plain = Make();
        var frozen = Make();
        frozen.Trainable = false;
        var outputGradient = TestUtil.RandomTensor(3, TestUtil.Shape(plain.Forward(x, training: true)));
        frozen.Forward(x, training: true);

        var expected = plain.Backward(outputGradient);
        var actual = frozen.Backward(outputGradient);

        Assert.Equal(TestUtil.Span(expected).ToArray(), TestUtil.Span(actual).ToArray());
        Assert.Contains(plain.Parameters, p => TestUtil.Span(p.Gradient).ToArray().Any(g => g != 0f));
        Assert.All(frozen.Parameters, p => Assert.All(TestUtil.Span(p.Gradient).ToArray(), g => Assert.Equal(0f, g)));
    }

    [Fact]
    public void Trainable_TakesEffectAtTheNextStep_AndUnfreezingResumesTraining()
    {
        var x = TestUtil.RandomTensor(10, 8, Time, Features);
        var y = TestUtil.RandomTensor(11, 8, 1);
        var model = new Sequential([new Lstm(4, inputShape: (null, Features)), new Dense(1)], seed: 12);
        model.Compile(new Adam(0.01f), Loss.MeanSquaredError);
        model.TrainOnBatch(x, y);

        model.Layers[0].Trainable = false;
        var lstm = Values(model.Layers[0]);
        var dense = Values(model.Layers[1]);
        model.TrainOnBatch(x, y);
        Assert.Equal(lstm, Values(model.Layers[0]));
        Assert.NotEqual(dense, Values(model.Layers[1]));
        Assert.Equal(model.Layers[1].Parameters, model.TrainableParameters);

        model.Layers[0].Trainable = true;
        model.TrainOnBatch(x, y);
        Assert.NotEqual(lstm, Values(model.Layers[0]));
        Assert.Equal(model.Parameters, model.TrainableParameters);
    }

    [Fact]
    public void EverythingFrozen_TrainsNothing_ButStillReportsTheLoss()
    {
        var x = TestUtil.RandomTensor(13, 8, Time, Features);
        var y = TestUtil.RandomTensor(14, 8, 1);
        var model = new Sequential([new Gru(4, inputShape: (null, Features)) { Trainable = false }, new Dense(1) { Trainable = false }], seed: 15);
        model.Compile(new Adam(0.01f), Loss.MeanSquaredError);
        var before = model.GetWeights();
        var expected = model.Evaluate(x, y, verbose: 0)["loss"];

        var history = model.Fit(x, y, epochs: 2, batchSize: 8, shuffle: false, verbose: 0);

        Assert.Equal(before, model.GetWeights());
        Assert.Empty(model.TrainableParameters);
        Assert.Equal(expected, history["loss"][0], 1e-6f);
        Assert.Equal(expected, history["loss"][1], 1e-6f);
    }

    /// <summary>Transfer learning: train, pop the head, freeze the body, add a new head, train only it.</summary>
    [Fact]
    public void Pop_ThenFreezeAndAddAHead_TrainsOnlyTheNewHead()
    {
        var x = Ids(20, 24, Time, 10);
        var model = new Sequential([new Embedding(10, 4, inputLength: Time), new Lstm(6), new Dense(3)], seed: 21);
        model.Compile(new Adam(0.01f), Loss.SparseCategoricalCrossEntropy(fromLogits: true));
        model.Fit(x, TestUtil.ToTensor(Enumerable.Range(0, 24).Select(i => (float)(i % 3)).ToArray(), 24), epochs: 2, batchSize: 8, verbose: 0);

        var head = model.Pop();
        Assert.IsType<Dense>(head);
        Assert.Equal(2, model.Layers.Count);
        Assert.Equal(model.Layers.SelectMany(l => l.Parameters), model.Parameters);
        foreach (var layer in model.Layers)
        {
            layer.Trainable = false;
        }

        var body = model.GetWeights();
        model.Add(new Dense(1));
        model.Compile(new Adam(0.01f), Loss.MeanSquaredError);
        var newHead = Values(model.Layers[2]);
        model.Fit(x, TestUtil.RandomTensor(22, 24, 1), epochs: 2, batchSize: 8, verbose: 0);

        Assert.Equal(body, model.GetWeights().Take(body.Length));
        Assert.NotEqual(newHead, Values(model.Layers[2]));
        Assert.Equal(model.Layers[2].Parameters, model.TrainableParameters);
        Assert.Equal([1], TestUtil.Shape(model.Predict(x)).Skip(1));

        var empty = new Sequential([new Dense(1, inputShape: [2])]);
        empty.Pop();
        Assert.Contains("has no layers to pop", Assert.Throws<InvalidOperationException>(() => empty.Pop()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_CountsTrainableAndFrozenParameters()
    {
        const int Vocabulary = 10, Embedded = 4, Units = 6;
        var model = new Sequential([new Embedding(Vocabulary, Embedded, inputLength: Time) { Trainable = false }, new Lstm(Units), new Dense(1)], seed: 1);
        var frozen = Vocabulary * Embedded;
        var trainable = (4 * Units * (Embedded + Units + 2)) + Units + 1;

        var summary = model.Summary();

        Assert.Contains($"Total params: {frozen + trainable:N0}", summary, StringComparison.Ordinal);
        Assert.Contains($"Trainable params: {trainable:N0} ", summary, StringComparison.Ordinal);
        Assert.Contains($"Non-trainable params: {frozen:N0} ", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelFile_KeepsFrozenLayers_AndWritesTheFlagOnlyForThem()
    {
        var model = new Sequential([new Embedding(10, 4, inputLength: Time) { Trainable = false }, new Gru(3), new Dense(1)], seed: 2);
        var path = Path.Combine(_directory, "frozen.safetensors");
        model.Save(path);

        var loaded = Sequential.Load(path);

        Assert.Equal([false, true, true], loaded.Layers.Select(l => l.Trainable));
        Assert.Equal(model.Parameters.Skip(1).Select(p => p.Length), loaded.TrainableParameters.Select(p => p.Length));
        var metadata = SafeTensors.Read(path).Metadata[Sequential.ModelMetadataKey];
        Assert.Equal(1, metadata.Split("\"trainable\"").Length - 1);
        Assert.Contains("\"trainable\":false", metadata, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainOnBatch_WithAFrozenLayer_AllocatesNothingInSteadyState()
    {
        var x = Ids(16, 16, Time, 10);
        var y = TestUtil.RandomTensor(17, 16, 1);
        var model = new Sequential([new Embedding(10, 4, inputLength: Time) { Trainable = false }, new Lstm(6, returnSequences: true) { Trainable = false }, new Gru(5), new Dense(1)], seed: 18);
        model.Compile(new Adam(), Loss.MeanSquaredError);
        model.TrainOnBatch(x, y);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 5; i++)
        {
            model.TrainOnBatch(x, y);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
