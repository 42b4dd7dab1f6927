using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Rnn.Kernels;

/// <summary>
/// Copies GEMM operands into the layouts the micro-kernels stream through (BLIS packing): B into column
/// panels of <see cref="GemmKernel.PanelWidth"/> floats, k-major within a panel and zero-padded on the
/// right; A in the <see cref="IPackedALayout"/> its source copies into with contiguous moves. B operands are
/// described by element strides, so one routine serves a matrix and its transpose.
/// </summary>
internal static class GemmPacking
{
    /// <summary>
    /// Splits <paramref name="rows"/> into the fewest blocks of at most <paramref name="maxRows"/>, sized to
    /// differ by at most one row (64 rows at 14 per tile become 13, 13, 13, 13, 12 rather than four full
    /// tiles and an 8-row remainder). Block b has <c>baseRows + (b &lt; extra ? 1 : 0)</c> rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RowBlocks(int rows, int maxRows, out int baseRows, out int extra)
    {
        var count = (rows + maxRows - 1) / maxRows;
        baseRows = rows / count;
        extra = rows - (baseRows * count);
        return count;
    }

    /// <summary>
    /// Packs rows [0, rows) × [0, kc) of a row-major A (element (i, k) at <c>i * lda + k</c>) in the
    /// <see cref="RowMajorA"/> layout: row i at <c>i * RowMajorA.Stride</c>, one block copy per row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackARows(ref float a, nint lda, int rows, int kc, ref float destination)
    {
        for (nint i = 0; i < rows; i++)
        {
            ShortCopy.Copy(ref Unsafe.Add(ref a, i * lda), ref Unsafe.Add(ref destination, i * RowMajorA.Stride), kc);
        }
    }

    /// <summary>
    /// Packs rows [0, rows) × [0, kc) of A stored transposed (A[k, m], element (i, k) at <c>k * lda + i</c>)
    /// in the <see cref="KMajorA"/> layout, in row blocks as split by <see cref="RowBlocks"/>: in a block of R
    /// rows, the R values of one k are adjacent in both source and destination.
    /// </summary>
    /// <remarks>
    /// Each (k, block) is one vector copy of 8 or 16 floats, more than R: the surplus lands where k + 1 (or
    /// the block's <see cref="KMajorA.Slack"/>) is written next, and k runs outermost so each source row is
    /// read once, front to back. Where a vector read would pass the end of the source
    /// (<paramref name="readable"/>), the copy is exact instead.
    /// </remarks>
    /// <param name="a">A[0, 0] (the stored A[k0, i0]).</param>
    /// <param name="lda">Distance between stored rows (between consecutive k).</param>
    /// <param name="rows">Rows of A to pack (stored columns).</param>
    /// <param name="kc">Reduction steps to pack (stored rows).</param>
    /// <param name="maxRows">The micro-tile's row limit.</param>
    /// <param name="readable">Floats readable from <paramref name="a"/> on.</param>
    /// <param name="destination">Output: <c>KMajorA.BlockSize(R, kc)</c> floats per block.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackAColumns(ref float a, nint lda, int rows, int kc, int maxRows, nint readable, ref float destination)
    {
        var blocks = RowBlocks(rows, maxRows, out var baseRows, out var extra);
        nint width = maxRows > 8 ? 16 : 8;
        for (nint k = 0; k < kc; k++)
        {
            ref var target = ref destination;
            nint i = 0;
            for (var block = 0; block < blocks; block++)
            {
                nint r = baseRows + (block < extra ? 1 : 0);
                ref var from = ref Unsafe.Add(ref a, (k * lda) + i);
                ref var to = ref Unsafe.Add(ref target, k * r);
                if ((k * lda) + i + width <= readable)
                {
                    CopyVectors(ref from, ref to, width);
                }
                else
                {
                    for (nint j = 0; j < r; j++)
                    {
                        Unsafe.Add(ref to, j) = Unsafe.Add(ref from, j);
                    }
                }

                i += r;
                target = ref Unsafe.Add(ref target, KMajorA.BlockSize((int)r, kc));
            }
        }
    }

