using Rnn.Data;

namespace Rnn.Tests.Data;

public class StandardScalerTests
{
    private const double Tolerance = 1e-6;

    [Fact]
    public void Fit_LearnsEachFeaturesMeanAndPopulationStandardDeviation()
    {
        var scaler = new StandardScaler();
        scaler.Fit(new float[,] { { 1, 10 }, { 2, 20 }, { 3, 30 }, { 4, 40 } });

        // Feature 0: mean 2.5, deviations ±1.5, ±0.5, variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25 (divisor n, not n − 1).
        // Feature 1 is feature 0 times 10: mean 25, variance 125.
        Assert.Equal(2, scaler.FeatureCount);
        TestUtil.AssertClose([2.5, 25], [.. scaler.Mean], Tolerance, "mean");
        TestUtil.AssertClose([Math.Sqrt(1.25), Math.Sqrt(125)], [.. scaler.Scale], Tolerance, "scale");
    }

    [Fact]
    public void Transform_SubtractsTheMeanAndDividesByTheScale()
    {
        var scaler = new StandardScaler();
        var scaled = scaler.FitTransform(new float[,] { { 1, 10 }, { 2, 20 }, { 3, 30 }, { 4, 40 } });

        var s = Math.Sqrt(1.25);
        double[] expected = [-1.5 / s, -1.5 / s, -0.5 / s, -0.5 / s, 0.5 / s, 0.5 / s, 1.5 / s, 1.5 / s];
        TestUtil.AssertClose(expected, scaled.Cast<float>().ToArray(), Tolerance, "scaled");
    }

    [Fact]
    public void Transform_ScikitLearnExample()
    {
        // scikit-learn's StandardScaler docs: fit on [[0, 0], [0, 0], [1, 1], [1, 1]] gives mean [0.5, 0.5], and
        // transform([[2, 2]]) gives [[3, 3]].
        var scaler = new StandardScaler();
        scaler.Fit(new float[,] { { 0, 0 }, { 0, 0 }, { 1, 1 }, { 1, 1 } });
        Assert.Equal([0.5f, 0.5f], scaler.Mean);
        Assert.Equal([3f, 3f], scaler.Transform(new float[] { 2, 2 }));
    }

    [Fact]
    public void Transform_UsesTheTrainingStatisticsOnOtherData()
    {
        // Train [0, 2]: mean 1, scale 1. Test data [9, 10, 11] is scaled with those, so it keeps its offset from the
        // training data; fitted on itself it would be centred instead (mean 10, scale √(2/3)).
        var scaler = new StandardScaler();
        scaler.Fit([0f, 2f]);
        Assert.Equal([8f, 9f, 10f], scaler.Transform([9f, 10f, 11f]));

        var leaky = new StandardScaler().FitTransform([9f, 10f, 11f]);
        TestUtil.AssertClose([-1 / Math.Sqrt(2.0 / 3), 0, 1 / Math.Sqrt(2.0 / 3)], leaky, 1e-6, "fitted on the test data itself");
    }

    [Fact]
    public void Fit_ConstantFeature_GetsScaleOneAndTransformsToZero()
    {
        var scaler = new StandardScaler();
        var scaled = scaler.FitTransform(new float[,] { { 5, 1 }, { 5, 2 }, { 5, 3 } });

        Assert.Equal(1f, scaler.Scale[0]);
        Assert.Equal(5f, scaler.Mean[0]);
        Assert.Equal([0f, 0f, 0f], [scaled[0, 0], scaled[1, 0], scaled[2, 0]]);
        // Inverse: 4 × 1 + 5 for the constant feature, 0 × scale + mean 2 for the other.
        Assert.Equal([9f, 2f], scaler.InverseTransform(new float[] { 4, 0 }));
    }

    [Fact]
    public void Fit_SmallButRealVariance_IsNotTreatedAsConstant()
    {
        // Values 0.001 and 0.002 differ by far more than rounding: scale is their standard deviation, 0.0005.
        var scaler = new StandardScaler();
        scaler.Fit([0.001f, 0.002f]);
        TestUtil.AssertClose([(0.002f - 0.001f) / 2.0], [scaler.Scale[0]], 1e-9, "scale");
    }

