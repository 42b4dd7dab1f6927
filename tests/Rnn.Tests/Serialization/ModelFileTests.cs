using System.Buffers;
using System.Text;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Metrics;
using Rnn.Models;
using Rnn.Optimizers;
using Rnn.Serialization;

namespace Rnn.Tests.Serialization;

public sealed class ModelFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rnn-model-files-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>Saves <paramref name="model"/> as <paramref name="name"/> with <paramref name="from"/> (which must occur) replaced in its architecture JSON.</summary>
    private string SaveWithEditedArchitecture(Sequential model, string name, string from, string to)
    {
        var path = PathOf(name);
        model.Save(path);
        var file = SafeTensors.Read(path);
        var metadata = file.Metadata.ToDictionary();
        Assert.Contains(from, metadata[Sequential.ModelMetadataKey], StringComparison.Ordinal);
        metadata[Sequential.ModelMetadataKey] = metadata[Sequential.ModelMetadataKey].Replace(from, to, StringComparison.Ordinal);
        SafeTensors.Write(path, file.Tensors, metadata);
        return path;
    }

    private static Sequential EveryLayerModel() => new(
        [
            new Masking(inputShape: (null, 3)),
            new Lstm(7, returnSequences: true, bidirectional: true, numLayers: 2, dropout: 0.2f),
            new Dropout(0.3f),
            new Gru(5, returnSequences: true, goBackwards: true, recurrentDropout: 0.3f, inputDropout: 0.1f, useBias: false),
            new SimpleRnn(4, RnnActivation.Relu, returnSequences: true),
            new Dense(6, Activation.Tanh),
            new ActivationLayer(Activation.Softmax),
        ],
        seed: 11);

    [Fact]
    public void Load_GivesAModelThatPredictsIdentically()
    {
        var model = EveryLayerModel();
        var path = PathOf("model.safetensors");
        model.Save(path);
        var loaded = Sequential.Load(path);
        Assert.Equal(model.Layers.Select(l => (l.GetType(), l.Name)), loaded.Layers.Select(l => (l.GetType(), l.Name)));
        Assert.Equal([0f, 0.3f, 0f], loaded.Layers.OfType<Recurrent>().Select(l => l.RecurrentDropout));
        Assert.Equal([0.2f, 0f, 0f], loaded.Layers.OfType<Recurrent>().Select(l => l.Dropout));
        Assert.Equal([0f, 0.1f, 0f], loaded.Layers.OfType<Recurrent>().Select(l => l.InputDropout));
        var x = TestUtil.RandomTensor(1, 4, 6, 3);
        Assert.Equal(TestUtil.Span(model.Predict(x)).ToArray(), TestUtil.Span(loaded.Predict(x)).ToArray());
        Assert.Equal(model.Summary(), loaded.Summary());
    }

    private static Sequential MergeModel() => new(
        [
            new Masking(inputShape: (null, 3)),
            new Lstm(7, returnSequences: true, bidirectional: true, mergeMode: BidirectionalMerge.Sum, numLayers: 2),
            new Gru(5, returnSequences: true, goBackwards: true, bidirectional: true, mergeMode: BidirectionalMerge.Average),
            new SimpleRnn(4, bidirectional: true, mergeMode: BidirectionalMerge.Multiply),
            new Dense(2),
        ],
        seed: 12);

    [Fact]
    public void Load_KeepsEveryMergeMode_AndPredictsIdentically()
    {
        var model = MergeModel();
        var path = PathOf("merge.safetensors");
        model.Save(path);
        var loaded = Sequential.Load(path);
        Assert.Equal(
            [BidirectionalMerge.Sum, BidirectionalMerge.Average, BidirectionalMerge.Multiply],
            loaded.Layers.OfType<Recurrent>().Select(l => l.MergeMode));
        var x = TestUtil.RandomTensor(2, 4, 6, 3);
        TestUtil.Span(x)[(5 * 3)..(6 * 3)].Clear();
        Assert.Equal([4, 2], TestUtil.Shape(loaded.Predict(x)));
        Assert.Equal(TestUtil.Span(model.Predict(x)).ToArray(), TestUtil.Span(loaded.Predict(x)).ToArray());
        Assert.Equal(model.Summary(), loaded.Summary());
    }

    [Fact]
    public void Load_FileWithoutMergeMode_LoadsAsConcat()
    {
        // A file written before merge modes existed: the same configuration without the key.
        var model = EveryLayerModel();
        var path = SaveWithEditedArchitecture(model, "old.safetensors", "\"merge_mode\":\"Concat\",", string.Empty);
        Assert.DoesNotContain("merge_mode", SafeTensors.Read(path).Metadata[Sequential.ModelMetadataKey], StringComparison.Ordinal);

        var loaded = Sequential.Load(path);
        Assert.All(loaded.Layers.OfType<Recurrent>(), l => Assert.Equal(BidirectionalMerge.Concat, l.MergeMode));
        var x = TestUtil.RandomTensor(3, 2, 5, 3);
        Assert.Equal(TestUtil.Span(model.Predict(x)).ToArray(), TestUtil.Span(loaded.Predict(x)).ToArray());
    }

    /// <summary>Versions that accepted dropout on a single layer (it did nothing) wrote files that must still load, to the same model.</summary>
    [Fact]
    public void Load_FileWithDropoutOnASingleLayer_LoadsWithoutIt()
    {
        var model = new Sequential([new Gru(4, inputShape: (null, 2)), new Dense(1)], seed: 1);
        var path = SaveWithEditedArchitecture(model, "single-layer-dropout.safetensors", "\"dropout\":\"0\"", "\"dropout\":\"0.3\"");
        var loaded = Sequential.Load(path);
        Assert.Equal(0f, ((Recurrent)loaded.Layers[0]).Dropout);
        var x = TestUtil.RandomTensor(6, 3, 5, 2);
        Assert.Equal(TestUtil.Span(model.Predict(x)).ToArray(), TestUtil.Span(loaded.Predict(x)).ToArray());
    }

    [Theory]
    [InlineData("\"merge_mode\":\"Sum\"", "\"merge_mode\":\"Max\"", "'merge_mode' = 'Max', but it must be one of Concat, Sum, Average, Multiply")]
    [InlineData("\"bidirectional\":\"true\"", "\"bidirectional\":\"false\"", "expects bidirectional: true but received bidirectional: false")]
    public void Load_InvalidMergeMode_ThrowsInvalidDataNamingTheLayer(string from, string to, string message)
    {
        var model = new Sequential([new Gru(4, bidirectional: true, mergeMode: BidirectionalMerge.Sum, inputShape: (null, 2)), new Dense(1)], seed: 1);
        var path = SaveWithEditedArchitecture(model, "invalid-merge.safetensors", from, to);
        var error = Assert.Throws<InvalidDataException>(() => Sequential.Load(path));
        Assert.Contains("Layer 'gru' (Gru) in the model file", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A setting this version does not know (as a newer version would write) is refused by name, rather than the layer being
    /// built without it; a layer without recurrent dropout does not write the key, so older versions still read its files.
    /// </summary>
    [Fact]
    public void Load_UnknownLayerSetting_ThrowsInvalidDataNamingIt()
    {
        var model = new Sequential([new Lstm(4, inputShape: (null, 2)), new Dense(1)], seed: 1);
        var path = SaveWithEditedArchitecture(model, "unknown-setting.safetensors", "\"units\":\"4\"", "\"units\":\"4\",\"peephole\":\"true\"");
        Assert.DoesNotContain("recurrent_dropout", SafeTensors.Read(PathOf("unknown-setting.safetensors")).Metadata[Sequential.ModelMetadataKey], StringComparison.Ordinal);
        var error = Assert.Throws<InvalidDataException>(() => Sequential.Load(path));
        Assert.Contains("Layer 'lstm' (Lstm) in the model file has a setting this version does not know: 'peephole' = 'true'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_PoolingAndRepeatVectorModels_PredictIdentically()
    {
        var pooled = new Sequential([new Embedding(12, 4, maskZero: true), new Gru(6, returnSequences: true, bidirectional: true), new GlobalMaxPooling1D(), new Dense(3)], seed: 3);
        var averaged = new Sequential([new Lstm(5, returnSequences: true, inputShape: (null, 2)), new GlobalAveragePooling1D(keepDims: true, name: "mean"), new Lstm(3), new RepeatVector(3), new SimpleRnn(4, returnSequences: true), new Dense(1)], seed: 4);
        var ids = TestUtil.ToTensor(new float[] { 3, 4, 0, 0, 11, 1, 2, 0 }, 2, 4);
        var x = TestUtil.RandomTensor(5, 3, 6, 2);
        foreach (var (model, input, name) in new[] { (pooled, ids, "pooled.safetensors"), (averaged, x, "averaged.safetensors") })
        {
            var expected = TestUtil.Span(model.Predict(input)).ToArray();
            var path = PathOf(name);
            model.Save(path);
            var loaded = Sequential.Load(path);
            Assert.Equal(model.Layers.Select(l => (l.GetType(), l.Name)), loaded.Layers.Select(l => (l.GetType(), l.Name)));
            Assert.Equal(expected, TestUtil.Span(loaded.Predict(input)).ToArray());
            Assert.Equal(model.Summary(), loaded.Summary());
        }

        Assert.Equal(3, Sequential.Load(PathOf("averaged.safetensors")).Layers.OfType<RepeatVector>().Single().Repeats);
        Assert.True(Sequential.Load(PathOf("averaged.safetensors")).Layers.OfType<GlobalAveragePooling1D>().Single().KeepDims);
        Assert.False(Sequential.Load(PathOf("pooled.safetensors")).Layers.OfType<GlobalMaxPooling1D>().Single().KeepDims);
    }

    [Fact]
    public void Load_EmbeddingModel_PredictsIdentically()
    {
        var model = new Sequential([new Embedding(12, 4, maskZero: true), new Gru(6, bidirectional: true), new Dense(3, Activation.Softmax)], seed: 2);
        var ids = TestUtil.ToTensor(new float[] { 3, 4, 0, 0, 11, 1, 2, 0 }, 2, 4);
        var expected = TestUtil.Span(model.Predict(ids)).ToArray();
        var path = PathOf("embedding.safetensors");
        model.Save(path);
        Assert.Equal(expected, TestUtil.Span(Sequential.Load(path).Predict(ids)).ToArray());
    }

    /// <summary>
    /// 40 samples in batches of 8 are 5 steps an epoch: the file is saved after step 10 and training goes on to
    /// step 20, so each schedule is resumed in the middle of its shape (a warmup, a cycle, between boundaries).
    /// </summary>
    [Theory]
    [InlineData("adam", "cosine_decay")]
    [InlineData("nadam", "cosine_decay_warmup")]
    [InlineData("radam", "cosine_decay_restarts")]
    [InlineData("adamax", "one_cycle")]
    [InlineData("adadelta", "polynomial_decay")]
    [InlineData("adam", "piecewise_constant_decay")]
    [InlineData("nadam", "multi_step_decay")]
    [InlineData("radam", "inverse_time_decay")]
    [InlineData("adamax", "linear")]
    public void Load_WithOptimizerState_ResumesTrainingExactlyAsIfNeverSaved(string optimizer, string schedule)
    {
        var x = TestUtil.RandomTensor(3, 40, 5, 3);
        var y = TestUtil.RandomTensor(4, 40, 2);
        Sequential Create()
        {
            var m = new Sequential(
                [new Lstm(6, inputShape: (null, 3), returnSequences: true, numLayers: 2, dropout: 0.25f, recurrentDropout: 0.1f), new Dropout(0.2f), new Gru(4, recurrentDropout: 0.2f), new Dense(2)],
                seed: 5);
            Optimizer o = optimizer switch
            {
                "adam" => new Adam(learningRate: 0.01f),
                "nadam" => new NAdam(learningRate: 0.01f, weightDecay: 0.01f, decoupledWeightDecay: true),
                "radam" => new RAdam(learningRate: 0.01f, weightDecay: 0.01f),
                "adamax" => new Adamax(learningRate: 0.01f),
                _ => new Adadelta(weightDecay: 0.01f),
            };
            o.GlobalClipNorm = 1f;
            o.Schedule = schedule switch
            {
                "cosine_decay" => new CosineDecay(40),
                "cosine_decay_warmup" => new CosineDecay(20, 0.1f, warmupSteps: 12, warmupStartFactor: 0.1f),
                "cosine_decay_restarts" => new CosineDecayRestarts(3, tMul: 1.5f, mMul: 0.9f, alpha: 0.1f),
                "one_cycle" => new OneCycle(20),
                "polynomial_decay" => new PolynomialDecay(7, 0.2f, 2f, cycle: true),
                "piecewise_constant_decay" => new PiecewiseConstantDecay([6, 10, 14], [1f, 0.5f, 0.8f, 0.1f]),
                "multi_step_decay" => new MultiStepDecay([4, 11, 11], 0.5f),
                "inverse_time_decay" => new InverseTimeDecay(3, 0.7f),
                _ => new LinearSchedule(0.2f, 1f, 15),
            };
            m.Compile(o, Loss.Huber(0.5f), Metric.MeanAbsoluteError);
            return m;
        }

        var original = Create();
        original.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);
        var path = PathOf("resume.safetensors");
        original.Save(path, includeOptimizer: true);
        var continued = original.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);

        var resumed = Sequential.Load(path);
        Assert.Equal(optimizer, resumed.Optimizer!.Name);
        Assert.Equal(original.Optimizer!.Schedule!.GetConfig(), resumed.Optimizer.Schedule!.GetConfig());
        var afterLoad = resumed.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);
        Assert.Equal(continued["loss"], afterLoad["loss"]);
        Assert.Equal(continued["mean_absolute_error"], afterLoad["mean_absolute_error"]);
        var expected = original.GetWeights();
        var actual = resumed.GetWeights();
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }
    }

    [Fact]
    public void Save_FailureMidWrite_LeavesThePreviousFileIntactAndNoTemporaryFile()
    {
        var model = EveryLayerModel();
        var path = PathOf("checkpoint.safetensors");
        model.Save(path);
        var before = File.ReadAllBytes(path);

        model.SetWeights([.. model.GetWeights().Select(w => w.Select(v => v + 1f).ToArray())]);
        var written = 0;
        var error = Assert.Throws<IOException>(() => model.Save(path, includeOptimizer: false, tensors => tensors.Select(t =>
        {
            // The third tensor's storage fails once the header and two tensors are on disk.
            return ++written == 3 ? (t.Name, t.Shape, new FailingMemory().Memory) : t;
        })));
        Assert.Contains("storage failed", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_directory));
    }

    [Fact]
    public void SaveWeights_WritesAPlainPyTorchStateDict()
    {
        var model = new Sequential([new Lstm(4, inputShape: (null, 2)), new Dense(1)], seed: 1);
        var path = PathOf("weights.safetensors");
        model.SaveWeights(path);
        var file = SafeTensors.Read(path);
        Assert.Equal(["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0", "dense.weight", "dense.bias"], file.Tensors.Select(t => t.Name));
        Assert.Equal([16, 2], file["lstm.weight_ih_l0"].Shape);
        Assert.Empty(file.Metadata);

        var error = Assert.Throws<InvalidDataException>(() => Sequential.Load(path));
        Assert.Contains("plain state dict", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadWeights_IntoAnotherArchitecture_NamesWhatDiffers()
    {
        var source = new Sequential([new Lstm(4, inputShape: (null, 2)), new Dense(1)], seed: 1);
        var path = PathOf("source.safetensors");
        source.SaveWeights(path);

        var wider = new Sequential([new Lstm(5, inputShape: (null, 2)), new Dense(1)], seed: 1);
        var before = wider.GetWeights();
        var error = Assert.Throws<ArgumentException>(() => wider.LoadWeights(path));
        Assert.Contains("lstm.weight_ih_l0 has shape [16, 2] in the state dict but [20, 2] in the model", error.Message, StringComparison.Ordinal);
        Assert.Contains("dense.weight has shape [1, 4] in the state dict but [1, 5] in the model", error.Message, StringComparison.Ordinal);
        Assert.Equal(before[0], wider.GetWeights()[0]);

        var gru = new Sequential([new Gru(4, inputShape: (null, 2), name: "lstm"), new Dense(1), new Dense(1)], seed: 1);
        error = Assert.Throws<ArgumentException>(() => gru.LoadWeights(path));
        Assert.Contains("lstm.weight_ih_l0 has shape [16, 2] in the state dict but [12, 2] in the model", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing from the state dict: dense_1.weight [1, 1], dense_1.bias [1]", error.Message, StringComparison.Ordinal);

        var renamed = new Sequential([new Lstm(4, inputShape: (null, 2), name: "encoder"), new Dense(1, name: "head")], seed: 1);
        error = Assert.Throws<ArgumentException>(() => renamed.LoadWeights(path));
        Assert.Contains("not in the model: lstm.weight_ih_l0", error.Message, StringComparison.Ordinal);
        renamed.LoadWeights(path, rename: name => name.Replace("lstm.", "encoder.", StringComparison.Ordinal).Replace("dense.", "head.", StringComparison.Ordinal));
        var x = TestUtil.RandomTensor(5, 2, 3, 2);
        Assert.Equal(TestUtil.Span(source.Predict(x)).ToArray(), TestUtil.Span(renamed.Predict(x)).ToArray());
    }

    [Fact]
    public void ModelCheckpoint_SavesTheBestEpochOnly()
    {
        var x = TestUtil.RandomTensor(6, 30, 4, 2);
        var y = TestUtil.RandomTensor(7, 30, 1);
        var model = new Sequential([new Gru(5, inputShape: (null, 2)), new Dense(1)], seed: 3);
        model.Compile(new Sgd(0.05f), Loss.MeanSquaredError);
        var path = PathOf("best-{epoch}.safetensors");
        var checkpoint = new ModelCheckpoint(path, monitor: "loss", saveBestOnly: true);
        var history = model.Fit(x, y, epochs: 4, batchSize: 10, callbacks: [checkpoint], verbose: 0);
        var best = history["loss"].Select((loss, epoch) => (loss, epoch)).Min().epoch;
        Assert.Equal(best, checkpoint.LastSavedEpoch);
        Assert.True(File.Exists(PathOf($"best-{best + 1}.safetensors")));
    }

    [Fact]
    public void Load_MutatedModelFiles_ThrowInvalidDataOnly()
    {
        var model = new Sequential([new Embedding(9, 3), new Lstm(4, returnSequences: true), new Dense(2, Activation.Relu)], seed: 4);
        model.Compile(new Adam(), Loss.MeanSquaredError, Metric.MeanSquaredError);
        model.Build(-1);
        var path = PathOf("valid.safetensors");
        model.Save(path, includeOptimizer: true);
        var valid = File.ReadAllBytes(path);
        var headerLength = (int)BitConverter.ToUInt64(valid, 0);
        var random = new Random(99);
        var mutated = PathOf("mutated.safetensors");
        var loads = 0;
        for (var trial = 0; trial < 600; trial++)
        {
            var bytes = (byte[])valid.Clone();
            var kind = trial % 4;
            if (kind == 0)
            {
                // A character inside the JSON header (most of these break the model configuration).
                const string Characters = "{}[]\":,0123456789-.etrufalsn \u0000x";
                bytes[8 + random.Next(headerLength)] = (byte)Characters[random.Next(Characters.Length)];
            }
            else if (kind == 1)
            {
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            }
            else if (kind == 2)
            {
                Array.Resize(ref bytes, random.Next(bytes.Length));
            }
            else
            {
                var header = Encoding.UTF8.GetString(bytes, 8, headerLength);
                var digits = header.Select((c, i) => (c, i)).Where(p => char.IsAsciiDigit(p.c)).ToArray();
                var (_, at) = digits[random.Next(digits.Length)];
                header = header[..at] + "9" + header[(at + 1)..];
                Encoding.UTF8.GetBytes(header).CopyTo(bytes, 8);
            }

            File.WriteAllBytes(mutated, bytes);
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                Sequential.Load(mutated);
                loads++;
            }
            catch (InvalidDataException)
            {
            }

            // The file is a few kilobytes: no mutation may make loading allocate megabytes.
            Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - allocated, 0, 4 << 20);
        }

        // Flips in weight values still load; the rest must fail with a clear InvalidDataException.
        Assert.InRange(loads, 1, 599);
    }

    [Fact]
    public void Load_ArchitectureClaimingMoreWeightsThanTheFileHolds_ThrowsWithoutAllocatingThem()
    {
        var model = new Sequential([new Lstm(4, inputShape: (null, 2)), new Dense(1)], seed: 1);
        var path = SaveWithEditedArchitecture(model, "small.safetensors", "\"units\":\"4\"", "\"units\":\"40000\"");
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => Sequential.Load(path));
        const long Claimed = (4L * 40000 * (2 + 40000)) + (2 * 4 * 40000) + 40000 + 1;
        const long Stored = (4 * 4 * (2 + 4)) + (2 * 4 * 4) + 4 + 1;
        Assert.Contains($"its architecture has {Claimed} weights but the file holds {Stored}", error.Message, StringComparison.Ordinal);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - allocated, 0, 1 << 20);
    }

    private sealed class FailingMemory : MemoryManager<float>
    {
        public override Span<float> GetSpan() => throw new IOException("the tensor's storage failed");

        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();

        public override void Unpin() => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
        }
    }
}
