using System.Globalization;
using System.Numerics.Tensors;

namespace Rnn.Data;

/// <summary>
/// Splits of samples into a training and a validation part by row, as Keras's <c>Model.fit(validation_split=...)</c>
/// does. For splitting one long series by time before windowing it, see <see cref="TimeSeries.TrainTestSplit(System.Numerics.Tensors.Tensor{float}, float, int)"/>.
/// </summary>
public static class DataSplit
{
    /// <summary>
    /// The row where Keras's <c>validation_split</c> cuts <paramref name="rows"/> samples:
    /// <c>floor(rows × (1 − validationSplit))</c>. Rows before it train, rows from it on validate: the validation
    /// data is the <em>last</em> fraction of the samples, taken before any shuffling (Keras 3,
    /// <c>keras/src/trainers/data_adapters/array_slicing.py</c>, <c>train_validation_split</c>, and the
    /// <c>Model.fit</c> documentation).
    /// </summary>
    /// <param name="rows">The number of samples.</param>
    /// <param name="validationSplit">The fraction to hold out, strictly between 0 and 1. It is read as the decimal it was written as (0.1f as 0.1), so the cut is the one Keras makes for the same literal.</param>
    /// <returns>The number of training rows, which is also the first validation row.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="validationSplit"/> is not strictly between 0 and 1, or <paramref name="rows"/> is negative.</exception>
    /// <exception cref="ArgumentException">One of the two parts would be empty (Keras raises the same error).</exception>
    public static int ValidationSplitRow(int rows, float validationSplit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        var fraction = ToDecimalDouble(validationSplit, nameof(validationSplit));
        var trainRows = (int)Math.Floor(rows * (1.0 - fraction));
        if (trainRows == 0 || trainRows == rows)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{rows} samples are not enough to split into a training and a validation set with validationSplit {validationSplit}: the training set would have {trainRows} samples and the validation set {rows - trainRows}. Provide more samples or a different validationSplit."),
                nameof(rows));
        }

        return trainRows;
    }

    /// <summary>
    /// Splits inputs and targets into a training part and a validation part, the validation part being the last
    /// <paramref name="validationSplit"/> of the rows, before any shuffling, as Keras's <c>validation_split</c>
    /// (see <see cref="ValidationSplitRow"/> for where the cut falls). Shuffle the training part only, afterwards.
    /// </summary>
    /// <param name="x">Inputs, samples first (dense).</param>
    /// <param name="y">Targets with as many rows as <paramref name="x"/>, or null.</param>
    /// <param name="validationSplit">The fraction to hold out, strictly between 0 and 1.</param>
    /// <returns>Copies of the training rows and of the validation rows; the Y parts are null when <paramref name="y"/> is.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/> and <paramref name="y"/> differ in rows, or a part would be empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="validationSplit"/> is not strictly between 0 and 1.</exception>
    public static ((Tensor<float> X, Tensor<float>? Y) Train, (Tensor<float> X, Tensor<float>? Y) Validation) ValidationSplit(
        Tensor<float> x, Tensor<float>? y, float validationSplit)
    {
        ArgumentNullException.ThrowIfNull(x);
        var rows = Batching.RowCount(x, nameof(x));
        if (y is not null && Batching.RowCount(y, nameof(y)) != rows)
        {
            throw new ArgumentException(
                $"x and y must have the same number of samples, but x has {rows} (shape {x.ShapeString()}) and y has {y.Lengths[0]} (shape {y.ShapeString()}).",
                nameof(y));
        }

        var split = ValidationSplitRow(rows, validationSplit);
        var (xTrain, xValidation) = SplitRows(x, split);
        if (y is null)
        {
            return ((xTrain, null), (xValidation, null));
        }

        var (yTrain, yValidation) = SplitRows(y, split);
        return ((xTrain, yTrain), (xValidation, yValidation));
    }

    /// <summary>Splits a tensor into its rows before <paramref name="row"/> and its rows from <paramref name="row"/> on (copies).</summary>
    /// <param name="data">A dense tensor of rank 1 or more; its first axis indexes the rows.</param>
    /// <param name="row">The first row of the second part, 0 to the row count.</param>
    /// <returns>The two parts, each of shape <c>[rows in part, ...]</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is outside 0 .. the row count.</exception>
    public static (Tensor<float> Head, Tensor<float> Tail) SplitRows(Tensor<float> data, int row)
    {
        ArgumentNullException.ThrowIfNull(data);
        var rows = Batching.RowCount(data, nameof(data));
        if (row < 0 || row > rows)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"The split row must be between 0 and the {rows} rows of the data (shape {data.ShapeString()}).");
        }

        return (Batching.SliceRows(data, 0, row), Batching.SliceRows(data, row, rows - row));
    }

    /// <summary>
    /// A fraction given as a float, read as the shortest decimal that round-trips (0.1f → 0.1), so that arithmetic on
    /// it matches Python's on the same literal; checked to lie strictly between 0 and 1.
    /// </summary>
    internal static double ToDecimalDouble(float fraction, string parameterName)
    {
        if (!(fraction > 0f && fraction < 1f))
        {
            throw new ArgumentOutOfRangeException(
                parameterName, fraction, string.Create(CultureInfo.InvariantCulture, $"{parameterName} must be a fraction strictly between 0 and 1 but was {fraction}."));
        }

        return double.Parse(fraction.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }
}
