using System.Numerics.Tensors;
using Rnn.Data;

namespace Rnn.Tests.Data;

public class DataSplitTests
{
    private static Tensor<float> Rows(int rows, int width)
        => TestUtil.ToTensor(Enumerable.Range(0, rows * width).Select(i => (float)i).ToArray(), rows, width);

    [Theory]
    // Keras: split_at = floor(rows × (1 − validation_split)), evaluated in float64 on the literal.
    [InlineData(10, 0.2f, 8)]
    [InlineData(10, 0.25f, 7)] // floor(7.5)
    [InlineData(10, 0.1f, 9)] // 1 − 0.1 = 0.9 and 10 × 0.9 = 9 in float64; 0.1f widened as is would give floor(8.99999998) = 8
    [InlineData(3, 0.5f, 1)]
    [InlineData(1000, 0.33f, 669)] // 1 − 0.33 = 0.6699999999999999 in float64, so floor(669.9999999999999) = 669, as in Keras
    public void ValidationSplitRow_IsWhereKerasCuts(int rows, float validationSplit, int expected)
    {
        Assert.Equal(expected, DataSplit.ValidationSplitRow(rows, validationSplit));
    }

    [Theory]
    [InlineData(1, 0.5f, 0)] // floor(0.5) = 0 training samples
    [InlineData(4, 0.1f, 3)] // floor(3.6) = 3: fine
    [InlineData(10, 0.9f, 0)] // 1 − 0.9 = 0.09999999999999998 in float64, so floor(0.9999999999999998) = 0, as in Keras
    [InlineData(5, 0.01f, 4)] // floor(4.95) = 4: fine
    public void ValidationSplitRow_ThrowsWhenAPartWouldBeEmpty_AsKerasDoes(int rows, float validationSplit, int trainRows)
    {
        if (trainRows > 0 && trainRows < rows)
        {
            Assert.Equal(trainRows, DataSplit.ValidationSplitRow(rows, validationSplit));
            return;
        }

        var error = Assert.Throws<ArgumentException>(() => DataSplit.ValidationSplitRow(rows, validationSplit));
        Assert.Contains($"{rows} samples are not enough to split into a training and a validation set with validationSplit {validationSplit}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"the training set would have {trainRows} samples", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidationSplitRow_ThrowsWhenTheValidationPartWouldBeEmpty()
    {
        // 1 − 1e-20 rounds to 1 in float64, so floor(3 × 1) = 3 leaves nothing to validate on.
        var error = Assert.Throws<ArgumentException>(() => DataSplit.ValidationSplitRow(3, 1e-20f));
        Assert.Contains("the training set would have 3 samples and the validation set 0", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    [InlineData(-0.2f)]
    [InlineData(float.NaN)]
    public void ValidationSplitRow_ThrowsForFractionOutsideZeroToOne(float validationSplit)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => DataSplit.ValidationSplitRow(10, validationSplit));
        Assert.Contains("validationSplit must be a fraction strictly between 0 and 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidationSplit_HoldsOutTheLastRowsInTheirOriginalOrder()
    {
        var x = Rows(10, 3);
        var y = TestUtil.ToTensor(Enumerable.Range(0, 10).Select(i => (float)(i * i)).ToArray(), 10);

        var (train, validation) = DataSplit.ValidationSplit(x, y, 0.2f);

        Assert.Equal([8, 3], TestUtil.Shape(train.X));
        Assert.Equal([2, 3], TestUtil.Shape(validation.X));
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (float)i), TestUtil.Span(train.X).ToArray());
        Assert.Equal(Enumerable.Range(24, 6).Select(i => (float)i), TestUtil.Span(validation.X).ToArray());
        Assert.Equal([0f, 1, 4, 9, 16, 25, 36, 49], TestUtil.Span(train.Y!).ToArray());
        Assert.Equal([64f, 81], TestUtil.Span(validation.Y!).ToArray());
    }

    [Fact]
    public void ValidationSplit_WithoutTargetsGivesNullTargets()
    {
        var (train, validation) = DataSplit.ValidationSplit(Rows(5, 1), null, 0.4f);
        Assert.Equal([3, 1], TestUtil.Shape(train.X));
        Assert.Equal([2, 1], TestUtil.Shape(validation.X));
        Assert.Null(train.Y);
        Assert.Null(validation.Y);
    }

    [Fact]
    public void ValidationSplit_ThrowsForDifferentSampleCounts()
    {
        var error = Assert.Throws<ArgumentException>(() => DataSplit.ValidationSplit(Rows(10, 2), Rows(9, 1), 0.2f));
        Assert.Contains("x and y must have the same number of samples, but x has 10 (shape [10, 2]) and y has 9 (shape [9, 1])", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    public void SplitRows_CutsBeforeTheGivenRow(int row)
    {
        var (head, tail) = DataSplit.SplitRows(Rows(4, 2), row);
        Assert.Equal([row, 2], TestUtil.Shape(head));
        Assert.Equal([4 - row, 2], TestUtil.Shape(tail));
        Assert.Equal(Enumerable.Range(0, 2 * row).Select(i => (float)i), TestUtil.Span(head).ToArray());
        Assert.Equal(Enumerable.Range(2 * row, 8 - (2 * row)).Select(i => (float)i), TestUtil.Span(tail).ToArray());
    }

    [Fact]
    public void SplitRows_ThrowsForRowBeyondTheData()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => DataSplit.SplitRows(Rows(4, 2), 5));
        Assert.Contains("The split row must be between 0 and the 4 rows of the data (shape [4, 2])", error.Message, StringComparison.Ordinal);
    }
}
