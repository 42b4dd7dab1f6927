namespace Rnn.Serialization.Onnx;

/// <summary>
/// ONNX <c>NodeProto</c>: one operator call. Field numbers from onnx/onnx <c>onnx/onnx.proto</c>: input = 1,
/// output = 2, name = 3, op_type = 4, attribute = 5. The domain (7) is left out: every operator here is in
/// the default <c>ai.onnx</c> domain. An empty input name skips an optional input.
/// </summary>
internal sealed class NodeProto : IProtoMessage
{
    private const int InputField = 1;
    private const int OutputField = 2;
    private const int NameField = 3;
    private const int OpTypeField = 4;
    private const int AttributeField = 5;

    private long? _size;

    public NodeProto(string opType, string name, string[] inputs, string[] outputs, AttributeProto[] attributes)
    {
        OpType = opType;
        Name = name;
        Inputs = inputs;
        Outputs = outputs;
        Attributes = attributes;
    }

    public string OpType { get; }

    public string Name { get; }

    public string[] Inputs { get; }

    /// <summary>The names of the values the node produces (the exporter renames the very last one to the graph's output).</summary>
    public string[] Outputs { get; }

    public AttributeProto[] Attributes { get; }

    public long Size => _size ??= Inputs.Sum(i => ProtoWriter.StringFieldSize(InputField, i))
        + Outputs.Sum(o => ProtoWriter.StringFieldSize(OutputField, o))
        + ProtoWriter.StringFieldSize(NameField, Name)
        + ProtoWriter.StringFieldSize(OpTypeField, OpType)
        + Attributes.Sum(a => ProtoWriter.MessageFieldSize(AttributeField, a));

    public void WriteTo(ProtoWriter writer)
    {
        foreach (var input in Inputs)
        {
            writer.StringField(InputField, input);
        }

        foreach (var output in Outputs)
        {
            writer.StringField(OutputField, output);
        }

        writer.StringField(NameField, Name);
        writer.StringField(OpTypeField, OpType);
        foreach (var attribute in Attributes)
        {
            writer.MessageField(AttributeField, attribute);
        }
    }
}