    /// <summary>Copies 8 or 16 floats with the widest vectors available.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyVectors(ref float source, ref float destination, nint count)
    {
        if (Vector512.IsHardwareAccelerated && count == 16)
        {
            Vector512.LoadUnsafe(ref source).StoreUnsafe(ref destination);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (nint i = 0; i < count; i += 8)
            {
                Vector256.LoadUnsafe(ref source, (nuint)i).StoreUnsafe(ref destination, (nuint)i);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (nint i = 0; i < count; i += 4)
            {
                Vector128.LoadUnsafe(ref source, (nuint)i).StoreUnsafe(ref destination, (nuint)i);
            }
        }
        else
        {
            for (nint i = 0; i < count; i++)
            {
                Unsafe.Add(ref destination, i) = Unsafe.Add(ref source, i);
            }
        }
    }

    /// <summary>
    /// Packs B[0:kc, 0:nc] (element (k, j) at <c>k * rowStride + j * colStride</c>) into
    /// ⌈nc / PanelWidth⌉ panels of <c>kc * PanelWidth</c> floats each: panel p holds b[k, 32p + jj] at
    /// <c>k * 32 + jj</c>, with zeros past column nc so the micro-kernels never need a column remainder.
    /// </summary>
    /// <param name="b">B[0, 0].</param>
    /// <param name="rowStride">Distance between rows k (ldb for a stored B[k, n], 1 for a stored B[n, k]).</param>
    /// <param name="colStride">Distance between columns j (1 for a stored B[k, n], ldb for a stored B[n, k]).</param>
    /// <param name="kc">Rows (reduction steps) to pack.</param>
    /// <param name="nc">Columns to pack.</param>
    /// <param name="destination">Output: ⌈nc / 32⌉ · 32 · kc floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(ref float b, nint rowStride, nint colStride, int kc, int nc, ref float destination)
    {
        const int W = GemmKernel.PanelWidth;
        for (var j0 = 0; j0 < nc; j0 += W)
        {
            nint width = Math.Min(W, nc - j0);
            ref var source = ref Unsafe.Add(ref b, j0 * colStride);
            if (colStride == 1)
            {
                for (nint k = 0; k < kc; k++)
                {
                    ref var from = ref Unsafe.Add(ref source, k * rowStride);
                    ref var to = ref Unsafe.Add(ref destination, k * W);
                    if (width == W)
                    {
                        // A constant-size block copy: the JIT emits two 64-byte moves.
                        Unsafe.CopyBlockUnaligned(ref Unsafe.As<float, byte>(ref to), ref Unsafe.As<float, byte>(ref from), W * sizeof(float));
                    }
                    else
                    {
                        for (nint jj = 0; jj < width; jj++)
                        {
                            Unsafe.Add(ref to, jj) = Unsafe.Add(ref from, jj);
                        }

                        for (var jj = width; jj < W; jj++)
                        {
                            Unsafe.Add(ref to, jj) = 0f;
                        }
                    }
                }
            }
            else
            {
                // Transposed source (B stored [n, k]): read each stored row sequentially, write one panel
                // column; the panel (kc · 128 bytes) stays in cache while its 32 columns fill in.
                for (nint jj = 0; jj < W; jj++)
                {
                    ref var to = ref Unsafe.Add(ref destination, jj);
                    if (jj < width)
                    {
                        ref var from = ref Unsafe.Add(ref source, jj * colStride);
                        for (nint k = 0; k < kc; k++)
                        {
                            Unsafe.Add(ref to, k * W) = Unsafe.Add(ref from, k * rowStride);
                        }
                    }
                    else
                    {
                        for (nint k = 0; k < kc; k++)
                        {
                            Unsafe.Add(ref to, k * W) = 0f;
                        }
                    }
                }
            }

            destination = ref Unsafe.Add(ref destination, kc * W);
        }
    }
}
