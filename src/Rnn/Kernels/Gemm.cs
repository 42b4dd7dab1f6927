using System.Diagnostics;

namespace Rnn.Kernels;

/// <summary>
/// Single-precision matrix products on row-major spans, the only products the recurrent engine needs.
/// Every method computes <c>C = (accumulate ? C : 0) + op(A) · op(B)</c>. Results do not depend on
/// how a caller splits the columns of C between threads (see <see cref="Multiply"/>).
/// </summary>
internal static class Gemm
{
    /// <summary>C[m, n] (+)= A[m, k] · B[n, k]ᵀ.</summary>
    public static void MultiplyABt(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k, bool accumulate)
    {
        AssertShapes(a, lda, m, k, b, ldb, n, k, c, ldc, m, n);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = 0f;
                for (var p = 0; p < k; p++)
                {
                    sum += a[(i * lda) + p] * b[(j * ldb) + p];
                }

                c[(i * ldc) + j] = accumulate ? c[(i * ldc) + j] + sum : sum;
            }
        }
    }

    /// <summary>C[m, n] (+)= A[m, k] · B[k, n].</summary>
    public static void MultiplyAB(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k, bool accumulate)
    {
        AssertShapes(a, lda, m, k, b, ldb, k, n, c, ldc, m, n);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = 0f;
                for (var p = 0; p < k; p++)
                {
                    sum += a[(i * lda) + p] * b[(p * ldb) + j];
                }

                c[(i * ldc) + j] = accumulate ? c[(i * ldc) + j] + sum : sum;
            }
        }
    }

    /// <summary>C[m, n] (+)= A[k, m]ᵀ · B[k, n].</summary>
    public static void MultiplyAtB(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k, bool accumulate)
    {
        AssertShapes(a, lda, k, m, b, ldb, k, n, c, ldc, m, n);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = 0f;
                for (var p = 0; p < k; p++)
                {
                    sum += a[(p * lda) + i] * b[(p * ldb) + j];
                }

                c[(i * ldc) + j] = accumulate ? c[(i * ldc) + j] + sum : sum;
            }
        }
    }

    /// <summary>
    /// Columns [<paramref name="n0"/>, <paramref name="n1"/>) of C[m, N] (+)= A[m, K] · P[K, N], with P packed
    /// once by <see cref="PackedMatrix"/>. Any split of [0, N) into column ranges gives the same bits as one
    /// call over all of it, so threads may each take a range.
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> a, int lda, int m, PackedMatrix p, int n0, int n1, Span<float> c, int ldc, bool accumulate)
    {
        Debug.Assert(0 <= n0 && n0 <= n1 && n1 <= p.N);
        var k = p.K;
        for (var i = 0; i < m; i++)
        {
            for (var j = n0; j < n1; j++)
            {
                var sum = 0f;
                for (var q = 0; q < k; q++)
                {
                    sum += a[(i * lda) + q] * p.At(q, j);
                }

                c[(i * ldc) + j] = accumulate ? c[(i * ldc) + j] + sum : sum;
            }
        }
    }

    [Conditional("DEBUG")]
    private static void AssertShapes(
        ReadOnlySpan<float> a, int lda, int aRows, int aCols,
        ReadOnlySpan<float> b, int ldb, int bRows, int bCols,
        Span<float> c, int ldc, int cRows, int cCols)
    {
        Debug.Assert(aCols <= lda || aRows <= 1);
        Debug.Assert(bCols <= ldb || bRows <= 1);
        Debug.Assert(cCols <= ldc || cRows <= 1);
        Debug.Assert(aRows == 0 || aCols == 0 || a.Length >= ((aRows - 1) * lda) + aCols);
        Debug.Assert(bRows == 0 || bCols == 0 || b.Length >= ((bRows - 1) * ldb) + bCols);
        Debug.Assert(cRows == 0 || cCols == 0 || c.Length >= ((cRows - 1) * ldc) + cCols);
    }
}
