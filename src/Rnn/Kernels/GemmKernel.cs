using System.Runtime.CompilerServices;

namespace Rnn.Kernels;

/// <summary>
/// The register micro-kernels of the packed GEMM (the innermost loop of the BLIS/GotoBLAS design: Goto and
/// van de Geijn, "Anatomy of High-Performance Matrix Multiplication", ACM TOMS 34(3), 2008; Van Zee and
/// van de Geijn, "BLIS", ACM TOMS 41(3), 2015). A micro-tile of C, <c>TRows.Value</c> rows by two vectors,
/// stays in registers for the whole reduction: per step k one row of the B micro-panel is loaded (two
/// vectors), each A value is broadcast, and every accumulator takes one fused multiply-add.
/// </summary>
/// <remarks>
/// Every element of C is computed by the same chain, <c>acc = fma(a[i, k], b[k, j], acc)</c> for k = 0, 1,
/// ..., K - 1 in order, starting from 0 (or from C when accumulating): whatever tile, row count, column
/// offset or path computes an element, it gets the same bits. This is what makes results independent of how
/// callers split columns between threads. "Fused" means <c>MultiplyAddEstimate</c>: one rounding where the
/// hardware has FMA, a multiply and an add where it does not (never a software-emulated FMA).
/// </remarks>
internal static class GemmKernel
{
    /// <summary>Columns of a packed panel: two Vector512 (the widest micro-tile).</summary>
    public const int PanelWidth = 32;

    /// <summary>Largest <c>TRows.Value</c> the kernel is written for.</summary>
    public const int MaxRows = 14;

