using Rnn.Data;
using Rnn.Layers;
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

    public static TheoryData<string, Padding, bool, bool> MaskMatrix()
    {
        var data = new TheoryData<string, Padding, bool, bool>();
        foreach (var cell in new[] { "lstm", "gru", "rnn_tanh", "rnn_relu" })
        {
            foreach (var padding in new[] { Padding.Post, Padding.Pre })
            {
                foreach (var goBackwards in new[] { false, true })
                {
                    foreach (var returnSequences in new[] { true, false })
                    {
                        data.Add(cell, padding, goBackwards, returnSequences);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MaskMatrix))]
    public void MaskedEmbedding_Export_SkipsPaddingLikePredict(string cell, Padding padding, bool goBackwards, bool returnSequences)
    {
        var model = new Sequential(
            [
                new Embedding(40, 6, maskZero: true),
                OnnxTestUtil.Recurrent(cell, 17, returnSequences: true, goBackwards: goBackwards, bidirectional: true, numLayers: 2),
                OnnxTestUtil.Recurrent(cell, 9, returnSequences: returnSequences, bidirectional: true),
                new Dense(3),
            ],
            seed: 2);
        model.Build(-1);
        OnnxTestUtil.Randomize(model, 17);
        var path = Export(model, options: new OnnxExportOptions { Padding = padding });
        var ids = PaddedIds(new Random(4), [7, 1, 4, 0, 6], 7, 40, padding);

        var worst = OnnxTestUtil.AssertMatchesPredict(model, path, ids, 5, 7);
        output.WriteLine($"max |ONNX Runtime - Predict| = {worst:G3}");
    }

    private static float[] PaddedIds(Random random, int[] lengths, int time, int vocabulary, Padding padding)
    {
        var ids = new float[lengths.Length * time];
        for (var b = 0; b < lengths.Length; b++)
        {
            var start = padding == Padding.Post ? 0 : time - lengths[b];
            for (var t = 0; t < lengths[b]; t++)
            {
                ids[(b * time) + start + t] = random.Next(1, vocabulary);
            }
        }

        return ids;
    }

    private string Export(Sequential model, string name = "model.onnx", OnnxExportOptions? options = null)
    {
        var path = Path.Combine(_directory, name);
        OnnxExporter.Export(model, path, options);
        return path;
    }
}
