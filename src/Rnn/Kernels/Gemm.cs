using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rnn.Kernels;

/// <summary>
/// Single-precision matrix products on row-major spans, the only products the recurrent engine needs.
/// Every method computes <c>C = (accumulate ? C : 0) + op(A) · op(B)</c>. Results do not depend on
/// how a caller splits the columns of C between threads (see <see cref="Multiply"/>).
/// </summary>
/// <remarks>
/// <para>
/// The BLIS/GotoBLAS design (Goto and van de Geijn, ACM TOMS 34(3), 2008; Van Zee and van de Geijn, ACM
/// TOMS 41(3), 2015): B is packed into 32-column panels (<see cref="PackedMatrix"/>, or a thread-local
/// workspace for the unpacked forms), A into row blocks of a micro-tile's height, and
/// <see cref="GemmKernel"/> keeps a rows × two-vector tile of C in registers for a whole K block. Loops,
/// outermost first: columns by <see cref="NC"/> (unpacked forms), K by <see cref="KC"/>, rows by
/// <see cref="MC"/>, column tiles, row blocks, then the micro-kernel.
/// </para>
/// <para>
/// Bitwise reproducibility: every element of C is one chain of fused multiply-adds over k = 0 .. K-1 in order
/// (see <see cref="GemmKernel"/>), whatever the tile, row block, column range, K block or edge path that
/// computes it. Edge tiles run the same kernel into a scratch tile rather than a scalar remainder. So any
/// split of the columns between threads, any M, and any caller thread give the same bits; products with the
/// same operands also agree between <see cref="Multiply"/> and <see cref="MultiplyABt"/> or <see cref="MultiplyAB"/>.
/// Even the ISA width does not change bits: every rung fuses where the hardware has FMA and none does where
/// it has not, so results differ only between machines with and without FMA. The unpacked forms parallelize
/// the same way: give each thread a slice of C's rows or columns (with the matching slice of A or B) and the
/// bits do not change.
/// </para>
/// <para>
/// The <see cref="SimdWidth"/> overloads exist so tests can run every rung of the ladder on one machine;
/// the public forms use <see cref="UnitLoop.Best"/>. Steady-state calls allocate nothing: packing
/// workspaces are per thread and grow only to the largest shape seen.
/// </para>
/// </remarks>
internal static class Gemm
{
    /// <summary>
    /// K block. A B micro-panel of KC × 32 floats (32 KB) stays in the 48 KB L1 of Zen 5 while every row
    /// block of A streams past it; C is reloaded once per K block.
    /// </summary>
    internal const int KC = 256;

    /// <summary>
    /// Rows of A packed at once: MC rows of a K block (about 270 KB) stay in L2 while every column tile reuses them.
    /// A multiple of 6, 12 and 14 (the micro-tile heights), so full blocks split without a short remainder.
    /// </summary>
    internal const int MC = 252;

    /// <summary>Columns of B packed at once by the unpacked forms: KC × NC floats (2 MB, L3-resident).</summary>
    internal const int NC = 2048;

    /// <summary>Micro-tile height with Vector512: 14 × 2 zmm accumulators + 2 B vectors + 1 broadcast = 31 of 32 registers.</summary>
    internal const int MaxRows512 = 14;

    /// <summary>Micro-tile height with 16 vector registers: 6 × 2 accumulators + 2 B + 1 broadcast = 15.</summary>
    internal const int MaxRowsNarrow = 6;

    [ThreadStatic]
    private static Workspace? _workspace;

    /// <summary>C[m, n] (+)= A[m, k] · B[n, k]ᵀ.</summary>
    public static void MultiplyABt(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k, bool accumulate)
        => MultiplyABtWith(UnitLoop.Best, a, lda, b, ldb, c, ldc, m, n, k, accumulate);

    /// <summary>C[m, n] (+)= A[m, k] · B[k, n].</summary>
    public static void MultiplyAB(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k, bool accumulate)
        => MultiplyABWith(UnitLoop.Best, a, lda, b, ldb, c, ldc, m, n, k, accumulate);

    /// <summary>C[m, n] (+)= A[k, m]ᵀ · B[k, n].</summary>
    public static void MultiplyAtB(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k, bool accumulate)
        => MultiplyAtBWith(UnitLoop.Best, a, lda, b, ldb, c, ldc, m, n, k, accumulate);