    /// <summary>
    /// C[r, 0:2V] (+)= Σ_k a[r, k] · b[k, 0:2V] for r &lt; <c>TRows.Value</c>, V = <c>TOps.Count</c>.
    /// </summary>
    /// <typeparam name="TOps">The vector width.</typeparam>
    /// <typeparam name="TV">The vector type.</typeparam>
    /// <typeparam name="TRows">Rows of the tile.</typeparam>
    /// <typeparam name="TLayout">Layout of the packed A block.</typeparam>
    /// <param name="a">Packed A micro-panel of <paramref name="kc"/> steps, laid out as <typeparamref name="TLayout"/> says.</param>
    /// <param name="b">B micro-panel: b[k, j] at <c>k * PanelWidth + j</c>, j &lt; 2V.</param>
    /// <param name="kc">Reduction steps.</param>
    /// <param name="c">C tile: c[r, j] at <c>r * ldc + j</c>.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="load">Start from C's values (accumulate, or a later K block) rather than from zero.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TOps, TV, TRows, TLayout>(ref float a, ref float b, nint kc, ref float c, nint ldc, bool load)
        where TOps : ISimdOps<TV>
        where TV : struct
        where TRows : IRowCount
        where TLayout : IPackedALayout
    {
        var v = TOps.Count;
        TV lo0 = default, hi0 = default;
        TV lo1 = default, hi1 = default;
        TV lo2 = default, hi2 = default;
        TV lo3 = default, hi3 = default;
        TV lo4 = default, hi4 = default;
        TV lo5 = default, hi5 = default;
        TV lo6 = default, hi6 = default;
        TV lo7 = default, hi7 = default;
        TV lo8 = default, hi8 = default;
        TV lo9 = default, hi9 = default;
        TV lo10 = default, hi10 = default;
        TV lo11 = default, hi11 = default;
        TV lo12 = default, hi12 = default;
        TV lo13 = default, hi13 = default;
        if (load)
        {
            lo0 = TOps.Load(ref c, 0);
            hi0 = TOps.Load(ref c, v);
            if (TRows.Value > 1)
            {
                lo1 = TOps.Load(ref c, 1 * ldc);
                hi1 = TOps.Load(ref c, (1 * ldc) + v);
            }

            if (TRows.Value > 2)
            {
                lo2 = TOps.Load(ref c, 2 * ldc);
                hi2 = TOps.Load(ref c, (2 * ldc) + v);
            }

            if (TRows.Value > 3)
            {
                lo3 = TOps.Load(ref c, 3 * ldc);
                hi3 = TOps.Load(ref c, (3 * ldc) + v);
            }

            if (TRows.Value > 4)
            {
                lo4 = TOps.Load(ref c, 4 * ldc);
                hi4 = TOps.Load(ref c, (4 * ldc) + v);
            }

            if (TRows.Value > 5)
            {
                lo5 = TOps.Load(ref c, 5 * ldc);
                hi5 = TOps.Load(ref c, (5 * ldc) + v);
            }

            if (TRows.Value > 6)
            {
                lo6 = TOps.Load(ref c, 6 * ldc);
                hi6 = TOps.Load(ref c, (6 * ldc) + v);
            }

            if (TRows.Value > 7)
            {
                lo7 = TOps.Load(ref c, 7 * ldc);
                hi7 = TOps.Load(ref c, (7 * ldc) + v);
            }

            if (TRows.Value > 8)
            {
                lo8 = TOps.Load(ref c, 8 * ldc);
                hi8 = TOps.Load(ref c, (8 * ldc) + v);
            }

            if (TRows.Value > 9)
            {
                lo9 = TOps.Load(ref c, 9 * ldc);
                hi9 = TOps.Load(ref c, (9 * ldc) + v);
            }

            if (TRows.Value > 10)
            {
                lo10 = TOps.Load(ref c, 10 * ldc);
                hi10 = TOps.Load(ref c, (10 * ldc) + v);
            }

            if (TRows.Value > 11)
            {
                lo11 = TOps.Load(ref c, 11 * ldc);
                hi11 = TOps.Load(ref c, (11 * ldc) + v);
            }

            if (TRows.Value > 12)
            {
                lo12 = TOps.Load(ref c, 12 * ldc);
                hi12 = TOps.Load(ref c, (12 * ldc) + v);
            }

            if (TRows.Value > 13)
            {
                lo13 = TOps.Load(ref c, 13 * ldc);
                hi13 = TOps.Load(ref c, (13 * ldc) + v);
            }
        }

        for (nint p = 0; p < kc; p++)
        {
            var b0 = TOps.Load(ref b, 0);
            var b1 = TOps.Load(ref b, v);
            var a0 = TOps.Broadcast(a);
            lo0 = TOps.MultiplyAdd(a0, b0, lo0);
            hi0 = TOps.MultiplyAdd(a0, b1, hi0);

            if (TRows.Value > 1)
            {
                var a1 = TOps.Broadcast(Unsafe.Add(ref a, TLayout.RowOffset(1, TRows.Value)));
                lo1 = TOps.MultiplyAdd(a1, b0, lo1);
                hi1 = TOps.MultiplyAdd(a1, b1, hi1);
            }

            if (TRows.Value > 2)
            {
                var a2 = TOps.Broadcast(Unsafe.Add(ref a, TLayout.RowOffset(2, TRows.Value)));
                lo2 = TOps.MultiplyAdd(a2, b0, lo2);
                hi2 = TOps.MultiplyAdd(a2, b1, hi2);
            }

            if (TRows.Value > 3)
            {
                var a3 = TOps.Broadcast(Unsafe.Add(ref a, TLayout.RowOffset(3, TRows.Value)));
                lo3 = TOps.MultiplyAdd(a3, b0, lo3);
                hi3 = TOps.MultiplyAdd(a3, b1, hi3);
            }

            if (TRows.Value > 4)
            {
                var a4 = TOps.Broadcast(Unsafe.Add(ref a, TLayout.RowOffset(4, TRows.Value)));
                lo4 = TOps.MultiplyAdd(a4, b0, lo4);
                hi4 = TOps.MultiplyAdd(a4, b1, hi4);
            }

            if (TRows.Value > 5)
            {
                var a5 = TOps.Broadcast(Unsafe.Add(ref a, TLayout.RowOffset(5, TRows.Value)));
                lo5 = TOps.MultiplyAdd(a5, b0, lo5);
                hi5 = TOps.MultiplyAdd(a5, b1, hi5);
            }

            if (TRows.Value > 6)
            {
                var a6 = TOps.Broadcast(Unsafe.Add(ref a, TLayout.RowOffset(6, TRows.Value)));
                lo6 = TOps.MultiplyAdd(a6, b0, lo6);
                hi6 = TOps.MultiplyAdd(a6, b1, hi6);
            }

            if (TRows.Value > 7)
            {
                var a7 = TOps.Broadcast(Unsafe.Add(ref a, TLayout.RowOffset(7, TRows.Value)));
                lo7 = TOps.MultiplyAdd(a7, b0, lo7);
                hi7 = TOps.MultiplyAdd(a7, b1, hi7);
            }

            if (TRows.Value > 8)
            {
                var a8 = TOps.Broadcast(Unsafe.Add(ref a, TLayout.RowOffset(8, TRows.Value)));
                lo8 = TOps.MultiplyAdd(a8, b0, lo8);
                hi8 = TOps.MultiplyAdd(a8, b1, hi8);
            }

            if (TRows.Value > 9)
            {
                var a9 = TOps.Broadcast(Unsafe.Add(ref a, TLayout.RowOffset(9, TRows.Value)));
                lo9 = TOps.MultiplyAdd(a9, b0, lo9);
                hi9 = TOps.MultiplyAdd(a9, b1, hi9);
            }

            if (TRows.Value > 10)
            {
                var a10 = TOps.Broadcast(Unsafe.Add(ref a, TLayout.RowOffset(10, TRows.Value)));
                lo10 = TOps.MultiplyAdd(a10, b0, lo10);
                hi10 = TOps.MultiplyAdd(a10, b1, hi10);
            }

            if (TRows.Value > 11)
            {
                var a11 = TOps.Broadcast(Unsafe.Add(ref a, TLayout.RowOffset(11, TRows.Value)));
                lo11 = TOps.MultiplyAdd(a11, b0, lo11);
                hi11 = TOps.MultiplyAdd(a11, b1, hi11);
            }

            if (TRows.Value > 12)
            {
                var a12 = TOps.Broadcast(Unsafe.Add(ref a, TLayout.RowOffset(12, TRows.Value)));
                lo12 = TOps.MultiplyAdd(a12, b0, lo12);
                hi12 = TOps.MultiplyAdd(a12, b1, hi12);
            }

            if (TRows.Value > 13)
            {
                var a13 = TOps.Broadcast(Unsafe.Add(ref a, TLayout.RowOffset(13, TRows.Value)));
                lo13 = TOps.MultiplyAdd(a13, b0, lo13);
                hi13 = TOps.MultiplyAdd(a13, b1, hi13);
            }

            a = ref Unsafe.Add(ref a, TLayout.Step(TRows.Value));
            b = ref Unsafe.Add(ref b, PanelWidth);
        }

        TOps.Store(lo0, ref c, 0);
        TOps.Store(hi0, ref c, v);

        if (TRows.Value > 1)
        {
            TOps.Store(lo1, ref c, 1 * ldc);
            TOps.Store(hi1, ref c, (1 * ldc) + v);
        }

        if (TRows.Value > 2)
        {
            TOps.Store(lo2, ref c, 2 * ldc);
            TOps.Store(hi2, ref c, (2 * ldc) + v);
        }

        if (TRows.Value > 3)
        {
            TOps.Store(lo3, ref c, 3 * ldc);
            TOps.Store(hi3, ref c, (3 * ldc) + v);
        }

        if (TRows.Value > 4)
        {
            TOps.Store(lo4, ref c, 4 * ldc);
            TOps.Store(hi4, ref c, (4 * ldc) + v);
        }

        if (TRows.Value > 5)
        {
            TOps.Store(lo5, ref c, 5 * ldc);
            TOps.Store(hi5, ref c, (5 * ldc) + v);
        }

        if (TRows.Value > 6)
        {
            TOps.Store(lo6, ref c, 6 * ldc);
            TOps.Store(hi6, ref c, (6 * ldc) + v);
        }

        if (TRows.Value > 7)
        {
            TOps.Store(lo7, ref c, 7 * ldc);
            TOps.Store(hi7, ref c, (7 * ldc) + v);
        }

        if (TRows.Value > 8)
        {
            TOps.Store(lo8, ref c, 8 * ldc);
            TOps.Store(hi8, ref c, (8 * ldc) + v);
        }

        if (TRows.Value > 9)
        {
            TOps.Store(lo9, ref c, 9 * ldc);
            TOps.Store(hi9, ref c, (9 * ldc) + v);
        }

        if (TRows.Value > 10)
        {
            TOps.Store(lo10, ref c, 10 * ldc);
            TOps.Store(hi10, ref c, (10 * ldc) + v);
        }

        if (TRows.Value > 11)
        {
            TOps.Store(lo11, ref c, 11 * ldc);
            TOps.Store(hi11, ref c, (11 * ldc) + v);
        }

        if (TRows.Value > 12)
        {
            TOps.Store(lo12, ref c, 12 * ldc);
            TOps.Store(hi12, ref c, (12 * ldc) + v);
        }

        if (TRows.Value > 13)
        {
            TOps.Store(lo13, ref c, 13 * ldc);
            TOps.Store(hi13, ref c, (13 * ldc) + v);
        }
    }

