namespace Rnn.Serialization.Onnx;

/// <summary>The values of ONNX's <c>TensorProto.DataType</c> that the exporter uses (onnx/onnx <c>onnx/onnx.proto</c>).</summary>
internal static class OnnxDataType
{
    /// <summary>float32.</summary>
    public const int Float = 1;

    /// <summary>int32 (the type of the recurrent operators' <c>sequence_lens</c>).</summary>
    public const int Int32 = 6;

    /// <summary>int64 (indices, shapes, axes).</summary>
    public const int Int64 = 7;

    /// <summary>bool.</summary>
    public const int Bool = 9;
}
