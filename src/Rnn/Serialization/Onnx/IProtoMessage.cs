namespace Rnn.Serialization.Onnx;

/// <summary>A protocol buffers message that knows its encoded size, so that it can be nested without buffering.</summary>
internal interface IProtoMessage
{
    /// <summary>The encoded size in bytes (without the tag and length of the field that holds it).</summary>
    long Size { get; }

    /// <summary>Writes the message's fields.</summary>
    void WriteTo(ProtoWriter writer);
}
