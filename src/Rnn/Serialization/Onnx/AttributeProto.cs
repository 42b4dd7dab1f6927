namespace Rnn.Serialization.Onnx;

/// <summary>
/// ONNX <c>AttributeProto</c>: a named attribute of a node holding one value. Field numbers from onnx/onnx
/// <c>onnx/onnx.proto</c>: name = 1, f = 2, i = 3, s = 4, ints = 8, strings = 9, type = 20 (the
/// <c>AttributeType</c> discriminator, which IR ≥ 2 requires: FLOAT = 1, INT = 2, STRING = 3, INTS = 7,
/// STRINGS = 8).
/// </summary>
internal sealed class AttributeProto : IProtoMessage
{
    private const int NameField = 1;
    private const int FloatField = 2;
    private const int IntField = 3;
    private const int StringField = 4;
    private const int IntsField = 8;
    private const int StringsField = 9;
    private const int TypeField = 20;

    private const int FloatType = 1;
    private const int IntType = 2;
    private const int StringType = 3;
    private const int IntsType = 7;
    private const int StringsType = 8;

    private readonly int _type;
    private readonly float _float;
    private readonly long _int;
    private readonly string? _string;
    private readonly long[] _ints = [];
    private readonly string[] _strings = [];
    private long? _size;

    private AttributeProto(string name, int type)
    {
        Name = name;
        _type = type;
    }

    private AttributeProto(string name, float value)
        : this(name, FloatType) => _float = value;

    private AttributeProto(string name, long value)
        : this(name, IntType) => _int = value;

    private AttributeProto(string name, string value)
        : this(name, StringType) => _string = value;

    private AttributeProto(string name, long[] values)
        : this(name, IntsType) => _ints = values;

    private AttributeProto(string name, string[] values)
        : this(name, StringsType) => _strings = values;

    /// <summary>The attribute's name, e.g. <c>hidden_size</c>.</summary>
    public string Name { get; }

    public long Size => _size ??= ComputeSize();

    public static AttributeProto Float(string name, float value) => new(name, value);

    public static AttributeProto Int(string name, long value) => new(name, value);

    public static AttributeProto String(string name, string value) => new(name, value);

    public static AttributeProto Ints(string name, params long[] values) => new(name, values);

    public static AttributeProto Strings(string name, params string[] values) => new(name, values);

    public void WriteTo(ProtoWriter writer)
    {
        writer.StringField(NameField, Name);
        switch (_type)
        {
            case FloatType:
                writer.FloatField(FloatField, _float);
                break;
            case IntType:
                writer.VarintField(IntField, _int);
                break;
            case StringType:
                writer.StringField(StringField, _string!);
                break;
            case IntsType:
                // proto2 without [packed = true]: one tag per element.
                foreach (var value in _ints)
                {
                    writer.VarintField(IntsField, value);
                }

                break;
            default:
                foreach (var value in _strings)
                {
                    writer.StringField(StringsField, value);
                }

                break;
        }

        writer.VarintField(TypeField, _type);
    }

    private long ComputeSize()
    {
        var size = ProtoWriter.StringFieldSize(NameField, Name) + ProtoWriter.VarintFieldSize(TypeField, _type);
        return size + _type switch
        {
            FloatType => ProtoWriter.Fixed32FieldSize(FloatField),
            IntType => ProtoWriter.VarintFieldSize(IntField, _int),
            StringType => ProtoWriter.StringFieldSize(StringField, _string!),
            IntsType => _ints.Sum(v => ProtoWriter.VarintFieldSize(IntsField, v)),
            _ => _strings.Sum(v => ProtoWriter.StringFieldSize(StringsField, v)),
        };
    }
}
