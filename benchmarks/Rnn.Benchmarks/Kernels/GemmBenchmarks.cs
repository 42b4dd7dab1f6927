using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Rnn.Kernels;

namespace Rnn.Benchmarks.Kernels;

/// <summary>
/// The GEMM shapes the recurrent engine runs, single-threaded (the engine splits columns between threads
/// itself): per-step recurrent products through a <see cref="PackedMatrix"/>, the input projection (ABt),
/// the weight gradients (AtB, K = T·B = 6400) and the input gradient (AB).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(GflopsConfig))]
public class GemmBenchmarks : IFlopCount
{
    private float[] _a = [];
    private float[] _b = [];
    private float[] _c = [];
    private readonly PackedMatrix _packed = new();

    public static IEnumerable<GemmShape> Shapes { get; } =
    [
        // h_{t-1} · W_hhᵀ per step: medium LSTM (B 64, H 128), large LSTM (B 64, H 512), seed LSTM (B 32, H 20),
        // one streaming sequence (B 1, H 256: LSTM and GRU).
        new(GemmForm.PackedTransposed, 64, 512, 128),
        new(GemmForm.PackedTransposed, 64, 2048, 512),
        new(GemmForm.PackedTransposed, 32, 80, 20),
        new(GemmForm.PackedTransposed, 1, 1024, 256),
        new(GemmForm.PackedTransposed, 1, 768, 256),

        // dh_{t-1} = dGates_t · W_hh per step of the large LSTM's backward pass.
        new(GemmForm.Packed, 64, 512, 2048),

        // Input projection X · W_ihᵀ for all steps (T·B = 6400): medium (I 32, 4H 512), large (I 256, 4H 2048).
        new(GemmForm.ABt, 6400, 512, 32),
        new(GemmForm.ABt, 6400, 2048, 256),

        // Weight gradients dGatesᵀ · X over T·B = 6400: large dW_ih (4H 2048 × H 512), medium dW_hh (512 × 128).
        new(GemmForm.AtB, 2048, 512, 6400),
        new(GemmForm.AtB, 512, 128, 6400),

        // Input gradient dX = dGates · W_ih of the large LSTM.
        new(GemmForm.AB, 6400, 256, 2048),
    ];

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = new(GemmForm.AB, 1, 1, 1);

    public double FlopsPerOperation(BenchmarkCase benchmarkCase)
        => benchmarkCase.Parameters["Shape"] is GemmShape shape ? 2.0 * shape.M * shape.N * shape.K : double.NaN;

    [GlobalSetup]
    public void Setup()
    {
        var (m, n, k) = (Shape.M, Shape.N, Shape.K);
        var random = new Random(1);
        _a = Random(random, m * k);
        _b = Random(random, n * k);
        _c = new float[m * n];
        if (Shape.Form == GemmForm.PackedTransposed)
        {
            _packed.PackTransposed(_b, k, n, k);
        }
        else if (Shape.Form == GemmForm.Packed)
        {
            _packed.Pack(_b, n, k, n);
        }
    }

    [Benchmark]
    public void Product()
    {
        var (m, n, k) = (Shape.M, Shape.N, Shape.K);
        switch (Shape.Form)
        {
            case GemmForm.ABt:
                Gemm.MultiplyABt(_a, k, _b, k, _c, n, m, n, k, accumulate: false);
                break;
            case GemmForm.AB:
                Gemm.MultiplyAB(_a, k, _b, n, _c, n, m, n, k, accumulate: false);
                break;
            case GemmForm.AtB:
                Gemm.MultiplyAtB(_a, m, _b, n, _c, n, m, n, k, accumulate: true);
                break;
            default:
                Gemm.Multiply(_a, k, m, _packed, 0, n, _c, n, accumulate: false);
                break;
        }
    }

    private static float[] Random(Random random, int length)
    {
        var x = new float[length];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextDouble() - 0.5f;
        }

        return x;
    }
}

/// <summary>Which <see cref="Gemm"/> entry point a shape runs.</summary>
public enum GemmForm
{
    /// <summary><see cref="Gemm.Multiply"/> with P packed from B[k, n].</summary>
    Packed,

    /// <summary><see cref="Gemm.Multiply"/> with P packed from B[n, k] (P = Bᵀ, the W_hhᵀ case).</summary>
    PackedTransposed,

    /// <summary><see cref="Gemm.MultiplyABt"/>.</summary>
    ABt,

    /// <summary><see cref="Gemm.MultiplyAB"/>.</summary>
    AB,

    /// <summary><see cref="Gemm.MultiplyAtB"/>.</summary>
    AtB,
}

/// <summary>One product C[M, N] = op(A)[M, K] · op(B)[K, N].</summary>
public sealed record GemmShape(GemmForm Form, int M, int N, int K)
{
    public override string ToString() => $"{Form} {M}x{N}x{K}";
}