    /// <summary>
    /// One row of C across four adjacent micro-tiles: C[0, 0:8V] (+)= Σ_k a[k] · [b0 | b1 | b2 | b3][k, :].
    /// A single-row <see cref="Tile{TOps, TV, TRows, TLayout}"/> has only two independent accumulator chains and would
    /// wait on FMA latency (4 cycles, two pipes: eight chains are needed to keep them busy); four tiles give
    /// eight. The chain of each element is the same as in <see cref="Tile{TOps, TV, TRows, TLayout}"/>.
    /// </summary>
    /// <param name="a">The row of A: a[k] at <c>k</c>.</param>
    /// <param name="b0">First B micro-panel: b0[k, j] at <c>k * PanelWidth + j</c>, j &lt; 2V.</param>
    /// <param name="b1">Second micro-panel (columns 2V..4V of the C row).</param>
    /// <param name="b2">Third micro-panel (columns 4V..6V).</param>
    /// <param name="b3">Fourth micro-panel (columns 6V..8V).</param>
    /// <param name="k">Reduction steps.</param>
    /// <param name="c">C row: c[j] at <c>j</c>, j &lt; 8V.</param>
    /// <param name="load">Start from C's values rather than from zero.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row4<TOps, TV>(ref float a, ref float b0, ref float b1, ref float b2, ref float b3, nint k, ref float c, bool load)
        where TOps : ISimdOps<TV>
        where TV : struct
    {
        var v = TOps.Count;
        TV c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        if (load)
        {
            c0 = TOps.Load(ref c, 0 * v);
            c1 = TOps.Load(ref c, 1 * v);
            c2 = TOps.Load(ref c, 2 * v);
            c3 = TOps.Load(ref c, 3 * v);
            c4 = TOps.Load(ref c, 4 * v);
            c5 = TOps.Load(ref c, 5 * v);
            c6 = TOps.Load(ref c, 6 * v);
            c7 = TOps.Load(ref c, 7 * v);
        }

        nint offset = 0;
        for (nint p = 0; p < k; p++)
        {
            var ap = TOps.Broadcast(Unsafe.Add(ref a, p));
            c0 = TOps.MultiplyAdd(ap, TOps.Load(ref b0, offset), c0);
            c1 = TOps.MultiplyAdd(ap, TOps.Load(ref b0, offset + v), c1);
            c2 = TOps.MultiplyAdd(ap, TOps.Load(ref b1, offset), c2);
            c3 = TOps.MultiplyAdd(ap, TOps.Load(ref b1, offset + v), c3);
            c4 = TOps.MultiplyAdd(ap, TOps.Load(ref b2, offset), c4);
            c5 = TOps.MultiplyAdd(ap, TOps.Load(ref b2, offset + v), c5);
            c6 = TOps.MultiplyAdd(ap, TOps.Load(ref b3, offset), c6);
            c7 = TOps.MultiplyAdd(ap, TOps.Load(ref b3, offset + v), c7);
            offset += PanelWidth;
        }

        TOps.Store(c0, ref c, 0 * v);
        TOps.Store(c1, ref c, 1 * v);
        TOps.Store(c2, ref c, 2 * v);
        TOps.Store(c3, ref c, 3 * v);
        TOps.Store(c4, ref c, 4 * v);
        TOps.Store(c5, ref c, 5 * v);
        TOps.Store(c6, ref c, 6 * v);
        TOps.Store(c7, ref c, 7 * v);
    }
}
