using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Rnn.Serialization.Onnx;

/// <summary>
/// Writes the protocol buffers wire format (https://protobuf.dev/programming-guides/encoding/) to a stream:
/// each field is a tag <c>(field &lt;&lt; 3) | wire type</c> as a varint, then its value — a varint (wire type
/// 0), 4 little-endian bytes (5), or a varint length and that many bytes (2: strings, bytes, nested messages
/// and packed repeated scalars). Only what the ONNX messages here need.
/// </summary>
/// <remarks>
/// A nested message's length precedes its bytes, so every message computes its size before it writes
/// (<see cref="IProtoMessage.Size"/>, with the static size helpers below), and the whole model streams out in
/// one pass without buffering. Small writes go through a 64 KiB buffer; tensor data is written straight
/// to the stream.
/// </remarks>
internal sealed class ProtoWriter
{
    private const int VarintWireType = 0;
    private const int LengthDelimitedWireType = 2;
    private const int Fixed32WireType = 5;
    private const int BufferBytes = 1 << 16;

    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[BufferBytes];
    private int _used;

    public ProtoWriter(Stream stream) => _stream = stream;

    /// <summary>Bytes of a varint.</summary>
    public static int VarintSize(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    /// <summary>Bytes of a field's tag.</summary>
    public static int TagSize(int field) => VarintSize((ulong)field << 3);

    /// <summary>Bytes of a varint field (int32, int64 and enums; negative values take 10 bytes, as protobuf encodes them).</summary>
    public static long VarintFieldSize(int field, long value) => TagSize(field) + VarintSize((ulong)value);

    /// <summary>Bytes of a length-delimited field whose payload has <paramref name="length"/> bytes.</summary>
    public static long LengthDelimitedSize(int field, long length) => TagSize(field) + VarintSize((ulong)length) + length;

    /// <summary>Bytes of a string field (UTF-8).</summary>
    public static long StringFieldSize(int field, string value) => LengthDelimitedSize(field, Encoding.UTF8.GetByteCount(value));

    /// <summary>Bytes of a nested message field.</summary>
    public static long MessageFieldSize(int field, IProtoMessage message) => LengthDelimitedSize(field, message.Size);

    /// <summary>Bytes of a fixed32 (float) field.</summary>
    public static long Fixed32FieldSize(int field) => TagSize(field) + sizeof(float);

    /// <summary>Bytes of the varints of a packed repeated int64 field's payload.</summary>
    public static long PackedVarintPayloadSize(ReadOnlySpan<long> values)
    {
        long size = 0;
        foreach (var value in values)
        {
            size += VarintSize((ulong)value);
        }

        return size;
    }

    /// <summary>Writes a varint field.</summary>
    public void VarintField(int field, long value)
    {
        Tag(field, VarintWireType);
        Varint((ulong)value);
    }

    /// <summary>Writes a float field (fixed32, little-endian).</summary>
    public void FloatField(int field, float value)
    {
        Tag(field, Fixed32WireType);
        Reserve(sizeof(float));
        BinaryPrimitives.WriteSingleLittleEndian(_buffer.AsSpan(_used), value);
        _used += sizeof(float);
    }

    /// <summary>Writes a string field as UTF-8.</summary>
    public void StringField(int field, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        Tag(field, LengthDelimitedWireType);
        Varint((ulong)length);
        if (length <= BufferBytes)
        {
            Reserve(length);
            _used += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_used));
        }
        else
        {
            Raw(Encoding.UTF8.GetBytes(value));
        }
    }

    /// <summary>Writes a nested message field: its size, then the message.</summary>
    public void MessageField(int field, IProtoMessage message)
    {
        Tag(field, LengthDelimitedWireType);
        Varint((ulong)message.Size);
        message.WriteTo(this);
    }

    /// <summary>Writes a packed repeated float field: one length, then 4 little-endian bytes per value.</summary>
    public void PackedFloatField(int field, ReadOnlySpan<float> values)
    {
        Tag(field, LengthDelimitedWireType);
        Varint((ulong)values.Length * sizeof(float));
        if (BitConverter.IsLittleEndian)
        {
            Raw(MemoryMarshal.AsBytes(values));
            return;
        }

        foreach (var value in values)
        {
            Reserve(sizeof(float));
            BinaryPrimitives.WriteSingleLittleEndian(_buffer.AsSpan(_used), value);
            _used += sizeof(float);
        }
    }

    /// <summary>Writes a packed repeated int64 field: one length, then a varint per value.</summary>
    public void PackedInt64Field(int field, ReadOnlySpan<long> values)
    {
        Tag(field, LengthDelimitedWireType);
        Varint((ulong)PackedVarintPayloadSize(values));
        foreach (var value in values)
        {
            Varint((ulong)value);
        }
    }

    /// <summary>Writes what is buffered to the stream.</summary>
    public void Flush()
    {
        if (_used > 0)
        {
            _stream.Write(_buffer, 0, _used);
            _used = 0;
        }
    }

    private void Tag(int field, int wireType) => Varint(((ulong)field << 3) | (uint)wireType);

    private void Varint(ulong value)
    {
        Reserve(10);
        while (value >= 0x80)
        {
            _buffer[_used++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[_used++] = (byte)value;
    }

    private void Raw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length <= BufferBytes - _used)
        {
            bytes.CopyTo(_buffer.AsSpan(_used));
            _used += bytes.Length;
            return;
        }

        Flush();
        _stream.Write(bytes);
    }

    private void Reserve(int bytes)
    {
        if (BufferBytes - _used < bytes)
        {
            Flush();
        }
    }
}
