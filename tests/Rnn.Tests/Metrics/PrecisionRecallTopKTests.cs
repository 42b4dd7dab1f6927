using Rnn.Metrics;

namespace Rnn.Tests.Metrics;

/// <summary>
/// Keras's <c>Precision</c> and <c>Recall</c> with <c>top_k</c>: the documented examples, ties at the k-th place worked out
/// by hand, and many batches against counts made here by sorting each row.
/// </summary>
public class PrecisionRecallTopKTests
{
    /// <summary>
    /// Keras's weighted true positives, predicted positives and positives, in float64: each row sorted by prediction
    /// (larger first, ties by lower index, as <c>tf.math.top_k</c>), values outside its first k replaced by −1e10, then
    /// compared with the threshold; only column <paramref name="classId"/> when given.
    /// </summary>
    private static (double TruePositives, double PredictedPositives, double Positives) Reference(
        float[] prediction, float[] target, double[] weights, int classes, int topK, int? classId, double threshold)
    {
        double tp = 0, predictedPositives = 0, positives = 0;
        for (var r = 0; r < weights.Length; r++)
        {
            var row = prediction[(r * classes)..((r + 1) * classes)];
            var top = Enumerable.Range(0, classes).OrderByDescending(i => row[i]).ThenBy(i => i).Take(topK).ToHashSet();
            foreach (var c in classId is { } id ? [id] : Enumerable.Range(0, classes))
            {
                var predicted = (top.Contains(c) ? row[c] : -1e10) > threshold;
                var actual = target[(r * classes) + c] != 0;
                tp += predicted && actual ? weights[r] : 0;
                predictedPositives += predicted ? weights[r] : 0;
                positives += actual ? weights[r] : 0;
            }
        }

        return (tp, predictedPositives, positives);
    }

    [Fact]
    public void KerasDocumentedExamples()
    {
        // keras.metrics.Precision(top_k=2).update_state([0, 0, 1, 1], [1, 1, 1, 1]) → 0.0 (the equal predictions keep the
        // lower indices, whose targets are 0); with top_k=4 → 0.5.
        var prediction = TestUtil.ToTensor([1f, 1, 1, 1], 1, 4);
        var target = TestUtil.ToTensor([0f, 0, 1, 1], 1, 4);
        var two = new Precision(topK: 2);
        two.Update(prediction, target);
        Assert.Equal(0f, two.Result);
        var four = new Precision(topK: 4);
        four.Update(prediction, target);
        Assert.Equal(0.5f, four.Result);
    }

    [Fact]
    public void TiesAtTheKthPlace_KeepTheLowerIndices_AndClassIdNeedsItsColumnInTheTopK()
    {
        // Row [.5 .9 .5 .5]. Top 2: columns 1 and 0; top 3 adds 2; only top 4 reaches column 3.
        var prediction = TestUtil.ToTensor([0.5f, 0.9f, 0.5f, 0.5f], 1, 4);
        float Evaluate(Metric metric, params float[] target)
        {
            metric.Update(prediction, TestUtil.ToTensor(target, 1, 4));
            return metric.Result;
        }

        // Positive only at 3.
        Assert.Equal(0f, Evaluate(new Precision(topK: 2), 0, 0, 0, 1));
        Assert.Equal(0f, Evaluate(new Recall(topK: 3), 0, 0, 0, 1));
        Assert.Equal(0.25f, Evaluate(new Precision(topK: 4), 0, 0, 0, 1));
        Assert.Equal(1f, Evaluate(new Recall(topK: 4), 0, 0, 0, 1));

        // Column 0 is in the top 2, column 2 is not (tied with it, but at a higher index).
        Assert.Equal(0f, Evaluate(new Precision(classId: 0, topK: 2), 0, 0, 0, 1));
        Assert.Equal(1f, Evaluate(new Precision(classId: 0, topK: 2), 1, 0, 0, 0));
        Assert.Equal(0f, Evaluate(new Recall(classId: 2, topK: 2), 0, 0, 1, 0));

        // A threshold still applies to the kept values: above 0.6 only the 0.9 of the top 3 is predicted.
        Assert.Equal(1f, Evaluate(new Precision(threshold: 0.6f, topK: 3), 0, 1, 1, 0));
        Assert.Equal(0.5f, Evaluate(new Recall(threshold: 0.6f, topK: 3), 0, 1, 1, 0));
    }

