using BenchmarkDotNet.Attributes;
using Rnn.Kernels;
using Rnn.Layers;

namespace Rnn.Benchmarks.Layers;

/// <summary>
/// Where one forward step's time goes, on one thread: the recurrent GEMM <c>h_{t-1} · W_hhᵀ</c> (all gates), the
/// input projection <c>X · W_ihᵀ</c> of one chunk of steps (the engine projects about 64 rows at once: 2 steps of
/// the seed workload, 64 of the streaming one, 1 of medium) and the fused gate kernel. Multiplied by T, the three give most of a layer's
/// inference time in <see cref="RecurrentBenchmarks"/>; docs/benchmarks.md uses them to say why a cell is where
/// it is.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(LayerBenchmarkConfig))]
public class StepBreakdownBenchmarks
{
    private readonly PackedMatrix _weightHhT = new();
    private readonly PackedMatrix _weightIhT = new();
    private float[] _x = [];
    private float[] _h = [];
    private float[] _gates = [];
    private float[] _hiddenPart = [];
    private float[] _bias = [];
    private float[] _c = [];
    private float[] _cNext = [];
    private float[] _hNext = [];
    private int _chunkSteps;
    private Workload _w = Layers.Workload.Seed;
    private int _gateCount;

    [Params("lstm", "gru", "rnn")]
    public string Cell { get; set; } = "lstm";

    [Params("seed", "stream", "medium")]
    public string Workload { get; set; } = "seed";

    [GlobalSetup]
    public void Setup()
    {
        _w = Layers.Workload.Named(Workload);
        _gateCount = Layers.Workload.Gates(Cell);
        var (b, i, h) = (_w.Batch, _w.Input, _w.Hidden);
        var gh = _gateCount * h;
        _chunkSteps = RecurrentScan.ProjectionChunk(b, _w.Time);
        _weightHhT.PackTransposed(Layers.Workload.RandomValues(gh * h, 1), h, gh, h);
        _weightIhT.PackTransposed(Layers.Workload.RandomValues(gh * i, 2), i, gh, i);
        _x = Layers.Workload.RandomValues(_chunkSteps * b * i, 3);
        _h = Layers.Workload.RandomValues(b * h, 4);
        _gates = Layers.Workload.RandomValues(_chunkSteps * b * gh, 5);
        _hiddenPart = Layers.Workload.RandomValues(b * gh, 6);
        _bias = Layers.Workload.RandomValues(gh, 7);
        _c = Layers.Workload.RandomValues(b * h, 8);
        _cNext = new float[b * h];
        _hNext = new float[b * h];
    }

    /// <summary>One step's <c>h_{t-1} · W_hhᵀ</c> for all gates: into the gate pre-activations (Gru: its own buffer).</summary>
    [Benchmark]
    public void StepGemm()
    {
        var gh = _gateCount * _w.Hidden;
        if (Cell == "gru")
        {
            Gemm.Multiply(_h, _w.Hidden, _w.Batch, _weightHhT, 0, gh, _hiddenPart, gh, accumulate: false);
        }
        else
        {
            Gemm.Multiply(_h, _w.Hidden, _w.Batch, _weightHhT, 0, gh, _gates, gh, accumulate: true);
        }
    }

    /// <summary>The input projection of one chunk of steps (about 64 rows).</summary>
    [Benchmark]
    public void ProjectionChunk() => Gemm.Multiply(_x, _w.Input, _chunkSteps * _w.Batch, _weightIhT, 0, _gateCount * _w.Hidden, _gates, _gateCount * _w.Hidden, accumulate: false);

    /// <summary>The fused gate kernel of one step (inference: activations not kept).</summary>
    [Benchmark]
    public void GateKernel()
    {
        var (b, h) = (_w.Batch, _w.Hidden);
        switch (Cell)
        {
            case "lstm":
                LstmGates.Forward(_gates, _bias, _c, _cNext, _hNext, b, h, 0, h, storeActivations: false, UnitLoop.Best);
                break;
            case "gru":
                GruGates.Forward(_gates, _hiddenPart, _bias, _bias, _h, _hNext, b, h, 0, h, storeActivations: false, UnitLoop.Best);
                break;
            default:
                SimpleRnnGates.Forward(_gates, _bias, _hNext, b, h, relu: false, 0, h, UnitLoop.Best);
                break;
        }
    }
}
