using System.Text.Json.Nodes;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Metrics;
using Rnn.Optimizers;
using Rnn.Serialization;

namespace Rnn.Tests.Metrics;

/// <summary>
/// Keras's <c>Precision</c> and <c>Recall</c> on counts worked out by hand, and every metric's settings surviving
/// <see cref="Metric.GetConfig"/> / <see cref="Metric.FromConfig"/> and a model file.
/// </summary>
public sealed class PrecisionRecallTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rnn-precision-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void BinaryOutputs_CountTruePositivesOverPredictedAndActualPositives()
    {
        // p > 0.5: 0.9 ✓(y 1) TP, 0.7 (y 0) FP, 0.2 (y 1) FN, 0.6 (y 1) TP, 0.5 (y 0) not predicted (not above), 0.1 (y 0) TN.
        var prediction = TestUtil.ToTensor([0.9f, 0.7f, 0.2f, 0.6f, 0.5f, 0.1f], 6, 1);
        var target = TestUtil.ToTensor([1f, 0, 1, 1, 0, 0], 6);
        var precision = new Precision();
        var recall = new Recall();
        precision.Update(prediction, target);
        recall.Update(prediction, target);
        Assert.Equal(2f / 3, precision.Result, 6);
        Assert.Equal(2f / 3, recall.Result, 6);

        // Weighted: TP weights 1 and 4, FP weight 2, FN weight 3.
        var weights = TestUtil.ToTensor([1f, 2, 3, 4, 5, 6], 6);
        var weightedPrecision = new Precision();
        var weightedRecall = new Recall();
        weightedPrecision.Update(prediction, target, weights);
        weightedRecall.Update(prediction, target, weights);
        Assert.Equal(5f / 7, weightedPrecision.Result, 6);
        Assert.Equal(5f / 8, weightedRecall.Result, 6);
    }

    [Fact]
    public void MultiLabelRows_CountEveryValue_AndClassIdOnlyItsColumn()
    {
        // Logits with threshold 0. Row 0: + - + against 1 0 0 → TP, -, FP. Row 1: - + + against 1 1 1 → FN, TP, TP.
        var prediction = TestUtil.ToTensor([2f, -1, 0.5f, -3, 1, 4], 2, 3);
        var target = TestUtil.ToTensor([1f, 0, 0, 1, 1, 1], 2, 3);
        var all = new Precision(threshold: 0f);
        all.Update(prediction, target);
        Assert.Equal(3f / 4, all.Result, 6);
        var allRecall = new Recall(threshold: 0f);
        allRecall.Update(prediction, target);
        Assert.Equal(3f / 4, allRecall.Result, 6);

        // Column 2: predicted + + against 0 1 → precision 1/2, recall 1/1. Column 0: + - against 1 1 → 1/1 and 1/2.
        var column2 = new Precision(threshold: 0f, classId: 2);
        column2.Update(prediction, target);
        Assert.Equal(0.5f, column2.Result);
        var column0 = new Recall(threshold: 0f, classId: 0);
        column0.Update(prediction, target);
        Assert.Equal(0.5f, column0.Result);

        var tooHigh = new Precision(classId: 3);
        Assert.Contains("counts class 3 but the predictions have 3 classes", Assert.Throws<ArgumentException>(() => tooHigh.Update(prediction, target)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NothingPredictedOrNothingPositive_GivesZero()
    {
        var precision = new Precision();
        precision.Update(TestUtil.ToTensor([0.1f, 0.2f], 2, 1), TestUtil.ToTensor([1f, 1f], 2));
        Assert.Equal(0f, precision.Result);
        var recall = new Recall();
        recall.Update(TestUtil.ToTensor([0.9f, 0.2f], 2, 1), TestUtil.ToTensor([0f, 0f], 2));
        Assert.Equal(0f, recall.Result);
    }

    public static TheoryData<Metric> EveryKind() =>
    [
        new Accuracy("acc"),
        new BinaryAccuracy(threshold: 0f, name: "logit_accuracy"),
        new CategoricalAccuracy(),
        new SparseCategoricalAccuracy("sca"),
        new Rnn.Metrics.MeanAbsoluteError("mae"),
        new Rnn.Metrics.MeanSquaredError(),
        new Precision(threshold: 0.25f, classId: 2, name: "p2"),
        new Recall(threshold: -1f),
        new Precision(topK: 3),
        new Recall(threshold: 0.2f, classId: 1, topK: 2, name: "r_top2"),
        new F1Score(FScoreAverage.Macro),
        new F1Score(FScoreAverage.Micro, threshold: 0.4f, name: "f1_micro"),
        new FBetaScore(FScoreAverage.Weighted, beta: 0.5f),
        new Auc(),
        new Auc(numThresholds: 50, curve: AucCurve.PrecisionRecall, fromLogits: true, name: "pr_auc"),
        new Auc(summationMethod: AucSummationMethod.Minoring, multiLabel: true, labelWeights: [1f, 0.5f, 2f]),
        new Auc(curve: AucCurve.PrecisionRecall, summationMethod: AucSummationMethod.Majoring, labelWeights: [0.1f, 3f], name: "weighted_pr"),
    ];

    [Theory]
    [MemberData(nameof(EveryKind))]
    public void FromConfig_RebuildsTheKindNameAndSettings(Metric metric)
    {
        var copy = Metric.FromConfig(metric.Kind, metric.GetConfig());
        Assert.Equal(metric.GetType(), copy.GetType());
        Assert.Equal(metric.Name, copy.Name);
        Assert.Equal(metric.GetConfig(), copy.GetConfig());
    }

    [Fact]
    public void FromConfig_RejectsUnknownKindsAndSettings()
    {
        Assert.Contains("Unknown metric kind 'iou'", Assert.Throws<ArgumentException>(() => Metric.FromConfig("iou")).Message, StringComparison.Ordinal);
        var extra = Assert.Throws<ArgumentException>(() => Metric.FromConfig("accuracy", new Dictionary<string, string> { ["threshold"] = "0.3" }));
        Assert.Contains("threshold", extra.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("precision")]
    [InlineData("recall")]
    public void FromConfig_ClassIdBeyondInt_Throws_InsteadOfWrappingAround(string kind)
    {
        // 2^32 + 1 would wrap to class 1 if cast to int.
        var error = Assert.Throws<ArgumentException>(() => Metric.FromConfig(kind, new Dictionary<string, string> { ["class_id"] = "4294967297" }));
        Assert.Contains("'class_id' is 4294967297, which is no int", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, Assert.IsType<Recall>(Metric.FromConfig("recall", new Dictionary<string, string> { ["class_id"] = "1" })).ClassId);
    }

    /// <summary>The F-scores, top-k precision and recall and the AUC's options survive a model file, and the loaded metrics evaluate the same.</summary>
    [Fact]
    public void ModelFile_KeepsFScoresTopKAndAucOptions()
    {
        var model = new Sequential([new Lstm(4, inputShape: (null, 2)), new Dense(3)], seed: 2);
        model.Compile(
            new Adam(), Loss.CategoricalCrossEntropy(fromLogits: true),
            [new F1Score(FScoreAverage.Macro), new Precision(topK: 2, name: "p_top2"), new Auc(summationMethod: AucSummationMethod.Majoring, multiLabel: true, labelWeights: [1f, 2f, 0.5f], fromLogits: true)],
            [new FBetaScore(FScoreAverage.Weighted, beta: 2f, threshold: 0.5f), new Recall(classId: 1, topK: 1)]);
        var path = Path.Combine(_directory, "new-kinds.safetensors");
        model.Save(path);

        var loaded = Sequential.Load(path);
        Assert.Equal(model.Metrics.Select(m => (m.Kind, m.GetConfig())), loaded.Metrics.Select(m => (m.Kind, m.GetConfig())));
        Assert.Equal(model.WeightedMetrics.Select(m => (m.Kind, m.GetConfig())), loaded.WeightedMetrics.Select(m => (m.Kind, m.GetConfig())));

        var x = TestUtil.RandomTensor(3, 12, 5, 2);
        var y = TestUtil.ToTensor(Enumerable.Range(0, 36).Select(i => i % 3 == (i / 3) % 3 ? 1f : 0f).ToArray(), 12, 3);
        var weights = TestUtil.ToTensor(Enumerable.Range(0, 12).Select(i => (float)(i % 3)).ToArray(), 12);
        Assert.Equal(model.Evaluate(x, y, batchSize: 5, sampleWeight: weights), loaded.Evaluate(x, y, batchSize: 5, sampleWeight: weights));
    }

    /// <summary>
    /// A model file keeps each metric's kind, name and settings: a renamed metric (which files that kept names only could
    /// not load at all) and a threshold (which they silently reset to 0.5) come back as they were.
    /// </summary>
    [Fact]
    public void ModelFile_KeepsMetricNamesAndSettings_AndReadsFilesWithNamesOnly()
    {
        var model = new Sequential([new Gru(3, inputShape: (null, 2)), new Dense(1)], seed: 1);
        model.Compile(
            new Adam(), Loss.BinaryCrossEntropy(fromLogits: true),
            [new BinaryAccuracy(threshold: 0f, name: "logit_accuracy"), new Precision(threshold: 0f)],
            [new Recall(threshold: 0f, name: "weighted_recall")]);
        var path = Path.Combine(_directory, "metrics.safetensors");
        model.Save(path);

        var loaded = Sequential.Load(path);
        Assert.Equal(model.Metrics.Select(m => m.GetConfig()), loaded.Metrics.Select(m => m.GetConfig()));
        Assert.Equal(model.WeightedMetrics.Select(m => m.GetConfig()), loaded.WeightedMetrics.Select(m => m.GetConfig()));
        Assert.Equal(0f, ((BinaryAccuracy)loaded.Metrics[0]).Threshold);

        // A file written before metric settings were kept: names only.
        var file = SafeTensors.Read(path);
        var compile = JsonNode.Parse(file.Metadata["rnn.compile"])!.AsObject();
        compile.Remove("metric_configs");
        compile.Remove("weighted_metrics");
        compile["metrics"] = new JsonArray("binary_accuracy", "mae");
        var old = Path.Combine(_directory, "old.safetensors");
        SafeTensors.Write(old, file.Tensors, new Dictionary<string, string>(file.Metadata) { ["rnn.compile"] = compile.ToJsonString() });
        Assert.Equal(["binary_accuracy", "mae"], Sequential.Load(old).Metrics.Select(m => m.Name));
    }
}
