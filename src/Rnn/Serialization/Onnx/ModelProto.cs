namespace Rnn.Serialization.Onnx;

/// <summary>
/// ONNX <c>ModelProto</c>, the root of a <c>.onnx</c> file. Field numbers from onnx/onnx <c>onnx/onnx.proto</c>:
/// ir_version = 1, producer_name = 2, producer_version = 3, doc_string = 6, graph = 7, opset_import = 8
/// (an <c>OperatorSetIdProto</c>: domain = 1, version = 2; the default domain is the empty string, so only
/// the version is written).
/// </summary>
internal sealed class ModelProto : IProtoMessage
{
    private const int IrVersionField = 1;
    private const int ProducerNameField = 2;
    private const int ProducerVersionField = 3;
    private const int DocStringField = 6;
    private const int GraphField = 7;
    private const int OpsetImportField = 8;
    private const int OpsetVersionField = 2;

    private readonly long _opsetSize;

    public ModelProto(long irVersion, long opsetVersion, string producerName, string producerVersion, string? docString, GraphProto graph)
    {
        IrVersion = irVersion;
        OpsetVersion = opsetVersion;
        ProducerName = producerName;
        ProducerVersion = producerVersion;
        DocString = docString;
        Graph = graph;
        _opsetSize = ProtoWriter.VarintFieldSize(OpsetVersionField, opsetVersion);
        Size = ProtoWriter.VarintFieldSize(IrVersionField, irVersion)
            + ProtoWriter.StringFieldSize(ProducerNameField, producerName)
            + ProtoWriter.StringFieldSize(ProducerVersionField, producerVersion)
            + (docString is null ? 0 : ProtoWriter.StringFieldSize(DocStringField, docString))
            + ProtoWriter.MessageFieldSize(GraphField, graph)
            + ProtoWriter.LengthDelimitedSize(OpsetImportField, _opsetSize);
    }

    public long IrVersion { get; }

    public long OpsetVersion { get; }

    public string ProducerName { get; }

    public string ProducerVersion { get; }

    public string? DocString { get; }

    public GraphProto Graph { get; }

    public long Size { get; }

    public void WriteTo(ProtoWriter writer)
    {
        writer.VarintField(IrVersionField, IrVersion);
        writer.StringField(ProducerNameField, ProducerName);
        writer.StringField(ProducerVersionField, ProducerVersion);
        if (DocString is not null)
        {
            writer.StringField(DocStringField, DocString);
        }

        writer.MessageField(GraphField, Graph);
        writer.MessageField(OpsetImportField, new OpsetImport(OpsetVersion, _opsetSize));
    }

    private sealed class OpsetImport(long version, long size) : IProtoMessage
    {
        public long Size => size;

        public void WriteTo(ProtoWriter writer) => writer.VarintField(OpsetVersionField, version);
    }
}
