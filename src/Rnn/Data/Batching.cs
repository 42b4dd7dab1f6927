using System.Numerics.Tensors;

namespace Rnn.Data;

/// <summary>
/// What a training loop needs to draw mini-batches: a seeded shuffle of row indices and row gathers into a reusable
/// buffer. A "row" is one slice along the first axis: a sample of <c>[samples, ...]</c>, a window of
/// <c>[windows, time, features]</c>, a time step of <c>[steps, features]</c>.
/// </summary>
/// <example>
/// One epoch over <c>x [n, time, features]</c> with a buffer allocated once:
/// <code>
/// var order = Batching.ShuffledIndices(n, seed: epoch);
/// var rowSize = (int)(x.FlattenedLength / n);
/// var buffer = new float[batchSize * rowSize];
/// for (var start = 0; start &lt; n; start += batchSize)
/// {
///     var rows = order.AsSpan(start, Math.Min(batchSize, n - start));
///     var count = Batching.GatherRows(x, rows, buffer);
///     // buffer[..count] now holds x[rows[0]], x[rows[1]], ... back to back.
/// }
/// </code>
/// </example>
public static class Batching
{
    /// <summary>
    /// A random permutation of <c>0 .. count - 1</c>, the same for the same <paramref name="seed"/> on every machine
    /// and .NET version (Fisher–Yates driven by SplitMix64; see <see cref="Shuffle"/>).
    /// </summary>
    /// <param name="count">How many indices; 0 gives an empty array.</param>
    /// <param name="seed">The seed. For a new order each epoch pass a seed that changes with the epoch.</param>
    /// <returns>A new array holding each of <c>0 .. count - 1</c> once.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public static int[] ShuffledIndices(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var indices = new int[count];
        for (var i = 0; i < count; i++)
        {
            indices[i] = i;
        }

        Shuffle(indices, seed);
        return indices;
    }

    /// <summary>
    /// Shuffles <paramref name="values"/> in place, deterministically for a given <paramref name="seed"/>: the
    /// Fisher–Yates (Durstenfeld) shuffle, for i from the last index down to 1 swapping element i with element j,
    /// j uniform in [0, i], drawn by Lemire's unbiased bounded method from the SplitMix64 sequence of the seed.
    /// </summary>
    /// <param name="values">The values to reorder.</param>
    /// <param name="seed">The seed; the same seed and length always give the same reordering.</param>
    public static void Shuffle(Span<int> values, int seed)
    {
        new RandomSource(seed).Shuffle(values);
    }

    /// <summary>
    /// Copies rows <paramref name="rows"/> of <paramref name="source"/>, in that order, back to back into the start
    /// of <paramref name="destination"/>. Allocates nothing, so one buffer can serve every batch of an epoch; a
    /// buffer sized for a full batch also takes the smaller last batch.
    /// </summary>
    /// <param name="source">A dense tensor of rank 1 or more; its first axis indexes the rows.</param>
    /// <param name="rows">The row indices to copy; repeats are allowed.</param>
    /// <param name="destination">Receives <c>rows.Length × rowSize</c> values, where <c>rowSize</c> is the product of the source's lengths after the first.</param>
    /// <returns>The number of values written: <c>rows.Length × rowSize</c>.</returns>
    /// <exception cref="ArgumentException">The source has rank 0 or is not dense, or the destination is too small.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A row index is outside the source.</exception>
    public static int GatherRows(Tensor<float> source, ReadOnlySpan<int> rows, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        var rowCount = RowCount(source, nameof(source));
        var rowSize = RowSize(source);
        var needed = (long)rows.Length * rowSize;
        if (destination.Length < needed)
        {
            throw new ArgumentException(
                $"The destination holds {destination.Length} values but {rows.Length} rows of {rowSize} values (source shape {source.ShapeString()}) need {needed}.",
                nameof(destination));
        }

        var values = source.AsFlatSpan();
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            if ((uint)row >= (uint)rowCount)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(rows), row, $"Row index rows[{i}] is {row} but the source has {rowCount} rows (shape {source.ShapeString()}).");
            }

            values.Slice(row * rowSize, rowSize).CopyTo(destination.Slice(i * rowSize, rowSize));
        }

        return (int)needed;
    }

    /// <summary>Copies rows <paramref name="rows"/> of <paramref name="source"/>, in that order, into a new tensor.</summary>
    /// <param name="source">A dense tensor of rank 1 or more; its first axis indexes the rows.</param>
    /// <param name="rows">The row indices to copy; repeats are allowed.</param>
    /// <returns>A tensor of shape <c>[rows.Length, ...]</c>, the source's shape after the first axis.</returns>
    /// <exception cref="ArgumentException">The source has rank 0 or is not dense.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A row index is outside the source.</exception>
    public static Tensor<float> GatherRows(Tensor<float> source, ReadOnlySpan<int> rows)
    {
        ArgumentNullException.ThrowIfNull(source);
        RowCount(source, nameof(source));
        var result = new float[checked(rows.Length * RowSize(source))];
        GatherRows(source, rows, result);
        return Tensor.Create(result, WithRows(source.Lengths, rows.Length));
    }

    /// <summary>Copies the <paramref name="count"/> consecutive rows starting at <paramref name="start"/> into a new tensor.</summary>
    /// <param name="source">A dense tensor of rank 1 or more; its first axis indexes the rows.</param>
    /// <param name="start">The first row to copy.</param>
    /// <param name="count">How many rows to copy; 0 gives an empty tensor.</param>
    /// <returns>A tensor of shape <c>[count, ...]</c>, the source's shape after the first axis.</returns>
    /// <exception cref="ArgumentException">The source has rank 0 or is not dense.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the source.</exception>
    public static Tensor<float> SliceRows(Tensor<float> source, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(source);
        var rowCount = RowCount(source, nameof(source));
        if (start < 0 || count < 0 || start > rowCount - count)
        {
            throw new ArgumentOutOfRangeException(
                nameof(count), $"Rows {start} .. {start + count - 1} ({count} rows from {start}) are not inside the source's {rowCount} rows (shape {source.ShapeString()}).");
        }

        var rowSize = RowSize(source);
        var result = source.AsFlatSpan().Slice(start * rowSize, count * rowSize).ToArray();
        return Tensor.Create(result, WithRows(source.Lengths, count));
    }

    /// <summary>The length of the first axis, after checking that there is one.</summary>
    internal static int RowCount(Tensor<float> tensor, string parameterName)
    {
        if (tensor.Rank < 1)
        {
            throw new ArgumentException("Expected a tensor of rank 1 or more whose first axis indexes the rows, but received a scalar (rank 0).", parameterName);
        }

        return checked((int)tensor.Lengths[0]);
    }

    /// <summary>The number of values in one row: the product of the lengths after the first.</summary>
    internal static int RowSize(Tensor<float> tensor)
    {
        var size = 1;
        var lengths = tensor.Lengths;
        for (var i = 1; i < lengths.Length; i++)
        {
            size = checked(size * (int)lengths[i]);
        }

        return size;
    }

    /// <summary>The lengths <paramref name="lengths"/> with the first replaced by <paramref name="rows"/>.</summary>
    internal static nint[] WithRows(ReadOnlySpan<nint> lengths, int rows)
    {
        var result = lengths.ToArray();
        result[0] = rows;
        return result;
    }
}
