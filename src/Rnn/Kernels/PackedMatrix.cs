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
    public void PackTransposed(ReadOnlySpan<float> b, int ldb, int n, int k, SimdWidth? width = null)
    {
        Shape(k, n);
        PackTransposedPanels(b, ldb, 0, Panels, width ?? UnitLoop.Best);
    }

    /// <summary>Packs P = B from B[k, n] (row-major, leading dimension <paramref name="ldb"/>).</summary>
    public void Pack(ReadOnlySpan<float> b, int ldb, int k, int n)
    {
        Shape(k, n);
        PackPanels(b, ldb, 0, Panels);
    }

    /// <summary>
    /// Sizes P as [k, n] (growing the storage if needed) for a pack done in parts: panels
    /// [<c>first</c>, <c>end</c>) at a time, by <see cref="PackTransposedPanels"/> or <see cref="PackPanels"/>,
    /// which touch nothing outside their panels and so may run on several threads at once.
    /// </summary>
    public void Shape(int k, int n)
    {
        K = k;
        N = n;
        _data.EnsureCapacity(Panels * k * GemmKernel.PanelWidth);
    }

    /// <summary>Panels of 32 columns: ⌈N / 32⌉.</summary>
    public int Panels => (N + GemmKernel.PanelWidth - 1) / GemmKernel.PanelWidth;

    /// <summary>Panels [<paramref name="first"/>, <paramref name="end"/>) of P = Bᵀ, B[N, K] as in <see cref="PackTransposed"/>; after <see cref="Shape"/>.</summary>
    public void PackTransposedPanels(ReadOnlySpan<float> b, int ldb, int first, int end, SimdWidth width)
    {
        var (j0, columns) = Columns(first, end);
        Debug.Assert(columns == 0 || K == 0 || b.Length >= ((j0 + columns - 1) * ldb) + K);
        if (columns > 0 && K > 0)
        {
            // P[q, j] = B[j, q]: q advances by 1, j by ldb.
            GemmPacking.PackB(ref Unsafe.Add(ref MemoryMarshal.GetReference(b), j0 * ldb), 1, ldb, K, columns, ref PanelStart(first), width);
        }
    }

    /// <summary>Panels [<paramref name="first"/>, <paramref name="end"/>) of P = B, B[K, N] as in <see cref="Pack"/>; after <see cref="Shape"/>.</summary>
    public void PackPanels(ReadOnlySpan<float> b, int ldb, int first, int end)
    {
        var (j0, columns) = Columns(first, end);
        Debug.Assert(columns == 0 || K == 0 || b.Length >= ((K - 1) * ldb) + j0 + columns);
        if (columns > 0 && K > 0)
        {
            GemmPacking.PackB(ref Unsafe.Add(ref MemoryMarshal.GetReference(b), j0), ldb, 1, K, columns, ref PanelStart(first), UnitLoop.Best);
        }
    }

    /// <summary>P[q, j], read through the panel layout (for tests and debugging, not for hot loops); j up to the last panel's end, where the padding is.</summary>
    internal float At(int q, int j)
    {
        Debug.Assert((uint)q < (uint)K && (uint)j < (uint)(Panels * GemmKernel.PanelWidth));
        var panel = j / GemmKernel.PanelWidth;
        return Unsafe.Add(ref _data.Start, (panel * PanelStride) + (q * GemmKernel.PanelWidth) + (j % GemmKernel.PanelWidth));
    }

    /// <summary>The first column of panel <paramref name="first"/> and how many columns panels [first, end) hold.</summary>
    private (int J0, int Columns) Columns(int first, int end)
    {
        Debug.Assert(0 <= first && first <= end && end <= Panels);
        var j0 = first * GemmKernel.PanelWidth;
        return (j0, Math.Max(0, Math.Min(N, end * GemmKernel.PanelWidth) - j0));
    }

    private ref float PanelStart(int panel) => ref Unsafe.Add(ref _data.Start, panel * PanelStride);
}
