using System.Globalization;
using System.Numerics.Tensors;

namespace Rnn.Data;

/// <summary>
/// Turns a time series <c>[steps, features]</c> (axis 0 is time) into the windows a recurrent model trains on,
/// <c>X [windows, sequenceLength, features]</c>, with their targets; and splits a series by time.
/// </summary>
/// <remarks>
/// <see cref="SlidingWindows(Tensor{float}, Tensor{float}?, int, int, int, bool, int?, int, int?)"/> follows Keras's
/// <c>keras.utils.timeseries_dataset_from_array</c> (Keras 3, <c>keras/src/utils/timeseries_dataset_utils.py</c>);
/// <see cref="ForecastWindows(Tensor{float}, int, int, ReadOnlySpan{int}, int, int)"/> is the usual forecasting setup
/// built on the same windows. A flat row-major <c>float[]</c> of <c>steps × features</c> values becomes a series
/// without a copy through <c>Tensor.Create(values, [steps, features])</c>.
/// </remarks>
public static class TimeSeries
{
    /// <summary>
    /// Sliding windows over <paramref name="data"/>, with the same windows, order and targets as Keras's
    /// <c>timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride, sampling_rate, shuffle=..., seed=..., start_index, end_index)</c>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Only rows <c>startIndex .. endIndex − 1</c> are used. Window <c>w</c> starts at row
    /// <c>p = startIndex + w × sequenceStride</c> and holds rows <c>p, p + samplingRate, …, p + (sequenceLength − 1) × samplingRate</c>,
    /// so one window spans <c>(sequenceLength − 1) × samplingRate + 1</c> rows; windows are made while they fit before
    /// <paramref name="endIndex"/>. Its target is <c>targets[p]</c>: as in Keras, <c>targets[i]</c> belongs to the window
    /// that <em>starts</em> at row i, so to predict the step after each window pass targets shifted by the window span
    /// (or use <see cref="ForecastWindows(Tensor{float}, int, int, ReadOnlySpan{int}, int, int)"/>). Targets may be
    /// shorter than the data: only windows whose start row has a target are made.
    /// </para>
    /// <para>
    /// Like Keras, a range too short for one window gives zero windows (X of shape <c>[0, sequenceLength, features]</c>),
    /// not an error. Differences from Keras, all deliberate: everything is returned at once (batch with
    /// <see cref="Batching"/>), not as a batched dataset; a 1-D series gets a feature axis of 1 (recurrent layers need
    /// one) where Keras returns <c>[windows, sequenceLength]</c>; a shuffled order is a seeded
    /// <see cref="Batching.Shuffle"/> of the windows, not NumPy's; and Keras's extra rejections of
    /// <c>sequence_stride</c> or <c>sampling_rate</c> not lower than the row count, and of <c>end_index</c> equal to it,
    /// are not made here (those simply give the windows that fit).
    /// </para>
    /// </remarks>
    /// <param name="data">The series, rows first: <c>[steps]</c>, <c>[steps, features]</c>, or <c>[steps, ...]</c> (dense).</param>
    /// <param name="targets">Targets, rows first (<c>[steps]</c> or <c>[steps, ...]</c>), the row for each window's start; or null for none.</param>
    /// <param name="sequenceLength">Steps per window (Keras <c>sequence_length</c>).</param>
    /// <param name="sequenceStride">Rows between the starts of successive windows (Keras <c>sequence_stride</c>).</param>
    /// <param name="samplingRate">Rows between successive steps inside a window (Keras <c>sampling_rate</c>).</param>
    /// <param name="shuffle">Whether to return the windows (and their targets, in step) in a random order rather than in time order.</param>
    /// <param name="seed">Seed for <paramref name="shuffle"/>; null for a random one.</param>
    /// <param name="startIndex">The first row that windows may use (Keras <c>start_index</c>).</param>
    /// <param name="endIndex">One past the last row that windows may use (Keras <c>end_index</c>); null for the row count.</param>
    /// <returns>
    /// <c>X [windows, sequenceLength, features]</c> (for data <c>[steps, d1, d2, …]</c>: <c>[windows, sequenceLength, d1, d2, …]</c>),
    /// and <c>Y [windows, ...]</c> (the targets' shape after the first axis), or null without targets.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException">A length, stride, rate or index is out of range.</exception>
    /// <exception cref="ArgumentException">The data is empty, has no features or is not dense.</exception>
    public static (Tensor<float> X, Tensor<float>? Y) SlidingWindows(
        Tensor<float> data,
        Tensor<float>? targets,
        int sequenceLength,
        int sequenceStride = 1,
        int samplingRate = 1,
        bool shuffle = false,
        int? seed = null,
        int startIndex = 0,
        int? endIndex = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var rows = Batching.RowCount(data, nameof(data));
        var features = Batching.RowSize(data);
        var stepShape = data.Rank == 1 ? [1] : data.Lengths[1..].ToArray();
        if (targets is null)
        {
            return Windows(
                data.AsFlatSpan(), rows, features, stepShape, default, 0, null,
                sequenceLength, sequenceStride, samplingRate, shuffle, seed, startIndex, endIndex);
        }

        var targetRows = Batching.RowCount(targets, nameof(targets));
        return Windows(
            data.AsFlatSpan(), rows, features, stepShape, targets.AsFlatSpan(), targetRows, targets.Lengths[1..].ToArray(),
            sequenceLength, sequenceStride, samplingRate, shuffle, seed, startIndex, endIndex);
    }

