using Rnn.Serialization;
using Xunit.Abstractions;

namespace Rnn.Tests.Serialization;

public sealed class OnnxExportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rnn-onnx-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string, bool, int, bool> RecurrentMatrix()
    {
        var data = new TheoryData<string, bool, int, bool>();
        foreach (var cell in new[] { "lstm", "gru", "rnn_tanh", "rnn_relu" })
        {
            foreach (var bidirectional in new[] { false, true })
            {
                foreach (var layers in new[] { 1, 2 })
                {
                    foreach (var returnSequences in new[] { true, false })
                    {
                        data.Add(cell, bidirectional, layers, returnSequences);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RecurrentMatrix))]
    public void Recurrent_Export_RunsInOnnxRuntime_LikePredict(string cell, bool bidirectional, int numLayers, bool returnSequences)
    {
        var model = new Sequential([OnnxTestUtil.Recurrent(cell, 17, returnSequences, bidirectional: bidirectional, numLayers: numLayers, inputShape: (null, 5))], seed: 3);
        OnnxTestUtil.Randomize(model, 11);
        var path = Export(model);

        var worst = OnnxTestUtil.AssertMatchesPredict(model, path, OnnxTestUtil.RandomInput(5, 3 * 6 * 5), 3, 6, 5);
        output.WriteLine($"max |ONNX Runtime - Predict| = {worst:G3}");
    }

    private string Export(Sequential model, string name = "model.onnx", OnnxExportOptions? options = null)
    {
        var path = Path.Combine(_directory, name);
        OnnxExporter.Export(model, path, options);
        return path;
    }
}
