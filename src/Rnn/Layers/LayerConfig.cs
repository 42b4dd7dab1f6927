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

    /// <summary>
    /// Typed access to one layer's configuration, naming the layer and key when something is wrong. It remembers the
    /// keys it was asked for, so that <see cref="EnsureAllRead"/> can refuse a setting this version does not know
    /// (written by a newer version) instead of silently building a different layer.
    /// </summary>
    public sealed class Reader(string type, string name, IReadOnlyDictionary<string, string> config)
    {
        private readonly HashSet<string> _read = new(StringComparer.Ordinal);

        public int Int(string key) => int.TryParse(Required(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : throw Invalid(key, "an integer");

        public int? OptionalInt(string key) => Has(key) ? Int(key) : null;

        public float Float(string key, float fallback) => !Has(key) ? fallback
            : float.TryParse(config[key], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : throw Invalid(key, "a number");

        public bool Bool(string key, bool fallback) => !Has(key) ? fallback
            : config[key] switch { "true" => true, "false" => false, _ => throw Invalid(key, "true or false") };

        public string String(string key, string fallback) => Has(key) ? config[key] : fallback;

        public TEnum Enum<TEnum>(string key, TEnum fallback)
            where TEnum : struct, System.Enum
            => !Has(key) ? fallback
                : System.Enum.TryParse<TEnum>(config[key], ignoreCase: false, out var value) && System.Enum.IsDefined(value) ? value
                : throw Invalid(key, $"one of {string.Join(", ", System.Enum.GetNames<TEnum>())}");

        /// <summary>
        /// A recurrent layer's <c>dropout</c> between stacked layers, 0 for a single layer: versions before it became an error
        /// accepted (and ignored) dropout on one layer, and their files must still load, to the same model.
        /// </summary>
        public float StackDropout()
        {
            var dropout = Float("dropout", 0f);
            return Int("num_layers") == 1 ? 0f : dropout;
        }

        /// <summary>Throws when the configuration has a key that nothing asked for.</summary>
        /// <exception cref="InvalidDataException">A key is not known to this version.</exception>
        public void EnsureAllRead()
        {
            var unknown = config.Keys.Where(k => !_read.Contains(k)).Order(StringComparer.Ordinal).ToList();
            if (unknown.Count > 0)
            {
                throw new InvalidDataException(
                    $"Layer '{name}' ({type}) in the model file has {(unknown.Count == 1 ? "a setting" : "settings")} this version does not know: "
                    + $"{string.Join(", ", unknown.Select(k => $"'{k}' = '{config[k]}'"))}; it knows {string.Join(", ", _read.Order(StringComparer.Ordinal))}. "
                    + "The file was probably written by a newer version of Rnn.");
            }
        }

        private bool Has(string key)
        {
            _read.Add(key);
            return config.ContainsKey(key);
        }

        private string Required(string key)
            => Has(key) ? config[key] : throw new InvalidDataException($"Layer '{name}' ({type}) in the model file has no '{key}' in its configuration.");

        private InvalidDataException Invalid(string key, string expected)
            => new($"Layer '{name}' ({type}) in the model file has '{key}' = '{config[key]}', but it must be {expected}.");
    }
}
