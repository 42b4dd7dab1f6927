using System.Runtime.CompilerServices;
using Rnn.Kernels;

namespace Rnn.Tests.Kernels;

public class GemmTests
{
    /// <summary>Unit roundoff of float (2^-24).</summary>
    private const double Unit = 1.0 / (1 << 24);

    /// <summary>
    /// (m, n, k): the edge sizes 1, 3, 17, 33, 65; non-multiples of the tile heights (6, 14), of the tile
    /// widths (8, 16, 32) and of KC (256); K beyond one and two K blocks; M beyond one MC block (252).
    /// </summary>
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (1, 3, 17), (3, 1, 33), (3, 17, 1), (17, 33, 3), (33, 65, 17), (65, 17, 33), (65, 65, 65),
        (2, 130, 40), (14, 32, 20), (15, 96, 7), (13, 31, 257), (6, 33, 300), (1, 200, 513), (64, 80, 20),
        (260, 40, 9), (7, 2081, 5),
    ];

    private enum Form
    {
        ABt,
        AB,
        AtB,
        Packed,
        PackedTransposed,
    }

    /// <summary>Widths travel as ints (floats per vector): xunit theories are public, SimdWidth is internal.</summary>
    public static TheoryData<string, int> FormsAndWidths()
    {
        var data = new TheoryData<string, int>();
        foreach (var form in Enum.GetNames<Form>())
        {
            foreach (var width in UnitLoop.Supported)
            {
                data.Add(form, (int)width);
            }
        }

        return data;
    }

    public static TheoryData<int> Widths() => [.. UnitLoop.Supported.Select(w => (int)w)];

    [Theory]
    [MemberData(nameof(FormsAndWidths))]
    public void Gemm_Product_MatchesFloat64Reference(string formName, int widthValue)
    {
        var width = (SimdWidth)widthValue;
        var form = Enum.Parse<Form>(formName);
        var random = new Random(42);
        foreach (var (m, n, k) in Shapes)
        {
            foreach (var accumulate in new[] { false, true })
            {
                // Leading dimensions wider than the rows, so a kernel that ignores them fails.
                var lda = (IsATransposed(form) ? m : k) + 5;
                var ldb = (IsBTransposed(form) ? k : n) + 3;
                var ldc = n + 7;
                var a = RandomArray(random, ((IsATransposed(form) ? k : m) * lda) + 1);
                var b = RandomArray(random, ((IsBTransposed(form) ? n : k) * ldb) + 1);
                var c = RandomArray(random, (m * ldc) + 1);
                var c0 = (float[])c.Clone();

                Run(form, width, a, lda, b, ldb, c, ldc, m, n, k, accumulate);

                AssertMatchesReference(form, a, lda, b, ldb, c0, c, ldc, m, n, k, accumulate, $"{form} {width} m={m} n={n} k={k} accumulate={accumulate}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Gemm_Multiply_ColumnSplitsGiveIdenticalBits(int widthValue)
    {
        var width = (SimdWidth)widthValue;
        var random = new Random(7);
        foreach (var (m, n, k) in new[] { (64, 512, 128), (1, 300, 70), (5, 97, 260), (33, 65, 17) })
        {
            var a = RandomArray(random, m * k);
            var w = RandomArray(random, n * k);
            var packed = new PackedMatrix();
            packed.PackTransposed(w, k, n, k);
            var whole = new float[m * n];
            Gemm.MultiplyWith(width, a, k, m, packed, 0, n, whole, n, accumulate: false);

            // Aligned and unaligned splits, including one-column ranges and ranges inside one tile.
            foreach (var cuts in new[] { new[] { n / 2 }, new[] { 1, 2, n - 1 }, new[] { 7, 50, 51, 90 }, new[] { 32, 64, 96 } })
            {
                var split = new float[m * n];
                var start = 0;
                foreach (var end in cuts.Where(x => x > 0 && x < n).Append(n))
                {
                    Gemm.MultiplyWith(width, a, k, m, packed, start, end, split, n, accumulate: false);
                    start = end;
                }

                TestUtil.AssertBitwiseEqual(whole, split, $"{width} m={m} n={n} k={k} cuts={string.Join(',', cuts)}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Gemm_Multiply_RowBitsDoNotDependOnRowCount(int widthValue)
    {
        var width = (SimdWidth)widthValue;
        var random = new Random(11);
        const int M = 29, N = 200, K = 300;
        var a = RandomArray(random, M * K);
        var w = RandomArray(random, K * N);
        var packed = new PackedMatrix();
        packed.Pack(w, N, K, N);
        var all = new float[M * N];
        Gemm.MultiplyWith(width, a, K, M, packed, 0, N, all, N, accumulate: false);

        // Each row alone takes the single-row path (four-tile row kernel); rows 3..10 form other row blocks.
        for (var i = 0; i < M; i++)
        {
            var row = new float[N];
            Gemm.MultiplyWith(width, a.AsSpan(i * K, K), K, 1, packed, 0, N, row, N, accumulate: false);
            TestUtil.AssertBitwiseEqual(all.AsSpan(i * N, N).ToArray(), row, $"{width} row {i}");
        }

        var some = new float[8 * N];
        Gemm.MultiplyWith(width, a.AsSpan(3 * K), K, 8, packed, 0, N, some, N, accumulate: false);
        TestUtil.AssertBitwiseEqual(all.AsSpan(3 * N, 8 * N).ToArray(), some, $"{width} rows 3..10");
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Gemm_Multiply_DescendingTilesGiveTheSameBits(int widthValue)
    {
        // The recurrent engine walks a step's columns from the right on every other step (M = 1); any M, range, K
        // (one or two K blocks) and gate blocks must give exactly the ascending walk's values in exactly its columns.
        var width = (SimdWidth)widthValue;
        var random = new Random(17);
        const int N = 200;
        foreach (var k in new[] { 20, 300 })
        {
            var w = RandomArray(random, k * N);
            var packed = new PackedMatrix();
            packed.PackTransposed(w, k, N, k);
            foreach (var m in new[] { 1, 2, 15 })
            {
                var a = RandomArray(random, m * k);
                var c0 = RandomArray(random, m * N);
                foreach (var (n0, n1) in new[] { (0, N), (0, 128), (7, 190), (32, 160), (5, 6), (130, 200) })
                {
                    foreach (var accumulate in new[] { false, true })
                    {
                        var ascending = (float[])c0.Clone();
                        var descending = (float[])c0.Clone();
                        Gemm.MultiplyWith(width, a, k, m, packed, n0, n1, ascending, N, accumulate);
                        Gemm.MultiplyWith(width, a, k, m, packed, n0, n1, descending, N, accumulate, descending: true);
                        TestUtil.AssertBitwiseEqual(ascending, descending, $"{width} k={k} m={m} [{n0}, {n1}) accumulate={accumulate}");
                    }
                }

                // Four gate blocks of 50 columns, units [10, 40) of each: blocks in reverse order, tiles from the right.
                var blocksUp = (float[])c0.Clone();
                var blocksDown = (float[])c0.Clone();
                Gemm.MultiplyWith(width, a, k, m, packed, 10, 40, 4, 50, blocksUp, N, accumulate: true, descending: false);
                Gemm.MultiplyWith(width, a, k, m, packed, 10, 40, 4, 50, blocksDown, N, accumulate: true, descending: true);
                TestUtil.AssertBitwiseEqual(blocksUp, blocksDown, $"{width} k={k} m={m} blocks");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Gemm_MultiplyAtB_RowAndColumnSlicesGiveIdenticalBits(int widthValue)
    {
        // dW[m, n] += dGatesᵀ · X split between two threads by rows or by columns of dW.
        var width = (SimdWidth)widthValue;
        var random = new Random(13);
        const int M = 70, N = 45, K = 600;
        var a = RandomArray(random, K * M);
        var b = RandomArray(random, K * N);
        var c0 = RandomArray(random, M * N);
        var whole = (float[])c0.Clone();
        Gemm.MultiplyAtBWith(width, a, M, b, N, whole, N, M, N, K, accumulate: true);

        var byColumns = (float[])c0.Clone();
        Gemm.MultiplyAtBWith(width, a, M, b, N, byColumns, N, M, 13, K, accumulate: true);
        Gemm.MultiplyAtBWith(width, a, M, b.AsSpan(13), N, byColumns.AsSpan(13), N, M, N - 13, K, accumulate: true);
        TestUtil.AssertBitwiseEqual(whole, byColumns, $"{width} by columns");

        var byRows = (float[])c0.Clone();
        Gemm.MultiplyAtBWith(width, a, M, b, N, byRows, N, 29, N, K, accumulate: true);
        Gemm.MultiplyAtBWith(width, a.AsSpan(29), M, b, N, byRows.AsSpan(29 * N), N, M - 29, N, K, accumulate: true);
        TestUtil.AssertBitwiseEqual(whole, byRows, $"{width} by rows");
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Gemm_MultiplyAtB_ExactLengthOperandsMatchReference(int widthValue)
    {
        // The stored Aᵀ ends exactly where the product's last element is: the packer's vector copies must
        // fall back to exact copies near the end instead of reading past it.
        var width = (SimdWidth)widthValue;
        var random = new Random(19);
        foreach (var (m, n, k) in new[] { (13, 5, 7), (29, 40, 300), (3, 2, 1) })
        {
            var a = RandomArray(random, k * m);
            var b = RandomArray(random, k * n);
            var c = new float[m * n];
            Gemm.MultiplyAtBWith(width, a, m, b, n, c, n, m, n, k, accumulate: false);
            AssertMatchesReference(Form.AtB, a, m, b, n, new float[m * n], c, n, m, n, k, accumulate: false, $"{width} m={m} n={n} k={k}");
        }
    }

    [Fact]
    public void Gemm_Multiply_TwoThreadsOnColumnHalvesMatchOneCall()
    {
        var random = new Random(3);
        const int M = 64, N = 512, K = 128;
        var a = RandomArray(random, M * K);
        var w = RandomArray(random, N * K);
        var packed = new PackedMatrix();
        packed.PackTransposed(w, K, N, K);
        var whole = new float[M * N];
        Gemm.Multiply(a, K, M, packed, 0, N, whole, N, accumulate: false);

        var split = new float[M * N];
        using var ready = new Barrier(2);
        var threads = new[] { (0, 200), (200, N) }.Select(range => new Thread(() =>
        {
            ready.SignalAndWait();
            for (var repeat = 0; repeat < 20; repeat++)
            {
                Gemm.Multiply(a, K, M, packed, range.Item1, range.Item2, split, N, accumulate: false);
            }
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        TestUtil.AssertBitwiseEqual(whole, split, "two threads");
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Gemm_ProductForms_AgreeBitwiseOnTheSameOperands(int widthValue)
    {
        var width = (SimdWidth)widthValue;
        var random = new Random(5);
        const int M = 19, N = 70, K = 270;
        var a = RandomArray(random, M * K);
        var at = Transpose(a, M, K);
        var b = RandomArray(random, K * N);
        var bt = Transpose(b, K, N);

        var ab = new float[M * N];
        Gemm.MultiplyABWith(width, a, K, b, N, ab, N, M, N, K, accumulate: false);
        var abt = new float[M * N];
        Gemm.MultiplyABtWith(width, a, K, bt, K, abt, N, M, N, K, accumulate: false);
        var atb = new float[M * N];
        Gemm.MultiplyAtBWith(width, at, M, b, N, atb, N, M, N, K, accumulate: false);
        var packed = new PackedMatrix();
        packed.Pack(b, N, K, N);
        var p = new float[M * N];
        Gemm.MultiplyWith(width, a, K, M, packed, 0, N, p, N, accumulate: false);

        TestUtil.AssertBitwiseEqual(ab, abt, "AB vs ABt");
        TestUtil.AssertBitwiseEqual(ab, atb, "AB vs AtB");
        TestUtil.AssertBitwiseEqual(ab, p, "AB vs packed");
    }

    [Fact]
    public void Gemm_AllSupportedWidths_AgreeBitwise()
    {
        // Every rung runs the same chain of MultiplyAddEstimate per element: fused on all of them where
        // the hardware has FMA, a multiply and an add on all of them where it does not.
        var random = new Random(9);
        const int M = 23, N = 90, K = 300;
        var a = RandomArray(random, M * K);
        var b = RandomArray(random, K * N);
        var expected = new float[M * N];
        Gemm.MultiplyABWith(UnitLoop.Best, a, K, b, N, expected, N, M, N, K, accumulate: false);
        foreach (var width in UnitLoop.Supported)
        {
            var actual = new float[M * N];
            Gemm.MultiplyABWith(width, a, K, b, N, actual, N, M, N, K, accumulate: false);
            TestUtil.AssertBitwiseEqual(expected, actual, width.ToString());
        }
    }

    [Fact]
    public void Gemm_SteadyStateCalls_AllocateNothing()
    {
        var random = new Random(1);
        const int M = 40, N = 300, K = 270;
        var a = RandomArray(random, M * K);
        var b = RandomArray(random, K * N);
        var c = new float[M * N];
        var packed = new PackedMatrix();
        packed.Pack(b, N, K, N);

        void Calls()
        {
            Gemm.Multiply(a, K, M, packed, 0, N, c, N, accumulate: false);
            Gemm.Multiply(a, K, 1, packed, 5, 200, c, N, accumulate: true);
            Gemm.MultiplyAB(a, K, b, N, c, N, M, N, K, accumulate: true);
            Gemm.MultiplyABt(a, K, b, K, c, N, M, N, K, accumulate: false);
            Gemm.MultiplyAtB(b, N, a, K, c, N, N / 10, K / 10, M, accumulate: true);
            packed.Pack(b, N, K, N);
            packed.PackTransposed(b, K, N, K);
        }

        Calls();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            Calls();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Gemm_EmptyReduction_ClearsOrKeepsC(int widthValue)
    {
        var width = (SimdWidth)widthValue;
        var packed = new PackedMatrix();
        packed.Pack([], 5, 0, 5);
        foreach (var accumulate in new[] { false, true })
        {
            float[] expected = accumulate ? [1, 2, 3, 4, 5, 6] : [0, 0, 0, 0, 0, 6];
            var c = new float[] { 1, 2, 3, 4, 5, 6 };
            Gemm.MultiplyABWith(width, [], 0, [], 5, c, 5, 1, 5, 0, accumulate);
            Assert.Equal(expected, c);

            c = [1, 2, 3, 4, 5, 6];
            Gemm.MultiplyWith(width, [], 0, 1, packed, 0, 5, c, 5, accumulate);
            Assert.Equal(expected, c);
        }
    }

    [Fact]
    public void PackedMatrix_Pack_HoldsEveryElement()
    {
        var random = new Random(2);
        const int K = 45, N = 70, Ld = 75;
        var b = RandomArray(random, K * Ld);
        var packed = new PackedMatrix();
        packed.Pack(b, Ld, K, N);
        Assert.Equal((K, N), (packed.K, packed.N));
        for (var q = 0; q < K; q++)
        {
            for (var j = 0; j < N; j++)
            {
                Assert.Equal(b[(q * Ld) + j], packed.At(q, j));
            }
        }

        // Repacking transposed into the same storage: P[q, j] = B[j, q].
        packed.PackTransposed(b, Ld, K, 60);
        Assert.Equal((60, K), (packed.K, packed.N));
        for (var q = 0; q < 60; q++)
        {
            for (var j = 0; j < K; j++)
            {
                Assert.Equal(b[(j * Ld) + q], packed.At(q, j));
            }
        }
    }

    /// <summary>
    /// The transposing pack at every width (16-, 8- and 4-float register transposes, then the scalar rest of K),
    /// whole or panel range by panel range, holds every element and zeros past N in the last panel.
    /// </summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public void PackedMatrix_PackTransposed_HoldsEveryElementAtEveryWidth(int width)
    {
        var random = new Random(3);
        foreach (var (n, k) in new[] { (32, 16), (64, 256), (100, 45), (96, 3), (33, 37), (1024, 64) })
        {
            var ld = k + 5;
            var b = RandomArray(random, n * ld);
            var whole = new PackedMatrix();
            whole.PackTransposed(b, ld, n, k, (SimdWidth)width);
            var parts = new PackedMatrix();
            parts.Shape(k, n);
            var middle = parts.Panels / 2;
            parts.PackTransposedPanels(b, ld, middle, parts.Panels, (SimdWidth)width);
            parts.PackTransposedPanels(b, ld, 0, middle, (SimdWidth)width);
            foreach (var packed in new[] { whole, parts })
            {
                for (var q = 0; q < k; q++)
                {
                    for (var j = 0; j < packed.Panels * GemmKernel.PanelWidth; j++)
                    {
                        Assert.Equal(j < n ? b[(j * ld) + q] : 0f, packed.At(q, j));
                    }
                }
            }
        }
    }

    /// <summary>The row-block copy of a row-major B, whole or by panel ranges, including a last partial panel and K not a multiple of 8.</summary>
    [Fact]
    public void PackedMatrix_PackPanels_HoldsEveryElement()
    {
        var random = new Random(4);
        foreach (var (k, n) in new[] { (256, 1024), (45, 70), (3, 33), (17, 96) })
        {
            var ld = n + 7;
            var b = RandomArray(random, k * ld);
            var parts = new PackedMatrix();
            parts.Shape(k, n);
            var middle = (parts.Panels + 1) / 2;
            parts.PackPanels(b, ld, middle, parts.Panels);
            parts.PackPanels(b, ld, 0, middle);
            for (var q = 0; q < k; q++)
            {
                for (var j = 0; j < parts.Panels * GemmKernel.PanelWidth; j++)
                {
                    Assert.Equal(j < n ? b[(q * ld) + j] : 0f, parts.At(q, j));
                }
            }
        }
    }

    [Fact]
    public unsafe void AlignedBuffer_Start_Is64ByteAlignedAfterEveryGrowth()
    {
        var buffer = new AlignedBuffer();
        foreach (var length in new[] { 1, 17, 1000, 4099, 100_000 })
        {
            buffer.EnsureCapacity(length);
            Assert.True(buffer.Capacity >= length);
            Assert.Equal(0u, (nuint)Unsafe.AsPointer(ref buffer.Start) % 64);
        }
    }

    private static bool IsATransposed(Form form) => form == Form.AtB;

    private static bool IsBTransposed(Form form) => form is Form.ABt or Form.PackedTransposed;

    private static void Run(Form form, SimdWidth width, float[] a, int lda, float[] b, int ldb, float[] c, int ldc, int m, int n, int k, bool accumulate)
    {
        switch (form)
        {
            case Form.ABt:
                Gemm.MultiplyABtWith(width, a, lda, b, ldb, c, ldc, m, n, k, accumulate);
                break;
            case Form.AB:
                Gemm.MultiplyABWith(width, a, lda, b, ldb, c, ldc, m, n, k, accumulate);
                break;
            case Form.AtB:
                Gemm.MultiplyAtBWith(width, a, lda, b, ldb, c, ldc, m, n, k, accumulate);
                break;
            case Form.Packed:
                {
                    var packed = new PackedMatrix();
                    packed.Pack(b, ldb, k, n);
                    Gemm.MultiplyWith(width, a, lda, m, packed, 0, n, c, ldc, accumulate);
                    break;
                }

            default:
                {
                    var packed = new PackedMatrix();
                    packed.PackTransposed(b, ldb, n, k, width);
                    Gemm.MultiplyWith(width, a, lda, m, packed, 0, n, c, ldc, accumulate);
                    break;
                }
        }
    }

    /// <summary>
    /// Compares with a float64 product. A float dot product of length K accumulated in order is within
    /// 2(K + 1)·u·(Σ|a·b| + |c|) of the exact value (u = 2^-24; Higham, "Accuracy and Stability of Numerical
    /// Algorithms", §3.1, with two roundings per step when the multiply-add is not fused).
    /// </summary>
    private static void AssertMatchesReference(Form form, float[] a, int lda, float[] b, int ldb, float[] c0, float[] c, int ldc, int m, int n, int k, bool accumulate, string what)
    {
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = accumulate ? c0[(i * ldc) + j] : 0.0;
                double magnitude = accumulate ? Math.Abs(c0[(i * ldc) + j]) : 0.0;
                for (var q = 0; q < k; q++)
                {
                    double x = IsATransposed(form) ? a[(q * lda) + i] : a[(i * lda) + q];
                    double y = IsBTransposed(form) ? b[(j * ldb) + q] : b[(q * ldb) + j];
                    sum += x * y;
                    magnitude += Math.Abs(x * y);
                }

                var tolerance = 2 * (k + 1) * Unit * magnitude;
                var actual = c[(i * ldc) + j];
                Assert.True(Math.Abs(actual - sum) <= tolerance, $"{what}: C[{i}, {j}] = {actual}, expected {sum} ± {tolerance}");
            }

            // Padding between rows of C is never written.
            for (var j = n; j < ldc && (i * ldc) + j < c.Length; j++)
            {
                Assert.True(c[(i * ldc) + j] == c0[(i * ldc) + j], $"{what}: C[{i}, {j}] outside the product was written");
            }
        }
    }

    private static float[] Transpose(float[] x, int rows, int cols)
    {
        var t = new float[x.Length];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                t[(j * rows) + i] = x[(i * cols) + j];
            }
        }

        return t;
    }

    private static float[] RandomArray(Random random, int length)
    {
        var x = new float[length];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return x;
    }
}
