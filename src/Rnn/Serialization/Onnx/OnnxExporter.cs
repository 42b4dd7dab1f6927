using Rnn.Serialization.Onnx;

namespace Rnn.Serialization;

/// <summary>
/// Exports a <see cref="Sequential"/> model to an ONNX file of standard operators (opset
/// <see cref="OpsetVersion"/>), to run in ONNX Runtime or any other ONNX engine:
/// <code>
/// OnnxExporter.Export(model, "model.onnx");   // or model.ExportOnnx("model.onnx")
/// </code>
/// The graph has one float input, <c>input</c>, [batch, time, features] for sequence models ([batch, time]
/// token ids, as floats, for models that start with an <see cref="Layers.Embedding"/>; [batch, features] for
/// models that start with a <see cref="Layers.Dense"/> on vectors), with symbolic <c>batch</c> and
/// <c>time</c> sizes, and one float output, <c>output</c>, shaped as
/// <see cref="Sequential.Predict(System.Numerics.Tensors.Tensor{float}, int)"/>'s.
/// </summary>
/// <remarks>
/// <para>
/// Layers and their operators: <see cref="Layers.Lstm"/>, <see cref="Layers.Gru"/> and
/// <see cref="Layers.SimpleRnn"/> (tanh and relu) become <c>LSTM</c>, <c>GRU</c> (with
/// <c>linear_before_reset = 1</c>) and <c>RNN</c> nodes, one per stacked layer, with every option
/// (bidirectional, stacked, returning sequences or the last step, go-backwards, without bias) and time-major
/// <c>Transpose</c>s around them, since ONNX Runtime does not run these operators batch-major
/// (<c>layout = 1</c>); a bidirectional layer whose <see cref="Layers.Recurrent.MergeMode"/> sums, averages or
/// multiplies the directions adds <c>Split</c> on the direction axis, <c>Add</c> and/or <c>Mul</c>, and
/// <c>Squeeze</c>; a <see cref="Layers.Recurrent.Stateful"/> layer's carried state is not part of the graph (every call
/// starts from zero states, unless <see cref="OnnxExportOptions.StateInputsAndOutputs"/> makes the states graph inputs and
/// outputs). <see cref="Layers.Dense"/> becomes <c>Gemm</c> on [batch, features] and
/// <c>MatMul</c> + <c>Add</c> on [batch, time, features]; <see cref="Layers.Embedding"/> <c>Cast</c> to int64
/// + <c>Gather</c>; <see cref="Layers.Masking"/> <c>Where</c>; activations <c>Relu</c>, <c>Sigmoid</c>,
/// <c>Tanh</c>, <c>Softmax</c> (last axis), <c>Elu</c>, <c>Softplus</c> and <c>Mul</c>(x, <c>Sigmoid</c>(x)) for
/// silu; <see cref="Layers.RepeatVector"/> <c>Unsqueeze</c> + <c>Expand</c>; <see cref="Layers.GlobalAveragePooling1D"/> and
/// <see cref="Layers.GlobalMaxPooling1D"/> <c>ReduceMean</c> and <c>ReduceMax</c> over time (with a mask, over the real
/// steps, rebuilt from the lengths); <see cref="Layers.LayerNormalization"/> <c>LayerNormalization</c> (opset 17).
/// <see cref="Layers.Dropout"/> is the identity at inference and adds nothing.
/// </para>
/// <para>
/// A mask (from <see cref="Layers.Masking"/> or <see cref="Layers.Embedding"/> with <c>maskZero</c>) that
/// reaches a recurrent layer becomes per-sequence lengths (<c>sequence_lens</c>), exact for batches padded
/// at one end, which <see cref="OnnxExportOptions.Padding"/> must name; a pooling layer rebuilds the real steps from the
/// same lengths.
/// </para>
/// <para>
/// The whole graph is built and checked in memory before anything is written: a model that cannot be
/// exported throws and writes nothing. Writing to a path is atomic: a temporary file in the same
/// directory is written, flushed to disk and renamed over the destination, so a previous file there is
/// replaced only by a complete new one. Weights are stored inside the file (no external data), so a model
/// must fit protobuf's 2 GiB limit.
/// </para>
/// </remarks>
public static class OnnxExporter
{
    /// <summary>
    /// The ONNX operator set the files use: 17, which ONNX Runtime has supported since 1.12 and which has
    /// everything the export needs (the recurrent operators of opset 14, <c>Slice</c> with steps, axes as
    /// inputs of <c>Squeeze</c> and <c>ReduceSum</c>).
    /// </summary>
    public const int OpsetVersion = 17;

