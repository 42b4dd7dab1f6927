using System.Numerics.Tensors;
using Rnn.Metrics;

namespace Rnn.Tests.Metrics;

/// <summary>
/// Root mean squared error, mean absolute percentage error, log-cosh error, cosine similarity and the top-k accuracies:
/// streamed over batches with and without weights against the same means computed here in float64 from Keras's formulas,
/// Keras's tie rule for top-k, reset, configuration round trips and the errors for bad input.
/// </summary>
public class KerasMetricTests
{
    private const double Eps = 1e-7f;

    public static TheoryData<string> Names() =>
    [
        "root_mean_squared_error", "mean_absolute_percentage_error", "logcosh", "cosine_similarity",
        "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    ];

    private static bool IsSparse(string name) => name.StartsWith("sparse", StringComparison.Ordinal);

    /// <summary>Predictions and targets for a metric: class scores with ties for the top-k accuracies, moderate values otherwise.</summary>
    private static (float[] Prediction, float[] Target) Data(string name, Random random, int rows, int classes)
    {
        var n = rows * classes;
        if (name.Contains("top_k", StringComparison.Ordinal))
        {
            // Scores on a coarse grid so that ties at the k-th place are common.
            var scores = Enumerable.Range(0, n).Select(_ => random.Next(4) / 4f).ToArray();
            var labels = Enumerable.Range(0, rows).Select(_ => random.Next(classes)).ToArray();
            return IsSparse(name)
                ? (scores, labels.Select(l => (float)l).ToArray())
                : (scores, Enumerable.Range(0, n).Select(i => labels[i / classes] == i % classes ? 1f : 0f).ToArray());
        }

        float[] Uniform(double low, double high) => Enumerable.Range(0, n).Select(_ => (float)(low + ((high - low) * random.NextDouble()))).ToArray();
        return name == "mean_absolute_percentage_error"
            ? (Uniform(-2, 2), Uniform(0.1, 2).Select(v => random.Next(2) == 0 ? -v : v).ToArray())
            : (Uniform(-2, 2), Uniform(-2, 2));
    }

    /// <summary>A sample-step's value by Keras's formula, in float64.</summary>
    private static double RowValue(string name, double[] p, double[] y, int k)
    {
        switch (name)
        {
            case "root_mean_squared_error":
                return p.Select((v, i) => (v - y[i]) * (v - y[i])).Average();
            case "mean_absolute_percentage_error":
                return 100 * p.Select((v, i) => Math.Abs(y[i] - v) / Math.Max(Math.Abs(y[i]), Eps)).Average();
            case "logcosh":
                return p.Select((v, i) => Math.Log(Math.Cosh(v - y[i]))).Average();
            case "cosine_similarity":
                return TestUtil.Dot(p, y) / (Math.Max(Math.Sqrt(TestUtil.Dot(p, p)), Eps) * Math.Max(Math.Sqrt(TestUtil.Dot(y, y)), Eps));
            default:
                // in_top_k with ties: the label's score is in the top k when fewer than k scores beat it.
                var label = IsSparse(name) ? (int)y[0] : Array.IndexOf(y, y.Max());
                return p.Count(v => v > p[label]) < k ? 1 : 0;
        }
    }

    /// <summary>Σ w v / Σ w over all rows, then the root for RMSE.</summary>
    private static double Expected(string name, float[] prediction, float[] target, double[] weights, int classes, int k)
    {
        var width = IsSparse(name) ? 1 : classes;
        double total = 0, weight = 0;
        for (var r = 0; r < weights.Length; r++)
        {
            var v = RowValue(name, TestUtil.ToDoubles(prediction.AsSpan(r * classes, classes)), TestUtil.ToDoubles(target.AsSpan(r * width, width)), k);
            total += weights[r] * v;
            weight += weights[r];
        }

        var mean = total / weight;
        return name == "root_mean_squared_error" ? Math.Sqrt(mean) : mean;
    }

    private static Metric Create(string name, int k) => name switch
    {
        "top_k_categorical_accuracy" => new TopKCategoricalAccuracy(k),
        "sparse_top_k_categorical_accuracy" => new SparseTopKCategoricalAccuracy(k),
        _ => Metric.FromName(name),
    };

    public static TheoryData<string, string> StreamCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in Names())
        {
            foreach (var weighting in new[] { "none", "sample", "step" })
            {
                data.Add(name, weighting);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(StreamCases))]
    public void Update_OverSeveralBatches_EqualsTheWeightedMeanOfAllRows(string name, string weighting)
    {
        const int Samples = 13, Time = 3, Classes = 5, K = 2;
        var random = new Random(name.Length + weighting.Length);
        var (prediction, target) = Data(name, random, Samples * Time, Classes);
        var width = IsSparse(name) ? 1 : Classes;
        var sampleWeights = Enumerable.Range(0, Samples).Select(i => i % 4 == 0 ? 0f : (float)(0.5 + random.NextDouble())).ToArray();
        var stepWeights = Enumerable.Range(0, Samples * Time).Select(i => i % 5 == 0 ? 0f : (float)(0.5 + random.NextDouble())).ToArray();
        var rowWeights = weighting switch
        {
            "sample" => Enumerable.Range(0, Samples * Time).Select(r => (double)sampleWeights[r / Time]).ToArray(),
            "step" => TestUtil.ToDoubles(stepWeights),
            _ => Enumerable.Repeat(1.0, Samples * Time).ToArray(),
        };
        var metric = Create(name, K);

        var start = 0;
        foreach (var size in new[] { 4, 1, 6, 2 })
        {
            var p = TestUtil.ToTensor(prediction.AsSpan(start * Time * Classes, size * Time * Classes).ToArray(), size, Time, Classes);
            var yValues = target.AsSpan(start * Time * width, size * Time * width).ToArray();
            var y = IsSparse(name) ? TestUtil.ToTensor(yValues, size, Time) : TestUtil.ToTensor(yValues, size, Time, Classes);
            switch (weighting)
            {
                case "sample":
                    metric.Update(p, y, TestUtil.ToTensor(sampleWeights.AsSpan(start, size).ToArray(), size));
                    break;
                case "step":
                    metric.Update(p, y, TestUtil.ToTensor(stepWeights.AsSpan(start * Time, size * Time).ToArray(), size, Time));
                    break;
                default:
                    metric.Update(p, y);
                    break;
            }

            start += size;
        }

        Assert.Equal(Samples, start);
        var expected = Expected(name, prediction, target, rowWeights, Classes, K);
        Assert.Equal(expected, metric.Result, Math.Max(Math.Abs(expected), 1) * 1e-6);
    }

