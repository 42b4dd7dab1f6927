using Rnn.Data;

namespace Rnn.Tests.Data;

public class ForecastWindowsTests
{
    private static float[] Indices(int count) => Enumerable.Range(0, count).Select(i => (float)i).ToArray();

    /// <summary>A series [rows, features] whose value at (row, feature) is 10 row + feature.</summary>
    private static float[,] Series(int rows, int features)
    {
        var series = new float[rows, features];
        for (var r = 0; r < rows; r++)
        {
            for (var f = 0; f < features; f++)
            {
                series[r, f] = (10 * r) + f;
            }
        }

        return series;
    }

    [Fact]
    public void ForecastWindows_Univariate_TargetsTheStepAfterEachWindow()
    {
        // Windows [w, w+1, w+2] for every w whose next step w+3 exists in 0..9: w = 0..6.
        var (x, y) = TimeSeries.ForecastWindows(Indices(10), sequenceLength: 3);

        Assert.Equal([7, 3, 1], TestUtil.Shape(x));
        Assert.Equal([7, 1], TestUtil.Shape(y));
        Assert.Equal(Enumerable.Range(0, 7).SelectMany(w => new float[] { w, w + 1, w + 2 }), TestUtil.Span(x).ToArray());
        Assert.Equal(Enumerable.Range(0, 7).Select(w => (float)(w + 3)), TestUtil.Span(y).ToArray());
    }

    [Fact]
    public void ForecastWindows_Horizon_CountsRowsAfterTheLastStep()
    {
        // Last step w+2, target w+2+3 = w+5 must exist in 0..9: w = 0..4.
        var (x, y) = TimeSeries.ForecastWindows(Indices(10), sequenceLength: 3, horizon: 3);

        Assert.Equal([5, 3, 1], TestUtil.Shape(x));
        Assert.Equal(Enumerable.Range(0, 5).Select(w => (float)(w + 5)), TestUtil.Span(y).ToArray());
    }

    [Fact]
    public void ForecastWindows_TargetColumns_PicksThoseColumnsInTheGivenOrder()
    {
        var (x, y) = TimeSeries.ForecastWindows(Series(6, 3), sequenceLength: 2, targetColumns: [2, 0]);

        // Windows start at 0..3 (last step w+1, target row w+2 ≤ 5); X keeps all three features.
        Assert.Equal([4, 2, 3], TestUtil.Shape(x));
        Assert.Equal([4, 2], TestUtil.Shape(y));
        var expected = Enumerable.Range(0, 4).SelectMany(w => new float[] { (10 * (w + 2)) + 2, 10 * (w + 2) });
        Assert.Equal(expected, TestUtil.Span(y).ToArray());
        Assert.Equal([0f, 1, 2, 10, 11, 12], TestUtil.Span(x)[..6].ToArray());
    }

    [Fact]
    public void ForecastWindows_WithoutTargetColumns_ForecastsEveryFeature()
    {
        var (_, y) = TimeSeries.ForecastWindows(Series(4, 2), sequenceLength: 2);
        Assert.Equal([2, 2], TestUtil.Shape(y));
        Assert.Equal([20f, 21, 30, 31], TestUtil.Span(y).ToArray());
    }

    [Fact]
    public void ForecastWindows_StrideAndSamplingRate_FollowTheDefinition()
    {
        // 3 steps every 2 rows span 5 rows; the target is 1 row after the last step, so one window needs 6 rows.
        // Starts 0, 2, 4, 6 in 12 rows: window w holds rows 2w, 2w+2, 2w+4 and targets row 2w+5.
        var (x, y) = TimeSeries.ForecastWindows(Indices(12), sequenceLength: 3, sequenceStride: 2, samplingRate: 2);

        Assert.Equal([4, 3, 1], TestUtil.Shape(x));
        Assert.Equal(Enumerable.Range(0, 4).SelectMany(w => new float[] { 2 * w, (2 * w) + 2, (2 * w) + 4 }), TestUtil.Span(x).ToArray());
        Assert.Equal(Enumerable.Range(0, 4).Select(w => (float)((2 * w) + 5)), TestUtil.Span(y).ToArray());
    }

