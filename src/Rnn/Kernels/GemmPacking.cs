using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    /// <param name="width">The widest vectors to transpose a stored B[n, k] with (see <see cref="TransposePanel"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(ref float b, nint rowStride, nint colStride, int kc, int nc, ref float destination, SimdWidth width)
    {
        const int W = GemmKernel.PanelWidth;
        if (colStride == 1)
        {
            CopyPanelRows(ref b, rowStride, kc, nc, ref destination);
            return;
        }

        for (var j0 = 0; j0 < nc; j0 += W)
        {
            nint columns = Math.Min(W, nc - j0);
            ref var source = ref Unsafe.Add(ref b, j0 * colStride);
            if (rowStride == 1 && columns == W)
            {
                TransposePanel(ref source, colStride, kc, ref destination, width);
            }
            else
            {
                // Transposed source (B stored [n, k]): read each stored row sequentially, write one panel
                // column; the panel (kc · 128 bytes) stays in cache while its 32 columns fill in.
                for (nint jj = 0; jj < W; jj++)
                {
                    ref var to = ref Unsafe.Add(ref destination, jj);
                    if (jj < columns)
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

    /// <summary>
    /// Panels from a row-major B[k, n], eight rows of one panel at a time, then the same rows of the next panel.
    /// For a 256 × 1024 W_hh (Stopwatch, best of 30): 24 µs; a whole panel at a time (each panel's 128 bytes of
    /// every row, rows 4 KB apart), 38 µs; one row of every panel at a time (32 write streams), 66 µs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyPanelRows(ref float b, nint ldb, int kc, int nc, ref float destination)
    {
        const int W = GemmKernel.PanelWidth;
        nint panelStride = kc * W;
        nint full = nc / W;
        nint columns = nc - (full * W);
        const int RowBlock = 8;
        for (nint k0 = 0; k0 < kc; k0 += RowBlock)
        {
            var k1 = Math.Min(kc, k0 + RowBlock);
            for (nint p = 0; p < full; p++)
            {
                for (var k = k0; k < k1; k++)
                {
                    // A constant-size block copy: the JIT emits two 64-byte moves.
                    Unsafe.CopyBlockUnaligned(
                        ref Unsafe.As<float, byte>(ref Unsafe.Add(ref destination, (p * panelStride) + (k * W))), ref Unsafe.As<float, byte>(ref Unsafe.Add(ref b, (k * ldb) + (p * W))), W * sizeof(float));
                }
            }
        }

        for (nint k = 0; k < kc && columns > 0; k++)
        {
            ref var from = ref Unsafe.Add(ref b, k * ldb);
            ref var to = ref Unsafe.Add(ref destination, k * W);
            // The last, partial panel: zeros, then the columns there are, with vector moves (a seed model's
            // H_prev, 20 columns of 320 rows, was packed float by float four times a training step).
            ref var last = ref Unsafe.Add(ref to, full * panelStride);
            Unsafe.InitBlockUnaligned(ref Unsafe.As<float, byte>(ref last), 0, W * sizeof(float));
            ShortCopy.Copy(ref Unsafe.Add(ref from, full * W), ref last, columns);
        }
    }

    /// <summary>
    /// One full panel from a stored B[n, k] (32 stored rows of <paramref name="kc"/> contiguous floats,
    /// <paramref name="ldb"/> apart): panel[k * 32 + jj] = row jj's element k. Square blocks of 16, 8 or 4
    /// (by <paramref name="width"/>, where the instructions exist) are transposed in registers, one vector load
    /// per stored row and one store per panel row; the steps past the last whole block (kc mod 16, 8 or 4), one
    /// float at a time. Writing every float that way, with a 128-byte stride, took 112 µs for a 256 × 1024 W_hh;
    /// the 16 × 16 blocks take 22 µs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposePanel(ref float source, nint ldb, int kc, ref float destination, SimdWidth width)
    {
        const int W = GemmKernel.PanelWidth;
        nint k = 0;
        if (width == SimdWidth.V512 && Avx512F.IsSupported)
        {
            for (; k + 16 <= kc; k += 16)
            {
                Transpose16(ref Unsafe.Add(ref source, k), ldb, ref Unsafe.Add(ref destination, k * W));
                Transpose16(ref Unsafe.Add(ref source, (16 * ldb) + k), ldb, ref Unsafe.Add(ref destination, (k * W) + 16));
            }
        }
        else if (width >= SimdWidth.V256 && Avx.IsSupported)
        {
            for (; k + 8 <= kc; k += 8)
            {
                for (nint jj = 0; jj < W; jj += 8)
                {
                    Transpose8(ref Unsafe.Add(ref source, (jj * ldb) + k), ldb, ref Unsafe.Add(ref destination, (k * W) + jj));
                }
            }
        }
        else if (width >= SimdWidth.V128 && Sse2.IsSupported)
        {
            for (; k + 4 <= kc; k += 4)
            {
                for (nint jj = 0; jj < W; jj += 4)
                {
                    Transpose4(ref Unsafe.Add(ref source, (jj * ldb) + k), ldb, ref Unsafe.Add(ref destination, (k * W) + jj));
                }
            }
        }

        for (nint jj = 0; jj < W; jj++)
        {
            ref var from = ref Unsafe.Add(ref source, jj * ldb);
            for (var q = k; q < kc; q++)
            {
                Unsafe.Add(ref destination, (q * W) + jj) = Unsafe.Add(ref from, q);
            }
        }
    }

    /// <summary>
    /// destination[c * 32 + r] = source[r * ldb + c] for r, c &lt; 16: 16 loads, 64 shuffles, 16 stores. Pairs of
    /// rows are interleaved by 32 then 64 bits, which leaves in 128-bit lane L of vector 4g + c the four rows
    /// 4g..4g+3 of column 4L + c; two rounds of 128-bit lane shuffles then transpose those lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16(ref float source, nint ldb, ref float destination)
    {
        const int W = GemmKernel.PanelWidth;
        var r0 = Vector512.LoadUnsafe(ref source);
        var r1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref source, ldb));
        var r2 = Vector512.LoadUnsafe(ref Unsafe.Add(ref source, 2 * ldb));
        var r3 = Vector512.LoadUnsafe(ref Unsafe.Add(ref source, 3 * ldb));
        var r4 = Vector512.LoadUnsafe(ref Unsafe.Add(ref source, 4 * ldb));
        var r5 = Vector512.LoadUnsafe(ref Unsafe.Add(ref source, 5 * ldb));
        var r6 = Vector512.LoadUnsafe(ref Unsafe.Add(ref source, 6 * ldb));
        var r7 = Vector512.LoadUnsafe(ref Unsafe.Add(ref source, 7 * ldb));
        var r8 = Vector512.LoadUnsafe(ref Unsafe.Add(ref source, 8 * ldb));
        var r9 = Vector512.LoadUnsafe(ref Unsafe.Add(ref source, 9 * ldb));
        var r10 = Vector512.LoadUnsafe(ref Unsafe.Add(ref source, 10 * ldb));
        var r11 = Vector512.LoadUnsafe(ref Unsafe.Add(ref source, 11 * ldb));
        var r12 = Vector512.LoadUnsafe(ref Unsafe.Add(ref source, 12 * ldb));
        var r13 = Vector512.LoadUnsafe(ref Unsafe.Add(ref source, 13 * ldb));
        var r14 = Vector512.LoadUnsafe(ref Unsafe.Add(ref source, 14 * ldb));
        var r15 = Vector512.LoadUnsafe(ref Unsafe.Add(ref source, 15 * ldb));

        InterleaveFour(ref r0, ref r1, ref r2, ref r3);
        InterleaveFour(ref r4, ref r5, ref r6, ref r7);
        InterleaveFour(ref r8, ref r9, ref r10, ref r11);
        InterleaveFour(ref r12, ref r13, ref r14, ref r15);

        // Lane L of r(4g + c) is rows 4g..4g+3 of column 4L + c: transpose the lanes.
        Lanes(r0, r4, r8, r12, ref destination);
        Lanes(r1, r5, r9, r13, ref Unsafe.Add(ref destination, 1 * W));
        Lanes(r2, r6, r10, r14, ref Unsafe.Add(ref destination, 2 * W));
        Lanes(r3, r7, r11, r15, ref Unsafe.Add(ref destination, 3 * W));
    }

    /// <summary>Stores column c = 4L + c0 (lane L of each of the four vectors, in order) at destination + 4L · 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lanes(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, ref float destination)
    {
        const int W = GemmKernel.PanelWidth;
        var low0 = Avx512F.Shuffle4x128(v0, v1, 0x44);
        var high0 = Avx512F.Shuffle4x128(v0, v1, 0xEE);
        var low1 = Avx512F.Shuffle4x128(v2, v3, 0x44);
        var high1 = Avx512F.Shuffle4x128(v2, v3, 0xEE);
        Avx512F.Shuffle4x128(low0, low1, 0x88).StoreUnsafe(ref destination);
        Avx512F.Shuffle4x128(low0, low1, 0xDD).StoreUnsafe(ref Unsafe.Add(ref destination, 4 * W));
        Avx512F.Shuffle4x128(high0, high1, 0x88).StoreUnsafe(ref Unsafe.Add(ref destination, 8 * W));
        Avx512F.Shuffle4x128(high0, high1, 0xDD).StoreUnsafe(ref Unsafe.Add(ref destination, 12 * W));
    }

    /// <summary>destination[c * 32 + r] = source[r * ldb + c] for r, c &lt; 8, as <see cref="Transpose16"/> with one lane round.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(ref float source, nint ldb, ref float destination)
    {
        const int W = GemmKernel.PanelWidth;
        var r0 = Vector256.LoadUnsafe(ref source);
        var r1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, ldb));
        var r2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 2 * ldb));
        var r3 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 3 * ldb));
        var r4 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 4 * ldb));
        var r5 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 5 * ldb));
        var r6 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 6 * ldb));
        var r7 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 7 * ldb));

        InterleaveFour(ref r0, ref r1, ref r2, ref r3);
        InterleaveFour(ref r4, ref r5, ref r6, ref r7);

        // Lane L of r(4g + c) is rows 4g..4g+3 of column 4L + c.
        Avx.Permute2x128(r0, r4, 0x20).StoreUnsafe(ref destination);
        Avx.Permute2x128(r0, r4, 0x31).StoreUnsafe(ref Unsafe.Add(ref destination, 4 * W));
        Avx.Permute2x128(r1, r5, 0x20).StoreUnsafe(ref Unsafe.Add(ref destination, 1 * W));
        Avx.Permute2x128(r1, r5, 0x31).StoreUnsafe(ref Unsafe.Add(ref destination, 5 * W));
        Avx.Permute2x128(r2, r6, 0x20).StoreUnsafe(ref Unsafe.Add(ref destination, 2 * W));
        Avx.Permute2x128(r2, r6, 0x31).StoreUnsafe(ref Unsafe.Add(ref destination, 6 * W));
        Avx.Permute2x128(r3, r7, 0x20).StoreUnsafe(ref Unsafe.Add(ref destination, 3 * W));
        Avx.Permute2x128(r3, r7, 0x31).StoreUnsafe(ref Unsafe.Add(ref destination, 7 * W));
    }

    /// <summary>destination[c * 32 + r] = source[r * ldb + c] for r, c &lt; 4: one <see cref="InterleaveFour(ref Vector128{float}, ref Vector128{float}, ref Vector128{float}, ref Vector128{float})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4(ref float source, nint ldb, ref float destination)
    {
        const int W = GemmKernel.PanelWidth;
        var r0 = Vector128.LoadUnsafe(ref source);
        var r1 = Vector128.LoadUnsafe(ref Unsafe.Add(ref source, ldb));
        var r2 = Vector128.LoadUnsafe(ref Unsafe.Add(ref source, 2 * ldb));
        var r3 = Vector128.LoadUnsafe(ref Unsafe.Add(ref source, 3 * ldb));
        InterleaveFour(ref r0, ref r1, ref r2, ref r3);
        r0.StoreUnsafe(ref destination);
        r1.StoreUnsafe(ref Unsafe.Add(ref destination, W));
        r2.StoreUnsafe(ref Unsafe.Add(ref destination, 2 * W));
        r3.StoreUnsafe(ref Unsafe.Add(ref destination, 3 * W));
    }

    /// <summary>
    /// The first two rounds of every transpose here: four rows interleaved by 32 bits, then by 64. Afterwards, in
    /// each 128-bit lane L, vector c holds element 4L + c of rows 0, 1, 2, 3 (a 4 × 4 transpose per lane).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InterleaveFour(ref Vector512<float> r0, ref Vector512<float> r1, ref Vector512<float> r2, ref Vector512<float> r3)
    {
        var t0 = Avx512F.UnpackLow(r0, r1).AsDouble();
        var t1 = Avx512F.UnpackHigh(r0, r1).AsDouble();
        var t2 = Avx512F.UnpackLow(r2, r3).AsDouble();
        var t3 = Avx512F.UnpackHigh(r2, r3).AsDouble();
        r0 = Avx512F.UnpackLow(t0, t2).AsSingle();
        r1 = Avx512F.UnpackHigh(t0, t2).AsSingle();
        r2 = Avx512F.UnpackLow(t1, t3).AsSingle();
        r3 = Avx512F.UnpackHigh(t1, t3).AsSingle();
    }

    /// <inheritdoc cref="InterleaveFour(ref Vector512{float}, ref Vector512{float}, ref Vector512{float}, ref Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InterleaveFour(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3)
    {
        var t0 = Avx.UnpackLow(r0, r1).AsDouble();
        var t1 = Avx.UnpackHigh(r0, r1).AsDouble();
        var t2 = Avx.UnpackLow(r2, r3).AsDouble();
        var t3 = Avx.UnpackHigh(r2, r3).AsDouble();
        r0 = Avx.UnpackLow(t0, t2).AsSingle();
        r1 = Avx.UnpackHigh(t0, t2).AsSingle();
        r2 = Avx.UnpackLow(t1, t3).AsSingle();
        r3 = Avx.UnpackHigh(t1, t3).AsSingle();
    }

    /// <inheritdoc cref="InterleaveFour(ref Vector512{float}, ref Vector512{float}, ref Vector512{float}, ref Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InterleaveFour(ref Vector128<float> r0, ref Vector128<float> r1, ref Vector128<float> r2, ref Vector128<float> r3)
    {
        var t0 = Sse.UnpackLow(r0, r1).AsDouble();
        var t1 = Sse.UnpackHigh(r0, r1).AsDouble();
        var t2 = Sse.UnpackLow(r2, r3).AsDouble();
        var t3 = Sse.UnpackHigh(r2, r3).AsDouble();
        r0 = Sse2.UnpackLow(t0, t2).AsSingle();
        r1 = Sse2.UnpackHigh(t0, t2).AsSingle();
        r2 = Sse2.UnpackLow(t1, t3).AsSingle();
        r3 = Sse2.UnpackHigh(t1, t3).AsSingle();
    }
}
