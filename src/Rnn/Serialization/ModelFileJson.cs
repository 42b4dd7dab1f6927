using System.Text.Json.Serialization;

namespace Rnn.Serialization;

/// <summary>The architecture of a model, stored as JSON in a model file's <c>__metadata__</c> under <c>rnn.model</c>.</summary>
internal sealed record ModelConfigJson(string Name, int Seed, int[]? InputShape, List<LayerConfigJson> Layers);

/// <summary>
/// One layer: its kind (<c>Lstm</c>, <c>Dense</c>, ...), name, and options; <c>trainable: false</c> for a frozen layer
/// (written only then, kept apart from the options a custom layer's factory receives).
/// </summary>
internal sealed record LayerConfigJson(
    string Type,
    string Name,
    Dictionary<string, string> Config,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Trainable = null);

/// <summary>
/// How the model was compiled, under <c>rnn.compile</c>. <c>metrics</c> names the metrics (all that files from before
/// <c>metric_configs</c> hold); <c>metric_configs</c> gives each one's kind and settings (its name, a threshold), which
/// loading prefers; <c>weighted_metrics</c> only when there are some.
/// </summary>
internal sealed record CompileConfigJson(
    ComponentConfigJson Optimizer,
    ComponentConfigJson Loss,
    List<string> Metrics,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] List<ComponentConfigJson>? MetricConfigs = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] List<ComponentConfigJson>? WeightedMetrics = null);

/// <summary>An optimizer or a loss: its name and options.</summary>
internal sealed record ComponentConfigJson(string Name, Dictionary<string, string> Config);

/// <summary>
/// What resuming training needs besides weights and optimizer tensors, under <c>rnn.training</c>: the random
/// sources' states, as decimal strings (JSON numbers are doubles, too narrow for 64-bit states).
/// </summary>
internal sealed record TrainingStateJson(string ShuffleRandom, Dictionary<string, string> LayerRandoms);

/// <summary>
/// Source-generated JSON for model files: no reflection, so serialization works trimmed and under NativeAOT.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(ModelConfigJson))]
[JsonSerializable(typeof(CompileConfigJson))]
[JsonSerializable(typeof(TrainingStateJson))]
internal sealed partial class ModelFileJsonContext : JsonSerializerContext;
