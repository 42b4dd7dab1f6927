using System.Globalization;

namespace Rnn.Layers;

/// <summary>Reading and writing layer configurations: string maps with snake_case keys and invariant-culture values.</summary>
internal static class LayerConfig
{
    public static Dictionary<string, string> Of(params (string Key, string? Value)[] entries)
    {
        var config = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in entries)
        {
            if (value is not null)
            {
                config[key] = value;
            }
        }

        return config;
    }

    public static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string? Format(int? value) => value?.ToString(CultureInfo.InvariantCulture);

    public static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Format(bool value) => value ? "true" : "false";

    /// <summary>Typed access to one layer's configuration, naming the layer and key when something is wrong.</summary>
    public sealed class Reader(string type, string name, IReadOnlyDictionary<string, string> config)
    {
        public int Int(string key) => int.TryParse(Required(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : throw Invalid(key, "an integer");

        public int? OptionalInt(string key) => config.ContainsKey(key) ? Int(key) : null;

        public float Float(string key, float fallback) => !config.ContainsKey(key) ? fallback
            : float.TryParse(config[key], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : throw Invalid(key, "a number");

        public bool Bool(string key, bool fallback) => !config.TryGetValue(key, out var text) ? fallback
            : text switch { "true" => true, "false" => false, _ => throw Invalid(key, "true or false") };

        public string String(string key, string fallback) => config.TryGetValue(key, out var value) ? value : fallback;

        public TEnum Enum<TEnum>(string key, TEnum fallback)
            where TEnum : struct, System.Enum
            => !config.TryGetValue(key, out var text) ? fallback
                : System.Enum.TryParse<TEnum>(text, ignoreCase: false, out var value) && System.Enum.IsDefined(value) ? value
                : throw Invalid(key, $"one of {string.Join(", ", System.Enum.GetNames<TEnum>())}");

        private string Required(string key)
            => config.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"Layer '{name}' ({type}) in the model file has no '{key}' in its configuration.");

        private InvalidDataException Invalid(string key, string expected)
            => new($"Layer '{name}' ({type}) in the model file has '{key}' = '{config[key]}', but it must be {expected}.");
    }
}