    /// <summary>
    /// Columns [<paramref name="n0"/>, <paramref name="n1"/>) of C[m, N] (+)= A[m, K] · P[K, N], with P packed
    /// once by <see cref="PackedMatrix"/>. Any split of [0, N) into column ranges gives the same bits as one
    /// call over all of it, so threads may each take a range.
    /// </summary>
    /// <remarks>
    /// Ranges that start and end on multiples of 32 (the panel width) avoid edge tiles, which go through a
    /// scratch tile; with M = 1 (one sequence streaming), multiples of 128 keep every tile in the four-panel
    /// row kernel.
    /// <para>
    /// <paramref name="descending"/> walks the column tiles from the right end: the same tiles, the same bits. A
    /// recurrent step with one row that alternates the direction reads first the panels the step before read last,
    /// which are still in L2 when all of P is not: one-thread Lstm stream (P = 1 MB) took 0.87–0.95 ms instead of
    /// 0.97–1.07 (Stopwatch, alternating processes). With 64 rows (Lstm medium and large) the descending walk was
    /// 3–5 % slower, so the engine uses it for single-row products only.
    /// </para>
    /// </remarks>
    public static void Multiply(ReadOnlySpan<float> a, int lda, int m, PackedMatrix p, int n0, int n1, Span<float> c, int ldc, bool accumulate, bool descending = false)
        => MultiplyWith(UnitLoop.Best, a, lda, m, p, n0, n1, 1, 0, c, ldc, accumulate, descending);

    /// <summary>
    /// <see cref="Multiply"/> over several column ranges at once: [n0 + g·stride, n1 + g·stride) for g = 0 ..
    /// <paramref name="blocks"/> − 1 (one worker's hidden units in every gate block), packing each block of A once
    /// for all of them instead of once per range. The same bits as one <see cref="Multiply"/> per range.
    /// <paramref name="descending"/> takes the ranges, and the tiles in each, from the right (see <see cref="Multiply"/>).
    /// </summary>
    public static void MultiplyBlocks(ReadOnlySpan<float> a, int lda, int m, PackedMatrix p, int n0, int n1, int blocks, int stride, Span<float> c, int ldc, bool accumulate, bool descending = false)
        => MultiplyWith(UnitLoop.Best, a, lda, m, p, n0, n1, blocks, stride, c, ldc, accumulate, descending);

    /// <summary><see cref="MultiplyABt"/> with micro-kernels no wider than <paramref name="width"/> (tests use it to reach every rung of the ISA ladder).</summary>
    internal static void MultiplyABtWith(SimdWidth width, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k, bool accumulate)
    {
        AssertShapes(a, lda, m, k, b, ldb, n, k, c, ldc, m, n);

        // a: [m, k], element (i, q) at i·lda + q; b: [n, k], element (q, j) of Bᵀ at j·ldb + q.
        Unpacked(ref MemoryMarshal.GetReference(a), a.Length, lda, 1, ref MemoryMarshal.GetReference(b), 1, ldb, ref MemoryMarshal.GetReference(c), ldc, m, n, k, accumulate, width);
    }

    /// <summary><see cref="MultiplyAB"/> with micro-kernels no wider than <paramref name="width"/> (tests use it to reach every rung of the ISA ladder).</summary>
    internal static void MultiplyABWith(SimdWidth width, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k, bool accumulate)
    {
        AssertShapes(a, lda, m, k, b, ldb, k, n, c, ldc, m, n);

        // a: [m, k]; b: [k, n], element (q, j) at q·ldb + j.
        Unpacked(ref MemoryMarshal.GetReference(a), a.Length, lda, 1, ref MemoryMarshal.GetReference(b), ldb, 1, ref MemoryMarshal.GetReference(c), ldc, m, n, k, accumulate, width);
    }

    /// <summary><see cref="MultiplyAtB"/> with micro-kernels no wider than <paramref name="width"/> (tests use it to reach every rung of the ISA ladder).</summary>
    internal static void MultiplyAtBWith(SimdWidth width, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k, bool accumulate)
    {
        AssertShapes(a, lda, k, m, b, ldb, k, n, c, ldc, m, n);

        // a: [k, m], element (i, q) of Aᵀ at q·lda + i; b: [k, n].
        Unpacked(ref MemoryMarshal.GetReference(a), a.Length, 1, lda, ref MemoryMarshal.GetReference(b), ldb, 1, ref MemoryMarshal.GetReference(c), ldc, m, n, k, accumulate, width);
    }

