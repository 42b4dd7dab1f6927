using Rnn.Metrics;

namespace Rnn.Tests.Metrics;

/// <summary>
/// Keras's <c>AUC(summation_method, multi_label, label_weights)</c>: areas worked out by hand, and many batches against
/// Keras's formulas written out here in float64 from the confusion counts at each threshold.
/// </summary>
public class AucOptionsTests
{
    /// <summary>Keras's thresholds: −1e-7, 1/(n−1), …, (n−2)/(n−1), 1 + 1e-7.</summary>
    private static double[] Thresholds(int n) => [-1e-7, .. Enumerable.Range(1, n - 2).Select(i => i / (double)(n - 1)), 1 + 1e-7];

    private static double DivideNoNan(double a, double b) => b == 0 ? 0 : a / b;

    /// <summary>
    /// Keras's <c>AUC.result()</c> for one label, in float64: TP, FP, FN, TN at every threshold by a loop over the values
    /// (predicted positive where the prediction, clipped to [0, 1], is above it), then <c>interpolate_pr_auc</c> or the
    /// Riemann sum of the curve's points.
    /// </summary>
    private static double Reference(IList<(double P, bool Y, double W)> values, int n, AucCurve curve, AucSummationMethod method)
    {
        var t = Thresholds(n);
        double[] tp = new double[n], fp = new double[n], fn = new double[n], tn = new double[n];
        for (var i = 0; i < n; i++)
        {
            foreach (var (p, y, w) in values)
            {
                var above = Math.Clamp(p, 0, 1) > t[i];
                tp[i] += y && above ? w : 0;
                fp[i] += !y && above ? w : 0;
                fn[i] += y && !above ? w : 0;
                tn[i] += !y && !above ? w : 0;
            }
        }

        var area = 0.0;
        for (var i = 0; i < n - 1; i++)
        {
            if (curve == AucCurve.PrecisionRecall && method == AucSummationMethod.Interpolation)
            {
                var dtp = tp[i] - tp[i + 1];
                var (pA, pB) = (tp[i] + fp[i], tp[i + 1] + fp[i + 1]);
                var slope = DivideNoNan(dtp, Math.Max(pA - pB, 0));
                var intercept = tp[i + 1] - (slope * pB);
                var ratio = pA > 0 && pB > 0 ? DivideNoNan(pA, Math.Max(pB, 0)) : 1;
                area += DivideNoNan(slope * (dtp + (intercept * Math.Log(ratio))), Math.Max(tp[i + 1] + fn[i + 1], 0));
                continue;
            }

            double Recall(int j) => DivideNoNan(tp[j], tp[j] + fn[j]);
            double X(int j) => curve == AucCurve.Roc ? DivideNoNan(fp[j], fp[j] + tn[j]) : Recall(j);
            double Y(int j) => curve == AucCurve.Roc ? Recall(j) : DivideNoNan(tp[j], tp[j] + fp[j]);
            var height = method switch
            {
                AucSummationMethod.Minoring => Math.Min(Y(i), Y(i + 1)),
                AucSummationMethod.Majoring => Math.Max(Y(i), Y(i + 1)),
                _ => (Y(i) + Y(i + 1)) / 2,
            };
            area += (X(i) - X(i + 1)) * height;
        }

        return area;
    }

    /// <summary>Random sequences <c>[rows, labels]</c>: label l's predictions separate its classes by a different margin; a few out of [0, 1].</summary>
    private static (float[] Prediction, float[] Target, double[] Weights) Data(int seed, int rows, int labels, bool weighted)
    {
        var random = new Random(seed);
        var target = Enumerable.Range(0, rows * labels).Select(_ => random.NextDouble() < 0.4 ? 1f : 0f).ToArray();
        var prediction = target.Select((y, i) => (float)((0.15 * (1 + (i % labels)) * y) + (0.7 * random.NextDouble()) - 0.02)).ToArray();
        var weights = Enumerable.Range(0, rows).Select(_ => weighted ? random.Next(4) : 1.0).ToArray();
        return (prediction, target, weights);
    }

    /// <summary>Feeds the rows to <paramref name="metric"/> in three batches of <c>[batch, time, labels]</c>, weighted per step or not.</summary>
    private static void UpdateInBatches(Auc metric, float[] prediction, float[] target, double[] weights, int time, int labels, bool weighted)
    {
        var offset = 0;
        foreach (var batch in new[] { 4, 1, 7 })
        {
            var n = batch * time;
            var p = TestUtil.ToTensor(prediction[(offset * labels)..((offset + n) * labels)], batch, time, labels);
            var y = TestUtil.ToTensor(target[(offset * labels)..((offset + n) * labels)], batch, time, labels);
            if (weighted)
            {
                metric.Update(p, y, TestUtil.ToTensor(weights[offset..(offset + n)].Select(w => (float)w).ToArray(), batch, time));
            }
            else
            {
                metric.Update(p, y);
            }

            offset += n;
        }

        Assert.Equal(weights.Length, offset);
    }

