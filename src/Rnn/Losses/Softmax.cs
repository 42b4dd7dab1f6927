using System.Diagnostics;
using System.Numerics.Tensors;

namespace Rnn.Losses;

/// <summary>
/// Row-wise softmax over <c>[rows, classes]</c>, computed stably: every row is shifted by its maximum
/// before exponentiating, so no exponent exceeds 0 and no logit overflows (softmax is invariant under the
/// shift). <see cref="TensorPrimitives.SoftMax{T}"/> does not shift, so logits above about 88 overflow it.
/// </summary>
internal static class Softmax
{
    // Rows longer than this are exponentiated in chunks of this size when no destination is given.
    private const int ChunkLength = 256;

    /// <summary><c>y[r, i] = exp(x[r, i] - max_j x[r, j]) / Σ_j exp(x[r, j] - max_j x[r, j])</c>.</summary>
    /// <param name="x">[rows, classes] logits.</param>
    /// <param name="y">[rows, classes] probabilities; may be <paramref name="x"/> itself.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="classes">Row length.</param>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, int classes)
    {
        Debug.Assert(classes > 0 && x.Length == rows * classes && y.Length == rows * classes);
        for (var r = 0; r < rows; r++)
        {
            var row = x.Slice(r * classes, classes);
            var output = y.Slice(r * classes, classes);
            var sum = ShiftedExpSum(row, TensorPrimitives.Max(row), output);
            TensorPrimitives.Divide(output, sum, output);
        }
    }

    /// <summary>
    /// Backward of <see cref="Forward"/>: <c>dx[r, i] = y[r, i] · (dy[r, i] - Σ_j dy[r, j] · y[r, j])</c>, the
    /// softmax Jacobian <c>diag(y) - y yᵀ</c> applied to dy.
    /// </summary>
    /// <param name="y">[rows, classes] the softmax output.</param>
    /// <param name="dy">[rows, classes] dL/dy.</param>
    /// <param name="dx">[rows, classes] dL/dx (overwritten); may be <paramref name="dy"/> itself.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="classes">Row length.</param>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows, int classes)
    {
        Debug.Assert(classes > 0 && y.Length == rows * classes && dy.Length == rows * classes && dx.Length == rows * classes);
        for (var r = 0; r < rows; r++)
        {
            var yRow = y.Slice(r * classes, classes);
            var dxRow = dx.Slice(r * classes, classes);
            var dot = TensorPrimitives.Dot(dy.Slice(r * classes, classes), yRow);
            TensorPrimitives.Subtract(dy.Slice(r * classes, classes), dot, dxRow);
            TensorPrimitives.Multiply(dxRow, yRow, dxRow);
        }
    }

    /// <summary>
    /// <c>Σ_i exp(x[i] - shift)</c>. With a <paramref name="destination"/> of x's length, also stores each
    /// <c>exp(x[i] - shift)</c> there; with an empty one, works through a stack buffer and stores nothing.
    /// </summary>
    /// <param name="x">[classes] one row.</param>
    /// <param name="shift">The value subtracted before exponentiating (the row's maximum).</param>
    /// <param name="destination">[classes] or empty.</param>
    /// <returns>The sum of the shifted exponentials; at least 1 when the shift is the maximum.</returns>
    public static float ShiftedExpSum(ReadOnlySpan<float> x, float shift, Span<float> destination)
    {
        Debug.Assert(destination.IsEmpty || destination.Length == x.Length);
        if (!destination.IsEmpty)
        {
            TensorPrimitives.Subtract(x, shift, destination);
            TensorPrimitives.Exp(destination, destination);
            return TensorPrimitives.Sum<float>(destination);
        }

        Span<float> chunk = stackalloc float[ChunkLength];
        var sum = 0f;
        for (var start = 0; start < x.Length; start += ChunkLength)
        {
            var part = chunk[..Math.Min(ChunkLength, x.Length - start)];
            TensorPrimitives.Subtract(x.Slice(start, part.Length), shift, part);
            TensorPrimitives.Exp(part, part);
            sum += TensorPrimitives.Sum<float>(part);
        }

        return sum;
    }
}