    /// <summary>
    /// Sliding windows over a series <c>[steps, features]</c> with one target value per start row; see
    /// <see cref="SlidingWindows(Tensor{float}, Tensor{float}?, int, int, int, bool, int?, int, int?)"/> for the rules.
    /// </summary>
    /// <param name="data">The series, <c>[steps, features]</c>.</param>
    /// <param name="targets">One target per row (the row where a window starts), or null for none.</param>
    /// <param name="sequenceLength">Steps per window.</param>
    /// <param name="sequenceStride">Rows between the starts of successive windows.</param>
    /// <param name="samplingRate">Rows between successive steps inside a window.</param>
    /// <param name="shuffle">Whether to return the windows in a random order.</param>
    /// <param name="seed">Seed for <paramref name="shuffle"/>; null for a random one.</param>
    /// <param name="startIndex">The first row that windows may use.</param>
    /// <param name="endIndex">One past the last row that windows may use; null for the row count.</param>
    /// <returns><c>X [windows, sequenceLength, features]</c> and <c>Y [windows]</c> (null without targets).</returns>
    public static (Tensor<float> X, Tensor<float>? Y) SlidingWindows(
        float[,] data,
        float[]? targets,
        int sequenceLength,
        int sequenceStride = 1,
        int samplingRate = 1,
        bool shuffle = false,
        int? seed = null,
        int startIndex = 0,
        int? endIndex = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Windows(
            Array2D.AsSpan(data), data.GetLength(0), data.GetLength(1), [data.GetLength(1)], targets, targets?.Length ?? 0, targets is null ? null : [],
            sequenceLength, sequenceStride, samplingRate, shuffle, seed, startIndex, endIndex);
    }

    /// <summary>
    /// Sliding windows over a univariate series (one feature); see
    /// <see cref="SlidingWindows(Tensor{float}, Tensor{float}?, int, int, int, bool, int?, int, int?)"/> for the rules.
    /// </summary>
    /// <param name="data">The series, one value per step.</param>
    /// <param name="targets">One target per row (the row where a window starts), or null for none.</param>
    /// <param name="sequenceLength">Steps per window.</param>
    /// <param name="sequenceStride">Rows between the starts of successive windows.</param>
    /// <param name="samplingRate">Rows between successive steps inside a window.</param>
    /// <param name="shuffle">Whether to return the windows in a random order.</param>
    /// <param name="seed">Seed for <paramref name="shuffle"/>; null for a random one.</param>
    /// <param name="startIndex">The first row that windows may use.</param>
    /// <param name="endIndex">One past the last row that windows may use; null for the row count.</param>
    /// <returns><c>X [windows, sequenceLength, 1]</c> and <c>Y [windows]</c> (null without targets).</returns>
    public static (Tensor<float> X, Tensor<float>? Y) SlidingWindows(
        float[] data,
        float[]? targets,
        int sequenceLength,
        int sequenceStride = 1,
        int samplingRate = 1,
        bool shuffle = false,
        int? seed = null,
        int startIndex = 0,
        int? endIndex = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Windows(
            data, data.Length, 1, [1], targets, targets?.Length ?? 0, targets is null ? null : [],
            sequenceLength, sequenceStride, samplingRate, shuffle, seed, startIndex, endIndex);
    }

