namespace Rnn.Serialization.Onnx;

/// <summary>One dimension of a graph input or output: a fixed size, or a named symbolic size such as <c>batch</c>.</summary>
/// <param name="Value">The size when fixed.</param>
/// <param name="Param">The name when symbolic (ONNX's <c>dim_param</c>).</param>
internal readonly record struct OnnxDim(long Value, string? Param)
{
    public static OnnxDim Fixed(long value) => new(value, null);

    public static OnnxDim Symbolic(string name) => new(0, name);

    public override string ToString() => Param ?? Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
