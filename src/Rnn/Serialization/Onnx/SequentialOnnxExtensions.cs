namespace Rnn.Serialization;

/// <summary><see cref="OnnxExporter"/> as methods of <see cref="Sequential"/>: <c>model.ExportOnnx("model.onnx")</c>.</summary>
public static class SequentialOnnxExtensions
{
    /// <inheritdoc cref="OnnxExporter.Export(Sequential, string, OnnxExportOptions?)"/>
    public static void ExportOnnx(this Sequential model, string path, OnnxExportOptions? options = null) => OnnxExporter.Export(model, path, options);

    /// <inheritdoc cref="OnnxExporter.Export(Sequential, Stream, OnnxExportOptions?)"/>
    public static void ExportOnnx(this Sequential model, Stream destination, OnnxExportOptions? options = null) => OnnxExporter.Export(model, destination, options);
}
