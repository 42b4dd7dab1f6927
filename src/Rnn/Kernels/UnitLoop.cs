using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Rnn.Kernels;

/// <summary>Widest vector a kernel may use; tests lower it to reach every rung of the ISA ladder.</summary>
internal enum SimdWidth
{
    /// <summary>One float at a time.</summary>
    Scalar = 1,

    /// <summary>Vector128 (4 floats).</summary>
    V128 = 4,

    /// <summary>Vector256 (8 floats).</summary>
    V256 = 8,

    /// <summary>Vector512 (16 floats).</summary>
    V512 = 16,
}

/// <summary>
/// A fused elementwise kernel over hidden units: <see cref="Run{TOps, TV}"/> processes units
/// [j, j + TOps.Count) of every operand.
/// </summary>
internal interface IUnitKernel
{
    void Run<TOps, TV>(nint j)
        where TOps : ISimdOps<TV>
        where TV : struct;
}

/// <summary>
/// Drives an <see cref="IUnitKernel"/> over a range of units: full Vector512 blocks, then the remainder
/// with Vector256, Vector128 and scalar steps. Kernels update state in place (c = f·c + i·g), so the
/// remainder cannot be done with an overlapping last vector as TensorPrimitives does.
/// </summary>
internal static class UnitLoop
{
    /// <summary>The widest width this machine accelerates, decided once by the JIT.</summary>
    public static SimdWidth Best { get; } =
        Vector512.IsHardwareAccelerated ? SimdWidth.V512
        : Vector256.IsHardwareAccelerated ? SimdWidth.V256
        : Vector128.IsHardwareAccelerated ? SimdWidth.V128
        : SimdWidth.Scalar;

    /// <summary>Widths this machine accelerates, widest first (tests run kernels at each).</summary>
    public static IReadOnlyList<SimdWidth> Supported { get; } =
        [.. new[] { SimdWidth.V512, SimdWidth.V256, SimdWidth.V128, SimdWidth.Scalar }.Where(w => w <= Best)];

    /// <summary>Runs <paramref name="kernel"/> over units [<paramref name="start"/>, <paramref name="end"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TKernel>(ref TKernel kernel, int start, int end, SimdWidth width)
        where TKernel : struct, IUnitKernel, allows ref struct
    {
        var oneRow = new OneRowKernel<TKernel> { Kernel = kernel };
        RunRows(ref oneRow, 1, start, end, width);
    }

    /// <summary>
    /// Runs <paramref name="kernel"/> over units [<paramref name="start"/>, <paramref name="end"/>) of rows
    /// [0, <paramref name="rows"/>). With Vector512, the tail of a row that is shorter than a vector (e.g. H = 20:
    /// 16 + 4 units) would cost a whole narrow vector per row; instead the 8-unit tails of two rows, and the 4-unit
    /// tails of four rows, go through one Vector512 (<see cref="TwoRowsOfEight"/>, <see cref="FourRowsOfFour"/>).
    /// The arithmetic of each lane is the same at every width, so the bits do not depend on the packing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunRows<TKernel>(ref TKernel kernel, int rows, int start, int end, SimdWidth width)
        where TKernel : struct, IRowKernel, allows ref struct
    {
        nint j = start;
        if (width >= SimdWidth.V512 && Vector512.IsHardwareAccelerated)
        {
            j = Blocks<TKernel, Simd512, Vector512<float>>(ref kernel, rows, j, end);
            j = PackedTails<TKernel, TwoRowsOfEight, Simd256, Vector256<float>>(ref kernel, rows, j, end);
            j = PackedTails<TKernel, FourRowsOfFour, Simd128, Vector128<float>>(ref kernel, rows, j, end);
        }

        if (width >= SimdWidth.V256 && Vector256.IsHardwareAccelerated)
        {
            j = Blocks<TKernel, Simd256, Vector256<float>>(ref kernel, rows, j, end);
        }

        if (width >= SimdWidth.V128 && Vector128.IsHardwareAccelerated)
        {
            j = Blocks<TKernel, Simd128, Vector128<float>>(ref kernel, rows, j, end);
        }

        Blocks<TKernel, SimdScalar, float>(ref kernel, rows, j, end);
    }

    /// <summary>Whole vectors of <typeparamref name="TOps"/> from unit <paramref name="j"/> on, in every row; returns the first unit left.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static nint Blocks<TKernel, TOps, TV>(ref TKernel kernel, int rows, nint j, int end)
        where TKernel : struct, IRowKernel, allows ref struct
        where TOps : ISimdOps<TV>
        where TV : struct
    {
        var last = j + ((end - j) / TOps.Count * TOps.Count);
        for (nint b = 0; b < rows; b++)
        {
            for (var u = j; u < last; u += TOps.Count)
            {
                kernel.Run<TOps, TV, OneRow<TOps, TV>>(b, u);
            }
        }

        return last;
    }

