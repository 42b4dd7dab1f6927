using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rnn.Kernels;

/// <summary>
/// A weight matrix P[K, N] laid out for <see cref="Gemm.Multiply"/> as the right-hand operand, packed once
/// and reused until the weights change (the recurrent weights are used T times per pass).
/// </summary>
/// <remarks>
/// Layout: ⌈N / 32⌉ column panels of <see cref="GemmKernel.PanelWidth"/> = 32 floats, each holding all K rows
/// k-major (<c>panel[k * 32 + jj] = P[k, 32p + jj]</c>), zero-padded past column N, in 64-byte-aligned storage
/// that a repack of the same (or a smaller) size reuses. A micro-kernel walks one panel front to back, so
/// any K block of it is contiguous and <see cref="Gemm.Multiply"/> picks its K blocking freely.
/// </remarks>
internal sealed class PackedMatrix
{
    private readonly AlignedBuffer _data = new();

    /// <summary>Rows of P (the reduction length).</summary>
    public int K { get; private set; }

    /// <summary>Columns of P.</summary>
    public int N { get; private set; }

    /// <summary>Floats between the starts of two panels (<c>K * 32</c>).</summary>
    internal int PanelStride => K * GemmKernel.PanelWidth;

    /// <summary>Panel 0, row 0.</summary>
    internal ref float Data => ref _data.Start;

    /// <summary>Packs P = Bᵀ from B[n, k] (row-major, leading dimension <paramref name="ldb"/>): the <c>W_hhᵀ</c> case.</summary>
    public void PackTransposed(ReadOnlySpan<float> b, int ldb, int n, int k)
    {
        Debug.Assert(n == 0 || k == 0 || b.Length >= ((n - 1) * ldb) + k);
        Resize(k, n);
        if (n > 0 && k > 0)
        {
            // P[q, j] = B[j, q]: q advances by 1, j by ldb.
            GemmPacking.PackB(ref MemoryMarshal.GetReference(b), 1, ldb, k, n, ref _data.Start);
        }
    }

    /// <summary>Packs P = B from B[k, n] (row-major, leading dimension <paramref name="ldb"/>).</summary>
    public void Pack(ReadOnlySpan<float> b, int ldb, int k, int n)
    {
        Debug.Assert(n == 0 || k == 0 || b.Length >= ((k - 1) * ldb) + n);
        Resize(k, n);
        if (n > 0 && k > 0)
        {
            GemmPacking.PackB(ref MemoryMarshal.GetReference(b), ldb, 1, k, n, ref _data.Start);
        }
    }

    /// <summary>P[q, j], read through the panel layout (for tests and debugging, not for hot loops).</summary>
    internal float At(int q, int j)
    {
        Debug.Assert((uint)q < (uint)K && (uint)j < (uint)N);
        var panel = j / GemmKernel.PanelWidth;
        return Unsafe.Add(ref _data.Start, (panel * PanelStride) + (q * GemmKernel.PanelWidth) + (j % GemmKernel.PanelWidth));
    }

    private void Resize(int k, int n)
    {
        K = k;
        N = n;
        var panels = (n + GemmKernel.PanelWidth - 1) / GemmKernel.PanelWidth;
        _data.EnsureCapacity(panels * k * GemmKernel.PanelWidth);
    }
}