    [Fact]
    public void RootMeanSquaredError_IsTheRootOfTheWholeMean_NotTheMeanOfBatchRoots()
    {
        // Squared errors 1 (batch 1) and 9, 9, 9 (batch 2): sqrt(28 / 4) = 2.6458, while the batch roots 1 and 3 average to 2.
        var metric = new RootMeanSquaredError();
        metric.Update(TestUtil.ToTensor([1f], 1, 1), TestUtil.ToTensor([0f], 1, 1));
        metric.Update(TestUtil.ToTensor([3f, -3f, 3f], 3, 1), TestUtil.ToTensor([0f, 0f, 0f], 3, 1));

        Assert.Equal(Math.Sqrt(28.0 / 4), metric.Result, 1e-6);
    }

    [Fact]
    public void TopK_KerasExamples()
    {
        // Keras's docstring: k = 1, y [[0, 0, 1], [0, 1, 0]], p [[0.1, 0.9, 0.8], [0.05, 0.95, 0]] → 0.5; weights [0.7, 0.3] → 0.3.
        float[] p = [0.1f, 0.9f, 0.8f, 0.05f, 0.95f, 0f];
        var dense = new TopKCategoricalAccuracy(k: 1);
        dense.Update(TestUtil.ToTensor(p, 2, 3), TestUtil.ToTensor([0f, 0, 1, 0, 1, 0], 2, 3));
        Assert.Equal(0.5f, dense.Result);

        var sparse = new SparseTopKCategoricalAccuracy(k: 1);
        sparse.Update(TestUtil.ToTensor(p, 2, 3), TestUtil.ToTensor([2f, 1f], 2), TestUtil.ToTensor([0.7f, 0.3f], 2));
        Assert.Equal(0.3f, sparse.Result, 6);
    }

    [Fact]
    public void TopK_TiesAtTheBoundaryCountIn_AsInTopK()
    {
        // TensorFlow's in_top_k example, k = 2: targets [0, 1, 3] → [false, true, true]; row 2's 0.3 ties 0.3 for second place.
        float[] p = [1.2f, -0.3f, 2.8f, 5.2f, 0.1f, 0f, 0f, 0f, 0f, 0.5f, 0.3f, 0.3f];
        var metric = new SparseTopKCategoricalAccuracy(k: 2);
        metric.Update(TestUtil.ToTensor(p, 3, 4), TestUtil.ToTensor([0f, 1f, 3f], 3));
        Assert.Equal(2f / 3, metric.Result, 6);

        // k = 1 with a tie for the maximum: both tied classes are right.
        var tie = new SparseTopKCategoricalAccuracy(k: 1);
        tie.Update(TestUtil.ToTensor([0.4f, 0.4f, 0.2f, 0.4f, 0.4f, 0.2f], 2, 3), TestUtil.ToTensor([0f, 1f], 2));
        Assert.Equal(1f, tie.Result);
    }