    /// <summary>The ONNX IR version of the files: 8, the one released with opset 17 (ONNX 1.12).</summary>
    public const int IrVersion = 8;

    /// <summary>The largest file protobuf can parse (2 GiB - 1 byte).</summary>
    private const long MaxModelBytes = int.MaxValue;

    private const int FileBufferBytes = 1 << 16;

    /// <summary>Exports <paramref name="model"/> to an ONNX file at <paramref name="path"/>, atomically.</summary>
    /// <param name="model">A built model.</param>
    /// <param name="path">The file to create or replace; its directory must exist.</param>
    /// <param name="options">Names, padding of masked batches, description; null for the defaults.</param>
    /// <exception cref="InvalidOperationException">The model has no layers or is not built.</exception>
    /// <exception cref="NotSupportedException">A layer cannot be exported (the message names it and says why); nothing is written.</exception>
    /// <exception cref="ArgumentException">The options are not valid.</exception>
    /// <exception cref="IOException">The file cannot be written (nothing at <paramref name="path"/> has changed).</exception>
    /// <exception cref="UnauthorizedAccessException">The directory cannot be written.</exception>
    public static void Export(Sequential model, string path, OnnxExportOptions? options = null) => Export(model, path, options, stream => stream);

    /// <summary>
    /// Exports <paramref name="model"/> as ONNX bytes to <paramref name="destination"/> at its current position,
    /// then flushes it (not atomic, and the stream is not disposed).
    /// </summary>
    /// <param name="model">A built model.</param>
    /// <param name="destination">A writable stream.</param>
    /// <param name="options">Names, padding of masked batches, description; null for the defaults.</param>
    /// <exception cref="InvalidOperationException">The model has no layers or is not built.</exception>
    /// <exception cref="NotSupportedException">A layer cannot be exported (the message names it and says why); nothing is written.</exception>
    /// <exception cref="ArgumentException">The stream is not writable, or the options are not valid.</exception>
    /// <exception cref="IOException">Writing the stream failed.</exception>
    public static void Export(Sequential model, Stream destination, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("The stream to write an ONNX model to is not writable.", nameof(destination));
        }

        var proto = Build(model, options);
        Write(proto, destination);
        destination.Flush();
    }

    /// <summary>The path export with a hook around the temporary file's stream, for tests that inject failures.</summary>
    internal static void Export(Sequential model, string path, OnnxExportOptions? options, Func<Stream, Stream> wrap)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var proto = Build(model, options);
        AtomicFile.Write(path, FileBufferBytes, file =>
        {
            var stream = wrap(file);
            Write(proto, stream);
            stream.Flush();
        });
    }

    private static ModelProto Build(Sequential model, OnnxExportOptions? options)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new OnnxExportOptions();
        if (string.IsNullOrEmpty(options.InputName) || string.IsNullOrEmpty(options.OutputName))
        {
            throw new ArgumentException("OnnxExportOptions.InputName and OutputName must be non-empty names.", nameof(options));
        }

        if (options.InputName == options.OutputName)
        {
            throw new ArgumentException($"OnnxExportOptions.InputName and OutputName are both '{options.InputName}'; the graph's input and output need different names.", nameof(options));
        }

        if (options.Padding is { } padding && !Enum.IsDefined(padding))
        {
            throw new ArgumentException($"OnnxExportOptions.Padding is {padding}, which is neither Padding.Pre nor Padding.Post.", nameof(options));
        }

        var proto = SequentialConverter.Convert(model, options);
        if (proto.Size > MaxModelBytes)
        {
            throw new NotSupportedException(
                $"Model '{model.Name}' would take {proto.Size} bytes as ONNX, more than the 2 GiB protobuf can hold in one file; the exporter does not write external data.");
        }

        return proto;
    }

    private static void Write(ModelProto proto, Stream stream)
    {
        var writer = new ProtoWriter(stream);
        proto.WriteTo(writer);
        writer.Flush();
    }
}
