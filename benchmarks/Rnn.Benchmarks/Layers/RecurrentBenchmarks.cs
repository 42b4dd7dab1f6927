using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Rnn.Benchmarks.Peers;

namespace Rnn.Benchmarks.Layers;

/// <summary>
/// One recurrent layer returning its whole output sequence, on the four workloads of PERFORMANCE.md, against
/// PyTorch (TorchSharp, libtorch CPU) and ONNX Runtime in the same run, on 1 and 2 threads. "Inference" is
/// one forward pass; "train step" is forward, backward of an MSE loss on the output sequence, and an Adam
/// update (ONNX Runtime does not train).
/// </summary>
[Config(typeof(LayerBenchmarkConfig))]
public class RecurrentBenchmarks : IFlopCount
{
    private Sequential _model = null!;
    private Tensor<float> _x = null!;
    private Tensor<float> _y = null!;
    private Tensor<float> _output = null!;
    private TorchPeer? _torch;
    private OrtPeer? _ort;

    [Params("lstm", "gru", "rnn")]
    public string Cell { get; set; } = "lstm";

    [Params("seed", "stream", "medium", "large")]
    public string Workload { get; set; } = "seed";

    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    /// <summary>Forward FLOPs for inference; three times that for a training step (forward, and backward's two products per weight).</summary>
    public double FlopsPerOperation(BenchmarkCase benchmarkCase)
    {
        var w = Layers.Workload.Named((string)benchmarkCase.Parameters[nameof(Workload)]);
        var forward = w.ForwardFlops((string)benchmarkCase.Parameters[nameof(Cell)]);
        return benchmarkCase.Descriptor.WorkloadMethod.Name.Contains("Train", StringComparison.Ordinal) ? 3 * forward : forward;
    }

    [GlobalSetup(Targets = [nameof(RnnInference), nameof(RnnTrainStep)])]
    public void SetupRnn()
    {
        Parallelism.ThreadCount = Threads;
        (_model, _x, _y, _output) = Layers.Workload.Named(Workload).CreateCase(Cell);
    }

    [GlobalSetup(Targets = [nameof(PyTorchInference), nameof(PyTorchTrainStep)])]
    public void SetupTorch() => _torch = new TorchPeer(Cell, Layers.Workload.Named(Workload), Threads);

    [GlobalSetup(Target = nameof(OnnxRuntimeInference))]
    public void SetupOrt() => _ort = new OrtPeer(Cell, Layers.Workload.Named(Workload), Threads);

    [GlobalCleanup]
    public void Cleanup()
    {
        _torch?.Dispose();
        _ort?.Dispose();
    }

    [Benchmark]
    [BenchmarkCategory("inference")]
    public void RnnInference() => _model.Predict(_x, _output, batchSize: (int)_x.Lengths[0]);

    [Benchmark]
    [BenchmarkCategory("train")]
    public float RnnTrainStep() => _model.TrainOnBatch(_x, _y);

    [Benchmark]
    [BenchmarkCategory("inference")]
    public void PyTorchInference() => _torch!.Inference();

    [Benchmark]
    [BenchmarkCategory("train")]
    public void PyTorchTrainStep() => _torch!.TrainStep();

    [Benchmark]
    [BenchmarkCategory("inference")]
    public void OnnxRuntimeInference() => _ort!.Inference();
}
