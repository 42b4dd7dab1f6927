using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rnn.Data;

/// <summary>Row-major spans over <c>float[,]</c> arrays (no copy).</summary>
internal static class Array2D
{
    /// <summary>The elements of <paramref name="array"/> in row-major order.</summary>
    public static Span<float> AsSpan(float[,] array)
        => MemoryMarshal.CreateSpan(ref Unsafe.As<byte, float>(ref MemoryMarshal.GetArrayDataReference(array)), array.Length);
}
