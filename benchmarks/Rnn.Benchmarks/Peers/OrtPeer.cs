using Microsoft.ML.OnnxRuntime;
using Rnn.Benchmarks.Layers;
using Rnn.Serialization;

namespace Rnn.Benchmarks.Peers;

/// <summary>
/// The same layer in ONNX Runtime (inference only): our model exported with <see cref="OnnxExporter"/> (standard
/// LSTM/GRU/RNN operators), run with <c>intra_op_num_threads</c> = the thread count and preallocated output.
/// </summary>
public sealed class OrtPeer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtValue _input;
    private readonly OrtValue _output;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames = ["input"];
    private readonly string[] _outputNames = ["output"];
    private readonly OrtValue[] _inputs;
    private readonly OrtValue[] _outputs;

    public OrtPeer(string cell, Workload w, int threads)
    {
        using var stream = new MemoryStream();
        OnnxExporter.Export(w.CreateModel(cell), stream);
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(stream.ToArray(), options);
        _input = OrtValue.CreateTensorValueFromMemory(Workload.RandomValues(w.Batch * w.Time * w.Input, 1), [w.Batch, w.Time, w.Input]);
        _output = OrtValue.CreateTensorValueFromMemory(new float[w.Batch * w.Time * w.Hidden], [w.Batch, w.Time, w.Hidden]);
        _inputs = [_input];
        _outputs = [_output];
    }

    public void Inference() => _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);

    public void Dispose()
    {
        _session.Dispose();
        _input.Dispose();
        _output.Dispose();
        _runOptions.Dispose();
    }
}
