namespace Rnn.Serialization.Onnx;

/// <summary>
/// ONNX <c>TensorProto</c>: a named constant (an initializer of the graph). Field numbers from onnx/onnx
/// <c>onnx/onnx.proto</c>: dims = 1 (repeated int64), data_type = 2 (FLOAT = 1, INT64 = 7), float_data = 4
/// (packed), int64_data = 7 (packed), name = 8. Elements are row-major.
/// </summary>
internal sealed class TensorProto : IProtoMessage
{
    private const int DimsField = 1;
    private const int DataTypeField = 2;
    private const int FloatDataField = 4;
    private const int Int64DataField = 7;
    private const int NameField = 8;

    private readonly long[] _dims;
    private readonly ReadOnlyMemory<float> _floats;
    private readonly long[]? _int64s;
    private long? _size;

    private TensorProto(string name, long[] dims, ReadOnlyMemory<float> floats, long[]? int64s)
    {
        Name = name;
        _dims = dims;
        _floats = floats;
        _int64s = int64s;
    }

    /// <summary>The initializer's name, by which nodes use it.</summary>
    public string Name { get; }

    public long Size => _size ??= ComputeSize();

    /// <summary>A float32 tensor over <paramref name="values"/> (not copied).</summary>
    public static TensorProto Float(string name, long[] dims, ReadOnlyMemory<float> values) => new(name, dims, values, null);

    /// <summary>An int64 tensor.</summary>
    public static TensorProto Int64(string name, long[] dims, long[] values) => new(name, dims, default, values);

    public void WriteTo(ProtoWriter writer)
    {
        foreach (var dim in _dims)
        {
            writer.VarintField(DimsField, dim);
        }

        writer.VarintField(DataTypeField, _int64s is null ? OnnxDataType.Float : OnnxDataType.Int64);
        if (_int64s is null)
        {
            writer.PackedFloatField(FloatDataField, _floats.Span);
        }
        else
        {
            writer.PackedInt64Field(Int64DataField, _int64s);
        }

        writer.StringField(NameField, Name);
    }

    private long ComputeSize()
    {
        var size = _dims.Sum(d => ProtoWriter.VarintFieldSize(DimsField, d))
            + ProtoWriter.VarintFieldSize(DataTypeField, _int64s is null ? OnnxDataType.Float : OnnxDataType.Int64)
            + ProtoWriter.StringFieldSize(NameField, Name);
        return size + (_int64s is null
            ? ProtoWriter.LengthDelimitedSize(FloatDataField, (long)_floats.Length * sizeof(float))
            : ProtoWriter.LengthDelimitedSize(Int64DataField, ProtoWriter.PackedVarintPayloadSize(_int64s)));
    }
}
