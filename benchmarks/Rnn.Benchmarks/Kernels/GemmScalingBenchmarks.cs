using BenchmarkDotNet.Attributes;
using Rnn.Kernels;

namespace Rnn.Benchmarks.Kernels;

/// <summary>
/// Do two cores multiply as fast together as one alone? The large LSTM's recurrent step split the way the engine
/// splits it (each thread half of the gate columns of <c>h · W_hhᵀ</c>, 64 × 2048 × 512, and of the projection
/// <c>x · W_ihᵀ</c>, 64 × 2048 × 256), run by one thread alone and then by two threads at once with no barrier.
/// With perfect scaling <see cref="TwoHalvesAtOnce"/> takes as long as <see cref="OneHalfAlone"/>; the difference
/// is what the two cores lose to each other (shared cache and memory bandwidth, or the host), before any
/// synchronization cost.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(GflopsConfig))]
public class GemmScalingBenchmarks
{
    private const int Batch = 64;
    private const int Hidden = 512;
    private const int Input = 256;
    private readonly PackedMatrix _weightHhT = new();
    private readonly PackedMatrix _weightIhT = new();
    private float[] _h = [];
    private float[] _x = [];
    private float[][] _gates = [];
    private SecondCore? _second;
    private Action? _first;

    [GlobalSetup]
    public void Setup()
    {
        _weightHhT.PackTransposed(Layers.Workload.RandomValues(4 * Hidden * Hidden, 1), Hidden, 4 * Hidden, Hidden);
        _weightIhT.PackTransposed(Layers.Workload.RandomValues(4 * Hidden * Input, 2), Input, 4 * Hidden, Input);
        _h = Layers.Workload.RandomValues(Batch * Hidden, 3);
        _x = Layers.Workload.RandomValues(Batch * Input, 4);
        _gates = [new float[Batch * 4 * Hidden], new float[Batch * 4 * Hidden]];
        _first = () => Half(0);
        _second = new SecondCore(() => Half(1));
    }

    [GlobalCleanup]
    public void Cleanup() => _second?.Dispose();

    /// <summary>Thread 0's half of one step, with the other core idle.</summary>
    [Benchmark(Baseline = true)]
    public void OneHalfAlone() => Half(0);

    /// <summary>Both halves of one step, one per core, at the same time.</summary>
    [Benchmark]
    public void TwoHalvesAtOnce() => _second!.RunWith(_first!);

    private void Half(int worker)
    {
        var (start, end) = worker == 0 ? (0, Hidden / 2) : (Hidden / 2, Hidden);
        var gates = _gates[worker];
        Gemm.MultiplyBlocks(_x, Input, Batch, _weightIhT, start, end, 4, Hidden, gates, 4 * Hidden, accumulate: false);
        Gemm.MultiplyBlocks(_h, Hidden, Batch, _weightHhT, start, end, 4, Hidden, gates, 4 * Hidden, accumulate: true);
    }
}
