using System.Text.Json.Serialization;

namespace Rnn.Serialization;

/// <summary>
/// A <see cref="Data.TextVectorizer"/> file: its settings under Keras's <c>get_config</c> names and values
/// (<c>standardize</c> and <c>split</c> are null for none) and the whole vocabulary, reserved tokens first. The settings
/// added in the second format are optional and left out when they have their defaults.
/// </summary>
internal sealed record TextVectorizerJson(
    string Format,
    int? MaxTokens,
    string? Standardize,
    string? Split,
    int? OutputSequenceLength,
    List<string> Vocabulary)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Ngrams { get; init; }

    /// <summary>Keras's <c>output_mode</c>; null for <c>"int"</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OutputMode { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? PadToMaxTokens { get; init; }

    /// <summary>One per vocabulary entry, in <c>tf_idf</c> mode only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<float>? IdfWeights { get; init; }
}

/// <summary>
/// Source-generated JSON for text vectorizer files: no reflection, so it works trimmed and under NativeAOT. Every
/// property is required (a missing one is an error, not a default) and the non-nullable ones may not be null.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(TextVectorizerJson))]
internal sealed partial class TextVectorizerJsonContext : JsonSerializerContext;
