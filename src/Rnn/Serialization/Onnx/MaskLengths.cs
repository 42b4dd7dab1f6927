namespace Rnn.Serialization.Onnx;

/// <summary>
/// A mask in the graph, as the number of real steps of each sequence: int32 [batch] for the recurrent
/// operators' <c>sequence_lens</c>, int64 [batch] for <c>ReverseSequence</c>. Made on first use (only a recurrent
/// layer needs them), from a [batch, time] int32 tensor that is 1 at real steps and 0 at padding.
/// </summary>
internal sealed class MaskLengths(OnnxGraphBuilder builder, string producer, Func<string> steps)
{
    private string? _int32;
    private string? _int64;

    /// <summary>The name of the layer that made the mask (for messages).</summary>
    public string Producer => producer;

    public string Int32 => _int32 ??= builder.Node("ReduceSum", $"{producer}/mask", [steps(), builder.Int64s(1)], AttributeProto.Int("keepdims", 0));

    public string Int64 => _int64 ??= builder.Node("Cast", $"{producer}/mask", [Int32], AttributeProto.Int("to", OnnxDataType.Int64));
}
