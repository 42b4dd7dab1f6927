using Rnn.Data;

namespace Rnn.Tests.Data;

/// <summary>Keras's timeseries_dataset_from_array semantics; expected windows are built here from the definition.</summary>
public class SlidingWindowsTests
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

    /// <summary>The rows of each window, from the definition: window w starts at startIndex + w·stride and steps by the sampling rate.</summary>
    private static int[][] ExpectedRows(int count, int sequenceLength, int stride, int rate, int startIndex = 0)
        => Enumerable.Range(0, count)
            .Select(w => Enumerable.Range(0, sequenceLength).Select(k => startIndex + (w * stride) + (k * rate)).ToArray())
            .ToArray();

    private static float[] Flatten(int[][] windowRows, int features)
        => windowRows.SelectMany(rows => rows.SelectMany(r => Enumerable.Range(0, features).Select(f => (float)((10 * r) + f)))).ToArray();

    [Fact]
    public void SlidingWindows_KerasExample1_GivesTheDocumentedIndices()
    {
        // Keras docs: indices [0 .. 98], sequence_length=10, sampling_rate=2, sequence_stride=3 give
        // [0 2 .. 18], [3 5 .. 21], [6 8 .. 24], ..., last [78 80 .. 96]; the last 2 points are discarded.
        var (x, y) = TimeSeries.SlidingWindows(Indices(99), null, sequenceLength: 10, sequenceStride: 3, samplingRate: 2);

        Assert.Null(y);
        Assert.Equal([27, 10, 1], TestUtil.Shape(x));
        var values = TestUtil.Span(x);
        Assert.Equal([0f, 2, 4, 6, 8, 10, 12, 14, 16, 18], values[..10].ToArray());
        Assert.Equal([3f, 5, 7, 9, 11, 13, 15, 17, 19, 21], values[10..20].ToArray());
        Assert.Equal([6f, 8, 10, 12, 14, 16, 18, 20, 22, 24], values[20..30].ToArray());
        Assert.Equal([78f, 80, 82, 84, 86, 88, 90, 92, 94, 96], values[^10..].ToArray());
    }

    [Fact]
    public void SlidingWindows_KerasExample2_PairsEachWindowWithTheStepAfterIt()
    {
        // Keras docs: input_data = data[:-10], targets = data[10:], sequence_length=10: window 0 is steps 0-9 and
        // its target is step 10; in general window i is steps i .. i+9 and its target step i+10.
        var data = Indices(30).Select(v => (v * v) + 0.5f).ToArray();

        var (x, y) = TimeSeries.SlidingWindows(data[..^10], data[10..], sequenceLength: 10);

        // 20 input rows hold windows starting at 0 .. 10.
        Assert.Equal([11, 10, 1], TestUtil.Shape(x));
        Assert.Equal([11], TestUtil.Shape(y!));
        for (var i = 0; i < 11; i++)
        {
            Assert.Equal(data[i..(i + 10)], TestUtil.Span(x).Slice(i * 10, 10).ToArray());
            Assert.Equal(data[i + 10], TestUtil.Span(y!)[i]);
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 1, 1)]
    [InlineData(3, 2, 1)]
    [InlineData(3, 1, 2)]
    [InlineData(4, 3, 2)]
    public void SlidingWindows_MultivariateSeries_HoldsEveryFeatureOfEverySampledRow(int sequenceLength, int stride, int rate)
    {
        const int Rows = 20;
        const int Features = 3;
        var span = ((sequenceLength - 1) * rate) + 1;
        var count = ((Rows - span) / stride) + 1;

        var (x, _) = TimeSeries.SlidingWindows(Series(Rows, Features), null, sequenceLength, sequenceStride: stride, samplingRate: rate);

        Assert.Equal([count, sequenceLength, Features], TestUtil.Shape(x));
        Assert.Equal(Flatten(ExpectedRows(count, sequenceLength, stride, rate), Features), TestUtil.Span(x).ToArray());
    }

    [Fact]
    public void SlidingWindows_WindowThatExactlyFits_GivesOneWindow()
    {
        // 3 steps every 2 rows span rows 0, 2, 4: five rows hold exactly one window.
        var (x, y) = TimeSeries.SlidingWindows(Series(5, 2), [7f, 8, 9, 10, 11], sequenceLength: 3, samplingRate: 2);

        Assert.Equal([1, 3, 2], TestUtil.Shape(x));
        Assert.Equal([0f, 1, 20, 21, 40, 41], TestUtil.Span(x).ToArray());
        Assert.Equal([7f], TestUtil.Span(y!).ToArray());
    }

    [Fact]
    public void SlidingWindows_TooFewRowsForOneWindow_GivesNoWindowsLikeKeras()
    {
        var (x, y) = TimeSeries.SlidingWindows(Series(4, 2), [1f, 2, 3, 4], sequenceLength: 3, samplingRate: 2);

        Assert.Equal([0, 3, 2], TestUtil.Shape(x));
        Assert.Equal([0], TestUtil.Shape(y!));
    }

    [Fact]
    public void SlidingWindows_StrideLongerThanTheData_GivesTheFirstWindow()
    {
        // Keras rejects sequence_stride >= len(data); the windows that fit are still well defined: just the first.
        var (x, _) = TimeSeries.SlidingWindows(Indices(5), null, sequenceLength: 4, sequenceStride: 10);
        Assert.Equal([0f, 1, 2, 3], TestUtil.Span(x).ToArray());
    }

    [Fact]
    public void SlidingWindows_StartAndEndIndex_UseOnlyRowsInBetween()
    {
        // Rows 5 .. 11 (end 12 exclusive) hold 3-step windows starting at 5 .. 9; the target of each is the row it starts at.
        var data = Indices(20);
        var (x, y) = TimeSeries.SlidingWindows(data, data, sequenceLength: 3, startIndex: 5, endIndex: 12);

        Assert.Equal([5, 3, 1], TestUtil.Shape(x));
        Assert.Equal(ExpectedRows(5, 3, 1, 1, startIndex: 5).SelectMany(r => r).Select(r => (float)r), TestUtil.Span(x).ToArray());
        Assert.Equal([5f, 6, 7, 8, 9], TestUtil.Span(y!).ToArray());
    }

    [Fact]
    public void SlidingWindows_EndIndexEqualToTheRowCount_IsTheWholeSeries()
    {
        var (whole, _) = TimeSeries.SlidingWindows(Indices(8), null, sequenceLength: 3);
        var (explicitEnd, _) = TimeSeries.SlidingWindows(Indices(8), null, sequenceLength: 3, endIndex: 8);
        Assert.Equal(TestUtil.Span(whole).ToArray(), TestUtil.Span(explicitEnd).ToArray());
    }

    [Fact]
    public void SlidingWindows_ShorterTargets_LimitTheWindowsToStartsWithATarget()
    {
        var (x, y) = TimeSeries.SlidingWindows(Indices(10), [100f, 101, 102, 103], sequenceLength: 2);

        Assert.Equal([4, 2, 1], TestUtil.Shape(x));
        Assert.Equal([100f, 101, 102, 103], TestUtil.Span(y!).ToArray());
    }

    [Fact]
    public void SlidingWindows_MultiColumnTargets_KeepTheirShape()
    {
        var targets = TestUtil.ToTensor(Enumerable.Range(0, 20).Select(i => (float)-i).ToArray(), 10, 2);

        var (_, y) = TimeSeries.SlidingWindows(TestUtil.ToTensor(Indices(10), 10), targets, sequenceLength: 4, sequenceStride: 3);

        // Windows start at rows 0, 3, 6; their targets are those rows of the target table.
        Assert.Equal([3, 2], TestUtil.Shape(y!));
        Assert.Equal([0f, -1, -6, -7, -12, -13], TestUtil.Span(y!).ToArray());
    }

    [Fact]
    public void SlidingWindows_HigherRankSteps_KeepTheirShape()
    {
        var data = TestUtil.ToTensor(Enumerable.Range(0, 5 * 2 * 3).Select(i => (float)i).ToArray(), 5, 2, 3);

        var (x, _) = TimeSeries.SlidingWindows(data, null, sequenceLength: 2, sequenceStride: 2);

        Assert.Equal([2, 2, 2, 3], TestUtil.Shape(x));
        Assert.Equal(Enumerable.Range(0, 12).Concat(Enumerable.Range(12, 12)).Select(i => (float)i), TestUtil.Span(x).ToArray());
    }

    [Fact]
    public void SlidingWindows_Overloads_AgreeWithTheTensorForm()
    {
        var table = Series(12, 3);
        var targets = Indices(12).Select(v => v * 2).ToArray();
        var fromTable = TimeSeries.SlidingWindows(table, targets, 4, sequenceStride: 2, samplingRate: 2);
        var fromTensor = TimeSeries.SlidingWindows(
            TestUtil.ToTensor(table.Cast<float>().ToArray(), 12, 3), TestUtil.ToTensor(targets, 12), 4, sequenceStride: 2, samplingRate: 2);
        Assert.Equal(TestUtil.Shape(fromTensor.X), TestUtil.Shape(fromTable.X));
        Assert.Equal(TestUtil.Span(fromTensor.X).ToArray(), TestUtil.Span(fromTable.X).ToArray());
        Assert.Equal(TestUtil.Span(fromTensor.Y!).ToArray(), TestUtil.Span(fromTable.Y!).ToArray());

        var fromArray = TimeSeries.SlidingWindows(targets, targets, 3);
        var fromVector = TimeSeries.SlidingWindows(TestUtil.ToTensor(targets, 12), TestUtil.ToTensor(targets, 12), 3);
        Assert.Equal([10, 3, 1], TestUtil.Shape(fromArray.X));
        Assert.Equal(TestUtil.Shape(fromVector.X), TestUtil.Shape(fromArray.X));
        Assert.Equal(TestUtil.Span(fromVector.X).ToArray(), TestUtil.Span(fromArray.X).ToArray());
        Assert.Equal(TestUtil.Span(fromVector.Y!).ToArray(), TestUtil.Span(fromArray.Y!).ToArray());
    }

    [Fact]
    public void SlidingWindows_Shuffle_ReordersWholeWindowsAndKeepsTheirTargets()
    {
        // With data = row index, a window's first value names its start row, and its target must be targets[start].
        var data = Indices(40);
        var targets = data.Select(v => 1000 + v).ToArray();

        var (x, y) = TimeSeries.SlidingWindows(data, targets, sequenceLength: 5, sequenceStride: 2, shuffle: true, seed: 11);

        var starts = new List<float>();
        for (var w = 0; w < 18; w++)
        {
            var window = TestUtil.Span(x).Slice(w * 5, 5).ToArray();
            var start = window[0];
            Assert.Equal(Enumerable.Range((int)start, 5).Select(i => (float)i), window);
            Assert.Equal(1000 + start, TestUtil.Span(y!)[w]);
            starts.Add(start);
        }

        Assert.Equal(Enumerable.Range(0, 18).Select(w => (float)(2 * w)), starts.Order());
        Assert.NotEqual(starts.Order(), starts);
    }

    [Fact]
    public void SlidingWindows_Shuffle_IsReproducibleWithASeed()
    {
        var first = TimeSeries.SlidingWindows(Indices(40), null, 5, shuffle: true, seed: 3).X;
        var second = TimeSeries.SlidingWindows(Indices(40), null, 5, shuffle: true, seed: 3).X;
        var other = TimeSeries.SlidingWindows(Indices(40), null, 5, shuffle: true, seed: 4).X;
        Assert.Equal(TestUtil.Span(first).ToArray(), TestUtil.Span(second).ToArray());
        Assert.NotEqual(TestUtil.Span(first).ToArray(), TestUtil.Span(other).ToArray());
    }

    [Theory]
    [InlineData(0, 1, 1, "sequenceLength must be at least 1")]
    [InlineData(3, 0, 1, "sequenceStride must be at least 1")]
    [InlineData(3, 1, 0, "samplingRate must be at least 1")]
    public void SlidingWindows_ThrowsForNonPositiveLengthStrideOrRate(int sequenceLength, int stride, int rate, string message)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TimeSeries.SlidingWindows(Indices(10), null, sequenceLength, stride, rate));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(10)]
    public void SlidingWindows_ThrowsForStartIndexOutsideTheData(int startIndex)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TimeSeries.SlidingWindows(Indices(10), null, 3, startIndex: startIndex));
        Assert.Equal("startIndex", error.ParamName);
        Assert.Contains("startIndex must be at least 0 and lower than the 10 rows of the data", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(2, 1)]
    [InlineData(0, 11)]
    public void SlidingWindows_ThrowsForEndIndexNotAfterStartOrBeyondTheData(int startIndex, int endIndex)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TimeSeries.SlidingWindows(Indices(10), null, 3, startIndex: startIndex, endIndex: endIndex));
        Assert.Equal("endIndex", error.ParamName);
        Assert.Contains($"endIndex must be higher than startIndex ({startIndex}) and at most the 10 rows of the data", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SlidingWindows_ThrowsForEmptyData()
    {
        var error = Assert.Throws<ArgumentException>(() => TimeSeries.SlidingWindows(Array.Empty<float>(), null, 3));
        Assert.Contains("The data has no rows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SlidingWindows_ThrowsForRowsWithoutFeatures()
    {
        var error = Assert.Throws<ArgumentException>(() => TimeSeries.SlidingWindows(new float[5, 0], null, 3));
        Assert.Contains("The data has no values per step (step shape [0])", error.Message, StringComparison.Ordinal);
    }
}