    /// <summary><see cref="Multiply"/> with micro-kernels no wider than <paramref name="width"/> (tests use it to reach every rung of the ISA ladder).</summary>
    internal static void MultiplyWith(SimdWidth width, ReadOnlySpan<float> a, int lda, int m, PackedMatrix p, int n0, int n1, Span<float> c, int ldc, bool accumulate, bool descending = false)
        => MultiplyWith(width, a, lda, m, p, n0, n1, 1, 0, c, ldc, accumulate, descending);

    /// <summary><see cref="MultiplyBlocks"/> with micro-kernels no wider than <paramref name="width"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyWith(SimdWidth width, ReadOnlySpan<float> a, int lda, int m, PackedMatrix p, int n0, int n1, int blocks, int stride, Span<float> c, int ldc, bool accumulate, bool descending)
    {
        Debug.Assert(0 <= n0 && n0 <= n1 && n1 + ((blocks - 1) * stride) <= p.N);
        Debug.Assert(m == 0 || p.K == 0 || a.Length >= ((m - 1) * lda) + p.K);
        Debug.Assert(m == 0 || n0 == n1 || c.Length >= ((m - 1) * ldc) + n1);
        if (m == 0 || n0 == n1)
        {
            return;
        }

        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rc = ref MemoryMarshal.GetReference(c);
        if (p.K == 0)
        {
            for (var g = 0; g < blocks; g++)
            {
                ClearIfOverwriting(ref rc, ldc, m, n0 + (g * stride), n1 + (g * stride), accumulate);
            }

            return;
        }

        switch (Effective(width))
        {
            case SimdWidth.V512:
                MultiplyPacked<Simd512, Vector512<float>>(ref ra, lda, m, p, n0, n1, blocks, stride, ref rc, ldc, accumulate, descending);
                break;
            case SimdWidth.V256:
                MultiplyPacked<Simd256, Vector256<float>>(ref ra, lda, m, p, n0, n1, blocks, stride, ref rc, ldc, accumulate, descending);
                break;
            case SimdWidth.V128:
                MultiplyPacked<Simd128, Vector128<float>>(ref ra, lda, m, p, n0, n1, blocks, stride, ref rc, ldc, accumulate, descending);
                break;
            default:
                MultiplyPacked<SimdScalar, float>(ref ra, lda, m, p, n0, n1, blocks, stride, ref rc, ldc, accumulate, descending);
                break;
        }
    }

    /// <summary>The requested width, lowered to what this machine accelerates.</summary>
    private static SimdWidth Effective(SimdWidth width) => width < UnitLoop.Best ? width : UnitLoop.Best;

