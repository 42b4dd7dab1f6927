using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;

namespace Rnn.Benchmarks.Kernels;

/// <summary>
/// This machine's single-core FMA peak: independent register FMAs with no memory traffic, enough chains
/// to cover latency × pipes (4 cycles × 2 pipes on Zen 5; 12 chains for Vector256, which has 16 registers,
/// and 16 for Vector512). GEMM results are reported as a fraction of these. <see cref="Fma512TwoCores"/> runs
/// the Vector512 loop on two threads at once: on a VM whose second vCPU is shared with other tenants it shows
/// what two cores really deliver together, which is what the 2-thread layer results are measured against.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(GflopsConfig))]
public class PeakFlopsBenchmark : IFlopCount
{
    private const int Iterations = 1 << 20;

    /// <summary>FLOPs of one <see cref="Fma512"/> call: 16 chains of 16-lane FMAs (2 FLOPs each) per iteration.</summary>
    public const double Fma512Flops = Iterations * 16.0 * 16 * 2;
    private SecondCore? _second;
    private Action? _first;

    public double FlopsPerOperation(BenchmarkCase benchmarkCase) => benchmarkCase.Descriptor.WorkloadMethod.Name switch
    {
        nameof(Fma512) => Fma512Flops,
        nameof(Fma512TwoCores) => 2 * Fma512Flops,
        _ => Iterations * 12.0 * 8 * 2,
    };

    [GlobalSetup(Target = nameof(Fma512TwoCores))]
    public void StartSecondThread()
    {
        _first = () => Fma512();
        _second = new SecondCore(_first);
    }

    [GlobalCleanup(Target = nameof(Fma512TwoCores))]
    public void StopSecondThread() => _second?.Dispose();

    /// <summary>The Vector512 loop on this thread and on a second one at the same time.</summary>
    [Benchmark]
    public void Fma512TwoCores() => _second!.RunWith(_first!);

    [Benchmark]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public float Fma512()
    {
        var a = Vector512.Create(0.999f);
        var b = Vector512.Create(1e-3f);
        Vector512<float> c0 = Vector512.Create(0f), c1 = Vector512.Create(1f), c2 = Vector512.Create(2f), c3 = Vector512.Create(3f);
        Vector512<float> c4 = Vector512.Create(4f), c5 = Vector512.Create(5f), c6 = Vector512.Create(6f), c7 = Vector512.Create(7f);
        Vector512<float> c8 = Vector512.Create(8f), c9 = Vector512.Create(9f), c10 = Vector512.Create(10f), c11 = Vector512.Create(11f);
        Vector512<float> c12 = Vector512.Create(12f), c13 = Vector512.Create(13f), c14 = Vector512.Create(14f), c15 = Vector512.Create(15f);
        for (var i = 0; i < Iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, a, b);
            c1 = Vector512.FusedMultiplyAdd(c1, a, b);
            c2 = Vector512.FusedMultiplyAdd(c2, a, b);
            c3 = Vector512.FusedMultiplyAdd(c3, a, b);
            c4 = Vector512.FusedMultiplyAdd(c4, a, b);
            c5 = Vector512.FusedMultiplyAdd(c5, a, b);
            c6 = Vector512.FusedMultiplyAdd(c6, a, b);
            c7 = Vector512.FusedMultiplyAdd(c7, a, b);
            c8 = Vector512.FusedMultiplyAdd(c8, a, b);
            c9 = Vector512.FusedMultiplyAdd(c9, a, b);
            c10 = Vector512.FusedMultiplyAdd(c10, a, b);
            c11 = Vector512.FusedMultiplyAdd(c11, a, b);
            c12 = Vector512.FusedMultiplyAdd(c12, a, b);
            c13 = Vector512.FusedMultiplyAdd(c13, a, b);
            c14 = Vector512.FusedMultiplyAdd(c14, a, b);
            c15 = Vector512.FusedMultiplyAdd(c15, a, b);
        }

        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15).ToScalar();
    }

    [Benchmark]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public float Fma256()
    {
        var a = Vector256.Create(0.999f);
        var b = Vector256.Create(1e-3f);
        Vector256<float> c0 = Vector256.Create(0f), c1 = Vector256.Create(1f), c2 = Vector256.Create(2f), c3 = Vector256.Create(3f);
        Vector256<float> c4 = Vector256.Create(4f), c5 = Vector256.Create(5f), c6 = Vector256.Create(6f), c7 = Vector256.Create(7f);
        Vector256<float> c8 = Vector256.Create(8f), c9 = Vector256.Create(9f), c10 = Vector256.Create(10f), c11 = Vector256.Create(11f);
        for (var i = 0; i < Iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, a, b);
            c1 = Vector256.FusedMultiplyAdd(c1, a, b);
            c2 = Vector256.FusedMultiplyAdd(c2, a, b);
            c3 = Vector256.FusedMultiplyAdd(c3, a, b);
            c4 = Vector256.FusedMultiplyAdd(c4, a, b);
            c5 = Vector256.FusedMultiplyAdd(c5, a, b);
            c6 = Vector256.FusedMultiplyAdd(c6, a, b);
            c7 = Vector256.FusedMultiplyAdd(c7, a, b);
            c8 = Vector256.FusedMultiplyAdd(c8, a, b);
            c9 = Vector256.FusedMultiplyAdd(c9, a, b);
            c10 = Vector256.FusedMultiplyAdd(c10, a, b);
            c11 = Vector256.FusedMultiplyAdd(c11, a, b);
        }

        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).ToScalar();
    }
}