    [Fact]
    public void Fit_OnBatchTimeFeatures_PoolsEveryStepOfEverySample()
    {
        // [batch 2, time 2, features 2]: feature 0 takes 0, 2, 4, 6 and feature 1 takes 1, 3, 5, 7.
        var data = TestUtil.ToTensor([0f, 1, 2, 3, 4, 5, 6, 7], 2, 2, 2);
        var scaler = new StandardScaler();
        var scaled = scaler.FitTransform(data);

        // Each feature: mean of its four values, variance ((3² + 1² + 1² + 3²) / 4) = 5.
        TestUtil.AssertClose([3, 4], [.. scaler.Mean], Tolerance, "mean");
        TestUtil.AssertClose([Math.Sqrt(5), Math.Sqrt(5)], [.. scaler.Scale], Tolerance, "scale");
        Assert.Equal([2, 2, 2], TestUtil.Shape(scaled));
        var s = Math.Sqrt(5);
        TestUtil.AssertClose([-3 / s, -3 / s, -1 / s, -1 / s, 1 / s, 1 / s, 3 / s, 3 / s], TestUtil.Span(scaled), Tolerance, "scaled");
    }

    [Fact]
    public void InverseTransform_UndoesTransform()
    {
        var random = new Random(5);
        var train = TestUtil.ToFloats(TestUtil.RandomArray(random, 300, 50.0)).Select((v, i) => v + (i % 3 * 1000)).ToArray();
        var test = TestUtil.ToFloats(TestUtil.RandomArray(random, 30, 80.0));
        var scaler = new StandardScaler();
        scaler.Fit(train, features: 3);

        var roundTrip = scaler.InverseTransform(scaler.Transform(test));

        // The scaled value is rounded to float32 (relative 2^-24) and the inverse multiplies that error by the scale,
        // so the round trip is exact to about |x − mean| · 2^-24; the test rows lie up to ~2100 from the means.
        TestUtil.AssertClose(TestUtil.ToDoubles(test), TestUtil.ToDoubles(roundTrip), absolute: 2100 * 2 * Math.Pow(2, -24), relative: 0, "round trip");
    }

    [Fact]
    public void RecreatedFromSavedParameters_TransformsExactlyAsTheOriginal()
    {
        var random = new Random(9);
        var data = TestUtil.ToTensor(TestUtil.RandomArray(random, 4 * 6 * 3, 7.0), 4, 6, 3);
        var original = new StandardScaler();
        original.Fit(data);

        var recreated = new StandardScaler(original.Mean.ToArray(), original.Scale.ToArray());

        Assert.True(recreated.IsFitted);
        Assert.Equal(3, recreated.FeatureCount);
        Assert.Equal(TestUtil.Span(original.Transform(data)).ToArray(), TestUtil.Span(recreated.Transform(data)).ToArray());
        Assert.Equal(TestUtil.Span(original.InverseTransform(data)).ToArray(), TestUtil.Span(recreated.InverseTransform(data)).ToArray());
    }

    [Fact]
    public void Parameters_CannotBeChangedThroughTheProperties()
    {
        var scaler = new StandardScaler();
        scaler.Fit([1f, 3f]);
        Assert.IsNotType<float[]>(scaler.Mean);
        Assert.IsNotType<float[]>(scaler.Scale);
    }

    [Fact]
    public void Fit_AgainReplacesTheParameters()
    {
        var scaler = new StandardScaler();
        scaler.Fit(new float[,] { { 1, 2 }, { 3, 4 } });
        scaler.Fit([10f, 20f, 30f]);
        Assert.Equal(1, scaler.FeatureCount);
        Assert.Equal([20f], scaler.Mean);
    }

    [Fact]
    public void Constructor_ThrowsForMismatchedOrInvalidParameters()
    {
        Assert.Contains(
            "needs one mean and one scale per feature, at least one feature, but received 2 means and 1 scales",
            Assert.Throws<ArgumentException>(() => new StandardScaler([1f, 2f], [1f])).Message,
            StringComparison.Ordinal);
        Assert.Contains("scale[1] is 0; every scale must be finite and positive", Assert.Throws<ArgumentException>(() => new StandardScaler([1f, 2f], [1f, 0f])).Message, StringComparison.Ordinal);
        Assert.Contains("mean[0] is NaN; every mean must be finite", Assert.Throws<ArgumentException>(() => new StandardScaler([float.NaN], [1f])).Message, StringComparison.Ordinal);
    }
}