    public static TheoryData<int, int?, float?, bool> Settings() => new()
    {
        { 1, null, null, false },
        { 2, null, null, true },
        { 3, null, 0.3f, true },
        { 2, 1, null, true },
        { 1, 4, null, false },
        { 5, 2, 0.5f, true },
    };

    /// <summary>Three batches of sequences <c>[batch, time, k]</c> with ties and per-step weights add up to the counts over all rows.</summary>
    [Theory]
    [MemberData(nameof(Settings))]
    public void ManyBatches_EqualTheReferenceOverAllRows(int topK, int? classId, float? threshold, bool weighted)
    {
        const int Time = 2, Classes = 5;
        int[] batches = [3, 1, 4];
        var random = new Random(31 + topK);
        var rows = batches.Sum() * Time;

        // Predictions on a grid of 4 values, so that rows tie at the k-th place; targets multi-label.
        var prediction = Enumerable.Range(0, rows * Classes).Select(_ => random.Next(4) / 3f).ToArray();
        var target = Enumerable.Range(0, rows * Classes).Select(_ => random.Next(3) == 0 ? 1f : 0f).ToArray();
        var weights = Enumerable.Range(0, rows).Select(_ => weighted ? random.Next(4) : 1.0).ToArray();

        var precision = new Precision(threshold, classId, topK);
        var recall = new Recall(threshold, classId, topK);
        var offset = 0;
        foreach (var batch in batches)
        {
            var n = batch * Time;
            var p = TestUtil.ToTensor(prediction[(offset * Classes)..((offset + n) * Classes)], batch, Time, Classes);
            var y = TestUtil.ToTensor(target[(offset * Classes)..((offset + n) * Classes)], batch, Time, Classes);
            var w = TestUtil.ToTensor(weights[offset..(offset + n)].Select(v => (float)v).ToArray(), batch, Time);
            foreach (var metric in new Metric[] { precision, recall })
            {
                if (weighted)
                {
                    metric.Update(p, y, w);
                }
                else
                {
                    metric.Update(p, y);
                }
            }

            offset += n;
        }

        var (tp, predictedPositives, positives) = Reference(prediction, target, weights, Classes, topK, classId, threshold ?? -1e10);
        Assert.InRange(tp / predictedPositives, 0.05, 0.95);
        Assert.Equal(tp / predictedPositives, precision.Result, 6);
        Assert.Equal(tp / positives, recall.Result, 6);

        precision.Reset();
        Assert.Equal(0f, precision.Result);
    }

    [Fact]
    public void BadTopK_IsNamed_AndFromConfigDefaultsTheThresholdAsKeras()
    {
        Assert.Contains("expects top k of 1 or more (or none) but received 0", Assert.Throws<ArgumentOutOfRangeException>(() => new Recall(topK: 0)).Message, StringComparison.Ordinal);
        var tooMany = Assert.Throws<ArgumentException>(() => new Precision(topK: 4).Update(TestUtil.ToTensor([0.1f, 0.2f, 0.3f], 1, 3), TestUtil.ToTensor([0f, 0, 1], 1, 3)));
        Assert.Contains("keeps the top 4 predictions of each sample-step but the predictions have 3 classes", tooMany.Message, StringComparison.Ordinal);

        Assert.Equal(-1e10f, new Precision(topK: 1).Threshold);
        Assert.Equal(0.5f, new Precision().Threshold);
        var fromFile = Assert.IsType<Recall>(Metric.FromConfig("recall", new Dictionary<string, string> { ["top_k"] = "2" }));
        Assert.Equal((-1e10f, 2), (fromFile.Threshold, fromFile.TopK));
    }
}
