using Rnn.Layers;
using Rnn.Losses;
using Rnn.Metrics;
using Rnn.Optimizers;

namespace Rnn.Tests.Metrics;

/// <summary>
/// The new losses and metrics inside a model: compiled as metrics and weighted metrics they report the weighted means of
/// their formulas over the model's own predictions, and a model file keeps the loss, the metrics and their settings.
/// </summary>
public sealed class KerasMetricModelTests : IDisposable
{
    private const double Eps = 1e-7f;

    private readonly string _directory = Directory.CreateTempSubdirectory("rnn-keras-metrics-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Σ w f(row) / Σ w over [rows, classes] predictions and targets, in float64.</summary>
    private static double WeightedMean(float[] prediction, float[] target, int width, double[] weights, Func<double[], double[], double> rowValue)
    {
        var classes = prediction.Length / weights.Length;
        double total = 0, weight = 0;
        for (var r = 0; r < weights.Length; r++)
        {
            total += weights[r] * rowValue(TestUtil.ToDoubles(prediction.AsSpan(r * classes, classes)), TestUtil.ToDoubles(target.AsSpan(r * width, width)));
            weight += weights[r];
        }

        return total / weight;
    }

    private static int InTopK(double[] p, int label, int k) => p.Count(v => v > p[label]) < k ? 1 : 0;

    [Fact]
    public void Evaluate_NewMetricsAndWeightedMetrics_AreTheWeightedMeansOverThePredictions()
    {
        const int Samples = 40, Classes = 4;
        var x = TestUtil.RandomTensor(21, Samples, 5, 2);
        var random = new Random(22);
        var labels = Enumerable.Range(0, Samples).Select(_ => random.Next(Classes)).ToArray();
        var y = TestUtil.ToTensor(Enumerable.Range(0, Samples * Classes).Select(i => labels[i / Classes] == i % Classes ? 1f : 0f).ToArray(), Samples, Classes);
        var weights = Enumerable.Range(0, Samples).Select(i => (float)((i * 5) % 7)).ToArray();
        var model = new Sequential([new Gru(6, inputShape: (null, 2)), new Dense(Classes, Activation.Softmax)], seed: 23);
        model.Compile(
            new Adam(),
            Loss.KLDivergence,
            [Metric.RootMeanSquaredError, new TopKCategoricalAccuracy(k: 2)],
            [Metric.RootMeanSquaredError, new TopKCategoricalAccuracy(2, "top2"), Metric.LogCoshError, Metric.MeanAbsolutePercentageError, Metric.CosineSimilarity]);

        var results = model.Evaluate(x, y, batchSize: 16, sampleWeight: TestUtil.ToTensor(weights, Samples));

        var p = TestUtil.Span(model.Predict(x)).ToArray();
        var t = TestUtil.Span(y).ToArray();
        var w = TestUtil.ToDoubles(weights);
        var ones = Enumerable.Repeat(1.0, Samples).ToArray();
        static double Mse(double[] p, double[] y) => p.Select((v, i) => (v - y[i]) * (v - y[i])).Average();
        double Top2(double[] p, double[] y) => InTopK(p, Array.IndexOf(y, 1.0), 2);
        Assert.Equal(
            ["loss", "root_mean_squared_error", "top_k_categorical_accuracy", "weighted_root_mean_squared_error", "top2", "logcosh", "mean_absolute_percentage_error", "cosine_similarity"],
            results.Keys);
        Assert.Equal(Math.Sqrt(WeightedMean(p, t, Classes, ones, Mse)), results["root_mean_squared_error"], 5);
        Assert.Equal(WeightedMean(p, t, Classes, ones, Top2), results["top_k_categorical_accuracy"], 5);
        Assert.Equal(Math.Sqrt(WeightedMean(p, t, Classes, w, Mse)), results["weighted_root_mean_squared_error"], 5);
        Assert.Equal(WeightedMean(p, t, Classes, w, Top2), results["top2"], 5);
        Assert.NotEqual(WeightedMean(p, t, Classes, ones, Top2), WeightedMean(p, t, Classes, w, Top2), 3);
        Assert.Equal(WeightedMean(p, t, Classes, w, (p, y) => p.Select((v, i) => Math.Log(Math.Cosh(v - y[i]))).Average()), results["logcosh"], 5);
        Assert.Equal(
            WeightedMean(p, t, Classes, w, (p, y) => 100 * p.Select((v, i) => Math.Abs(y[i] - v) / Math.Max(Math.Abs(y[i]), Eps)).Average()),
            results["mean_absolute_percentage_error"],
            results["mean_absolute_percentage_error"] * 1e-5);
        Assert.Equal(
            WeightedMean(p, t, Classes, w, (p, y) => TestUtil.Dot(p, y) / Math.Sqrt(TestUtil.Dot(p, p) * TestUtil.Dot(y, y))),
            results["cosine_similarity"],
            5);

        // The loss: Σ w Σ_k y log(y / p) over the clipped values, divided by the number of samples (sum_over_batch_size).
        var kld = Enumerable.Range(0, Samples).Sum(r => w[r] * Enumerable.Range(0, Classes).Sum(i =>
        {
            var yc = Math.Clamp(t[(r * Classes) + i], Eps, 1);
            return yc * Math.Log(yc / Math.Clamp(p[(r * Classes) + i], Eps, 1));
        })) / Samples;
        Assert.Equal(kld, results["loss"], kld * 1e-5);
    }

    [Fact]
    public void Evaluate_SparseTopK_WeightedByStep_OnSequences()
    {
        const int Samples = 12, Time = 3, Classes = 5;
        var x = TestUtil.RandomTensor(31, Samples, Time, 2);
        var random = new Random(32);
        var y = TestUtil.ToTensor(Enumerable.Range(0, Samples * Time).Select(_ => (float)random.Next(Classes)).ToArray(), Samples, Time);
        var weights = Enumerable.Range(0, Samples * Time).Select(i => (float)(i % 4)).ToArray();
        var model = new Sequential([new Lstm(6, inputShape: (null, 2), returnSequences: true), new Dense(Classes)], seed: 33);
        model.Compile(new Adam(), Loss.SparseCategoricalCrossEntropy(fromLogits: true), [new SparseTopKCategoricalAccuracy(3)], [new SparseTopKCategoricalAccuracy(3, "top3")]);

        var results = model.Evaluate(x, y, batchSize: 5, sampleWeight: TestUtil.ToTensor(weights, Samples, Time));

        var p = TestUtil.Span(model.Predict(x)).ToArray();
        var t = TestUtil.Span(y).ToArray();
        double Top3(double[] p, double[] y) => InTopK(p, (int)y[0], 3);
        Assert.Equal(WeightedMean(p, t, 1, Enumerable.Repeat(1.0, Samples * Time).ToArray(), Top3), results["sparse_top_k_categorical_accuracy"], 5);
        Assert.Equal(WeightedMean(p, t, 1, TestUtil.ToDoubles(weights), Top3), results["top3"], 5);
    }

    public static TheoryData<string> LossNames() =>
        ["mean_squared_logarithmic_error", "mean_absolute_percentage_error", "log_cosh", "kl_divergence", "poisson", "cosine_similarity", "hinge", "squared_hinge"];

    [Theory]
    [MemberData(nameof(LossNames))]
    public void ModelFile_KeepsTheNewLossAndMetrics(string lossName)
    {
        var x = TestUtil.RandomTensor(41, 10, 4, 2);
        var y = TestUtil.ToTensor(Enumerable.Range(0, 30).Select(i => (float)((i * 7) % 3 == 0 ? 1 : 0)).ToArray(), 10, 3);
        var model = new Sequential([new SimpleRnn(4, inputShape: (null, 2)), new Dense(3, Activation.Softplus)], seed: 42);
        model.Compile(
            new Sgd(0.01f),
            Loss.FromConfig(lossName),
            [Metric.RootMeanSquaredError, new TopKCategoricalAccuracy(2, "top2"), Metric.FromName("mape"), Metric.FromName("logcosh"), Metric.CosineSimilarity],
            [new TopKCategoricalAccuracy(1), new RootMeanSquaredError("w_rmse")]);
        var path = Path.Combine(_directory, $"{lossName}.safetensors");

        model.Save(path);
        var loaded = Sequential.Load(path);

        Assert.Equal(model.Loss!.GetType(), loaded.Loss!.GetType());
        Assert.Equal(lossName, loaded.Loss.Name);
        foreach (var (saved, restored) in model.Metrics.Concat(model.WeightedMetrics).Zip(loaded.Metrics.Concat(loaded.WeightedMetrics)))
        {
            Assert.Equal(saved.GetType(), restored.GetType());
            Assert.Equal(saved.Kind, restored.Kind);
            Assert.Equal(saved.GetConfig(), restored.GetConfig());
        }

        Assert.Equal(model.Metrics.Count + model.WeightedMetrics.Count, loaded.Metrics.Count + loaded.WeightedMetrics.Count);
        Assert.Equal(2, Assert.IsType<TopKCategoricalAccuracy>(loaded.Metrics[1]).K);
        Assert.Equal(model.Evaluate(x, y), loaded.Evaluate(x, y));
    }
}
