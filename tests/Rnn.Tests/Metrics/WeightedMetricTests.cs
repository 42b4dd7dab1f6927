using System.Numerics.Tensors;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Metrics;
using Rnn.Models;
using Rnn.Optimizers;
using Rnn.Serialization;

namespace Rnn.Tests.Metrics;

/// <summary>
/// Keras's <c>sample_weight</c> in metrics and <c>compile(weighted_metrics=...)</c>: the weighted mean <c>Σ w·v / Σ w</c>,
/// checked on values worked out by hand and against the same mean computed here from <see cref="Sequential.Predict(Tensor{float}, int)"/>.
/// </summary>
public sealed class WeightedMetricTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rnn-weighted-metrics-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Tensor<float> Labels(int seed, int count, int classes)
    {
        var random = new Random(seed);
        return TestUtil.ToTensor(Enumerable.Range(0, count).Select(_ => (float)random.Next(classes)).ToArray(), count);
    }

    /// <summary>Σ w·[argmax(p_i) = y_i] / Σ w over rows of <paramref name="logits"/> [rows, classes].</summary>
    private static double WeightedAccuracy(float[] logits, float[] labels, double[] weights, int classes)
    {
        double hits = 0, total = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var row = logits.AsSpan(i * classes, classes).ToArray();
            var predicted = Array.IndexOf(row, row.Max());
            hits += weights[i] * (predicted == (int)labels[i] ? 1 : 0);
            total += weights[i];
        }

        return hits / total;
    }

    [Fact]
    public void Update_WithSampleWeights_GivesTheWeightedMean()
    {
        // Rows: right, wrong, right, wrong with weights 1, 2, 3, 4: (1 + 3) / 10.
        var metric = new SparseCategoricalAccuracy();
        var prediction = TestUtil.ToTensor([0.9f, 0.1f, 0.9f, 0.1f, 0.2f, 0.8f, 0.2f, 0.8f], 4, 2);
        metric.Update(prediction, TestUtil.ToTensor([0f, 1, 1, 0], 4), TestUtil.ToTensor([1f, 2, 3, 4], 4));
        Assert.Equal(0.4f, metric.Result, 6);

        // A second batch adds to both sums: right with weight 5 → (4 + 5) / 15.
        metric.Update(TestUtil.ToTensor([0.3f, 0.7f], 1, 2), TestUtil.ToTensor([1f], 1), TestUtil.ToTensor([5f], 1));
        Assert.Equal(9f / 15, metric.Result, 6);
    }

    [Fact]
    public void Update_WithWeightsPerSampleOrPerStep_OnSequences()
    {
        // [2 samples, 2 steps, 1]: squared errors 1, 4 | 9, 16.
        var prediction = TestUtil.ToTensor([1f, 2, 3, 4], 2, 2, 1);
        var target = TestUtil.ToTensor([0f, 0, 0, 0], 2, 2, 1);

        var perSample = new Rnn.Metrics.MeanSquaredError();
        perSample.Update(prediction, target, TestUtil.ToTensor([1f, 3], 2));
        Assert.Equal(((1 * (1 + 4)) + (3 * (9 + 16))) / 8.0, perSample.Result, 5);

        var perStep = new Rnn.Metrics.MeanSquaredError();
        perStep.Update(prediction, target, TestUtil.ToTensor([0f, 1, 2, 0], 2, 2));
        Assert.Equal(((1 * 4) + (2 * 9)) / 3.0, perStep.Result, 5);
    }

    [Fact]
    public void Update_ZeroWeightsLeaveRowsOut_EvenWithANaNPrediction()
    {
        var metric = new Rnn.Metrics.MeanAbsoluteError();
        metric.Update(TestUtil.ToTensor([float.NaN, 2f], 2, 1), TestUtil.ToTensor([0f, 0f], 2, 1), TestUtil.ToTensor([0f, 1f], 2));
        Assert.Equal(2f, metric.Result);

        var none = new Rnn.Metrics.MeanAbsoluteError();
        none.Update(TestUtil.ToTensor([1f], 1, 1), TestUtil.ToTensor([0f], 1, 1), TestUtil.ToTensor([0f], 1));
        Assert.Equal(0f, none.Result);
    }

    [Fact]
    public void Update_RejectsBadWeights()
    {
        var metric = new Rnn.Metrics.MeanSquaredError();
        var prediction = TestUtil.ToTensor([1f, 2, 3, 4], 2, 2, 1);
        var target = TestUtil.ToTensor([0f, 0, 0, 0], 2, 2, 1);

        var shape = Assert.Throws<ArgumentException>(() => metric.Update(prediction, target, TestUtil.ToTensor([1f, 1, 1], 3)));
        Assert.Contains("expects sample weights of shape [batch] = [2] or [batch, time] = [2, 2]", shape.Message, StringComparison.Ordinal);
        Assert.Contains("received [3]", shape.Message, StringComparison.Ordinal);

        var negative = Assert.Throws<ArgumentException>(() => metric.Update(prediction, target, TestUtil.ToTensor([1f, -0.5f], 2)));
        Assert.Contains("finite, non-negative sample weights but received -0.5 at flat index 1", negative.Message, StringComparison.Ordinal);
        Assert.Equal(0f, metric.Result);
    }

    [Fact]
    public void Evaluate_WeightsTheWeightedMetrics_AndLogsACollidingNameAsWeighted()
    {
        const int Samples = 40, Classes = 3;
        var x = TestUtil.RandomTensor(1, Samples, 4, 2);
        var y = Labels(2, Samples, Classes);
        var weights = Enumerable.Range(0, Samples).Select(i => (float)((i * 3) % 7)).ToArray();
        var model = new Sequential([new Gru(5, inputShape: (null, 2)), new Dense(Classes)], seed: 3);
        model.Compile(new Adam(), Loss.SparseCategoricalCrossEntropy(fromLogits: true), [Metric.Accuracy], [Metric.Accuracy, new SparseCategoricalAccuracy("sca")]);

        var results = model.Evaluate(x, y, batchSize: 16, sampleWeight: TestUtil.ToTensor(weights, Samples));

        var logits = TestUtil.Span(model.Predict(x)).ToArray();
        var labels = TestUtil.Span(y).ToArray();
        var expectedWeighted = WeightedAccuracy(logits, labels, [.. weights.Select(w => (double)w)], Classes);
        var expectedPlain = WeightedAccuracy(logits, labels, [.. Enumerable.Repeat(1.0, Samples)], Classes);
        Assert.NotEqual(expectedPlain, expectedWeighted, 3);
        Assert.Equal(["loss", "accuracy", "weighted_accuracy", "sca"], results.Keys);
        Assert.Equal(expectedPlain, results["accuracy"], 6);
        Assert.Equal(expectedWeighted, results["weighted_accuracy"], 6);
        Assert.Equal(expectedWeighted, results["sca"], 6);

        // Without weights, a weighted metric is the plain mean.
        var unweighted = model.Evaluate(x, y, batchSize: 16);
        Assert.Equal(unweighted["accuracy"], unweighted["weighted_accuracy"]);
    }

    /// <summary>In training, the weighted metrics see the class weights too (Keras turns class_weight into sample weights).</summary>
    [Fact]
    public void TrainOnBatch_WeightsTheMetricBySampleAndClassWeights()
    {
        const int Samples = 30, Classes = 3;
        var x = TestUtil.RandomTensor(4, Samples, 4, 2);
        var y = Labels(5, Samples, Classes);
        var sampleWeights = Enumerable.Range(0, Samples).Select(i => 1f + (i % 3)).ToArray();
        var classWeight = new Dictionary<int, float> { [0] = 0.5f, [2] = 4f };
        var model = new Sequential([new Lstm(5, inputShape: (null, 2)), new Dense(Classes)], seed: 6);
        model.Compile(new Sgd(0.1f), Loss.SparseCategoricalCrossEntropy(fromLogits: true), [], [Metric.SparseCategoricalAccuracy]);
        var logits = TestUtil.Span(model.Predict(x)).ToArray();

        model.TrainOnBatch(x, y, TestUtil.ToTensor(sampleWeights, Samples), classWeight);

        var labels = TestUtil.Span(y).ToArray();
        var weights = labels.Select((label, i) => (double)sampleWeights[i] * classWeight.GetValueOrDefault((int)label, 1f)).ToArray();
        Assert.Equal(WeightedAccuracy(logits, labels, weights, Classes), model.WeightedMetrics[0].Result, 6);
    }

    [Fact]
    public void Fit_LogsWeightedMetricsForTrainingAndValidation_AndUnitWeightsChangeNothing()
    {
        const int Samples = 40;
        var x = TestUtil.RandomTensor(7, Samples, 4, 2);
        var y = Labels(8, Samples, 2);
        History Train(bool weighted)
        {
            var model = new Sequential([new SimpleRnn(4, inputShape: (null, 2)), new Dense(2)], seed: 9);
            model.Compile(new Adam(0.01f), Loss.SparseCategoricalCrossEntropy(fromLogits: true), [Metric.Accuracy], [Metric.Accuracy]);
            return model.Fit(x, y, epochs: 2, batchSize: 8, validationSplit: 0.25f, verbose: 0, sampleWeight: weighted ? TestUtil.ToTensor(Enumerable.Repeat(1f, Samples).ToArray(), Samples) : null);
        }

        var plain = Train(weighted: false);
        var ones = Train(weighted: true);
        Assert.Equal(["loss", "accuracy", "weighted_accuracy", "val_loss", "val_accuracy", "val_weighted_accuracy"], plain.Keys);
        foreach (var key in plain.Keys)
        {
            Assert.Equal(plain[key], ones[key]);
        }

        Assert.Equal(plain["accuracy"], plain["weighted_accuracy"]);
        Assert.Equal(plain["val_accuracy"], plain["val_weighted_accuracy"]);
    }

    [Fact]
    public void MaskedSequences_WeightOnlyTheRealSteps()
    {
        // Embedding(maskZero) ids with padding; per-step weights; the padded steps count for nothing whatever their weight.
        float[] ids = [3, 1, 2, 0, 0, 4, 2, 1, 3, 0];
        var x = TestUtil.ToTensor(ids, 2, 5);
        var y = TestUtil.ToTensor([1f, 0, 1, 1, 0, 0, 1, 1, 0, 1], 2, 5);
        var stepWeights = new float[] { 1, 2, 4, 9, 9, 8, 16, 32, 64, 9 };
        var model = new Sequential([new Embedding(5, 3, maskZero: true, inputLength: 5), new Lstm(4, returnSequences: true), new Dense(2)], seed: 10);
        model.Compile(new Adam(), Loss.SparseCategoricalCrossEntropy(fromLogits: true), [], [Metric.SparseCategoricalAccuracy]);

        var results = model.Evaluate(x, y, sampleWeight: TestUtil.ToTensor(stepWeights, 2, 5));

        var logits = TestUtil.Span(model.Predict(x)).ToArray();
        var weights = stepWeights.Select((w, i) => ids[i] == 0 ? 0.0 : w).ToArray();
        var expected = WeightedAccuracy(logits, TestUtil.Span(y).ToArray(), weights, 2);
        Assert.NotEqual(WeightedAccuracy(logits, TestUtil.Span(y).ToArray(), [.. ids.Select(id => id == 0 ? 0.0 : 1.0)], 2), expected, 3);
        Assert.Equal(expected, results["sparse_categorical_accuracy"], 6);
    }

    [Fact]
    public void Compile_RejectsOneInstanceTwice_AndNamesThatCollideEvenWithThePrefix()
    {
        var model = new Sequential([new Dense(2, inputShape: [3])]);
        var shared = Metric.Accuracy;
        var twice = Assert.Throws<ArgumentException>(() => model.Compile(new Adam(), Loss.MeanSquaredError, [shared], [shared]));
        Assert.Contains("was given the metric object 'accuracy' twice", twice.Message, StringComparison.Ordinal);

        var collision = Assert.Throws<ArgumentException>(
            () => model.Compile(new Adam(), Loss.MeanSquaredError, [Metric.Accuracy, new Accuracy("weighted_accuracy")], [Metric.Accuracy]));
        Assert.Contains("two weighted metrics logged as 'weighted_accuracy'", collision.Message, StringComparison.Ordinal);
        Assert.Null(model.Loss);
    }

    [Fact]
    public void ModelFile_KeepsWeightedMetrics_AndWritesThemOnlyWhenThereAreSome()
    {
        var model = new Sequential([new Gru(3, inputShape: (null, 2)), new Dense(2)], seed: 11);
        model.Compile(new Adam(), Loss.SparseCategoricalCrossEntropy(fromLogits: true), [Metric.Accuracy], [Metric.FromName("acc")]);
        var path = Path.Combine(_directory, "weighted.safetensors");
        model.Save(path);

        var loaded = Sequential.Load(path);
        Assert.Equal(["accuracy"], loaded.Metrics.Select(m => m.Name));
        Assert.Equal(["acc"], loaded.WeightedMetrics.Select(m => m.Name));

        model.Compile(new Adam(), Loss.MeanSquaredError, Metric.MeanAbsoluteError);
        model.Save(path);
        Assert.DoesNotContain("weighted_metrics", SafeTensors.Read(path).Metadata["rnn.compile"], StringComparison.Ordinal);
        Assert.Empty(Sequential.Load(path).WeightedMetrics);
    }
}
