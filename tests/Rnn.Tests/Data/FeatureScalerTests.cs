using Rnn.Data;

namespace Rnn.Tests.Data;

/// <summary>What both scalers share: the shapes they accept, and the errors for misuse.</summary>
public class FeatureScalerTests
{
    public static TheoryData<string> Scalers => [nameof(StandardScaler), nameof(MinMaxScaler)];

    private static FeatureScaler Create(string name) => name == nameof(StandardScaler) ? new StandardScaler() : new MinMaxScaler();

    [Theory]
    [MemberData(nameof(Scalers))]
    public void AllShapes_GiveTheSameValues(string name)
    {
        // The same 4 rows × 3 features as a table, a flat array, a [rows, features] tensor and a [2, 2, 3] tensor.
        float[] flat = [1, 5, -2, 3, 8, 0, 2, 6, 4, 7, 1, 9];
        var table = new float[4, 3];
        Buffer.BlockCopy(flat, 0, table, 0, flat.Length * sizeof(float));

        var fromFlat = Create(name).FitTransform(flat, features: 3);
        var fromTable = Create(name).FitTransform(table);
        var fromMatrix = Create(name).FitTransform(TestUtil.ToTensor(flat, 4, 3));
        var fromSequences = Create(name).FitTransform(TestUtil.ToTensor(flat, 2, 2, 3));

        Assert.Equal(fromFlat, fromTable.Cast<float>());
        Assert.Equal(fromFlat, TestUtil.Span(fromMatrix).ToArray());
        Assert.Equal(fromFlat, TestUtil.Span(fromSequences).ToArray());
        Assert.Equal([2, 2, 3], TestUtil.Shape(fromSequences));
    }

    [Theory]
    [MemberData(nameof(Scalers))]
    public void SpanTransform_WorksInPlaceAndLeavesTheRestOfTheDestination(string name)
    {
        var scaler = Create(name);
        float[] data = [1, 5, 3, 8, 2, 6];
        var expected = scaler.FitTransform(data, features: 2);

        var inPlace = (float[])data.Clone();
        scaler.Transform(inPlace, inPlace);
        Assert.Equal(expected, inPlace);

        var larger = new float[8];
        larger[^1] = 42f;
        scaler.Transform(data, larger);
        Assert.Equal(expected, larger[..6]);
        Assert.Equal(42f, larger[^1]);

        scaler.InverseTransform(inPlace, inPlace);
        TestUtil.AssertClose(TestUtil.ToDoubles(data), inPlace, 1e-6, "inverse in place");
    }

    [Theory]
    [MemberData(nameof(Scalers))]
    public void UsingBeforeFit_Throws(string name)
    {
        var scaler = Create(name);
        Assert.False(scaler.IsFitted);
        var error = Assert.Throws<InvalidOperationException>(() => scaler.Transform(new float[] { 1f }));
        Assert.Equal($"This {name} is not fitted yet: call Fit on the training data first, or create it from saved parameters.", error.Message);
        Assert.Throws<InvalidOperationException>(() => scaler.InverseTransform(TestUtil.ToTensor([1f], 1, 1)));
        Assert.Throws<InvalidOperationException>(() => scaler.FeatureCount);
    }

    [Fact]
    public void ParametersBeforeFit_Throw()
    {
        Assert.Throws<InvalidOperationException>(() => new StandardScaler().Mean);
        Assert.Throws<InvalidOperationException>(() => new StandardScaler().Scale);
        Assert.Throws<InvalidOperationException>(() => new MinMaxScaler().DataMin);
        Assert.Throws<InvalidOperationException>(() => new MinMaxScaler().DataMax);
        Assert.Throws<InvalidOperationException>(() => new MinMaxScaler().Scale);
        Assert.Throws<InvalidOperationException>(() => new MinMaxScaler().Min);
    }

    [Theory]
    [MemberData(nameof(Scalers))]
    public void Transform_ThrowsForADifferentFeatureCount(string name)
    {
        var scaler = Create(name);
        scaler.Fit(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });

        var tensorError = Assert.Throws<ArgumentException>(() => scaler.Transform(TestUtil.ToTensor(new float[40], 2, 4, 5)));
        Assert.Equal($"This {name} was fitted on 3 features but received data with 5 (shape [2, 4, 5]); the last axis holds the features. (Parameter 'data')", tensorError.Message);

        var tableError = Assert.Throws<ArgumentException>(() => scaler.InverseTransform(new float[4, 2]));
        Assert.Contains("fitted on 3 features but received data with 2 (shape [4, 2])", tableError.Message, StringComparison.Ordinal);

        var flatError = Assert.Throws<ArgumentException>(() => scaler.Transform(new float[7]));
        Assert.Contains("fitted on 3 features, but received 7 values, which is not a whole number of rows of 3", flatError.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Scalers))]
    public void SpanTransform_ThrowsForTooSmallDestination(string name)
    {
        var scaler = Create(name);
        scaler.Fit([1f, 2f]);
        var error = Assert.Throws<ArgumentException>(() => scaler.Transform(new float[] { 1, 2, 3 }, new float[2]));
        Assert.Contains("The destination holds 2 values but the source has 3.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Scalers))]
    public void Fit_ThrowsForNonFiniteValuesNamingWhere(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => Create(name).Fit(new float[,] { { 1, 2 }, { 3, float.NaN } }));
        Assert.Contains($"{name}.Fit received NaN at row 1, feature 1 (shape [2, 2]); remove or fill missing values before fitting.", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Create(name).Fit([float.PositiveInfinity]));
    }

    [Theory]
    [MemberData(nameof(Scalers))]
    public void Fit_ThrowsForNoRows(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => Create(name).Fit(TestUtil.ToTensor(Array.Empty<float>(), 0, 3)));
        Assert.Contains($"{name}.Fit needs at least one row of at least one feature but received shape [0, 3]", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Scalers))]
    public void Fit_ThrowsForFlatValuesThatAreNotWholeRows(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => Create(name).Fit(new float[5], features: 2));
        Assert.Contains($"{name}.Fit received 5 values, which is not a whole number of rows of 2 features.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Scalers))]
    public void Transform_OfNoRows_IsEmpty(string name)
    {
        var scaler = Create(name);
        scaler.Fit(new float[,] { { 1, 2 }, { 3, 5 } });
        Assert.Equal([0, 7, 2], TestUtil.Shape(scaler.Transform(TestUtil.ToTensor(Array.Empty<float>(), 0, 7, 2))));
    }
}
