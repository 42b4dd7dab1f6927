using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Rnn.Kernels;

/// <summary>
/// Copies of a few floats (a row of the seed model's h, one input feature) inline with vector moves. A
/// <see cref="Span{T}.CopyTo(Span{T})"/> or a block copy of a size unknown to the JIT is a call to memmove, whose fixed cost
/// is several times a 20-float copy: the seed model made hundreds of them per step (one per batch row in
/// the GEMM's A packing and in the layout copies) and spent about a tenth of its time there.
/// </summary>
internal static class ShortCopy
{
    /// <summary>From this many floats on, memmove is as fast as the vector loop.</summary>
    private const int MemmoveFrom = 128;

    /// <summary>Copies <paramref name="count"/> floats from <paramref name="source"/> to <paramref name="destination"/> (not overlapping).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(ref float source, ref float destination, nint count)
    {
        if (count >= MemmoveFrom)
        {
            Unsafe.CopyBlockUnaligned(ref Unsafe.As<float, byte>(ref destination), ref Unsafe.As<float, byte>(ref source), (uint)count * sizeof(float));
            return;
        }

        nint q = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; q <= count - 16; q += 16)
            {
                Vector512.LoadUnsafe(ref source, (nuint)q).StoreUnsafe(ref destination, (nuint)q);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; q <= count - 8; q += 8)
            {
                Vector256.LoadUnsafe(ref source, (nuint)q).StoreUnsafe(ref destination, (nuint)q);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; q <= count - 4; q += 4)
            {
                Vector128.LoadUnsafe(ref source, (nuint)q).StoreUnsafe(ref destination, (nuint)q);
            }
        }

        for (; q < count; q++)
        {
            Unsafe.Add(ref destination, q) = Unsafe.Add(ref source, q);
        }
    }
}
