namespace Rnn.Serialization.Onnx;

/// <summary>
/// ONNX <c>GraphProto</c>. Field numbers from onnx/onnx <c>onnx/onnx.proto</c>: node = 1 (topologically
/// sorted), name = 2, initializer = 5, doc_string = 10, input = 11, output = 12. Initializers are not listed
/// among the inputs (allowed since IR version 4), so they are constants rather than overridable inputs.
/// </summary>
internal sealed class GraphProto : IProtoMessage
{
    private const int NodeField = 1;
    private const int NameField = 2;
    private const int InitializerField = 5;
    private const int DocStringField = 10;
    private const int InputField = 11;
    private const int OutputField = 12;

    public GraphProto(string name, string? docString, IReadOnlyList<NodeProto> nodes, IReadOnlyList<TensorProto> initializers,
        IReadOnlyList<ValueInfoProto> inputs, IReadOnlyList<ValueInfoProto> outputs)
    {
        Name = name;
        DocString = docString;
        Nodes = nodes;
        Initializers = initializers;
        Inputs = inputs;
        Outputs = outputs;
        Size = nodes.Sum(n => ProtoWriter.MessageFieldSize(NodeField, n))
            + ProtoWriter.StringFieldSize(NameField, name)
            + initializers.Sum(t => ProtoWriter.MessageFieldSize(InitializerField, t))
            + (docString is null ? 0 : ProtoWriter.StringFieldSize(DocStringField, docString))
            + inputs.Sum(i => ProtoWriter.MessageFieldSize(InputField, i))
            + outputs.Sum(o => ProtoWriter.MessageFieldSize(OutputField, o));
    }

    public string Name { get; }

    public string? DocString { get; }

    public IReadOnlyList<NodeProto> Nodes { get; }

    public IReadOnlyList<TensorProto> Initializers { get; }

    public IReadOnlyList<ValueInfoProto> Inputs { get; }

    public IReadOnlyList<ValueInfoProto> Outputs { get; }

    public long Size { get; }

    public void WriteTo(ProtoWriter writer)
    {
        foreach (var node in Nodes)
        {
            writer.MessageField(NodeField, node);
        }

        writer.StringField(NameField, Name);
        foreach (var initializer in Initializers)
        {
            writer.MessageField(InitializerField, initializer);
        }

        if (DocString is not null)
        {
            writer.StringField(DocStringField, DocString);
        }

        foreach (var input in Inputs)
        {
            writer.MessageField(InputField, input);
        }

        foreach (var output in Outputs)
        {
            writer.MessageField(OutputField, output);
        }
    }
}
