using Rnn.Metrics;

namespace Rnn.Tests.Metrics;

/// <summary>Updating batch by batch gives the metric of the whole data, whatever the batch sizes and masks.</summary>
public class MetricAccumulationTests
{
    public static TheoryData<string> Names() => ["accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "mae", "mse"];

    [Theory]
    [MemberData(nameof(Names))]
    public void Update_BatchByBatch_EqualsUpdateOnTheWholeData(string name)
    {
        const int Samples = 15, Time = 4, Classes = 3;
        var random = new Random(name.Length);
        var sparse = name is "sparse_categorical_accuracy" or "accuracy";
        var prediction = Enumerable.Range(0, Samples * Time * Classes).Select(_ => random.NextSingle()).ToArray();
        var target = sparse
            ? Enumerable.Range(0, Samples * Time).Select(_ => (float)random.Next(Classes)).ToArray()
            : Enumerable.Range(0, Samples * Time * Classes).Select(_ => (float)random.Next(2)).ToArray();
        var width = sparse ? 1 : Classes;
        var mask = Enumerable.Range(0, Samples * Time).Select(_ => (byte)(random.NextDouble() < 0.3 ? 0 : 1)).ToArray();

        var whole = Metric.FromName(name);
        whole.Update(Tensor(prediction, Samples, Time, Classes), Tensor(target, sparse ? [Samples, Time] : [Samples, Time, Classes]), mask);

        var batched = Metric.FromName(name);
        var start = 0;
        foreach (var size in new[] { 5, 1, 7, 2 })
        {
            batched.Update(
                Tensor(prediction.AsSpan(start * Time * Classes, size * Time * Classes).ToArray(), size, Time, Classes),
                Tensor(target.AsSpan(start * Time * width, size * Time * width).ToArray(), sparse ? [size, Time] : [size, Time, Classes]),
                mask.AsSpan(start * Time, size * Time));
            start += size;
        }

        Assert.Equal(Samples, start);
        Assert.Equal(whole.Result, batched.Result, 6);
        Assert.Equal(Expected(name, prediction, target, mask, Classes), batched.Result, 6);
    }

    [Fact]
    public void Update_AfterReset_StartsAFreshEpoch()
    {
        var metric = Metric.SparseCategoricalAccuracy;
        metric.Update(TestUtil.ToTensor([0.9f, 0.1f], 1, 2), TestUtil.ToTensor([1f], 1));
        Assert.Equal(0f, metric.Result);

        metric.Reset();
        metric.Update(TestUtil.ToTensor([0.9f, 0.1f], 1, 2), TestUtil.ToTensor([0f], 1));

        Assert.Equal(1f, metric.Result);
    }

    private static System.Numerics.Tensors.Tensor<float> Tensor(float[] values, params int[] shape) => TestUtil.ToTensor(values, shape);

    /// <summary>The metric over the counted sample-steps, computed directly in float64.</summary>
    private static double Expected(string name, float[] prediction, float[] target, byte[] mask, int classes)
    {
        var values = new List<double>();
        for (var r = 0; r < mask.Length; r++)
        {
            if (mask[r] == 0)
            {
                continue;
            }

            var p = prediction.AsSpan(r * classes, classes).ToArray();
            var argMax = Array.IndexOf(p, p.Max());
            values.Add(name switch
            {
                "accuracy" or "sparse_categorical_accuracy" => argMax == target[r] ? 1 : 0,
                "categorical_accuracy" => argMax == Array.IndexOf(target, target.AsSpan(r * classes, classes).ToArray().Max(), r * classes) - (r * classes) ? 1 : 0,
                "binary_accuracy" => Enumerable.Range(0, classes).Average(i => (p[i] > 0.5f ? 1f : 0f) == target[(r * classes) + i] ? 1.0 : 0.0),
                "mae" => Enumerable.Range(0, classes).Average(i => Math.Abs((double)p[i] - target[(r * classes) + i])),
                _ => Enumerable.Range(0, classes).Average(i => Math.Pow((double)p[i] - target[(r * classes) + i], 2)),
            });
        }

        return values.Average();
    }
}