    /// <summary>
    /// Forecasting pairs: each input is <paramref name="sequenceLength"/> steps of the series and its target is the
    /// value of <paramref name="targetColumns"/> <paramref name="horizon"/> rows after the window's last step.
    /// </summary>
    /// <remarks>
    /// Window <c>w</c> starts at row <c>s = w × sequenceStride</c>, holds rows <c>s, s + samplingRate, …, e = s + (sequenceLength − 1) × samplingRate</c>,
    /// and its target is row <c>e + horizon</c>. Every start whose target exists is used, so one window needs
    /// <c>(sequenceLength − 1) × samplingRate + 1 + horizon</c> rows and a shorter series is an error saying so.
    /// These are exactly the windows and targets of Keras's
    /// <c>timeseries_dataset_from_array(data, targets=data[delay:, targetColumns], sequence_length, sequence_stride, sampling_rate)</c>
    /// with <c>delay = (sequenceLength − 1) × samplingRate + horizon</c> (the temporal-regression example in its documentation, generalized).
    /// </remarks>
    /// <param name="series">The series, <c>[steps]</c> (one feature) or <c>[steps, features]</c> (dense).</param>
    /// <param name="sequenceLength">Steps per input window.</param>
    /// <param name="horizon">How many rows after a window's last step its target lies: 1 forecasts the next step. At least 1, so that a target is never inside its own input.</param>
    /// <param name="targetColumns">The feature columns to forecast, in the order wanted in Y; empty (the default) for all of them.</param>
    /// <param name="sequenceStride">Rows between the starts of successive windows.</param>
    /// <param name="samplingRate">Rows between successive steps inside a window (the horizon still counts rows, not sampled steps).</param>
    /// <returns><c>X [windows, sequenceLength, features]</c> and <c>Y [windows, targetColumns]</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A length, horizon, stride, rate or column is out of range, or a column is listed twice.</exception>
    /// <exception cref="ArgumentException">The series has fewer rows than one window and its target need.</exception>
    public static (Tensor<float> X, Tensor<float> Y) ForecastWindows(
        Tensor<float> series,
        int sequenceLength,
        int horizon = 1,
        ReadOnlySpan<int> targetColumns = default,
        int sequenceStride = 1,
        int samplingRate = 1)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Rank is not (1 or 2))
        {
            throw new ArgumentException(
                $"ForecastWindows expects a series of shape [steps] or [steps, features] but received shape {series.ShapeString()}.", nameof(series));
        }

        var features = series.Rank == 2 ? checked((int)series.Lengths[1]) : 1;
        return Forecast(series.AsFlatSpan(), checked((int)series.Lengths[0]), features, sequenceLength, horizon, targetColumns, sequenceStride, samplingRate);
    }

    /// <summary>Forecasting pairs from a series <c>[steps, features]</c>; see <see cref="ForecastWindows(Tensor{float}, int, int, ReadOnlySpan{int}, int, int)"/>.</summary>
    /// <param name="series">The series, <c>[steps, features]</c>.</param>
    /// <param name="sequenceLength">Steps per input window.</param>
    /// <param name="horizon">How many rows after a window's last step its target lies (at least 1).</param>
    /// <param name="targetColumns">The feature columns to forecast; empty (the default) for all of them.</param>
    /// <param name="sequenceStride">Rows between the starts of successive windows.</param>
    /// <param name="samplingRate">Rows between successive steps inside a window.</param>
    /// <returns><c>X [windows, sequenceLength, features]</c> and <c>Y [windows, targetColumns]</c>.</returns>
    public static (Tensor<float> X, Tensor<float> Y) ForecastWindows(
        float[,] series,
        int sequenceLength,
        int horizon = 1,
        ReadOnlySpan<int> targetColumns = default,
        int sequenceStride = 1,
        int samplingRate = 1)
    {
        ArgumentNullException.ThrowIfNull(series);
        return Forecast(Array2D.AsSpan(series), series.GetLength(0), series.GetLength(1), sequenceLength, horizon, targetColumns, sequenceStride, samplingRate);
    }

    /// <summary>Forecasting pairs from a univariate series; see <see cref="ForecastWindows(Tensor{float}, int, int, ReadOnlySpan{int}, int, int)"/>.</summary>
    /// <param name="series">The series, one value per step.</param>
    /// <param name="sequenceLength">Steps per input window.</param>
    /// <param name="horizon">How many rows after a window's last step its target lies (at least 1).</param>
    /// <param name="sequenceStride">Rows between the starts of successive windows.</param>
    /// <param name="samplingRate">Rows between successive steps inside a window.</param>
    /// <returns><c>X [windows, sequenceLength, 1]</c> and <c>Y [windows, 1]</c>.</returns>
    public static (Tensor<float> X, Tensor<float> Y) ForecastWindows(
        float[] series,
        int sequenceLength,
        int horizon = 1,
        int sequenceStride = 1,
        int samplingRate = 1)
    {
        ArgumentNullException.ThrowIfNull(series);
        return Forecast(series, series.Length, 1, sequenceLength, horizon, default, sequenceStride, samplingRate);
    }

    /// <summary>
    /// Splits a series by time, like scikit-learn's <c>train_test_split(..., shuffle=False)</c>: the test part is the
    /// last <c>ceil(testFraction × steps)</c> rows and the training part the rows before them (the sizes of
    /// <c>_validate_shuffle_split</c> in <c>sklearn/model_selection/_split.py</c>). Split a series this
    /// way <em>before</em> windowing it, and fit scalers on the training part only, so that nothing from the test
    /// period reaches training.
    /// </summary>
    /// <remarks>
    /// With <paramref name="overlap"/> = k the test part also starts with the last k training rows, as inputs only:
    /// with <c>overlap = (sequenceLength − 1) × samplingRate + horizon</c>,
    /// <see cref="ForecastWindows(Tensor{float}, int, int, ReadOnlySpan{int}, int, int)"/> (stride 1) on the test part
    /// forecasts every test row and no other, while no test row is an input or a target of a training window.
    /// </remarks>
    /// <param name="series">The series, rows first (dense).</param>
    /// <param name="testFraction">The fraction of rows to test on, strictly between 0 and 1, read as the decimal it was written as.</param>
    /// <param name="overlap">How many training rows to repeat at the start of the test part (0 to the training row count).</param>
    /// <returns>Copies of the training rows and of the test rows (with the overlap in front).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="testFraction"/> or <paramref name="overlap"/> is out of range.</exception>
    /// <exception cref="ArgumentException">The training part would be empty (scikit-learn raises the same error).</exception>
    public static (Tensor<float> Train, Tensor<float> Test) TrainTestSplit(Tensor<float> series, float testFraction, int overlap = 0)
    {
        ArgumentNullException.ThrowIfNull(series);
        var (trainRows, testStart) = SplitPoint(Batching.RowCount(series, nameof(series)), testFraction, overlap);
        return (Batching.SliceRows(series, 0, trainRows), Batching.SliceRows(series, testStart, (int)series.Lengths[0] - testStart));
    }

    /// <summary>
    /// Splits a table of rows (steps) × features by time; see <see cref="TrainTestSplit(Tensor{float}, float, int)"/>, whose
    /// rules this follows exactly.
    /// </summary>
    /// <param name="series">The series, <c>[steps, features]</c>.</param>
    /// <param name="testFraction">The fraction of rows to test on, strictly between 0 and 1, read as the decimal it was written as.</param>
    /// <param name="overlap">How many training rows to repeat at the start of the test part (0 to the training row count).</param>
    /// <returns>Copies of the training rows and of the test rows (with the overlap in front).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="testFraction"/> or <paramref name="overlap"/> is out of range.</exception>
    /// <exception cref="ArgumentException">The training part would be empty.</exception>
    public static (float[,] Train, float[,] Test) TrainTestSplit(float[,] series, float testFraction, int overlap = 0)
    {
        ArgumentNullException.ThrowIfNull(series);
        var rows = series.GetLength(0);
        var columns = series.GetLength(1);
        var (trainRows, testStart) = SplitPoint(rows, testFraction, overlap);
        var train = new float[trainRows, columns];
        var test = new float[rows - testStart, columns];
        var source = Array2D.AsSpan(series);
        source[..(trainRows * columns)].CopyTo(Array2D.AsSpan(train));
        source[(testStart * columns)..].CopyTo(Array2D.AsSpan(test));
        return (train, test);
    }

    /// <summary>The training row count and the first row of the test part (overlap included) of <paramref name="rows"/> rows.</summary>
    private static (int TrainRows, int TestStart) SplitPoint(int rows, float testFraction, int overlap)
    {
        var fraction = DataSplit.ToDecimalDouble(testFraction, nameof(testFraction));
        var testRows = (int)Math.Ceiling(fraction * rows);
        var trainRows = rows - testRows;
        if (trainRows == 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"With {rows} rows and testFraction {testFraction} the training part would be empty ({testRows} test rows); provide more rows or a smaller testFraction."),
                nameof(testFraction));
        }

        if (overlap < 0 || overlap > trainRows)
        {
            throw new ArgumentOutOfRangeException(
                nameof(overlap), overlap, $"overlap must be between 0 and the {trainRows} training rows.");
        }

        return (trainRows, trainRows - overlap);
    }

    private static (Tensor<float> X, Tensor<float>? Y) Windows(
        ReadOnlySpan<float> data, // [rows, features]
        int rows,
        int features,
        nint[] stepShape, // the shape of one row, at least one axis
        ReadOnlySpan<float> targets, // [targetRows, targetRowSize]
        int targetRows,
        nint[]? targetShape, // the shape of one target row; null without targets
        int sequenceLength,
        int sequenceStride,
        int samplingRate,
        bool shuffle,
        int? seed,
        int startIndex,
        int? endIndex)
    {
        var starts = WindowStarts(nameof(data), rows, features, stepShape, targetRows, targetShape is not null, sequenceLength, sequenceStride, samplingRate, shuffle, seed, startIndex, endIndex);
        var count = starts.Length;
        var x = new float[checked(count * sequenceLength * features)];
        var targetRowSize = targetRows == 0 ? 0 : targets.Length / targetRows;
        var y = targetShape is null ? [] : new float[checked(count * targetRowSize)];
        CopyWindows(data, features, targets, targetRowSize, starts, sequenceLength, samplingRate, x, y);
        var xTensor = Tensor.Create(x, [count, sequenceLength, .. stepShape]);
        return (xTensor, targetShape is null ? null : Tensor.Create(y, [count, .. targetShape]));
    }

    /// <summary>
    /// The first row of every window, in time order or shuffled (seeded), after checking the arguments; see
    /// <see cref="SlidingWindows(Tensor{float}, Tensor{float}?, int, int, int, bool, int?, int, int?)"/> for the rules.
    /// </summary>
    internal static int[] WindowStarts(
        string dataArgument,
        int rows,
        int features,
        nint[] stepShape,
        int targetRows,
        bool hasTargets,
        int sequenceLength,
        int sequenceStride,
        int samplingRate,
        bool shuffle,
        int? seed,
        int startIndex,
        int? endIndex)
    {
        CheckWindowArguments(sequenceLength, sequenceStride, samplingRate);
        if (rows == 0)
        {
            throw new ArgumentException("The data has no rows; a series needs at least one step.", dataArgument);
        }

        if (features == 0)
        {
            throw new ArgumentException($"The data has no values per step (step shape {TensorExtensions.ShapeString(stepShape)}).", dataArgument);
        }

        if (startIndex < 0 || startIndex >= rows)
        {
            throw new ArgumentOutOfRangeException(
                nameof(startIndex), startIndex, $"startIndex must be at least 0 and lower than the {rows} rows of the data.");
        }

        var end = endIndex ?? rows;
        if (end <= startIndex || end > rows)
        {
            throw new ArgumentOutOfRangeException(
                nameof(endIndex), end, $"endIndex must be higher than startIndex ({startIndex}) and at most the {rows} rows of the data.");
        }

        // Start offsets from startIndex that leave room for a whole window before end (Keras's num_seqs), limited to
        // the rows that have a target.
        var positions = end - startIndex - ((long)(sequenceLength - 1) * samplingRate);
        if (hasTargets)
        {
            positions = Math.Min(positions, targetRows - startIndex);
        }

        var count = positions <= 0 ? 0 : checked((int)(((positions - 1) / sequenceStride) + 1));
        var starts = new int[count];
        for (var w = 0; w < count; w++)
        {
            starts[w] = startIndex + (w * sequenceStride);
        }

        if (shuffle)
        {
            Batching.Shuffle(starts, seed ?? Random.Shared.Next());
        }

        return starts;
    }

    /// <summary>The windows that start at <paramref name="starts"/>, and their targets when <paramref name="y"/> is not empty.</summary>
    internal static void CopyWindows(
        ReadOnlySpan<float> data, // [rows, features]
        int features,
        ReadOnlySpan<float> targets, // [targetRows, targetRowSize]
        int targetRowSize,
        ReadOnlySpan<int> starts,
        int sequenceLength,
        int samplingRate,
        Span<float> x, // [starts, sequenceLength, features]
        Span<float> y) // [starts, targetRowSize], or empty
    {
        for (var w = 0; w < starts.Length; w++)
        {
            for (var k = 0; k < sequenceLength; k++)
            {
                data.Slice((starts[w] + (k * samplingRate)) * features, features)
                    .CopyTo(x.Slice(((w * sequenceLength) + k) * features, features));
            }

            if (!y.IsEmpty)
            {
                targets.Slice(starts[w] * targetRowSize, targetRowSize).CopyTo(y.Slice(w * targetRowSize, targetRowSize));
            }
        }
    }

    private static (Tensor<float> X, Tensor<float> Y) Forecast(
        ReadOnlySpan<float> series, // [rows, features]
        int rows,
        int features,
        int sequenceLength,
        int horizon,
        ReadOnlySpan<int> targetColumns,
        int sequenceStride,
        int samplingRate)
    {
        CheckWindowArguments(sequenceLength, sequenceStride, samplingRate);
        if (horizon < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(horizon), horizon, "horizon must be at least 1 (1 forecasts the step right after each window); with 0 the target would be part of its own input.");
        }

        if (features == 0)
        {
            throw new ArgumentException($"The series has {rows} rows of no features; ForecastWindows needs at least one feature.", nameof(series));
        }

        var columns = targetColumns.IsEmpty ? Enumerable.Range(0, features).ToArray() : targetColumns.ToArray();
        for (var j = 0; j < columns.Length; j++)
        {
            if ((uint)columns[j] >= (uint)features)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(targetColumns), columns[j], $"targetColumns[{j}] is {columns[j]} but the series has {features} features (columns 0 to {features - 1}).");
            }

            if (Array.IndexOf(columns, columns[j], 0, j) >= 0)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(targetColumns), columns[j], $"targetColumns lists column {columns[j]} more than once.");
            }
        }

        var span = ((long)(sequenceLength - 1) * samplingRate) + 1;
        var needed = span + horizon;
        if (rows < needed)
        {
            throw new ArgumentException(
                $"ForecastWindows needs at least {needed} rows for one window but the series has {rows}: "
                + $"{sequenceLength} steps {(samplingRate == 1 ? string.Empty : $"taken every {samplingRate} rows ")}span {span} rows, "
                + $"and the target lies {horizon} {(horizon == 1 ? "row" : "rows")} after the last of them.",
                nameof(series));
        }

        var count = checked((int)(((rows - needed) / sequenceStride) + 1));
        var delay = (int)(span - 1) + horizon;
        var x = new float[checked(count * sequenceLength * features)];
        var y = new float[checked(count * columns.Length)];
        for (var w = 0; w < count; w++)
        {
            var start = w * sequenceStride;
            for (var k = 0; k < sequenceLength; k++)
            {
                series.Slice((start + (k * samplingRate)) * features, features)
                    .CopyTo(x.AsSpan(((w * sequenceLength) + k) * features, features));
            }

            var targetRow = series.Slice((start + delay) * features, features);
            for (var j = 0; j < columns.Length; j++)
            {
                y[(w * columns.Length) + j] = targetRow[columns[j]];
            }
        }

        return (Tensor.Create(x, [count, sequenceLength, features]), Tensor.Create(y, [count, columns.Length]));
    }

    private static void CheckWindowArguments(int sequenceLength, int sequenceStride, int samplingRate)
    {
        if (sequenceLength < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(sequenceLength), sequenceLength, "sequenceLength must be at least 1 (steps per window).");
        }

        if (sequenceStride < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(sequenceStride), sequenceStride, "sequenceStride must be at least 1 (rows between window starts).");
        }

        if (samplingRate < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(samplingRate), samplingRate, "samplingRate must be at least 1 (rows between steps in a window).");
        }
    }
}
