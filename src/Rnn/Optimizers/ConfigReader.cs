using System.Globalization;

namespace Rnn.Optimizers;

/// <summary>
/// Reads the settings of an optimizer or schedule from a config dictionary (Keras-style names,
/// invariant-culture strings), remembers which keys were read, and rejects the rest, so that a typo in a
/// model file is an error rather than a silently ignored setting.
/// </summary>
internal sealed class ConfigReader
{
    private readonly string _owner;
    private readonly string _parameterName;
    private readonly IReadOnlyDictionary<string, string> _config;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    /// <summary>Names the owner, as at the start of error messages.</summary>
    public string Owner => _owner;

    /// <summary>Creates a reader.</summary>
    /// <param name="owner">Names the owner at the start of error messages, e.g. <c>Optimizer 'adam'</c>.</param>
    /// <param name="config">The settings; null for none.</param>
    /// <param name="parameterName">The public parameter <paramref name="config"/> came in, for exceptions.</param>
    public ConfigReader(string owner, IReadOnlyDictionary<string, string>? config, string parameterName)
    {
        _owner = owner;
        _config = config ?? new Dictionary<string, string>();
        _parameterName = parameterName;
    }

    /// <summary>Formats a float so that parsing it gives the same float back.</summary>
    public static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Formats a whole number.</summary>
    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Formats whole numbers as a comma-separated list.</summary>
    public static string Format(IEnumerable<long> values) => string.Join(",", values.Select(Format));

    /// <summary>Formats floats as a comma-separated list, each in round-trip form.</summary>
    public static string Format(IEnumerable<float> values) => string.Join(",", values.Select(Format));

    /// <summary>Formats a flag as <c>true</c> or <c>false</c>.</summary>
    public static string Format(bool value) => value ? "true" : "false";

    /// <summary>The float at <paramref name="key"/>, or <paramref name="defaultValue"/> when absent.</summary>
    public float Float(string key, float defaultValue) => OptionalFloat(key) ?? defaultValue;

    /// <summary>The float at <paramref name="key"/>, or null when absent.</summary>
    public float? OptionalFloat(string key)
    {
        if (Text(key) is not { } text)
        {
            return null;
        }

        return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Malformed(key, text, "a number");
    }

    /// <summary>The float at <paramref name="key"/>, which must be present.</summary>
    public float RequiredFloat(string key) => OptionalFloat(key) ?? throw Missing(key);

    /// <summary>The whole number at <paramref name="key"/>, or null when absent.</summary>
    public long? OptionalLong(string key) => Text(key) is null ? null : RequiredLong(key);

    /// <summary>The whole number at <paramref name="key"/>, which must be present.</summary>
    public long RequiredLong(string key)
    {
        if (Text(key) is not { } text)
        {
            throw Missing(key);
        }

        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Malformed(key, text, "a whole number");
    }

    /// <summary>The whole number at <paramref name="key"/> as an int, or null when absent.</summary>
    /// <exception cref="ArgumentException">It is malformed, or it does not fit an int (it would wrap around if cast).</exception>
    public int? OptionalInt(string key) => OptionalLong(key) switch
    {
        null => null,
        var value and >= int.MinValue and <= int.MaxValue => (int)value,
        var value => throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{_owner}'s setting '{key}' is {value}, which is no int."), _parameterName),
    };

    /// <summary>The whole number at <paramref name="key"/> as an int, which must be present.</summary>
    /// <exception cref="ArgumentException">It is missing or malformed, or it does not fit an int.</exception>
    public int RequiredInt(string key) => OptionalInt(key) ?? throw Missing(key);

    /// <summary>The comma-separated whole numbers at <paramref name="key"/>, which must be present (empty text for none).</summary>
    public long[] RequiredLongList(string key) => List(key, "a comma-separated list of whole numbers", (string text, out long value)
        => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value));

    /// <summary>The comma-separated floats at <paramref name="key"/>, which must be present (empty text for none).</summary>
    public float[] RequiredFloatList(string key) => OptionalFloatList(key) ?? throw Missing(key);

    /// <summary>The comma-separated floats at <paramref name="key"/> (empty text for none), or null when absent.</summary>
    public float[]? OptionalFloatList(string key) => Text(key) is null ? null : List(key, "numbers separated by commas", (string text, out float value)
        => float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value));

    /// <summary>The flag at <paramref name="key"/> (<c>true</c> or <c>false</c>), or <paramref name="defaultValue"/> when absent.</summary>
    public bool Bool(string key, bool defaultValue) => Text(key) switch
    {
        null => defaultValue,
        "true" => true,
        "false" => false,
        var text => throw Malformed(key, text, "'true' or 'false'"),
    };

    /// <summary>The text at <paramref name="key"/>, or null when absent.</summary>
    public string? Text(string key)
    {
        _read.Add(key);
        return _config.TryGetValue(key, out var text) ? text : null;
    }

    /// <summary>The entries whose keys start with <paramref name="prefix"/>, with the prefix removed; marks them read.</summary>
    public Dictionary<string, string> WithPrefix(string prefix)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in _config)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                _read.Add(key);
                result[key[prefix.Length..]] = value;
            }
        }

        return result;
    }

    /// <summary>Throws when the config has a key that was never read.</summary>
    /// <exception cref="ArgumentException">A key is unknown.</exception>
    public void ThrowIfUnknownKeys()
    {
        var unknown = _config.Keys.Where(k => !_read.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            var known = _read.Order(StringComparer.Ordinal);
            throw new ArgumentException(
                $"{_owner} has no setting {string.Join(", ", unknown.Select(k => $"'{k}'"))}; its settings are: {string.Join(", ", known)}.",
                _parameterName);
        }
    }

    private T[] List<T>(string key, string expected, Parser<T> parse)
    {
        var text = Text(key) ?? throw Missing(key);
        if (text.Length == 0)
        {
            return [];
        }

        var parts = text.Split(',');
        var values = new T[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!parse(parts[i], out values[i]))
            {
                throw Malformed(key, text, expected);
            }
        }

        return values;
    }

    private delegate bool Parser<T>(string text, out T value);

    private ArgumentException Malformed(string key, string text, string expected)
        => new($"{_owner}: setting '{key}' must be {expected} (invariant culture) but is '{text}'.", _parameterName);

    private ArgumentException Missing(string key) => new($"{_owner} needs the setting '{key}'.", _parameterName);
}