    /// <summary>Micro-tile height for a vector type: wide tiles need the 32 registers of AVX-512.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MaxRows<TOps, TV>()
        where TOps : ISimdOps<TV>
        where TV : struct
        => TOps.Count == 16 ? MaxRows512 : MaxRowsNarrow;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Unpacked(ref float a, nint aLength, nint aRowStride, nint aColStride, ref float b, nint bRowStride, nint bColStride, ref float c, nint ldc, int m, int n, int k, bool accumulate, SimdWidth width)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            ClearIfOverwriting(ref c, ldc, m, 0, n, accumulate);
            return;
        }

        switch (Effective(width))
        {
            case SimdWidth.V512:
                Unpacked<Simd512, Vector512<float>>(ref a, aLength, aRowStride, aColStride, ref b, bRowStride, bColStride, ref c, ldc, m, n, k, accumulate);
                break;
            case SimdWidth.V256:
                Unpacked<Simd256, Vector256<float>>(ref a, aLength, aRowStride, aColStride, ref b, bRowStride, bColStride, ref c, ldc, m, n, k, accumulate);
                break;
            case SimdWidth.V128:
                Unpacked<Simd128, Vector128<float>>(ref a, aLength, aRowStride, aColStride, ref b, bRowStride, bColStride, ref c, ldc, m, n, k, accumulate);
                break;
            default:
                Unpacked<SimdScalar, float>(ref a, aLength, aRowStride, aColStride, ref b, bRowStride, bColStride, ref c, ldc, m, n, k, accumulate);
                break;
        }
    }

    /// <summary>Picks the packed-A layout the source copies into contiguously (see <see cref="IPackedALayout"/>).</summary>
    private static void Unpacked<TOps, TV>(ref float a, nint aLength, nint aRowStride, nint aColStride, ref float b, nint bRowStride, nint bColStride, ref float c, nint ldc, int m, int n, int k, bool accumulate)
        where TOps : ISimdOps<TV>
        where TV : struct
    {
        if (aColStride == 1)
        {
            Unpacked<TOps, TV, RowMajorA>(ref a, aLength, aRowStride, ref b, bRowStride, bColStride, ref c, ldc, m, n, k, accumulate);
        }
        else
        {
            Unpacked<TOps, TV, KMajorA>(ref a, aLength, aColStride, ref b, bRowStride, bColStride, ref c, ldc, m, n, k, accumulate);
        }
    }

    // a: row-major [m, k] (RowMajorA) or stored [k, m] (KMajorA), leading dimension lda, aLength floats;
    // b: element (q, j) at q·bRowStride + j·bColStride; c: [m, n] with row stride ldc.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Unpacked<TOps, TV, TLayout>(ref float a, nint aLength, nint lda, ref float b, nint bRowStride, nint bColStride, ref float c, nint ldc, int m, int n, int k, bool accumulate)
        where TOps : ISimdOps<TV>
        where TV : struct
        where TLayout : IPackedALayout
    {
        var workspace = Workspace.Current;
        var maxRows = MaxRows<TOps, TV>();
        var rowMajor = typeof(TLayout) == typeof(RowMajorA);
        for (var j0 = 0; j0 < n; j0 += NC)
        {
            var nc = Math.Min(NC, n - j0);
            for (var k0 = 0; k0 < k; k0 += KC)
            {
                var kc = Math.Min(KC, k - k0);
                ref var panels = ref workspace.PackB(ref Unsafe.Add(ref b, (k0 * bRowStride) + (j0 * bColStride)), bRowStride, bColStride, kc, nc, (SimdWidth)TOps.Count);
                for (var i0 = 0; i0 < m; i0 += MC)
                {
                    var mb = Math.Min(MC, m - i0);
                    ref var packedA = ref rowMajor
                        ? ref workspace.PackARows(ref Unsafe.Add(ref a, (i0 * lda) + k0), lda, mb, kc)
                        : ref workspace.PackAColumns(ref Unsafe.Add(ref a, (k0 * lda) + i0), lda, mb, kc, maxRows, aLength - ((k0 * lda) + i0));
                    Macro<TOps, TV, TLayout>(ref packedA, mb, maxRows, ref panels, kc * GemmKernel.PanelWidth, kc, 0, nc, ref Unsafe.Add(ref c, (i0 * ldc) + j0), ldc, accumulate || k0 > 0, workspace);
                }
            }
        }
    }

    // a: [m, K] with row stride lda; p: packed [K, N]; c: [m, N] with row stride ldc, columns [n0 + g·stride, n1 + g·stride) written, g < blocks.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyPacked<TOps, TV>(ref float a, nint lda, int m, PackedMatrix p, int n0, int n1, int blocks, int stride, ref float c, nint ldc, bool accumulate, bool descending)
        where TOps : ISimdOps<TV>
        where TV : struct
    {
        var workspace = Workspace.Current;
        var maxRows = MaxRows<TOps, TV>();
        var k = p.K;
        for (var k0 = 0; k0 < k; k0 += KC)
        {
            var kc = Math.Min(KC, k - k0);
            ref var panels = ref Unsafe.Add(ref p.Data, k0 * GemmKernel.PanelWidth);
            for (var i0 = 0; i0 < m; i0 += MC)
            {
                var mb = Math.Min(MC, m - i0);
                ref var packedA = ref workspace.PackARows(ref Unsafe.Add(ref a, (i0 * lda) + k0), lda, mb, kc);
                for (var i = 0; i < blocks; i++)
                {
                    var g = descending ? blocks - 1 - i : i;
                    Macro<TOps, TV, RowMajorA>(ref packedA, mb, maxRows, ref panels, p.PanelStride, kc, n0 + (g * stride), n1 + (g * stride), ref Unsafe.Add(ref c, i0 * ldc), ldc, accumulate || k0 > 0, workspace, descending);
                }
            }
        }
    }

    /// <summary>
    /// C[0:mb, j0:j1) (+)= Apacked[0:mb, 0:kc] · panels[0:kc, j0:j1): column tiles outside, row blocks inside,
    /// so each B micro-panel is loaded into L1 once and reused by all row blocks.
    /// </summary>
    /// <param name="a">A packed in <typeparamref name="TLayout"/> (row blocks of at most <paramref name="maxRows"/>).</param>
    /// <param name="mb">Rows of A and C.</param>
    /// <param name="maxRows">Micro-tile height limit the packing used.</param>
    /// <param name="panels">Panel 0 at the current K block: panel p starts <c>p * panelStride</c> further.</param>
    /// <param name="panelStride">Floats between panels.</param>
    /// <param name="kc">Reduction steps.</param>
    /// <param name="j0">First column (relative to panel 0).</param>
    /// <param name="j1">End column.</param>
    /// <param name="c">C[0, 0] of the panel grid; row stride <paramref name="ldc"/>.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="load">Accumulate onto C's values rather than overwrite them.</param>
    /// <param name="workspace">Scratch for edge tiles.</param>
    /// <param name="descending">Walk the column tiles from the right end (the same tiles, so the same bits).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Macro<TOps, TV, TLayout>(ref float a, int mb, int maxRows, ref float panels, nint panelStride, int kc, int j0, int j1, ref float c, nint ldc, bool load, Workspace workspace, bool descending = false)
        where TOps : ISimdOps<TV>
        where TV : struct
        where TLayout : IPackedALayout
    {
        var w = 2 * TOps.Count;
        var first = j0 - (j0 % w);
        var last = (j1 - 1) - ((j1 - 1) % w);
        if (mb == 1)
        {
            // One row: four tiles at a time where four fit, so eight FMA chains are in flight (see GemmKernel.Row4);
            // ascending from the first tile or descending from the last.
            var t = descending ? last + w : first;
            while (descending ? t > first : t <= last)
            {
                var four = descending ? t - (4 * w) : t;
                if (four >= j0 && four + (4 * w) <= j1)
                {
                    GemmKernel.Row4<TOps, TV>(
                        ref a,
                        ref PanelAt(ref panels, panelStride, four),
                        ref PanelAt(ref panels, panelStride, four + w),
                        ref PanelAt(ref panels, panelStride, four + (2 * w)),
                        ref PanelAt(ref panels, panelStride, four + (3 * w)),
                        kc,
                        ref Unsafe.Add(ref c, four),
                        load);
                    t += descending ? -4 * w : 4 * w;
                }
                else
                {
                    var one = descending ? t - w : t;
                    TileOrEdge<TOps, TV, TLayout>(1, ref a, ref PanelAt(ref panels, panelStride, one), kc, ref c, ldc, one, j0, j1, load, workspace);
                    t += descending ? -w : w;
                }
            }

            return;
        }

        var blocks = GemmPacking.RowBlocks(mb, maxRows, out var baseRows, out var extra);
        for (var i = first; i <= last; i += w)
        {
            var t = descending ? first + last - i : i;
            ref var b = ref PanelAt(ref panels, panelStride, t);
            ref var ai = ref a;
            ref var ci = ref c;
            for (var block = 0; block < blocks; block++)
            {
                var rows = baseRows + (block < extra ? 1 : 0);
                TileOrEdge<TOps, TV, TLayout>(rows, ref ai, ref b, kc, ref ci, ldc, t, j0, j1, load, workspace);
                ai = ref Unsafe.Add(ref ai, TLayout.BlockSize(rows, kc));
                ci = ref Unsafe.Add(ref ci, rows * ldc);
            }
        }
    }

    /// <summary>Column <paramref name="t"/> of the panel grid (t a multiple of a tile width, so a tile never straddles two panels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float PanelAt(ref float panels, nint panelStride, int t)
        => ref Unsafe.Add(ref panels, ((t / GemmKernel.PanelWidth) * panelStride) + (t % GemmKernel.PanelWidth));

    /// <summary>
    /// One micro-tile at column <paramref name="t"/>: straight into C when all its columns lie in
    /// [<paramref name="j0"/>, <paramref name="j1"/>), otherwise through a scratch tile of which only the
    /// columns in range are copied back (the others may belong to another thread's range).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TileOrEdge<TOps, TV, TLayout>(int rows, ref float a, ref float b, nint kc, ref float c, nint ldc, int t, int j0, int j1, bool load, Workspace workspace)
        where TOps : ISimdOps<TV>
        where TV : struct
        where TLayout : IPackedALayout
    {
        var w = 2 * TOps.Count;
        if (t >= j0 && t + w <= j1)
        {
            Tile<TOps, TV, TLayout>(rows, ref a, ref b, kc, ref Unsafe.Add(ref c, t), ldc, load);
            return;
        }

        // (An edge is narrower than the tile, so 16 and 8 columns only reach here from Vector512 and Vector256 tiles.)
        if (t >= j0 && (j1 - t) is 8 or 16)
        {
            // An edge of exactly one narrower vector pair (16 columns with Vector256, 8 with Vector128) is written
            // straight into C by the narrower tile of the same panel; it computes each element by the same FMA
            // chain, so the bits do not change (seed LSTM: 80 = 2·32 + 16 columns). Any other edge (a GRU's
            // 60 = 32 + 28) runs the full tile into the scratch tile and copies its columns back: one tile and a
            // vector copy per row cost less than three narrow tiles (32 × 60 × 20: 1.09 → 0.63 µs).
            if (j1 - t == 16)
            {
                Tile<Simd256, Vector256<float>, TLayout>(rows, ref a, ref b, kc, ref Unsafe.Add(ref c, t), ldc, load);
            }
            else
            {
                Tile<Simd128, Vector128<float>, TLayout>(rows, ref a, ref b, kc, ref Unsafe.Add(ref c, t), ldc, load);
            }

            return;
        }

        var lo = Math.Max(t, j0);
        var hi = Math.Min(t + w, j1);
        ScratchTile<TOps, TV, TLayout>(rows, ref a, ref b, kc, ref Unsafe.Add(ref c, lo), ldc, lo - t, hi - t, load, workspace);
    }

    /// <summary>
    /// One micro-tile computed into the scratch tile, of which columns [<paramref name="from"/>, <paramref name="to"/>)
    /// are copied to <paramref name="c"/> (which points at column <paramref name="from"/>).
    /// </summary>
    private static void ScratchTile<TOps, TV, TLayout>(int rows, ref float a, ref float b, nint kc, ref float c, nint ldc, int from, int to, bool load, Workspace workspace)
        where TOps : ISimdOps<TV>
        where TV : struct
        where TLayout : IPackedALayout
    {
        var w = 2 * TOps.Count;
        ref var scratch = ref MemoryMarshal.GetArrayDataReference(workspace.Edge);
        ref var cTile = ref Unsafe.Subtract(ref c, from);
        if (load)
        {
            CopyColumns(ref cTile, ldc, ref scratch, w, rows, from, to);
        }

        Tile<TOps, TV, TLayout>(rows, ref a, ref b, kc, ref scratch, w, load);
        CopyColumns(ref scratch, w, ref cTile, ldc, rows, from, to);
    }

    private static void CopyColumns(ref float source, nint sourceStride, ref float destination, nint destinationStride, int rows, int from, int to)
    {
        for (nint i = 0; i < rows; i++)
        {
            ShortCopy.Copy(ref Unsafe.Add(ref source, (i * sourceStride) + from), ref Unsafe.Add(ref destination, (i * destinationStride) + from), to - from);
        }
    }

    /// <summary>Calls the micro-kernel instantiated for exactly <paramref name="rows"/> rows.</summary>
    private static void Tile<TOps, TV, TLayout>(int rows, ref float a, ref float b, nint kc, ref float c, nint ldc, bool load)
        where TOps : ISimdOps<TV>
        where TV : struct
        where TLayout : IPackedALayout
    {
        switch (rows)
        {
            case 1: GemmKernel.Tile<TOps, TV, Rows1, TLayout>(ref a, ref b, kc, ref c, ldc, load); break;
            case 2: GemmKernel.Tile<TOps, TV, Rows2, TLayout>(ref a, ref b, kc, ref c, ldc, load); break;
            case 3: GemmKernel.Tile<TOps, TV, Rows3, TLayout>(ref a, ref b, kc, ref c, ldc, load); break;
            case 4: GemmKernel.Tile<TOps, TV, Rows4, TLayout>(ref a, ref b, kc, ref c, ldc, load); break;
            case 5: GemmKernel.Tile<TOps, TV, Rows5, TLayout>(ref a, ref b, kc, ref c, ldc, load); break;
            case 6: GemmKernel.Tile<TOps, TV, Rows6, TLayout>(ref a, ref b, kc, ref c, ldc, load); break;
            case 7: GemmKernel.Tile<TOps, TV, Rows7, TLayout>(ref a, ref b, kc, ref c, ldc, load); break;
            case 8: GemmKernel.Tile<TOps, TV, Rows8, TLayout>(ref a, ref b, kc, ref c, ldc, load); break;
            case 9: GemmKernel.Tile<TOps, TV, Rows9, TLayout>(ref a, ref b, kc, ref c, ldc, load); break;
            case 10: GemmKernel.Tile<TOps, TV, Rows10, TLayout>(ref a, ref b, kc, ref c, ldc, load); break;
            case 11: GemmKernel.Tile<TOps, TV, Rows11, TLayout>(ref a, ref b, kc, ref c, ldc, load); break;
            case 12: GemmKernel.Tile<TOps, TV, Rows12, TLayout>(ref a, ref b, kc, ref c, ldc, load); break;
            case 13: GemmKernel.Tile<TOps, TV, Rows13, TLayout>(ref a, ref b, kc, ref c, ldc, load); break;
            default: GemmKernel.Tile<TOps, TV, Rows14, TLayout>(ref a, ref b, kc, ref c, ldc, load); break;
        }
    }

    private static void ClearIfOverwriting(ref float c, nint ldc, int m, int n0, int n1, bool accumulate)
    {
        if (accumulate)
        {
            return;
        }

        for (nint i = 0; i < m; i++)
        {
            MemoryMarshal.CreateSpan(ref Unsafe.Add(ref c, (i * ldc) + n0), n1 - n0).Clear();
        }
    }

    [Conditional("DEBUG")]
    private static void AssertShapes(
        ReadOnlySpan<float> a, int lda, int aRows, int aCols,
        ReadOnlySpan<float> b, int ldb, int bRows, int bCols,
        Span<float> c, int ldc, int cRows, int cCols)
    {
        Debug.Assert(aCols <= lda || aRows <= 1);
        Debug.Assert(bCols <= ldb || bRows <= 1);
        Debug.Assert(cCols <= ldc || cRows <= 1);
        Debug.Assert(aRows == 0 || aCols == 0 || a.Length >= ((aRows - 1) * lda) + aCols);
        Debug.Assert(bRows == 0 || bCols == 0 || b.Length >= ((bRows - 1) * ldb) + bCols);
        Debug.Assert(cRows == 0 || cCols == 0 || c.Length >= ((cRows - 1) * ldc) + cCols);
    }

    /// <summary>Per-thread packing buffers: each thread calling a product packs into its own.</summary>
    private sealed class Workspace
    {
        private readonly AlignedBuffer _a = new();
        private readonly AlignedBuffer _b = new();

        /// <summary>Scratch C tile for edge tiles: the largest tile is MaxRows512 × 32.</summary>
        public float[] Edge { get; } = new float[MaxRows512 * GemmKernel.PanelWidth];

        public static Workspace Current => _workspace ??= new Workspace();

        /// <summary>Packs a row-major A block (see <see cref="GemmPacking.PackARows"/>); one row already is its packed form.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public ref float PackARows(ref float a, nint lda, int rows, int kc)
        {
            if (rows == 1)
            {
                return ref a;
            }

            _a.EnsureCapacity(rows * RowMajorA.Stride);
            GemmPacking.PackARows(ref a, lda, rows, kc, ref _a.Start);
            return ref _a.Start;
        }

        /// <summary>Packs a block of a stored Aᵀ (see <see cref="GemmPacking.PackAColumns"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public ref float PackAColumns(ref float a, nint lda, int rows, int kc, int maxRows, nint readable)
        {
            // At most one block per row, each with its slack.
            _a.EnsureCapacity(rows * (kc + KMajorA.Slack));
            GemmPacking.PackAColumns(ref a, lda, rows, kc, maxRows, readable, ref _a.Start);
            return ref _a.Start;
        }

        /// <summary>Packs a K block of B into panels (see <see cref="GemmPacking.PackB"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public ref float PackB(ref float b, nint rowStride, nint colStride, int kc, int nc, SimdWidth width)
        {
            var panels = (nc + GemmKernel.PanelWidth - 1) / GemmKernel.PanelWidth;
            _b.EnsureCapacity(panels * GemmKernel.PanelWidth * kc);
            GemmPacking.PackB(ref b, rowStride, colStride, kc, nc, ref _b.Start, width);
            return ref _b.Start;
        }
    }
}
