namespace Rnn.Kernels;

/// <summary>
/// A weight matrix P[K, N] laid out for <see cref="Gemm.Multiply"/> as the right-hand operand, packed once
/// and reused until the weights change (the recurrent weights are used T times per pass).
/// </summary>
internal sealed class PackedMatrix
{
    private float[] _data = [];

    /// <summary>Rows of P (the reduction length).</summary>
    public int K { get; private set; }

    /// <summary>Columns of P.</summary>
    public int N { get; private set; }

    /// <summary>Packs P = Bᵀ from B[n, k] (row-major, leading dimension <paramref name="ldb"/>): the <c>W_hhᵀ</c> case.</summary>
    public void PackTransposed(ReadOnlySpan<float> b, int ldb, int n, int k)
    {
        Resize(k, n);
        for (var q = 0; q < k; q++)
        {
            for (var j = 0; j < n; j++)
            {
                _data[(q * n) + j] = b[(j * ldb) + q];
            }
        }
    }

    /// <summary>Packs P = B from B[k, n] (row-major, leading dimension <paramref name="ldb"/>).</summary>
    public void Pack(ReadOnlySpan<float> b, int ldb, int k, int n)
    {
        Resize(k, n);
        for (var q = 0; q < k; q++)
        {
            b.Slice(q * ldb, n).CopyTo(_data.AsSpan(q * n, n));
        }
    }

    internal float At(int q, int j) => _data[(q * N) + j];

    private void Resize(int k, int n)
    {
        K = k;
        N = n;
        if (_data.Length < k * n)
        {
            _data = new float[k * n];
        }
    }
}
