using Rnn.Layers;
using Rnn.Losses;
using Rnn.Metrics;
using Rnn.Optimizers;

namespace Rnn.Tests.Metrics;

/// <summary>
/// Keras's <c>FBetaScore</c> and <c>F1Score</c>: the documented examples, counts worked out by hand, and many batches
/// against the score computed here in float64 from Keras's formula over all rows at once.
/// </summary>
public class FScoreTests
{
    private const double Epsilon = 1e-7;

    /// <summary>
    /// Keras's <c>FBetaScore.result()</c> over all rows at once, in float64: ŷ per value (above the threshold, or equal to
    /// its row's maximum and not 0), counts per class (summed over the classes for micro), then the average.
    /// </summary>
    internal static double Reference(float[] prediction, float[] target, double[] weights, int classes, FScoreAverage average, double beta, double? threshold)
    {
        var slots = average == FScoreAverage.Micro ? 1 : classes;
        var (tp, fp, fn, support) = (new double[slots], new double[slots], new double[slots], new double[slots]);
        for (var r = 0; r < weights.Length; r++)
        {
            var row = prediction[(r * classes)..((r + 1) * classes)];
            for (var c = 0; c < classes; c++)
            {
                double hat = threshold is { } t ? (row[c] > t ? 1 : 0) : (row[c] == row.Max() && Math.Abs(row[c]) > 1e-9 ? 1 : 0);
                double y = target[(r * classes) + c];
                var s = average == FScoreAverage.Micro ? 0 : c;
                tp[s] += weights[r] * hat * y;
                fp[s] += weights[r] * hat * (1 - y);
                fn[s] += weights[r] * (1 - hat) * y;
                support[s] += weights[r] * y;
            }
        }

        var b2 = beta * beta;
        var scores = Enumerable.Range(0, slots).Select(c =>
        {
            var precision = tp[c] / (tp[c] + fp[c] + Epsilon);
            var recall = tp[c] / (tp[c] + fn[c] + Epsilon);
            return (1 + b2) * precision * recall / ((b2 * precision) + recall + Epsilon);
        }).ToArray();
        return average == FScoreAverage.Weighted
            ? scores.Select((f, c) => f * support[c]).Sum() / (support.Sum() + Epsilon)
            : scores.Average();
    }

    [Theory]
    [InlineData(FScoreAverage.Micro)]
    [InlineData(FScoreAverage.Macro)]
    [InlineData(FScoreAverage.Weighted)]
    public void KerasDocumentedExamples(FScoreAverage average)
    {
        // keras.metrics.F1Score(threshold=0.5) on these gives the per-class [0.5, 0.8, 0.6666667], and
        // FBetaScore(beta=2.0, threshold=0.5) [0.3846154, 0.90909094, 0.8333334] (their docstrings): the macro average is
        // their mean. Micro and weighted come from the reference.
        float[] target = [1, 1, 1, 1, 0, 0, 1, 1, 0];
        float[] prediction = [0.2f, 0.6f, 0.7f, 0.2f, 0.6f, 0.6f, 0.6f, 0.8f, 0f];
        var f1 = new F1Score(average, threshold: 0.5f);
        var f2 = new FBetaScore(average, beta: 2f, threshold: 0.5f);
        f1.Update(TestUtil.ToTensor(prediction, 3, 3), TestUtil.ToTensor(target, 3, 3));
        f2.Update(TestUtil.ToTensor(prediction, 3, 3), TestUtil.ToTensor(target, 3, 3));

        double[] ones = [1, 1, 1];
        Assert.Equal(Reference(prediction, target, ones, 3, average, 1, 0.5), f1.Result, 6);
        Assert.Equal(Reference(prediction, target, ones, 3, average, 2, 0.5), f2.Result, 6);
        if (average == FScoreAverage.Macro)
        {
            // Keras prints float32 scores, computed with ε = 1e-7 in float32: equal to about 1e-6.
            Assert.Equal((0.5 + 0.8 + 0.6666667) / 3, f1.Result, 1e-6);
            Assert.Equal((0.3846154 + 0.90909094 + 0.8333334) / 3, f2.Result, 1e-6);
        }
    }

