using System.Numerics.Tensors;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Optimizers;
using Rnn.Tests.Layers;

namespace Rnn.Tests.Models;

/// <summary><see cref="Sequential.Clone"/>: the same layers and weights, independent afterwards, one per thread.</summary>
public sealed class ModelCloneTests
{
    private static float[] Values(Tensor<float> tensor) => TestUtil.Span(tensor).ToArray();

    private static Sequential Trained()
    {
        var model = new Sequential(
            [new Embedding(12, 4, maskZero: true), new Lstm(6, bidirectional: true, returnSequences: true), new LayerNormalization(), new GlobalAveragePooling1D(), new Dense(3, Activation.Softmax)],
            seed: 5);
        model.Build(7);
        model.Compile(new Adam(1e-2f), Loss.SparseCategoricalCrossEntropy());
        var ids = Enumerable.Range(0, 20 * 7).Select(i => (float)((i * 5 % 11) + 1)).ToArray();
        model.Fit(TestUtil.ToTensor(ids, 20, 7), TestUtil.ToTensor(Enumerable.Range(0, 20).Select(i => (float)(i % 3)).ToArray(), 20), epochs: 2, verbose: 0);
        return model;
    }

    [Fact]
    public void Clone_PredictsBitwiseTheSame_AndIsIndependentAfterwards()
    {
        var model = Trained();
        model.Layers[1].Trainable = false;
        var x = TestUtil.ToTensor(Enumerable.Range(0, 4 * 7).Select(i => (float)(i % 9)).ToArray(), 4, 7);

        var clone = model.Clone();

        Assert.Equal(model.Layers.Select(l => (l.GetType(), l.Name, l.Trainable)), clone.Layers.Select(l => (l.GetType(), l.Name, l.Trainable)));
        Assert.Equal(Values(model.Predict(x)), Values(clone.Predict(x)));
        var before = Values(clone.Predict(x));
        model.SetWeights([.. model.GetWeights().Select(w => w.Select(v => v * 0.5f).ToArray())]);
        Assert.Equal(before, Values(clone.Predict(x)));
        Assert.NotEqual(before, Values(model.Predict(x)));
        Assert.Throws<InvalidOperationException>(() => clone.TrainOnBatch(x, TestUtil.ToTensor(new float[4], 4)));   // not compiled
    }

    [Fact]
    public void Clones_PredictOnSeveralThreadsAtOnce()
    {
        var model = Trained();
        var x = TestUtil.ToTensor(Enumerable.Range(0, 64 * 7).Select(i => (float)(i % 12)).ToArray(), 64, 7);
        var expected = Values(model.Predict(x));
        var clones = Enumerable.Range(0, 4).Select(_ => model.Clone()).ToArray();

        var results = new float[clones.Length][];
        Parallel.For(0, clones.Length, new ParallelOptions { MaxDegreeOfParallelism = clones.Length }, i =>
        {
            for (var round = 0; round < 20; round++)
            {
                results[i] = Values(clones[i].Predict(x));
            }
        });

        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public void Clones_OfALayerLargeEnoughForTheWorkerPool_GiveTheSameBitsUnderContention()
    {
        // 4·128·128·64 multiply-adds per step: the recurrent engine splits it between workers when the shared pool is
        // free, and runs it on one thread when another clone holds the pool; the bits must not depend on which.
        var model = new Sequential([new Lstm(128, inputShape: (6, 8)), new Dense(2)], seed: 9);
        var x = TestUtil.RandomTensor(10, 64, 6, 8);
        var expected = Values(model.Predict(x));
        var clones = Enumerable.Range(0, 3).Select(_ => model.Clone()).ToArray();

        var results = new float[clones.Length][][];
        Parallel.For(0, clones.Length, new ParallelOptions { MaxDegreeOfParallelism = clones.Length }, i =>
            results[i] = [.. Enumerable.Range(0, 10).Select(_ => Values(clones[i].Predict(x)))]);

        Assert.All(results.SelectMany(r => r), r => Assert.Equal(expected, r));
    }

    [Fact]
    public void Clone_OfCustomLayers_NeedsTheirFactories()
    {
        var model = new Sequential([new FeatureScale(0.5f, name: "scale"), new Dense(2)], seed: 3);
        model.Build(4);
        var x = TestUtil.RandomTensor(1, 3, 4);

        var error = Assert.Throws<ArgumentException>(() => model.Clone());
        Assert.Contains($"Layer 'scale' is a custom layer ({typeof(FeatureScale).FullName})", error.Message, StringComparison.Ordinal);

        var clone = model.Clone(new Dictionary<string, CustomLayerFactory> { [typeof(FeatureScale).FullName!] = FeatureScale.FromSettings });
        Assert.Equal(Values(model.Predict(x)), Values(clone.Predict(x)));
    }

    [Fact]
    public void Clone_OfAnUnbuiltModel_Throws()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new Sequential(new Lstm(3), new Dense(1)).Clone());
        Assert.Contains("Clone", error.Message, StringComparison.Ordinal);
    }
}
