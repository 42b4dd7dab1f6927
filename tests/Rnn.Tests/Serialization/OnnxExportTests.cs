using Rnn.Data;
using Rnn.Layers;
using Rnn.Serialization;
using Xunit.Abstractions;

namespace Rnn.Tests.Serialization;

public sealed class OnnxExportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rnn-onnx-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string, bool, BidirectionalMerge, int, bool> RecurrentMatrix()
    {
        var data = new TheoryData<string, bool, BidirectionalMerge, int, bool>();
        foreach (var cell in new[] { "lstm", "gru", "rnn_tanh", "rnn_relu" })
        {
            foreach (var (bidirectional, merge) in new[]
            {
                (false, BidirectionalMerge.Concat), (true, BidirectionalMerge.Concat), (true, BidirectionalMerge.Sum),
                (true, BidirectionalMerge.Average), (true, BidirectionalMerge.Multiply),
            })
            {
                foreach (var layers in new[] { 1, 2 })
                {
                    foreach (var returnSequences in new[] { true, false })
                    {
                        data.Add(cell, bidirectional, merge, layers, returnSequences);
                    }
                }
            }
        }

        return data;
    }

    /// <summary>Every cell, one or two directions (with each merge mode), one or two layers, sequence or last output.</summary>
    [Theory]
    [MemberData(nameof(RecurrentMatrix))]
    public void Recurrent_Export_RunsInOnnxRuntime_LikePredict(string cell, bool bidirectional, BidirectionalMerge merge, int numLayers, bool returnSequences)
    {
        var model = new Sequential(
            [OnnxTestUtil.Recurrent(cell, 17, returnSequences, bidirectional: bidirectional, numLayers: numLayers, inputShape: (null, 5), mergeMode: merge)], seed: 3);
        OnnxTestUtil.Randomize(model, 11);
        var path = Export(model);

        using (var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path))
        {
            var width = bidirectional && merge == BidirectionalMerge.Concat ? 34 : 17;
            Assert.Equal(returnSequences ? [-1, -1, width] : [-1, width], session.OutputMetadata["output"].Dimensions);
        }

        AssertMatchesPredict(model, path, OnnxTestUtil.RandomInput(5, 3 * 6 * 5), 3, 6, 5);
    }

    public static TheoryData<string, BidirectionalMerge, Padding, bool> MaskedMergeMatrix()
    {
        var data = new TheoryData<string, BidirectionalMerge, Padding, bool>();
        var cells = new[] { "lstm", "gru", "rnn_tanh" };
        var index = 0;
        foreach (var merge in new[] { BidirectionalMerge.Sum, BidirectionalMerge.Average, BidirectionalMerge.Multiply })
        {
            foreach (var padding in new[] { Padding.Post, Padding.Pre })
            {
                foreach (var goBackwards in new[] { false, true })
                {
                    data.Add(cells[index++ % cells.Length], merge, padding, goBackwards);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MaskedMergeMatrix))]
    public void MergeMode_MaskedExport_SkipsPaddingLikePredict(string cell, BidirectionalMerge merge, Padding padding, bool goBackwards)
    {
        var model = new Sequential(
            [
                new Embedding(40, 6, maskZero: true),
                OnnxTestUtil.Recurrent(cell, 17, returnSequences: true, goBackwards: goBackwards, bidirectional: true, numLayers: 2, mergeMode: merge),
                OnnxTestUtil.Recurrent(cell, 9, returnSequences: true, bidirectional: true, mergeMode: merge),
                OnnxTestUtil.Recurrent(cell, 5, bidirectional: true, mergeMode: merge),
                new Dense(3),
            ],
            seed: 2);
        model.Build(-1);
        OnnxTestUtil.Randomize(model, 17);
        var path = Export(model, options: new OnnxExportOptions { Padding = padding });
        var ids = PaddedIds(new Random(4), [7, 1, 4, 0, 6], 7, 40, padding);

        AssertMatchesPredict(model, path, ids, 5, 7);
    }

    public static TheoryData<string, bool, bool> GoBackwardsMatrix()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (var cell in new[] { "lstm", "gru", "rnn_tanh", "rnn_relu" })
        {
            foreach (var bidirectional in new[] { false, true })
            {
                foreach (var returnSequences in new[] { true, false })
                {
                    data.Add(cell, bidirectional, returnSequences);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(GoBackwardsMatrix))]
    public void GoBackwards_Export_ReadsTheSequenceReversed_LikePredict(string cell, bool bidirectional, bool returnSequences)
    {
        var model = new Sequential(
            [OnnxTestUtil.Recurrent(cell, 33, returnSequences, goBackwards: true, bidirectional: bidirectional, numLayers: 2, inputShape: (null, 33))], seed: 4);
        OnnxTestUtil.Randomize(model, 12);
        var path = Export(model);

        AssertMatchesPredict(model, path, OnnxTestUtil.RandomInput(6, 2 * 9 * 33), 2, 9, 33);
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("rnn_tanh")]
    [InlineData("rnn_relu")]
    public void NoBias_Export_MatchesPredict(string cell)
    {
        var model = new Sequential(
            [OnnxTestUtil.Recurrent(cell, 17, returnSequences: true, bidirectional: true, numLayers: 2, useBias: false, inputShape: (null, 3)), new Dense(4, useBias: false)], seed: 5);
        OnnxTestUtil.Randomize(model, 13);
        var path = Export(model);

        AssertMatchesPredict(model, path, OnnxTestUtil.RandomInput(7, 4 * 5 * 3), 4, 5, 3);
    }

    public static TheoryData<Activation, bool> DenseMatrix()
    {
        var data = new TheoryData<Activation, bool>();
        foreach (var activation in Enum.GetValues<Activation>())
        {
            data.Add(activation, false);
            data.Add(activation, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(DenseMatrix))]
    public void Dense_Export_MatchesPredict_OnVectorsAndPerTimeStep(Activation activation, bool perTimeStep)
    {
        var model = new Sequential([new Dense(33, activation, inputShape: perTimeStep ? [-1, 17] : [17])], seed: 6);
        OnnxTestUtil.Randomize(model, 14);
        var path = Export(model);
        int[] shape = perTimeStep ? [3, 4, 17] : [5, 17];

        // Inputs in ±3 so that every activation sees both of its regimes (saturation, negative side of elu...).
        var input = OnnxTestUtil.RandomInput(8, shape.Aggregate(1, (a, b) => a * b)).Select(v => 3 * v).ToArray();
        AssertMatchesPredict(model, path, input, shape);
    }

    [Theory]
    [MemberData(nameof(DenseMatrix))]
    public void ActivationLayer_Export_MatchesPredict(Activation activation, bool perTimeStep)
    {
        var model = new Sequential(
            perTimeStep
                ? [new Gru(17, returnSequences: true, inputShape: (null, 2)), new ActivationLayer(activation)]
                : [new Dense(17, inputShape: [5]), new ActivationLayer(activation)],
            seed: 7);
        OnnxTestUtil.Randomize(model, 15);
        var path = Export(model);
        int[] shape = perTimeStep ? [3, 4, 2] : [3, 5];

        AssertMatchesPredict(model, path, OnnxTestUtil.RandomInput(9, shape.Aggregate(1, (a, b) => a * b)), shape);
    }

    [Fact]
    public void Embedding_Gru_Dense_Export_TakesFloatTokenIds_AndMatchesPredict()
    {
        var model = new Sequential([new Embedding(50, 17), new Gru(33), new Dense(5, Activation.Softmax)], seed: 8);
        model.Build(-1);
        OnnxTestUtil.Randomize(model, 16);
        var path = Export(model);
        var random = new Random(10);
        var ids = Enumerable.Range(0, 4 * 9).Select(_ => (float)random.Next(50)).ToArray();

        AssertMatchesPredict(model, path, ids, 4, 9);
    }

    [Fact]
    public void Dropout_Export_IsLeftOutOfTheGraph()
    {
        var model = new Sequential(
            [new Lstm(17, returnSequences: true, inputShape: (null, 3)), new Dropout(0.5f), new Gru(17), new Dropout(0.3f), new Dense(2)], seed: 9);
        OnnxTestUtil.Randomize(model, 17);
        var path = Export(model);

        AssertMatchesPredict(model, path, OnnxTestUtil.RandomInput(11, 3 * 6 * 3), 3, 6, 3);
        Assert.DoesNotContain("Dropout", System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(path)), StringComparison.Ordinal);
    }

    [Fact]
    public void Export_OfAModelWhoseLayersAddNoNode_IsTheIdentity()
    {
        var model = new Sequential([new Dropout(0.5f), new ActivationLayer(Activation.Linear)], seed: 10);
        model.Build(-1, 4);
        var path = Export(model);

        AssertMatchesPredict(model, path, OnnxTestUtil.RandomInput(12, 2 * 3 * 4), 2, 3, 4);
    }

    [Fact]
    public void Masking_Export_ZeroesPaddedStepsAndSkipsThem_LikePredict()
    {
        var model = new Sequential(
            [new Masking(0.5f, inputShape: (null, 4)), new Lstm(17, returnSequences: true, bidirectional: true), new Dense(3, Activation.Tanh), new Gru(9, goBackwards: true)], seed: 11);
        OnnxTestUtil.Randomize(model, 18);
        var path = Export(model, options: new OnnxExportOptions { Padding = Padding.Post });
        int[] lengths = [6, 2, 5];
        var input = OnnxTestUtil.RandomInput(13, 3 * 6 * 4);
        for (var b = 0; b < lengths.Length; b++)
        {
            input.AsSpan(((b * 6) + lengths[b]) * 4, (6 - lengths[b]) * 4).Fill(0.5f);
        }

        AssertMatchesPredict(model, path, input, 3, 6, 4);
    }

    [Fact]
    public void Masking_Export_AloneOutputsTheMaskedInput()
    {
        var model = new Sequential([new Masking(-1f, inputShape: (null, 3))], seed: 12);
        var path = Export(model);
        var input = OnnxTestUtil.RandomInput(14, 2 * 4 * 3);
        input.AsSpan(3, 3).Fill(-1f);
        input.AsSpan(12, 2).Fill(-1f);

        AssertMatchesPredict(model, path, input, 2, 4, 3);
    }

    [Fact]
    public void ExportedFile_HasDynamicBatchAndTime_AndRunsOnOtherShapes()
    {
        var model = new Sequential([new Lstm(17, returnSequences: true, bidirectional: true, inputShape: (10, 3)), new Dense(2)], seed: 13);
        OnnxTestUtil.Randomize(model, 19);
        var path = Export(model);

        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        var input = session.InputMetadata["input"];
        Assert.Equal(["batch", "time", string.Empty], input.SymbolicDimensions);
        Assert.Equal([-1, -1, 3], input.Dimensions);
        Assert.Equal(["batch", "time", string.Empty], session.OutputMetadata["output"].SymbolicDimensions);
        Assert.Equal([-1, -1, 2], session.OutputMetadata["output"].Dimensions);
        foreach (var (batch, time) in new[] { (2, 7), (5, 3), (1, 1), (33, 17) })
        {
            AssertMatchesPredict(model, path, OnnxTestUtil.RandomInput(batch * time, batch * time * 3), batch, time, 3);
        }
    }

    [Fact]
    public void ExportedFile_DescribesItself()
    {
        var model = new Sequential([new Gru(4, inputShape: (null, 2))], seed: 14, name: "forecaster");
        var path = Export(model, options: new OnnxExportOptions { Description = "next-hour temperature" });

        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        Assert.Equal("Rnn", session.ModelMetadata.ProducerName);
        Assert.Equal("forecaster", session.ModelMetadata.GraphName);
        Assert.Equal("next-hour temperature", session.ModelMetadata.Description);
        Assert.Equal([-1, 4], session.OutputMetadata["output"].Dimensions);
        Assert.Equal(["batch", string.Empty], session.OutputMetadata["output"].SymbolicDimensions);
    }

    [Fact]
    public void Export_UsesTheInputAndOutputNamesOfTheOptions()
    {
        var model = new Sequential([new SimpleRnn(5, inputShape: (null, 2))], seed: 15);
        var path = Export(model, options: new OnnxExportOptions { InputName = "readings", OutputName = "forecast" });
        var input = OnnxTestUtil.RandomInput(15, 2 * 3 * 2);

        var (actual, _) = OnnxTestUtil.Run(path, input, [2, 3, 2], "readings", "forecast");
        var expected = model.Predict(TestUtil.ToTensor(input, 2, 3, 2));
        Assert.True(OnnxTestUtil.MaxDifference(TestUtil.Span(expected), actual, out _) <= OnnxTestUtil.Tolerance);
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

        AssertMatchesPredict(model, path, ids, 5, 7);
    }

    [Fact]
    public void RepeatVector_EncoderDecoder_Export_MatchesPredict()
    {
        var model = new Sequential(
            [new Lstm(7, inputShape: (null, 3)), new RepeatVector(4), new Gru(5, returnSequences: true, bidirectional: true), new Dense(2)],
            seed: 3);
        model.Build(-1, 3);
        OnnxTestUtil.Randomize(model, 5);
        var path = Export(model);
        AssertMatchesPredict(model, path, OnnxTestUtil.RandomInput(6, 3 * 6 * 3), 3, 6, 3);
        AssertMatchesPredict(model, path, OnnxTestUtil.RandomInput(7, 1 * 2 * 3), 1, 2, 3);
    }

    public static TheoryData<bool, Padding?, bool, bool> PoolingMatrix()
    {
        var data = new TheoryData<bool, Padding?, bool, bool>();
        foreach (var max in new[] { false, true })
        {
            data.Add(max, null, false, false);
            data.Add(max, null, false, true);
            data.Add(max, Padding.Post, false, true);
            foreach (var padding in new[] { Padding.Post, Padding.Pre })
            {
                data.Add(max, padding, false, false);
                data.Add(max, padding, true, false);
            }
        }

        return data;
    }

    /// <summary>
    /// Pooling over time with no mask, and over the real steps of padded token sequences (either side, after a go-backwards
    /// layer too), with and without the time axis kept.
    /// </summary>
    [Theory]
    [MemberData(nameof(PoolingMatrix))]
    public void GlobalPooling_Export_MatchesPredict(bool max, Padding? padding, bool goBackwards, bool keepDims)
    {
        Layer pooling = max ? new GlobalMaxPooling1D(keepDims) : new GlobalAveragePooling1D(keepDims);
        if (padding is not { } side)
        {
            var plain = new Sequential([new Lstm(6, returnSequences: true, inputShape: (null, 3)), pooling, new Dense(2)], seed: 1);
            plain.Build(-1, 3);
            OnnxTestUtil.Randomize(plain, 8);
            AssertMatchesPredict(plain, Export(plain), OnnxTestUtil.RandomInput(9, 4 * 5 * 3), 4, 5, 3);
            return;
        }

        var model = new Sequential(
            [new Embedding(30, 5, maskZero: true), new Gru(6, returnSequences: true, goBackwards: goBackwards, bidirectional: true), new Dense(4, Activation.Tanh), pooling, new Dense(2)],
            seed: 2);
        model.Build(-1);
        OnnxTestUtil.Randomize(model, 10);
        var path = Export(model, options: new OnnxExportOptions { Padding = side });
        AssertMatchesPredict(model, path, PaddedIds(new Random(11), [6, 1, 3, 0, 5], 6, 30, side), 5, 6);
    }

    /// <summary>
    /// With the states as inputs and outputs, ONNX Runtime runs a sequence chunk by chunk (each call fed the states the
    /// last one returned) and gives what Predict gives on the whole sequence.
    /// </summary>
    [Fact]
    public void StateInputsAndOutputs_StreamChunkByChunk_LikePredictOnTheWholeSequence()
    {
        var model = new Sequential(
            [new Lstm(7, returnSequences: true, numLayers: 2, inputShape: (null, 3)), new Gru(5, returnSequences: true, useBias: false), new SimpleRnn(4, returnSequences: true), new Dense(2)],
            seed: 6);
        model.Build(-1, 3);
        OnnxTestUtil.Randomize(model, 12);
        var path = Export(model, options: new OnnxExportOptions { StateInputsAndOutputs = true });
        const int Batch = 2, First = 4, Second = 3;
        var x = OnnxTestUtil.RandomInput(13, Batch * (First + Second) * 3);
        var expected = TestUtil.Span(model.Predict(TestUtil.ToTensor(x, Batch, First + Second, 3)));

        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        Assert.Equal(new[] { "input", "lstm.h0", "lstm.c0", "gru.h0", "simple_rnn.h0" }.Order(), session.InputMetadata.Keys.Order());
        Assert.Equal(new[] { "output", "lstm.h_n", "lstm.c_n", "gru.h_n", "simple_rnn.h_n" }.Order(), session.OutputMetadata.Keys.Order());
        Assert.Equal([2, -1, 7], session.InputMetadata["lstm.c0"].Dimensions);
        Dictionary<string, (float[] Values, long[] Shape)> states = new()
        {
            ["lstm.h0"] = (new float[2 * Batch * 7], [2, Batch, 7]),
            ["lstm.c0"] = (new float[2 * Batch * 7], [2, Batch, 7]),
            ["gru.h0"] = (new float[Batch * 5], [1, Batch, 5]),
            ["simple_rnn.h0"] = (new float[Batch * 4], [1, Batch, 4]),
        };
        var offset = 0;
        foreach (var steps in new[] { First, Second })
        {
            var chunk = new float[Batch * steps * 3];
            for (var b = 0; b < Batch; b++)
            {
                Array.Copy(x, ((b * (First + Second)) + offset) * 3, chunk, b * steps * 3, steps * 3);
            }

            string[] names = ["input", .. states.Keys];
            var values = names.Select(n => n == "input"
                ? Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(chunk, [Batch, steps, 3])
                : Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(states[n].Values, states[n].Shape)).ToArray();
            string[] outputNames = ["output", "lstm.h_n", "lstm.c_n", "gru.h_n", "simple_rnn.h_n"];
            using var runOptions = new Microsoft.ML.OnnxRuntime.RunOptions();
            using var outputs = session.Run(runOptions, names, values, outputNames);
            var y = outputs[0].GetTensorDataAsSpan<float>();
            for (var b = 0; b < Batch; b++)
            {
                for (var t = 0; t < steps; t++)
                {
                    for (var j = 0; j < 2; j++)
                    {
                        var want = expected[(((b * (First + Second)) + offset + t) * 2) + j];
                        Assert.True(Math.Abs(want - y[(((b * steps) + t) * 2) + j]) <= OnnxTestUtil.Tolerance, $"sample {b}, step {offset + t}: {y[(((b * steps) + t) * 2) + j]} against {want}");
                    }
                }
            }

            foreach (var (name, i) in new[] { ("lstm.h0", 1), ("lstm.c0", 2), ("gru.h0", 3), ("simple_rnn.h0", 4) })
            {
                states[name] = (outputs[i].GetTensorDataAsSpan<float>().ToArray(), states[name].Shape);
            }

            foreach (var value in values)
            {
                value.Dispose();
            }

            offset += steps;
        }
    }

    [Fact]
    public void MaskedPooling_Export_WithoutPadding_ThrowsNamingTheLayer()
    {
        var model = new Sequential([new Embedding(10, 3, maskZero: true), new GlobalAveragePooling1D(), new Dense(1)], seed: 1);
        model.Build(-1);
        var error = Assert.Throws<NotSupportedException>(() => Export(model));
        Assert.Contains("Layer 'global_average_pooling1d' reads the mask of 'embedding', which ONNX can only rebuild from per-sequence lengths", error.Message, StringComparison.Ordinal);
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

    /// <summary>Asserts, and reports the difference measured (visible with a detailed console logger).</summary>
    private void AssertMatchesPredict(Sequential model, string path, float[] input, params int[] shape)
    {
        var worst = OnnxTestUtil.AssertMatchesPredict(model, path, input, shape);
        output.WriteLine($"max |ONNX Runtime - Predict| = {worst:G3} for input shape [{string.Join(", ", shape)}]");
    }

    private string Export(Sequential model, string name = "model.onnx", OnnxExportOptions? options = null)
    {
        var path = Path.Combine(_directory, name);
        OnnxExporter.Export(model, path, options);
        return path;
    }
}