    private static List<(double P, bool Y, double W)> Column(float[] prediction, float[] target, double[] weights, int labels, int label, double labelWeight = 1)
        => [.. Enumerable.Range(0, weights.Length).Select(r => ((double)prediction[(r * labels) + label], target[(r * labels) + label] != 0, weights[r] * labelWeight))];

    public static TheoryData<AucCurve, AucSummationMethod, int, bool> Settings()
    {
        var data = new TheoryData<AucCurve, AucSummationMethod, int, bool>();
        foreach (var curve in Enum.GetValues<AucCurve>())
        {
            foreach (var method in Enum.GetValues<AucSummationMethod>())
            {
                data.Add(curve, method, 7, false);
                data.Add(curve, method, 200, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void SummationMethods_OverManyBatches_AreKerasRiemannSums(AucCurve curve, AucSummationMethod method, int numThresholds, bool weighted)
    {
        const int Time = 3, Labels = 2;
        var (prediction, target, weights) = Data(41, 36, Labels, weighted);
        var metric = new Auc(numThresholds, curve, method);
        UpdateInBatches(metric, prediction, target, weights, Time, Labels, weighted);

        var flattened = Column(prediction, target, weights, Labels, 0).Concat(Column(prediction, target, weights, Labels, 1)).ToList();
        var expected = Reference(flattened, numThresholds, curve, method);
        Assert.InRange(expected, 0.3, 0.98);
        Assert.Equal(expected, metric.Result, 6);
    }

    [Fact]
    public void EqualPredictions_GiveHalf_ZeroAndOne_AndNoPositivesZero()
    {
        // Every prediction 0.5: the ROC curve has only the points (1, 1) below 0.5 and (0, 0) above, so the trapezoid is
        // ½, its lower bound 0 and its upper bound 1.
        float Evaluate(Auc metric, float[] target)
        {
            metric.Update(TestUtil.ToTensor(Enumerable.Repeat(0.5f, target.Length).ToArray(), target.Length, 1), TestUtil.ToTensor(target, target.Length));
            return metric.Result;
        }

        float[] mixed = [1f, 0, 0, 1, 0];
        Assert.Equal(0.5f, Evaluate(new Auc(), mixed), 6);
        Assert.Equal(0f, Evaluate(new Auc(summationMethod: AucSummationMethod.Minoring), mixed));
        Assert.Equal(1f, Evaluate(new Auc(summationMethod: AucSummationMethod.Majoring), mixed), 6);

        // Without positives, recall is 0 everywhere: no area under either curve.
        foreach (var curve in Enum.GetValues<AucCurve>())
        {
            foreach (var method in Enum.GetValues<AucSummationMethod>())
            {
                Assert.Equal(0f, Evaluate(new Auc(curve: curve, summationMethod: method), [0f, 0, 0]));
            }
        }
    }

    [Theory]
    [InlineData(AucCurve.Roc, AucSummationMethod.Interpolation, false)]
    [InlineData(AucCurve.Roc, AucSummationMethod.Minoring, true)]
    [InlineData(AucCurve.PrecisionRecall, AucSummationMethod.Interpolation, true)]
    [InlineData(AucCurve.PrecisionRecall, AucSummationMethod.Majoring, false)]
    public void MultiLabel_AveragesTheLabelsAreas_WeightedByLabelWeights(AucCurve curve, AucSummationMethod method, bool weighted)
    {
        const int Time = 2, Labels = 3, Thresholds = 50;
        var (prediction, target, weights) = Data(43, 24, Labels, weighted);
        float[] labelWeights = [0.5f, 0f, 3f];
        var plain = new Auc(Thresholds, curve, method, multiLabel: true);
        var byWeights = new Auc(Thresholds, curve, method, multiLabel: true, labelWeights: labelWeights);
        UpdateInBatches(plain, prediction, target, weights, Time, Labels, weighted);
        UpdateInBatches(byWeights, prediction, target, weights, Time, Labels, weighted);

        var areas = Enumerable.Range(0, Labels).Select(l => Reference(Column(prediction, target, weights, Labels, l), Thresholds, curve, method)).ToArray();
        var flattened = Reference([.. Enumerable.Range(0, Labels).SelectMany(l => Column(prediction, target, weights, Labels, l))], Thresholds, curve, method);
        Assert.NotEqual(flattened, areas.Average(), 3);
        Assert.Equal(3, plain.NumLabels);
        Assert.Equal(areas.Average(), plain.Result, 6);
        Assert.Equal(areas.Select((a, l) => a * labelWeights[l]).Sum() / labelWeights.Sum(), byWeights.Result, 6);
    }

    [Fact]
    public void LabelWeights_WithoutMultiLabel_WeighEachColumnsValues()
    {
        const int Time = 2, Labels = 3;
        var (prediction, target, weights) = Data(47, 24, Labels, weighted: true);
        float[] labelWeights = [2f, 0f, 1f];
        var metric = new Auc(numThresholds: 30, labelWeights: labelWeights);
        UpdateInBatches(metric, prediction, target, weights, Time, Labels, weighted: true);

        var flattened = Enumerable.Range(0, Labels).SelectMany(l => Column(prediction, target, weights, Labels, l, labelWeights[l])).ToList();
        var unweighted = Enumerable.Range(0, Labels).SelectMany(l => Column(prediction, target, weights, Labels, l)).ToList();
        Assert.NotEqual(Reference(unweighted, 30, AucCurve.Roc, AucSummationMethod.Interpolation), Reference(flattened, 30, AucCurve.Roc, AucSummationMethod.Interpolation), 3);
        Assert.Equal(Reference(flattened, 30, AucCurve.Roc, AucSummationMethod.Interpolation), metric.Result, 6);
    }

    [Fact]
    public void MultiLabel_FixesTheNumberOfLabelsAtTheFirstBatch_AndResetKeepsIt()
    {
        var metric = new Auc(multiLabel: true);
        Assert.Null(metric.NumLabels);
        Assert.Equal(0f, metric.Result);

        // Label 0 ordered right, label 1 wrong: areas 1 and 0.
        metric.Update(TestUtil.ToTensor([0.9f, 0.2f, 0.1f, 0.8f], 2, 2), TestUtil.ToTensor([1f, 1, 0, 0], 2, 2));
        Assert.Equal(0.5f, metric.Result, 6);
        metric.Reset();
        Assert.Equal(0f, metric.Result);
        Assert.Equal(2, metric.NumLabels);

        var error = Assert.Throws<ArgumentException>(() => metric.Update(TestUtil.ToTensor([0.9f, 0.2f, 0.5f], 1, 3), TestUtil.ToTensor([1f, 0, 0], 1, 3)));
        Assert.Contains("counts 2 labels (from its first batch) but received predictions with 3 labels", error.Message, StringComparison.Ordinal);
        var weights = Assert.Throws<ArgumentException>(() => new Auc(labelWeights: [1f, 2f]).Update(TestUtil.ToTensor([0.9f], 1, 1), TestUtil.ToTensor([1f], 1)));
        Assert.Contains("has 2 label weights but received predictions with 1 labels", weights.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PredictionsOutsideZeroToOne_AreClippedAsKeras()
    {
        // Keras clips to [0, 1] before counting: 1.5 counts as 1 (below the last threshold 1 + 1e-7), −0.5 as 0.
        var clipped = new Auc(numThresholds: 3);
        clipped.Update(TestUtil.ToTensor([1.5f, -0.5f, 0.7f], 3, 1), TestUtil.ToTensor([1f, 0, 0], 3));
        var inRange = new Auc(numThresholds: 3);
        inRange.Update(TestUtil.ToTensor([1f, 0f, 0.7f], 3, 1), TestUtil.ToTensor([1f, 0, 0], 3));
        Assert.Equal(inRange.Result, clipped.Result);
        Assert.Equal(Reference([(1.5, true, 1), (-0.5, false, 1), (0.7, false, 1)], 3, AucCurve.Roc, AucSummationMethod.Interpolation), clipped.Result, 6);
    }

    [Fact]
    public void BadOptions_AreNamed()
    {
        Assert.Contains("expects one label weight per label but received none", Assert.Throws<ArgumentException>(() => new Auc(labelWeights: [])).Message, StringComparison.Ordinal);
        Assert.Contains("finite, non-negative label weights but received -1 at index 1", Assert.Throws<ArgumentException>(() => new Auc(labelWeights: [1f, -1f])).Message, StringComparison.Ordinal);
        Assert.Contains("but received 9", Assert.Throws<ArgumentOutOfRangeException>(() => new Auc(summationMethod: (AucSummationMethod)9)).Message, StringComparison.Ordinal);
        var config = new Dictionary<string, string> { ["num_thresholds"] = "5", ["summation_method"] = "midpoint" };
        Assert.Contains("summation method 'midpoint'", Assert.Throws<ArgumentException>(() => Metric.FromConfig("auc", config)).Message, StringComparison.Ordinal);
        config = new Dictionary<string, string> { ["num_thresholds"] = "5", ["label_weights"] = "1,x" };
        Assert.Contains("'label_weights' must be numbers separated by commas", Assert.Throws<ArgumentException>(() => Metric.FromConfig("auc", config)).Message, StringComparison.Ordinal);
    }
}