    /// <summary>
    /// One <typeparamref name="TOps"/>-wide block at unit <paramref name="j"/> if that many units are left: rows packed
    /// <typeparamref name="TRows"/> at a time into a Vector512, the rows left over one at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static nint PackedTails<TKernel, TRows, TOps, TV>(ref TKernel kernel, int rows, nint j, int end)
        where TKernel : struct, IRowKernel, allows ref struct
        where TRows : IRowAccess<Vector512<float>>
        where TOps : ISimdOps<TV>
        where TV : struct
    {
        if (end - j < TOps.Count)
        {
            return j;
        }

        nint b = 0;
        for (; b <= rows - TRows.Rows; b += TRows.Rows)
        {
            kernel.Run<Simd512, Vector512<float>, TRows>(b, j);
        }

        for (; b < rows; b++)
        {
            kernel.Run<TOps, TV, OneRow<TOps, TV>>(b, j);
        }

        return j + TOps.Count;
    }

    /// <summary>
    /// An <see cref="IUnitKernel"/> seen as a one-row <see cref="IRowKernel"/> (it is only ever driven with
    /// <see cref="OneRow{TOps, TV}"/>). It holds a copy of the kernel, which is the kernel itself because kernels
    /// only read their fields (every <c>Run</c> is <c>readonly</c>).
    /// </summary>
    private ref struct OneRowKernel<TKernel> : IRowKernel
        where TKernel : struct, IUnitKernel, allows ref struct
    {
        public TKernel Kernel;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Run<TOps, TV, TRows>(nint row, nint j)
            where TOps : ISimdOps<TV>
            where TV : struct
            where TRows : IRowAccess<TV>
            => Kernel.Run<TOps, TV>(j);
    }
}

/// <summary>
/// A fused elementwise kernel over the hidden units of several rows (batch samples):
/// <see cref="Run{TOps, TV, TRows}"/> processes units [j, j + TOps.Count / TRows.Rows) of rows [row, row + TRows.Rows),
/// reaching each operand through <c>TRows</c>.
/// </summary>
internal interface IRowKernel
{
    void Run<TOps, TV, TRows>(nint row, nint j)
        where TOps : ISimdOps<TV>
        where TV : struct
        where TRows : IRowAccess<TV>;
}

/// <summary>How a row kernel loads and stores a vector of units: from one row, or from the same units of several rows.</summary>
/// <typeparam name="TV">The vector type.</typeparam>
internal interface IRowAccess<TV>
    where TV : struct
{
    /// <summary>Rows one vector covers.</summary>
    static abstract int Rows { get; }

    /// <summary>The units at <paramref name="offset"/> of the first row, and at the same place in the next rows, <paramref name="rowStride"/> apart.</summary>
    static abstract TV Load(ref float source, nint offset, nint rowStride);

    /// <summary>Stores what <see cref="Load"/> would read back.</summary>
    static abstract void Store(TV value, ref float destination, nint offset, nint rowStride);

    /// <summary>The units at <paramref name="offset"/> of an operand shared by every row (a bias), once for each row.</summary>
    static abstract TV LoadShared(ref float source, nint offset);
}

/// <summary>One row: a plain vector load.</summary>
internal readonly struct OneRow<TOps, TV> : IRowAccess<TV>
    where TOps : ISimdOps<TV>
    where TV : struct
{
    public static int Rows => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Load(ref float source, nint offset, nint rowStride) => TOps.Load(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(TV value, ref float destination, nint offset, nint rowStride) => TOps.Store(value, ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV LoadShared(ref float source, nint offset) => TOps.Load(ref source, offset);
}

/// <summary>Eight units of each of two rows in one Vector512.</summary>
internal readonly struct TwoRowsOfEight : IRowAccess<Vector512<float>>
{
    public static int Rows => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source, nint offset, nint rowStride)
        => Vector512.Create(Vector256.LoadUnsafe(ref source, (nuint)offset), Vector256.LoadUnsafe(ref source, (nuint)(offset + rowStride)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float destination, nint offset, nint rowStride)
    {
        value.GetLower().StoreUnsafe(ref destination, (nuint)offset);
        value.GetUpper().StoreUnsafe(ref destination, (nuint)(offset + rowStride));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadShared(ref float source, nint offset)
    {
        var units = Vector256.LoadUnsafe(ref source, (nuint)offset);
        return Vector512.Create(units, units);
    }
}

/// <summary>Four units of each of four rows in one Vector512.</summary>
internal readonly struct FourRowsOfFour : IRowAccess<Vector512<float>>
{
    public static int Rows => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source, nint offset, nint rowStride)
        => Vector512.Create(
            Vector256.Create(Vector128.LoadUnsafe(ref source, (nuint)offset), Vector128.LoadUnsafe(ref source, (nuint)(offset + rowStride))),
            Vector256.Create(Vector128.LoadUnsafe(ref source, (nuint)(offset + (2 * rowStride))), Vector128.LoadUnsafe(ref source, (nuint)(offset + (3 * rowStride)))));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float destination, nint offset, nint rowStride)
    {
        value.GetLower().GetLower().StoreUnsafe(ref destination, (nuint)offset);
        value.GetLower().GetUpper().StoreUnsafe(ref destination, (nuint)(offset + rowStride));
        value.GetUpper().GetLower().StoreUnsafe(ref destination, (nuint)(offset + (2 * rowStride)));
        value.GetUpper().GetUpper().StoreUnsafe(ref destination, (nuint)(offset + (3 * rowStride)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadShared(ref float source, nint offset)
    {
        var units = Vector128.LoadUnsafe(ref source, (nuint)offset);
        var two = Vector256.Create(units, units);
        return Vector512.Create(two, two);
    }
}