    /// <summary>
    /// Without a threshold, every value tied for its row's maximum is predicted and a row of zeros predicts nothing.
    /// Rows (weights 1, 2, 3, 4): [.1 .7 .2] y 1 → TP₁; [.4 .4 .2] y 0 → TP₀, FP₁; [0 0 0] y 2 → FN₂; [.5 .2 .3] y 2 → FP₀, FN₂.
    /// </summary>
    [Fact]
    public void ArgMax_CountsTiesAndNoZeroRow_ByHand_UnweightedAndWeighted()
    {
        var prediction = TestUtil.ToTensor([0.1f, 0.7f, 0.2f, 0.4f, 0.4f, 0.2f, 0, 0, 0, 0.5f, 0.2f, 0.3f], 4, 3);
        var target = TestUtil.ToTensor([0f, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1], 4, 3);
        var weights = TestUtil.ToTensor([1f, 2, 3, 4], 4);
        float Score(FScoreAverage average, bool weighted)
        {
            var metric = new F1Score(average);
            if (weighted)
            {
                metric.Update(prediction, target, weights);
            }
            else
            {
                metric.Update(prediction, target);
            }

            return metric.Result;
        }

        // Unweighted: class 0 and 1 each TP 1, FP 1 → P ½, R 1, F1 ⅔; class 2 FN 2 → 0 (support 1, 1, 2).
        // Micro: TP 2, FP 2, FN 2 → P ½, R ½, F1 ½.
        Assert.Equal(0.5, Score(FScoreAverage.Micro, false), 5);
        Assert.Equal(4.0 / 9, Score(FScoreAverage.Macro, false), 5);
        Assert.Equal(((2.0 / 3) + (2.0 / 3)) / 4, Score(FScoreAverage.Weighted, false), 5);

        // Weighted: class 0 TP 2, FP 4 → P ⅓, R 1, F1 ½; class 1 TP 1, FP 2 → ½; class 2 FN 7 → 0 (support 2, 1, 7).
        // Micro: TP 3, FP 6, FN 7 → P ⅓, R 3/10, F1 6/19.
        Assert.Equal(6.0 / 19, Score(FScoreAverage.Micro, true), 5);
        Assert.Equal(1.0 / 3, Score(FScoreAverage.Macro, true), 5);
        Assert.Equal(((0.5 * 2) + (0.5 * 1)) / 10, Score(FScoreAverage.Weighted, true), 5);
    }

    public static TheoryData<FScoreAverage, float, float?, bool> Settings()
    {
        var data = new TheoryData<FScoreAverage, float, float?, bool>();
        foreach (var average in Enum.GetValues<FScoreAverage>())
        {
            data.Add(average, 1f, null, false);
            data.Add(average, 1f, null, true);
            data.Add(average, 2.5f, 0.5f, true);
            data.Add(average, 0.5f, 0.3f, false);
        }

        return data;
    }

    /// <summary>Three batches of sequences <c>[batch, time, k]</c> (with ties, zero rows and per-step weights) add up to the score over all rows.</summary>
    [Theory]
    [MemberData(nameof(Settings))]
    public void ManyBatches_EqualTheReferenceOverAllRows(FScoreAverage average, float beta, float? threshold, bool weighted)
    {
        const int Time = 3, Classes = 4;
        int[] batches = [2, 5, 3];
        var random = new Random(17);
        var rows = batches.Sum() * Time;

        // Predictions on a coarse grid, so that rows tie for their maximum; every seventh row all zeros.
        var prediction = Enumerable.Range(0, rows * Classes).Select(i => (i / Classes) % 7 == 3 ? 0f : random.Next(6) / 5f).ToArray();
        var target = new float[rows * Classes];
        for (var r = 0; r < rows; r++)
        {
            target[(r * Classes) + random.Next(Classes)] = 1;
        }

        var weights = Enumerable.Range(0, rows).Select(_ => weighted ? random.Next(4) : 1.0).ToArray();

        FBetaScore metric = beta == 1f ? new F1Score(average, threshold) : new FBetaScore(average, beta, threshold);
        var offset = 0;
        foreach (var batch in batches)
        {
            var (p, y) = (prediction[(offset * Classes)..((offset + (batch * Time)) * Classes)], target[(offset * Classes)..((offset + (batch * Time)) * Classes)]);
            var w = weights[offset..(offset + (batch * Time))].Select(v => (float)v).ToArray();
            if (weighted)
            {
                metric.Update(TestUtil.ToTensor(p, batch, Time, Classes), TestUtil.ToTensor(y, batch, Time, Classes), TestUtil.ToTensor(w, batch, Time));
            }
            else
            {
                metric.Update(TestUtil.ToTensor(p, batch, Time, Classes), TestUtil.ToTensor(y, batch, Time, Classes));
            }

            offset += batch * Time;
        }

        var expected = Reference(prediction, target, weights, Classes, average, beta, threshold);
        Assert.InRange(expected, 0.05, 0.95);
        Assert.Equal(expected, metric.Result, 6);
    }