    [Fact]
    public void TopK_NonFinitePredictionsAreNeverRight_AndKBeyondTheClassesAlwaysIs()
    {
        var nan = new SparseTopKCategoricalAccuracy(k: 3);
        nan.Update(TestUtil.ToTensor([0.9f, float.NaN, 0.1f, 0.9f, float.PositiveInfinity, 0.1f, 0.9f, 0.5f, 0.1f], 3, 3), TestUtil.ToTensor([0f, 0f, 2f], 3));
        Assert.Equal(1f / 3, nan.Result, 6);

        var wide = new TopKCategoricalAccuracy();   // k = 5 > 3 classes
        wide.Update(TestUtil.ToTensor([0.1f, 0.2f, 0.7f], 1, 3), TestUtil.ToTensor([1f, 0f, 0f], 1, 3));
        Assert.Equal(1f, wide.Result);
    }

    [Fact]
    public void CosineSimilarity_HasThePositiveSign_AndZeroVectorsGiveZero()
    {
        // Keras's docstring, axis = -1: y [[0, 1], [1, 1]], p [[1, 0], [1, 1]] → (0 + 1) / 2; weights [0.3, 0.7] → 0.7.
        var metric = new CosineSimilarity();
        metric.Update(TestUtil.ToTensor([1f, 0f, 1f, 1f], 2, 2), TestUtil.ToTensor([0f, 1f, 1f, 1f], 2, 2));
        Assert.Equal(0.5f, metric.Result, 6);

        metric.Reset();
        metric.Update(TestUtil.ToTensor([1f, 0f, 1f, 1f], 2, 2), TestUtil.ToTensor([0f, 1f, 1f, 1f], 2, 2), TestUtil.ToTensor([0.3f, 0.7f], 2));
        Assert.Equal(0.7f, metric.Result, 6);

        metric.Reset();
        metric.Update(TestUtil.ToTensor([0f, 0f], 1, 2), TestUtil.ToTensor([1f, 2f], 1, 2));
        Assert.Equal(0f, metric.Result);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Reset_StartsAFreshEpoch(string name)
    {
        const int Rows = 6, Classes = 4;
        var random = new Random(7);
        var (p1, y1) = Data(name, random, Rows, Classes);
        var (p2, y2) = Data(name, random, Rows, Classes);
        Tensor<float> Target(float[] y) => IsSparse(name) ? TestUtil.ToTensor(y, Rows) : TestUtil.ToTensor(y, Rows, Classes);
        var metric = Create(name, 2);
        var fresh = Create(name, 2);

        metric.Update(TestUtil.ToTensor(p1, Rows, Classes), Target(y1));
        metric.Reset();
        Assert.Equal(0f, metric.Result);
        metric.Update(TestUtil.ToTensor(p2, Rows, Classes), Target(y2));
        fresh.Update(TestUtil.ToTensor(p2, Rows, Classes), Target(y2));

        Assert.Equal(fresh.Result, metric.Result);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void FromConfig_RoundTripsKindNameAndK(string name)
    {
        var metric = name switch
        {
            "top_k_categorical_accuracy" => new TopKCategoricalAccuracy(3, "top3"),
            "sparse_top_k_categorical_accuracy" => new SparseTopKCategoricalAccuracy(2, "top2"),
            _ => Metric.FromName(name),
        };

        var rebuilt = Metric.FromConfig(metric.Kind, metric.GetConfig());

        Assert.Equal(metric.GetType(), rebuilt.GetType());
        Assert.Equal(metric.Name, rebuilt.Name);
        Assert.Equal(metric.GetConfig(), rebuilt.GetConfig());
    }

    [Fact]
    public void GetConfig_WritesKerasKeys()
    {
        Assert.Equal(new Dictionary<string, string> { ["name"] = "top3", ["k"] = "3" }, new TopKCategoricalAccuracy(3, "top3").GetConfig());
        Assert.Equal(new Dictionary<string, string> { ["name"] = "sparse_top_k_categorical_accuracy", ["k"] = "5" }, Metric.SparseTopKCategoricalAccuracy.GetConfig());
        Assert.Equal("logcosh", new LogCoshError().Kind);
        Assert.Equal(5, Assert.IsType<TopKCategoricalAccuracy>(Metric.FromConfig("top_k_categorical_accuracy")).K);
    }

    [Theory]
    [InlineData("root_mean_squared_error", typeof(RootMeanSquaredError))]
    [InlineData("mape", typeof(MeanAbsolutePercentageError))]
    [InlineData("mean_absolute_percentage_error", typeof(MeanAbsolutePercentageError))]
    [InlineData("logcosh", typeof(LogCoshError))]
    [InlineData("log_cosh_error", typeof(LogCoshError))]
    [InlineData("cosine_similarity", typeof(CosineSimilarity))]
    [InlineData("top_k_categorical_accuracy", typeof(TopKCategoricalAccuracy))]
    [InlineData("Sparse_Top_K_Categorical_Accuracy", typeof(SparseTopKCategoricalAccuracy))]
    public void FromName_AcceptsTheKerasNames(string name, Type type)
    {
        var metric = Metric.FromName(name);

        Assert.IsType(type, metric);
        Assert.Equal(name, metric.Name);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void TopK_ThrowsForKBelowOne(int k)
    {
        var dense = Assert.Throws<ArgumentOutOfRangeException>(() => new TopKCategoricalAccuracy(k));
        Assert.StartsWith($"Metric 'top_k_categorical_accuracy' expects k of 1 or more but received {k}.", dense.Message, StringComparison.Ordinal);
        Assert.Equal("k", dense.ParamName);

        var sparse = Assert.Throws<ArgumentOutOfRangeException>(() => new SparseTopKCategoricalAccuracy(k, "top"));
        Assert.StartsWith($"Metric 'top' expects k of 1 or more but received {k}.", sparse.Message, StringComparison.Ordinal);

        var config = Assert.Throws<ArgumentOutOfRangeException>(() => Metric.FromConfig("top_k_categorical_accuracy", new Dictionary<string, string> { ["k"] = $"{k}" }));
        Assert.StartsWith("Metric 'top_k_categorical_accuracy' expects k of 1 or more", config.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("three")]
    [InlineData("9999999999")]
    public void FromConfig_ThrowsForMalformedK(string k)
    {
        var error = Assert.Throws<ArgumentException>(() => Metric.FromConfig("sparse_top_k_categorical_accuracy", new Dictionary<string, string> { ["k"] = k }));
        Assert.Contains(k, error.Message, StringComparison.Ordinal);
        Assert.Equal("config", error.ParamName);
    }

    [Theory]
    [InlineData(3f)]
    [InlineData(-1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void SparseTopK_ThrowsForLabelThatIsNoClassIndex_AndKeepsItsState(float label)
    {
        var metric = new SparseTopKCategoricalAccuracy(k: 1);
        metric.Update(TestUtil.ToTensor([0.9f, 0.05f, 0.05f], 1, 3), TestUtil.ToTensor([0f], 1));

        var error = Assert.Throws<ArgumentException>(() => metric.Update(TestUtil.ToTensor(new float[6], 2, 3), TestUtil.ToTensor([1f, label], 2)));

        Assert.Equal(
            $"Metric 'sparse_top_k_categorical_accuracy' expects class indices as targets: integers in [0, 3) but received {label.ToString(System.Globalization.CultureInfo.InvariantCulture)}. (Parameter 'target')",
            error.Message);
        Assert.Equal(1f, metric.Result);
    }

    [Fact]
    public void SparseTopK_IgnoresLabelsOfMaskedSteps()
    {
        var metric = new SparseTopKCategoricalAccuracy(k: 1);
        metric.Update(TestUtil.ToTensor([0.9f, 0.1f, 0.9f, 0.1f], 1, 2, 2), TestUtil.ToTensor([0f, -1f], 1, 2), [1, 0]);
        Assert.Equal(1f, metric.Result);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Update_ThrowsForMismatchedShapes(string name)
    {
        var metric = Metric.FromName(name);
        var target = IsSparse(name) ? TestUtil.ToTensor(new float[5], 5) : TestUtil.ToTensor(new float[8], 4, 2);

        var error = Assert.Throws<ArgumentException>(() => metric.Update(TestUtil.ToTensor(new float[12], 4, 3), target));

        var expected = IsSparse(name)
            ? $"Metric '{name}' expects class-index targets of shape [4] or [4, 1] for predictions of shape [4, 3] but received [5]."
            : $"Metric '{name}' expects targets of shape [4, 3] (the predictions' shape) but received [4, 2].";
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }
}
