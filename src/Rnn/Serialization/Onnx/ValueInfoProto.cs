namespace Rnn.Serialization.Onnx;

/// <summary>
/// ONNX <c>ValueInfoProto</c> for a tensor: a graph input or output with its element type and shape. Field
/// numbers from onnx/onnx <c>onnx/onnx.proto</c>: ValueInfoProto name = 1, type = 2; TypeProto tensor_type = 1;
/// TypeProto.Tensor elem_type = 1, shape = 2; TensorShapeProto dim = 1; Dimension dim_value = 1,
/// dim_param = 2.
/// </summary>
internal sealed class ValueInfoProto : IProtoMessage
{
    private const int NameField = 1;
    private const int TypeField = 2;

    private readonly Nested _type;

    public ValueInfoProto(string name, int elementType, IReadOnlyList<OnnxDim> dims)
    {
        Name = name;
        ElementType = elementType;
        Dims = dims;
        var dimensions = dims.Select(d => new Nested(d.Param is null ? w => w.VarintField(1, d.Value) : w => w.StringField(2, d.Param),
            d.Param is null ? ProtoWriter.VarintFieldSize(1, d.Value) : ProtoWriter.StringFieldSize(2, d.Param))).ToArray();
        var shape = new Nested(w => Array.ForEach(dimensions, d => w.MessageField(1, d)), dimensions.Sum(d => ProtoWriter.MessageFieldSize(1, d)));
        var tensor = new Nested(
            w =>
            {
                w.VarintField(1, elementType);
                w.MessageField(2, shape);
            },
            ProtoWriter.VarintFieldSize(1, elementType) + ProtoWriter.MessageFieldSize(2, shape));
        _type = new Nested(w => w.MessageField(1, tensor), ProtoWriter.MessageFieldSize(1, tensor));
        Size = ProtoWriter.StringFieldSize(NameField, name) + ProtoWriter.MessageFieldSize(TypeField, _type);
    }

    public string Name { get; }

    public int ElementType { get; }

    public IReadOnlyList<OnnxDim> Dims { get; }

    public long Size { get; }

    public void WriteTo(ProtoWriter writer)
    {
        writer.StringField(NameField, Name);
        writer.MessageField(TypeField, _type);
    }

    /// <summary>One of the small messages inside (TypeProto, TypeProto.Tensor, TensorShapeProto, Dimension).</summary>
    private sealed class Nested(Action<ProtoWriter> write, long size) : IProtoMessage
    {
        public long Size => size;

        public void WriteTo(ProtoWriter writer) => write(writer);
    }
}
