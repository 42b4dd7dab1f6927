using Rnn.Data;

namespace Rnn.Serialization;

/// <summary>Choices for <see cref="OnnxExporter"/>; every property has a default that suits most models.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>The name of the graph's input (<c>input</c> by default).</summary>
    public string InputName { get; init; } = "input";

    /// <summary>The name of the graph's output (<c>output</c> by default).</summary>
    public string OutputName { get; init; } = "output";

    /// <summary>
    /// Where the padding of the batches the exported model will run on lies, for models in which a mask
    /// (from <see cref="Layers.Masking"/> or <see cref="Layers.Embedding"/> with <c>maskZero</c>) reaches a
    /// recurrent layer; null (the default) for models without such a mask.
    /// </summary>
    /// <remarks>
    /// ONNX's recurrent operators skip padding through per-sequence lengths (<c>sequence_lens</c>), which can
    /// only say "the first n steps are real". The exported graph counts each sequence's real steps and, for
    /// <see cref="Padding.Pre"/>, moves them to the front before the operator and back after it. The result
    /// equals <see cref="Sequential.Predict(System.Numerics.Tensors.Tensor{float}, int)"/> exactly when every
    /// sequence's padding lies entirely at the end (<see cref="Padding.Post"/>) or entirely at the start
    /// (<see cref="Padding.Pre"/>), as <see cref="Sequences.Pad"/> makes it. A padding step in the middle of a
    /// sequence is counted as padding but not skipped where it is, so the results then differ.
    /// </remarks>
    public Padding? Padding { get; init; }

    /// <summary>
    /// Whether the graph also takes and returns the recurrent layers' states, to run a sequence chunk by chunk in ONNX
    /// Runtime as <see cref="Models.StreamingSession"/> does here: for each recurrent layer, inputs <c>{layer}.h0</c> (and
    /// <c>{layer}.c0</c> for an Lstm), [numLayers · directions, batch, units] in PyTorch's layout, and outputs
    /// <c>{layer}.h_n</c> (and <c>{layer}.c_n</c>), the states after the chunk's last real step. Feed zeros to start a
    /// sequence and each call's outputs to the next. False (the default): every call starts from zero states.
    /// </summary>
    public bool StateInputsAndOutputs { get; init; }

    /// <summary>A description stored in the model's <c>doc_string</c>; null for none.</summary>
    public string? Description { get; init; }
}
