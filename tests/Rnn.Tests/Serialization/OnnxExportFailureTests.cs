using Rnn.Data;
using Rnn.Layers;
using Rnn.Serialization;

namespace Rnn.Tests.Serialization;

/// <summary>What the exporter refuses, and that a refused or failed export leaves everything as it was.</summary>
public sealed class OnnxExportFailureTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rnn-onnx-failure-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Sequential MaskedModel() => new(
        [new Embedding(10, 4, maskZero: true), new Lstm(5, name: "encoder"), new Dense(1)], seed: 1);

    [Fact]
    public void Export_ThrowsNotSupported_NamingTheLayer_WhenAMaskReachesARecurrentLayerAndThePaddingIsNotGiven()
    {
        var model = MaskedModel();
        model.Build(-1);
        using var stream = new MemoryStream();

        var e = Assert.Throws<NotSupportedException>(() => OnnxExporter.Export(model, stream));

        Assert.Contains("'encoder'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'embedding'", e.Message, StringComparison.Ordinal);
        Assert.Contains("OnnxExportOptions.Padding", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void Export_OfAMaskThatNoRecurrentLayerReads_NeedsNoPadding()
    {
        var model = new Sequential([new Embedding(10, 4, maskZero: true), new Dense(3)], seed: 2);
        model.Build(-1);
        var path = Path.Combine(_directory, "model.onnx");

        OnnxExporter.Export(model, path);

        var ids = new float[] { 1, 2, 0, 0, 3, 9 };
        var (actual, _) = OnnxTestUtil.Run(path, ids, [2, 3]);
        Assert.Equal(TestUtil.Span(model.Predict(TestUtil.ToTensor(ids, 2, 3))).ToArray(), actual);
    }

    [Fact]
    public void Export_ThrowsNotSupported_BeforeTouchingAPreviousFile()
    {
        var path = Path.Combine(_directory, "model.onnx");
        var good = new Sequential([new Gru(3, inputShape: (null, 2))], seed: 3);
        OnnxExporter.Export(good, path);
        var before = File.ReadAllBytes(path);
        var model = MaskedModel();
        model.Build(-1);

        Assert.Throws<NotSupportedException>(() => OnnxExporter.Export(model, path));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.onnx"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void Export_ThrowsNotSupported_NamingALayerKindWithoutAnExport()
    {
        var model = new Sequential([new Gru(3, returnSequences: true, inputShape: (null, 2)), new Doubling(), new Dense(1)], seed: 10);
        using var stream = new MemoryStream();

        var e = Assert.Throws<NotSupportedException>(() => OnnxExporter.Export(model, stream));

        Assert.Contains("'doubling' (Doubling)", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void Export_ThrowsInvalidOperation_WhenTheModelIsNotBuilt()
    {
        var model = new Sequential(new Lstm(4), new Dense(1));
        using var stream = new MemoryStream();

        var e = Assert.Throws<InvalidOperationException>(() => OnnxExporter.Export(model, stream));

        Assert.Contains("not built", e.Message, StringComparison.Ordinal);
        Assert.Contains("inputShape", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void Export_ThrowsInvalidOperation_WhenTheModelHasNoLayers()
    {
        using var stream = new MemoryStream();

        Assert.Throws<InvalidOperationException>(() => OnnxExporter.Export(new Sequential(), stream));
    }

    [Fact]
    public void Export_RejectsInvalidArguments()
    {
        var model = new Sequential([new Gru(3, inputShape: (null, 2))], seed: 4);
        using var stream = new MemoryStream();
        using var readOnly = new MemoryStream([], writable: false);

        Assert.Throws<ArgumentNullException>(() => OnnxExporter.Export(null!, stream));
        Assert.Throws<ArgumentNullException>(() => OnnxExporter.Export(model, (Stream)null!));
        Assert.Throws<ArgumentException>(() => OnnxExporter.Export(model, string.Empty));
        Assert.Throws<ArgumentException>(() => OnnxExporter.Export(model, readOnly));
        Assert.Throws<ArgumentException>(() => OnnxExporter.Export(model, stream, new OnnxExportOptions { InputName = "x", OutputName = "x" }));
        Assert.Throws<ArgumentException>(() => OnnxExporter.Export(model, stream, new OnnxExportOptions { OutputName = string.Empty }));
        Assert.Throws<ArgumentException>(() => OnnxExporter.Export(model, stream, new OnnxExportOptions { Padding = (Padding)7 }));
        Assert.Equal(0, stream.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(5000)]
    public void Export_FailingWhileWriting_LeavesThePreviousFileByteIdentical_AndNoTemporaryFile(int failAfter)
    {
        var path = Path.Combine(_directory, "model.onnx");
        var previous = new Sequential([new Lstm(3, inputShape: (null, 2))], seed: 5);
        OnnxExporter.Export(previous, path);
        var before = File.ReadAllBytes(path);
        var model = new Sequential([new Lstm(33, bidirectional: true, numLayers: 2, inputShape: (null, 17)), new Dense(4)], seed: 6);

        var e = Assert.Throws<IOException>(() => OnnxExporter.Export(model, path, null, stream => new FailingStream(stream, failAfter)));

        Assert.Equal(FailingStream.Message, e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.onnx"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void Export_ToAPath_ReplacesAPreviousFile_WithTheSameBytesAsTheStreamExport()
    {
        var path = Path.Combine(_directory, "model.onnx");
        OnnxExporter.Export(new Sequential([new Lstm(3, inputShape: (null, 2))], seed: 7), path);
        var model = new Sequential([new Gru(17, returnSequences: true, inputShape: (null, 3)), new Dense(2)], seed: 8);
        using var stream = new MemoryStream();

        model.ExportOnnx(path);
        model.ExportOnnx(stream);

        Assert.Equal(stream.ToArray(), File.ReadAllBytes(path));
        Assert.Equal(["model.onnx"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void Export_IsDeterministic_AndLeavesTheModelUnchanged()
    {
        var model = new Sequential([new Embedding(20, 5), new Lstm(7, bidirectional: true), new Dense(3, Activation.Softmax)], seed: 9);
        model.Build(-1);
        var weights = model.GetWeights();
        using var first = new MemoryStream();
        using var second = new MemoryStream();

        OnnxExporter.Export(model, first);
        OnnxExporter.Export(model, second);

        Assert.Equal(first.ToArray(), second.ToArray());
        Assert.Equal(weights, model.GetWeights());
    }

    /// <summary>A layer kind the exporter does not know: y = 2x.</summary>
    private sealed class Doubling() : Layer(null, "doubling", null, 0)
    {
        internal override void ForwardCore(System.Numerics.Tensors.Tensor<float> input, System.Numerics.Tensors.Tensor<float> output, ReadOnlySpan<byte> mask, bool training)
            => System.Numerics.Tensors.TensorPrimitives.Multiply(TestUtil.Span(input), 2f, TestUtil.Span(output));

        internal override void BackwardCore(System.Numerics.Tensors.Tensor<float> outputGradient, System.Numerics.Tensors.Tensor<float>? inputGradient)
            => throw new NotSupportedException();

        internal override int[] CheckBackward(System.Numerics.Tensors.Tensor<float> outputGradient) => throw new NotSupportedException();

        private protected override void ValidateInputShape(ReadOnlySpan<int> inputShape)
        {
        }

        internal override Dictionary<string, string> GetConfig() => [];

        private protected override void BuildCore(ReadOnlySpan<int> inputShape, RandomSource random)
        {
        }

        private protected override int[] ComputeOutputShapeCore(ReadOnlySpan<int> inputShape) => inputShape.ToArray();
    }

    /// <summary>Passes writes through until <c>failAfter</c> bytes, then throws, as a full disk would.</summary>
    private sealed class FailingStream(Stream inner, long failAfter) : Stream
    {
        public const string Message = "Injected failure: the disk is full.";

        private long _written;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _written; set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_written + buffer.Length > failAfter)
            {
                var allowed = (int)(failAfter - _written);
                inner.Write(buffer[..allowed]);
                _written = failAfter;
                throw new IOException(Message);
            }

            inner.Write(buffer);
            _written += buffer.Length;
        }
    }
}
