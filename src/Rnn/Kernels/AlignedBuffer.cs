using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rnn.Kernels;

/// <summary>
/// Growable float storage whose first element is 64-byte aligned (one cache line, one Vector512), so
/// packed GEMM panels never split a vector load across two lines. The array lives on the pinned object
/// heap: its address never moves, nothing has to be freed by hand, and a buffer that is already large
/// enough is reused as is.
/// </summary>
internal sealed class AlignedBuffer
{
    private const int AlignmentFloats = 64 / sizeof(float);

    private float[] _array = [];
    private int _offset;

    /// <summary>Floats usable from <see cref="Start"/>.</summary>
    public int Capacity { get; private set; }

    /// <summary>The first (aligned) element; valid while no larger <see cref="EnsureCapacity"/> reallocates.</summary>
    public ref float Start
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_array), _offset);
    }

    /// <summary>The first <paramref name="length"/> floats (at most <see cref="Capacity"/>), from the aligned start.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<float> Span(int length)
    {
        Debug.Assert(length <= Capacity);
        return MemoryMarshal.CreateSpan(ref Start, length);
    }

    /// <summary>Floats [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>) from the aligned start.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<float> Slice(int start, int length)
    {
        Debug.Assert(start >= 0 && length >= 0 && start + length <= Capacity);
        return MemoryMarshal.CreateSpan(ref Unsafe.Add(ref Start, start), length);
    }

    /// <summary>
    /// Makes room for <paramref name="length"/> floats. Grows by exactly what is asked (callers size by
    /// their largest shape once), and keeps the current storage when it is large enough; contents are not
    /// preserved across a reallocation.
    /// </summary>
    public unsafe void EnsureCapacity(int length)
    {
        Debug.Assert(length >= 0);
        if (length <= Capacity)
        {
            return;
        }

        var array = GC.AllocateUninitializedArray<float>(length + AlignmentFloats - 1, pinned: true);
        var address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        var misalignment = (int)(address % 64);
        _offset = misalignment == 0 ? 0 : (64 - misalignment) / sizeof(float);
        _array = array;
        Capacity = length;
    }
}