    [Fact]
    public void Reset_ForgetsTheCounts_ButKeepsTheNumberOfClasses()
    {
        var metric = new F1Score(FScoreAverage.Macro);
        metric.Update(TestUtil.ToTensor([0.9f, 0.1f, 0.2f, 0.8f], 2, 2), TestUtil.ToTensor([1f, 0, 0, 1], 2, 2));
        Assert.Equal(1f, metric.Result, 5);
        metric.Reset();
        Assert.Equal(0f, metric.Result);
        Assert.Equal(2, metric.NumClasses);

        metric.Update(TestUtil.ToTensor([0.9f, 0.1f], 1, 2), TestUtil.ToTensor([0f, 1], 1, 2));
        Assert.Equal(0f, metric.Result);
        var other = Assert.Throws<ArgumentException>(() => metric.Update(TestUtil.ToTensor([0.9f, 0.1f, 0], 1, 3), TestUtil.ToTensor([0f, 1, 0], 1, 3)));
        Assert.Contains("counts 2 classes (from its first batch) but received predictions with 3 classes", other.Message, StringComparison.Ordinal);

        // Micro counts are not per class, so the number of classes may change (as Keras's scalar state).
        var micro = new F1Score(FScoreAverage.Micro);
        micro.Update(TestUtil.ToTensor([0.9f, 0.1f], 1, 2), TestUtil.ToTensor([1f, 0], 1, 2));
        micro.Update(TestUtil.ToTensor([0.1f, 0.2f, 0.7f], 1, 3), TestUtil.ToTensor([0f, 1, 0], 1, 3));
        Assert.Equal(0.5f, micro.Result, 5);
        Assert.Null(micro.NumClasses);
    }

    [Fact]
    public void NoPositivesOrNothingCounted_GivesZero()
    {
        var metric = new FBetaScore(FScoreAverage.Weighted, beta: 2f);
        Assert.Equal(0f, metric.Result);
        metric.Update(TestUtil.ToTensor([0.9f, 0.1f], 1, 2), TestUtil.ToTensor([0f, 0f], 1, 2));
        Assert.Equal(0f, metric.Result);
        metric.Update(TestUtil.ToTensor([0.9f, 0.1f], 1, 2), TestUtil.ToTensor([1f, 0f], 1, 2), TestUtil.ToTensor([0f], 1));
        Assert.Equal(0f, metric.Result);
    }

    [Fact]
    public void BadArguments_AreNamed()
    {
        Assert.Contains("expects a finite beta above 0 but received 0", Assert.Throws<ArgumentOutOfRangeException>(() => new FBetaScore(FScoreAverage.Macro, beta: 0f)).Message, StringComparison.Ordinal);
        Assert.Contains("threshold in (0, 1] (as Keras) or none for the row's largest prediction but received 1.5", Assert.Throws<ArgumentOutOfRangeException>(() => new F1Score(FScoreAverage.Macro, 1.5f)).Message, StringComparison.Ordinal);
        Assert.Contains("but received 0", Assert.Throws<ArgumentOutOfRangeException>(() => new F1Score(FScoreAverage.Macro, 0f)).Message, StringComparison.Ordinal);
        Assert.Contains("expects average Micro, Macro or Weighted but received 7", Assert.Throws<ArgumentOutOfRangeException>(() => new F1Score((FScoreAverage)7)).Message, StringComparison.Ordinal);
        Assert.Contains("new F1Score(FScoreAverage.Macro)", Assert.Throws<ArgumentException>(() => Metric.FromName("f1_score")).Message, StringComparison.Ordinal);
        var missing = Assert.Throws<ArgumentException>(() => Metric.FromConfig("f1_score"));
        Assert.Contains("has average '(none)', but it must be micro, macro or weighted", missing.Message, StringComparison.Ordinal);
        Assert.Contains("'beta'", Assert.Throws<ArgumentException>(() => Metric.FromConfig("f1_score", new Dictionary<string, string> { ["average"] = "macro", ["beta"] = "2" })).Message, StringComparison.Ordinal);
    }

    /// <summary>Compiled as a weighted metric, the score over several batches of an evaluation is the reference's on the model's predictions.</summary>
    [Fact]
    public void Evaluate_AsWeightedMetric_IsTheReferenceOnThePredictions()
    {
        const int Samples = 40, Classes = 3;
        var x = TestUtil.RandomTensor(21, Samples, 4, 2);
        var random = new Random(22);
        var target = new float[Samples * Classes];
        for (var i = 0; i < Samples; i++)
        {
            target[(i * Classes) + random.Next(Classes)] = 1;
        }

        var weights = Enumerable.Range(0, Samples).Select(i => (float)((i * 5) % 4)).ToArray();
        var model = new Sequential([new Gru(5, inputShape: (null, 2)), new Dense(Classes)], seed: 23);
        model.Compile(new Adam(), Loss.CategoricalCrossEntropy(fromLogits: true), [new F1Score(FScoreAverage.Macro)], [new FBetaScore(FScoreAverage.Weighted, beta: 2f, name: "f2")]);

        var results = model.Evaluate(x, TestUtil.ToTensor(target, Samples, Classes), batchSize: 16, sampleWeight: TestUtil.ToTensor(weights, Samples));

        var logits = TestUtil.Span(model.Predict(x)).ToArray();
        Assert.Equal(Reference(logits, target, [.. Enumerable.Repeat(1.0, Samples)], Classes, FScoreAverage.Macro, 1, null), results["f1_score"], 6);
        Assert.Equal(Reference(logits, target, [.. weights.Select(w => (double)w)], Classes, FScoreAverage.Weighted, 2, null), results["f2"], 6);
    }
}
