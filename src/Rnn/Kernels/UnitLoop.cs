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
        nint j = start;
        if (width >= SimdWidth.V512 && Vector512.IsHardwareAccelerated)
        {
            for (; j <= end - 16; j += 16)
            {
                kernel.Run<Simd512, Vector512<float>>(j);
            }
        }

        if (width >= SimdWidth.V256 && Vector256.IsHardwareAccelerated)
        {
            for (; j <= end - 8; j += 8)
            {
                kernel.Run<Simd256, Vector256<float>>(j);
            }
        }

        if (width >= SimdWidth.V128 && Vector128.IsHardwareAccelerated)
        {
            for (; j <= end - 4; j += 4)
            {
                kernel.Run<Simd128, Vector128<float>>(j);
            }
        }

        for (; j < end; j++)
        {
            kernel.Run<SimdScalar, float>(j);
        }
    }
}
