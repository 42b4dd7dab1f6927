using Rnn.Data;

namespace Rnn.Tests.Data;

public class MinMaxScalerTests
{
    private static readonly float[,] ScikitLearnExample = { { -1, 2 }, { -0.5f, 6 }, { 0, 10 }, { 1, 18 } };

    [Fact]
    public void Transform_ScikitLearnExample()
    {
        // scikit-learn's MinMaxScaler docs: data_max_ [1, 18]; the data maps to [[0, 0], [.25, .25], [.5, .5], [1, 1]]
        // and [[2, 2]] (outside the training range) to [[1.5, 0]].
        var scaler = new MinMaxScaler();
        var scaled = scaler.FitTransform(ScikitLearnExample);

        Assert.Equal([-1f, 2f], scaler.DataMin);
        Assert.Equal([1f, 18f], scaler.DataMax);
        Assert.Equal(new float[,] { { 0, 0 }, { 0.25f, 0.25f }, { 0.5f, 0.5f }, { 1, 1 } }, scaled);
        Assert.Equal([1.5f, 0f], scaler.Transform(new float[] { 2, 2 }));
    }

    [Fact]
    public void ScaleAndMin_AreTheAffineMapFromTheDataRangeOntoTheFeatureRange()
    {
        // scale = (1 − 0) / (max − min) = [1/2, 1/16]; min = 0 − dataMin · scale = [0.5, −0.125].
        var scaler = new MinMaxScaler();
        scaler.Fit(ScikitLearnExample);
        Assert.Equal([0.5f, 0.0625f], scaler.Scale);
        Assert.Equal([0.5f, -0.125f], scaler.Min);
    }

    [Fact]
    public void Transform_MapsOntoTheGivenFeatureRange()
    {
        var scaler = new MinMaxScaler(featureRange: (-1, 1));
        var scaled = scaler.FitTransform(ScikitLearnExample);
        Assert.Equal((-1f, 1f), scaler.FeatureRange);
        Assert.Equal(new float[,] { { -1, -1 }, { -0.5f, -0.5f }, { 0, 0 }, { 1, 1 } }, scaled);
    }

    [Fact]
    public void Transform_WithClip_KeepsValuesInsideTheFeatureRange()
    {
        var scaler = new MinMaxScaler(clip: true);
        scaler.Fit(ScikitLearnExample);
        Assert.True(scaler.Clip);
        Assert.Equal([1f, 0f, 0f, 1f], scaler.Transform(new float[] { 2, 2, -3, 50 }));
        // Clipping belongs to Transform only: the inverse maps any value back.
        Assert.Equal([3f, 34f], scaler.InverseTransform(new float[] { 2, 2 }));
    }

    [Fact]
    public void Fit_ConstantFeature_MapsToTheRangeMinimumAndBack()
    {
        var scaler = new MinMaxScaler(featureRange: (2, 4));
        var scaled = scaler.FitTransform(new float[,] { { 7, 0 }, { 7, 1 } });

        Assert.Equal(2f, scaler.Scale[0]); // (4 − 2) / 1: the zero range is replaced by 1
        Assert.Equal([2f, 2f], [scaled[0, 0], scaled[1, 0]]);
        Assert.Equal([7f, 0f], scaler.InverseTransform(new float[] { 2, 2 }));
    }

    [Fact]
    public void Fit_RangeBelowTenFloat32Epsilons_CountsAsConstant_AsScikitLearn()
    {
        // scikit-learn's _handle_zeros_in_scale replaces ranges below 10 × 2^-23 ≈ 1.19e-6 by 1.
        var scaler = new MinMaxScaler();
        scaler.Fit([0f, 5e-7f, 1e-6f]);
        Assert.Equal(1f, scaler.Scale[0]);

        scaler.Fit([0f, 1e-6f, 2e-6f]);
        Assert.Equal(5e5f, scaler.Scale[0], 1e-1f);

        scaler.Fit([0f, 1e-6f, 2e-6f, 1e-3f]);
        Assert.Equal(1000f, scaler.Scale[0], 1e-3f);
    }

    [Fact]
    public void InverseTransform_UndoesTransform()
    {
        var random = new Random(13);
        var train = TestUtil.ToTensor(TestUtil.RandomArray(random, 5 * 4 * 2, 30.0), 5, 4, 2);
        var test = TestUtil.ToTensor(TestUtil.RandomArray(random, 3 * 4 * 2, 60.0), 3, 4, 2);
        var scaler = new MinMaxScaler(featureRange: (-1, 1));
        scaler.Fit(train);

        var roundTrip = scaler.InverseTransform(scaler.Transform(test));

        Assert.Equal([3, 4, 2], TestUtil.Shape(roundTrip));
        TestUtil.AssertClose(TestUtil.ToDoubles(TestUtil.Span(test)), TestUtil.Span(roundTrip), 1e-6, "round trip");
    }

    [Fact]
    public void RecreatedFromSavedParameters_TransformsExactlyAsTheOriginal()
    {
        var random = new Random(21);
        var data = TestUtil.ToFloats(TestUtil.RandomArray(random, 60, 9.0));
        var original = new MinMaxScaler(featureRange: (-2, 3), clip: true);
        original.Fit(data, features: 4);

        var recreated = new MinMaxScaler(original.DataMin.ToArray(), original.DataMax.ToArray(), original.FeatureRange, original.Clip);

        Assert.Equal(original.Scale, recreated.Scale);
        Assert.Equal(original.Min, recreated.Min);
        var probe = data.Select(v => v * 1.5f).ToArray();
        Assert.Equal(original.Transform(probe), recreated.Transform(probe));
        Assert.Equal(original.InverseTransform(probe), recreated.InverseTransform(probe));
    }

    [Theory]
    [InlineData(1f, 0f)]
    [InlineData(1f, 1f)]
    [InlineData(0f, float.PositiveInfinity)]
    public void Constructor_ThrowsForEmptyOrReversedFeatureRange(float low, float high)
    {
        var error = Assert.Throws<ArgumentException>(() => new MinMaxScaler(featureRange: (low, high)));
        Assert.Contains($"The feature range's minimum must be below its maximum (both finite) but received ({low}, {high})", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_ThrowsForMinimumAboveMaximum()
    {
        var error = Assert.Throws<ArgumentException>(() => new MinMaxScaler([0f, 5f], [1f, 4f]));
        Assert.Contains("Feature 1 has minimum 5 and maximum 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_ThrowsForMismatchedParameterCounts()
    {
        var error = Assert.Throws<ArgumentException>(() => new MinMaxScaler([0f], [1f, 2f]));
        Assert.Contains("received 1 minimums and 2 maximums", error.Message, StringComparison.Ordinal);
    }
}
