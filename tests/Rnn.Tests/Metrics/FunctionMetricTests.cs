using Rnn.Layers;
using Rnn.Losses;
using Rnn.Metrics;
using Rnn.Optimizers;

namespace Rnn.Tests.Metrics;

/// <summary>
/// <see cref="FunctionMetric"/>, Keras's <c>metrics=[fn]</c>: the weighted mean of a function of each sample-step, over
/// batches, with dense or class-index targets, inside a model, and through a model file (which needs the function back).
/// Expected values are float64 sums over the same rows, written out here.
/// </summary>
public sealed class FunctionMetricTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rnn-function-metric-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>The largest error of a row: not one of the built-in metrics.</summary>
    private static double MaxError(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
    {
        var max = 0.0;
        for (var i = 0; i < prediction.Length; i++)
        {
            max = Math.Max(max, Math.Abs((double)prediction[i] - target[i]));
        }

        return max;
    }

    private static double MaxError(float[] p, float[] y, int row, int k)
        => Enumerable.Range(0, k).Max(i => Math.Abs((double)p[(row * k) + i] - y[(row * k) + i]));

    [Fact]
    public void Update_IsTheWeightedMeanOfTheFunction_OverEveryBatchSinceTheReset()
    {
        const int K = 3;
        var metric = new FunctionMetric("max_error", MaxError);
        var p1 = TestUtil.RandomTensor(1, 4, K);
        var y1 = TestUtil.RandomTensor(2, 4, K);
        var p2 = TestUtil.RandomTensor(3, 2, 5, K);   // [batch, time, k]
        var y2 = TestUtil.RandomTensor(4, 2, 5, K);
        float[] w2 = [0.5f, 2f];

        metric.Update(p1, y1);
        metric.Update(p2, y2, TestUtil.ToTensor(w2, 2));

        float[] a = TestUtil.Span(p1).ToArray(), b = TestUtil.Span(y1).ToArray(), c = TestUtil.Span(p2).ToArray(), d = TestUtil.Span(y2).ToArray();
        var total = Enumerable.Range(0, 4).Sum(r => MaxError(a, b, r, K)) + Enumerable.Range(0, 10).Sum(r => w2[r / 5] * MaxError(c, d, r, K));
        var weight = 4 + (5 * (0.5 + 2));
        Assert.Equal(total / weight, metric.Result, 6);
        Assert.Equal(("max_error", FunctionMetric.FunctionKind), (metric.Name, metric.Kind));

        metric.Reset();
        metric.Update(p1, y1);
        Assert.Equal(Enumerable.Range(0, 4).Average(r => MaxError(a, b, r, K)), metric.Result, 6);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ClassIndexTargets_ReachTheFunctionAsOneValue(bool withTrailingOne)
    {
        // The probability given to the true class, with labels [batch] or [batch, 1].
        var metric = new FunctionMetric("true_class_probability", (p, y) => y.Length == 1 ? p[(int)y[0]] : double.NaN);
        float[] p = [0.1f, 0.7f, 0.2f, 0.5f, 0.25f, 0.25f];
        float[] labels = [1, 2];

        metric.Update(TestUtil.ToTensor(p, 2, 3), withTrailingOne ? TestUtil.ToTensor(labels, 2, 1) : TestUtil.ToTensor(labels, 2));

        Assert.Equal((0.7 + 0.25) / 2, metric.Result, 6);
    }

    [Fact]
    public void InAModel_AsMetricAndWeightedMetric_GivesTheMeansOverThePredictions()
    {
        const int Samples = 24, K = 2;
        var x = TestUtil.RandomTensor(5, Samples, 4, 3);
        var y = TestUtil.RandomTensor(6, Samples, K);
        var weights = Enumerable.Range(0, Samples).Select(i => (float)(i % 4)).ToArray();
        var model = new Sequential([new Lstm(5, inputShape: (null, 3)), new Dense(K)], seed: 7);
        model.Compile(new Adam(), Loss.MeanSquaredError, [new FunctionMetric("max_error", MaxError)], [new FunctionMetric("max_error", MaxError)]);

        var results = model.Evaluate(x, y, batchSize: 10, sampleWeight: TestUtil.ToTensor(weights, Samples));

        var p = TestUtil.Span(model.Predict(x)).ToArray();
        var t = TestUtil.Span(y).ToArray();
        Assert.Equal(["loss", "max_error", "weighted_max_error"], results.Keys);
        Assert.Equal(Enumerable.Range(0, Samples).Average(r => MaxError(p, t, r, K)), results["max_error"], 5);
        Assert.Equal(Enumerable.Range(0, Samples).Sum(r => weights[r] * MaxError(p, t, r, K)) / weights.Sum(), results["weighted_max_error"], 5);
        var history = model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);
        Assert.Contains("max_error", history.Keys);
    }

    [Fact]
    public void ModelFile_KeepsTheName_AndLoadNeedsTheFunctionBack()
    {
        var x = TestUtil.RandomTensor(8, 6, 4, 2);
        var y = TestUtil.RandomTensor(9, 6, 1);
        var model = new Sequential([new Gru(3, inputShape: (null, 2)), new Dense(1)], seed: 10);
        model.Compile(new Sgd(0.1f), Loss.MeanSquaredError, [new FunctionMetric("max_error", MaxError), Metric.MeanAbsoluteError]);
        var path = Path.Combine(_directory, "model.safetensors");
        model.Save(path);

        var error = Assert.Throws<InvalidDataException>(() => Sequential.Load(path));
        Assert.Contains("Metric 'max_error' is a FunctionMetric", error.Message, StringComparison.Ordinal);
        Assert.Contains("customMetrics[\"max_error\"]", error.Message, StringComparison.Ordinal);

        var loaded = Sequential.Load(path, customLayers: null, new Dictionary<string, MetricFunction> { ["max_error"] = MaxError });
        Assert.Equal(["max_error", "mean_absolute_error"], loaded.Metrics.Select(m => m.Name));
        Assert.IsType<FunctionMetric>(loaded.Metrics[0]);
        Assert.Equal(model.Evaluate(x, y, verbose: 0), loaded.Evaluate(x, y, verbose: 0));
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => new FunctionMetric(null!, MaxError));
        Assert.Throws<ArgumentNullException>(() => new FunctionMetric("m", null!));
        Assert.Throws<ArgumentException>(() => new FunctionMetric(" ", MaxError));
        var error = Assert.Throws<ArgumentException>(() => Metric.FromConfig(FunctionMetric.FunctionKind, new Dictionary<string, string> { ["name"] = "m" }));
        Assert.Contains("new FunctionMetric(name, function)", error.Message, StringComparison.Ordinal);
    }
}
