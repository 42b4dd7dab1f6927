using Rnn.Layers;
using Rnn.Serialization;
using Rnn.Serialization.Onnx;

namespace Rnn.Tests.Serialization;

/// <summary>The protobuf wire format, byte for byte, and sizes that agree with what is written.</summary>
public sealed class OnnxProtoWriterTests
{
    [Theory]
    [InlineData(0L, new byte[] { 0x08, 0x00 })]
    [InlineData(1L, new byte[] { 0x08, 0x01 })]
    [InlineData(127L, new byte[] { 0x08, 0x7F })]
    [InlineData(128L, new byte[] { 0x08, 0x80, 0x01 })]
    [InlineData(300L, new byte[] { 0x08, 0xAC, 0x02 })]
    [InlineData(-1L, new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })]
    [InlineData(long.MinValue, new byte[] { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 })]
    public void VarintField_EncodesAsProtobufDoes_NegativeNumbersInTenBytes(long value, byte[] expected)
    {
        // Protobuf's documentation: field 1 = 150 is 08 96 01; int64 -1 takes ten bytes (no zigzag).
        Assert.Equal(expected, Write(w => w.VarintField(1, value)));
        Assert.Equal(expected.Length, ProtoWriter.VarintFieldSize(1, value));
    }

    [Fact]
    public void StringField_IsLengthDelimitedUtf8()
    {
        Assert.Equal([0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6E, 0x67], Write(w => w.StringField(2, "testing")));
        Assert.Equal([0x22, 0x02, 0xC3, 0xA9], Write(w => w.StringField(4, "é")));
        Assert.Equal(4, ProtoWriter.StringFieldSize(4, "é"));
    }

    [Fact]
    public void FloatField_IsFixed32LittleEndian()
        => Assert.Equal([0x15, 0x00, 0x00, 0x80, 0x3F], Write(w => w.FloatField(2, 1f)));

    [Fact]
    public void PackedFields_HaveOneTagAndALength()
    {
        Assert.Equal([0x22, 0x08, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0], Write(w => w.PackedFloatField(4, [1f, -2f])));
        Assert.Equal([0x3A, 0x04, 0x03, 0x8E, 0x02, 0x00], Write(w => w.PackedInt64Field(7, [3, 270, 0])));
    }

    [Fact]
    public void LargeFields_PassTheBuffer_WithoutLosingOrder()
    {
        var values = Enumerable.Range(0, 40_000).Select(i => (float)i).ToArray();
        var bytes = Write(w =>
        {
            w.VarintField(1, 5);
            w.PackedFloatField(4, values);
            w.StringField(2, new string('a', 70_000));
            w.VarintField(3, 6);
        });

        Assert.Equal(
            ProtoWriter.VarintFieldSize(1, 5) + ProtoWriter.LengthDelimitedSize(4, values.Length * 4) + ProtoWriter.StringFieldSize(2, new string('a', 70_000)) + ProtoWriter.VarintFieldSize(3, 6),
            bytes.Length);
        Assert.Equal([0x18, 0x06], bytes[^2..]);
        Assert.Equal(39_999f, BitConverter.ToSingle(bytes, 2 + ProtoWriter.TagSize(4) + ProtoWriter.VarintSize(160_000) + (4 * 39_999)));
    }

    [Fact]
    public void AttributeProto_HasNameValueAndTypeFields()
    {
        // name = "axis" (field 1), i = -1 (field 3), type = INT (field 20 → tag 0xA0 0x01, value 2).
        byte[] expected = [0x0A, 0x04, 0x61, 0x78, 0x69, 0x73, 0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0xA0, 0x01, 0x02];
        var attribute = AttributeProto.Int("axis", -1);

        Assert.Equal(expected, Write(attribute.WriteTo));
        Assert.Equal(expected.Length, attribute.Size);
    }

    [Fact]
    public void ModelSize_EqualsTheBytesWritten()
    {
        var model = new Sequential([new Embedding(30, 6, maskZero: true), new Lstm(17, returnSequences: true, bidirectional: true, numLayers: 2), new Dense(3, Activation.Silu)], seed: 1);
        model.Build(-1);

        var proto = SequentialConverter.Convert(model, new OnnxExportOptions { Padding = Rnn.Data.Padding.Pre, Description = "ünïcödé" });
        var bytes = Write(proto.WriteTo);

        Assert.Equal(proto.Size, bytes.Length);
    }

    private static byte[] Write(Action<ProtoWriter> write)
    {
        using var stream = new MemoryStream();
        var writer = new ProtoWriter(stream);
        write(writer);
        writer.Flush();
        return stream.ToArray();
    }
}
