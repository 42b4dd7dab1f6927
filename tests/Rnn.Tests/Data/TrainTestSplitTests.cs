using Rnn.Data;

namespace Rnn.Tests.Data;

public class TrainTestSplitTests
{
    private static float[] Indices(int count) => Enumerable.Range(0, count).Select(i => (float)i).ToArray();

    [Theory]
    // scikit-learn: n_test = ceil(test_size × n) in float64, n_train = n − n_test, order kept (shuffle=False).
    [InlineData(10, 0.2f, 2)]
    [InlineData(10, 0.25f, 3)] // ceil(2.5)
    [InlineData(10, 0.1f, 1)] // 0.1 × 10 = 1 in float64; 0.1f widened as is would give ceil(1.0000000149) = 2
    [InlineData(7, 0.5f, 4)] // ceil(3.5)
    public void TrainTestSplit_TestsOnTheLastRows(int rows, float testFraction, int testRows)
    {
        var (train, test) = TimeSeries.TrainTestSplit(Indices(rows), testFraction);

        Assert.Equal(Indices(rows - testRows), TestUtil.Span(train).ToArray());
        Assert.Equal(Indices(rows)[(rows - testRows)..], TestUtil.Span(test).ToArray());
    }

    [Fact]
    public void TrainTestSplit_KeepsTheFeatureAxis()
    {
        var series = TestUtil.ToTensor(Indices(20), 10, 2);
        var (train, test) = TimeSeries.TrainTestSplit(series, 0.3f);
        Assert.Equal([7, 2], TestUtil.Shape(train));
        Assert.Equal([3, 2], TestUtil.Shape(test));
        Assert.Equal(Indices(20)[14..], TestUtil.Span(test).ToArray());
    }

    [Fact]
    public void TrainTestSplit_Overlap_RepeatsTheLastTrainingRowsBeforeTheTestRows()
    {
        var (train, test) = TimeSeries.TrainTestSplit(Indices(10), 0.2f, overlap: 3);
        Assert.Equal(Indices(8), TestUtil.Span(train).ToArray());
        Assert.Equal([5f, 6, 7, 8, 9], TestUtil.Span(test).ToArray());
    }

    [Fact]
    public void TrainTestSplit_OverlapOfOneWindowAndHorizon_ForecastsExactlyTheTestRows()
    {
        const int SequenceLength = 4;
        const int Rate = 2;
        const int Horizon = 2;
        var (train, test) = TimeSeries.TrainTestSplit(Indices(50), 0.2f, overlap: ((SequenceLength - 1) * Rate) + Horizon);

        var (_, trainTargets) = TimeSeries.ForecastWindows(train, SequenceLength, Horizon, samplingRate: Rate);
        var (_, testTargets) = TimeSeries.ForecastWindows(test, SequenceLength, Horizon, samplingRate: Rate);

        Assert.Equal(Indices(50)[40..], TestUtil.Span(testTargets).ToArray());
        Assert.True(TestUtil.Span(trainTargets).ToArray().Max() < 40, "no training target lies in the test period");
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    [InlineData(float.NaN)]
    public void TrainTestSplit_ThrowsForFractionOutsideZeroToOne(float testFraction)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TimeSeries.TrainTestSplit(Indices(10), testFraction));
        Assert.Contains("testFraction must be a fraction strictly between 0 and 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainTestSplit_ThrowsWhenTheTrainingPartWouldBeEmpty()
    {
        // ceil(0.95 × 3) = 3 test rows leave none to train on.
        var error = Assert.Throws<ArgumentException>(() => TimeSeries.TrainTestSplit(Indices(3), 0.95f));
        Assert.Contains("With 3 rows and testFraction 0.95 the training part would be empty (3 test rows)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(9)]
    public void TrainTestSplit_ThrowsForOverlapOutsideTheTrainingRows(int overlap)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TimeSeries.TrainTestSplit(Indices(10), 0.2f, overlap));
        Assert.Contains("overlap must be between 0 and the 8 training rows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainTestSplit_OfATable_GivesTablesOfTheSameRows()
    {
        // 10 rows × 2 features, value = 10 · row + column; 0.3 → ceil(3) test rows, plus 2 rows of overlap.
        var table = new float[10, 2];
        for (var r = 0; r < 10; r++)
        {
            table[r, 0] = 10 * r;
            table[r, 1] = (10 * r) + 1;
        }

        var (train, test) = TimeSeries.TrainTestSplit(table, 0.3f, overlap: 2);

        Assert.Equal(new float[,] { { 0, 1 }, { 10, 11 }, { 20, 21 }, { 30, 31 }, { 40, 41 }, { 50, 51 }, { 60, 61 } }, train);
        Assert.Equal(new float[,] { { 50, 51 }, { 60, 61 }, { 70, 71 }, { 80, 81 }, { 90, 91 } }, test);
        table[9, 1] = -1;
        Assert.Equal(91, test[4, 1]); // copies, not views
    }

    [Fact]
    public void TrainTestSplit_OfATable_ValidatesAsTheTensorFormDoes()
    {
        var fraction = Assert.Throws<ArgumentOutOfRangeException>(() => TimeSeries.TrainTestSplit(new float[10, 2], 1f));
        Assert.Contains("testFraction must be a fraction strictly between 0 and 1", fraction.Message, StringComparison.Ordinal);
        var empty = Assert.Throws<ArgumentException>(() => TimeSeries.TrainTestSplit(new float[3, 2], 0.95f));
        Assert.Contains("With 3 rows and testFraction 0.95 the training part would be empty (3 test rows)", empty.Message, StringComparison.Ordinal);
        var overlap = Assert.Throws<ArgumentOutOfRangeException>(() => TimeSeries.TrainTestSplit(new float[10, 2], 0.2f, overlap: 9));
        Assert.Contains("overlap must be between 0 and the 8 training rows", overlap.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => TimeSeries.TrainTestSplit((float[,])null!, 0.2f));
    }
}