    [Fact]
    public void ForecastWindows_SeriesThatExactlyFits_GivesOneWindow()
    {
        var (x, y) = TimeSeries.ForecastWindows(Indices(6), sequenceLength: 4, horizon: 2);
        Assert.Equal([0f, 1, 2, 3], TestUtil.Span(x).ToArray());
        Assert.Equal([5f], TestUtil.Span(y).ToArray());
    }

    [Fact]
    public void ForecastWindows_ThrowsSayingHowManyRowsAreNeeded()
    {
        var error = Assert.Throws<ArgumentException>(() => TimeSeries.ForecastWindows(Indices(5), sequenceLength: 4, horizon: 2));
        Assert.Equal(
            "ForecastWindows needs at least 6 rows for one window but the series has 5: 4 steps span 4 rows, and the target lies 2 rows after the last of them. (Parameter 'series')",
            error.Message);
    }

    [Fact]
    public void ForecastWindows_ThrowsSayingHowManyRowsAreNeeded_WithSamplingRate()
    {
        var error = Assert.Throws<ArgumentException>(() => TimeSeries.ForecastWindows(Series(5, 2), sequenceLength: 3, samplingRate: 2));
        Assert.StartsWith(
            "ForecastWindows needs at least 6 rows for one window but the series has 5: 3 steps taken every 2 rows span 5 rows, and the target lies 1 row after the last of them.",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void ForecastWindows_MatchesKerasWithTargetsShiftedByTheDelay()
    {
        // Keras: timeseries_dataset_from_array(data, targets=data[delay:, cols], ...) with delay = (L − 1)·rate + horizon.
        const int SequenceLength = 4;
        const int Rate = 2;
        const int Horizon = 3;
        const int Stride = 3;
        const int Delay = ((SequenceLength - 1) * Rate) + Horizon;
        var series = Series(40, 3);
        var shifted = new float[40 - Delay, 2];
        for (var r = 0; r < shifted.GetLength(0); r++)
        {
            shifted[r, 0] = series[r + Delay, 1];
            shifted[r, 1] = series[r + Delay, 2];
        }

        var (x, y) = TimeSeries.ForecastWindows(series, SequenceLength, Horizon, [1, 2], Stride, Rate);
        var keras = TimeSeries.SlidingWindows(
            TestUtil.ToTensor(series.Cast<float>().ToArray(), 40, 3), TestUtil.ToTensor(shifted.Cast<float>().ToArray(), 40 - Delay, 2), SequenceLength, Stride, Rate);

        Assert.Equal(TestUtil.Shape(keras.X), TestUtil.Shape(x));
        Assert.Equal(TestUtil.Span(keras.X).ToArray(), TestUtil.Span(x).ToArray());
        Assert.Equal(TestUtil.Span(keras.Y!).ToArray(), TestUtil.Span(y).ToArray());
    }

    [Fact]
    public void ForecastWindows_ThrowsForZeroHorizon()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TimeSeries.ForecastWindows(Indices(10), 3, horizon: 0));
        Assert.Contains("horizon must be at least 1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    public void ForecastWindows_ThrowsForTargetColumnOutsideTheSeries(int column)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TimeSeries.ForecastWindows(Series(10, 3), 3, targetColumns: [0, column]));
        Assert.Contains($"targetColumns[1] is {column} but the series has 3 features (columns 0 to 2)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForecastWindows_ThrowsForRepeatedTargetColumn()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TimeSeries.ForecastWindows(Series(10, 3), 3, targetColumns: [1, 2, 1]));
        Assert.Contains("targetColumns lists column 1 more than once", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForecastWindows_ThrowsForSeriesOfRankThree()
    {
        var error = Assert.Throws<ArgumentException>(() => TimeSeries.ForecastWindows(TestUtil.ToTensor(new float[24], 4, 3, 2), 2));
        Assert.Contains("expects a series of shape [steps] or [steps, features] but received shape [4, 3, 2]", error.Message, StringComparison.Ordinal);
    }
}
