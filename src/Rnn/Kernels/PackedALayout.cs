namespace Rnn.Kernels;

/// <summary>
/// Where a packed A block keeps element (r, k), as compile-time constants for <see cref="GemmKernel"/>:
/// each A operand is packed in the layout its source can be copied into with contiguous moves.
/// </summary>
internal interface IPackedALayout
{
    /// <summary>Floats from element (0, k) to element (r, k).</summary>
    static abstract nint RowOffset(nint r, int rows);

    /// <summary>Floats from element (r, k) to element (r, k + 1).</summary>
    static abstract nint Step(int rows);

    /// <summary>Floats a block of <paramref name="rows"/> rows by <paramref name="kc"/> steps occupies.</summary>
    static abstract nint BlockSize(int rows, int kc);
}

/// <summary>
/// Rows at a fixed stride of <see cref="Stride"/> floats, k contiguous: packing a row-major A[m, k] is one
/// block copy per row. The stride is a constant so the kernel's broadcasts use constant displacements;
/// KC + 16 rather than KC keeps rows 4 KB apart in no L1 set (a power-of-two stride would map the rows of a
/// tile onto a few sets and evict the B micro-panel).
/// </summary>
internal readonly struct RowMajorA : IPackedALayout
{
    /// <summary>Floats between packed rows.</summary>
    public const int Stride = Gemm.KC + 16;

    public static nint RowOffset(nint r, int rows) => r * Stride;

    public static nint Step(int rows) => 1;

    public static nint BlockSize(int rows, int kc) => (nint)rows * Stride;
}

/// <summary>
/// k-major, the rows of one k adjacent (<c>a[k * rows + r]</c>): packing a stored Aᵀ (A[k, m], as in
/// <c>dW = dGatesᵀ · X</c>) copies a short contiguous run per k.
/// </summary>
internal readonly struct KMajorA : IPackedALayout
{
    /// <summary>Floats after each block that absorb the surplus of the packer's 16-float copies.</summary>
    public const int Slack = 16;

    public static nint RowOffset(nint r, int rows) => r;

    public static nint Step(int rows) => rows;

    public static nint BlockSize(int rows, int kc) => ((nint)rows * kc) + Slack;
}
