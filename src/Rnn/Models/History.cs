namespace Rnn.Models;

/// <summary>
/// What <see cref="Sequential"/>.<c>Fit</c> recorded: for every epoch, the training loss and metrics and, with
/// validation data, the same prefixed <c>val_</c> (Keras's <c>History.history</c>).
/// </summary>
public sealed class History
{
    private readonly Dictionary<string, List<float>> _values = [];
    private readonly List<string> _keys = [];
    private readonly List<int> _epochs = [];

    /// <summary>Number of epochs recorded.</summary>
    public int EpochCount { get; private set; }

    /// <summary>The index (from 0) of each epoch recorded (Keras's <c>History.epoch</c>): 0, 1, … unless training started at a later epoch.</summary>
    public IReadOnlyList<int> Epochs => _epochs;

    /// <summary>The recorded names, in the order they first appeared (for example <c>loss</c>, <c>mae</c>, <c>val_loss</c>, <c>val_mae</c>).</summary>
    public IReadOnlyList<string> Keys => _keys;

    /// <summary>One value per epoch of the quantity <paramref name="key"/>.</summary>
    /// <param name="key">A name from <see cref="Keys"/>.</param>
    /// <exception cref="KeyNotFoundException">Nothing of that name was recorded.</exception>
    public IReadOnlyList<float> this[string key]
        => _values.TryGetValue(key, out var values)
            ? values
            : throw new KeyNotFoundException($"History has no '{key}'; it recorded {string.Join(", ", _keys)}.");

    /// <summary>Whether <paramref name="key"/> was recorded.</summary>
    /// <param name="key">A name such as <c>val_loss</c>.</param>
    /// <returns>True when present.</returns>
    public bool Contains(string key) => _values.ContainsKey(key);

    /// <inheritdoc/>
    public override string ToString()
        => $"History of {EpochCount} epoch(s): " + string.Join(", ", _keys.Select(k => $"{k} {(_values[k].Count > 0 ? _values[k][^1].ToString("G5", System.Globalization.CultureInfo.InvariantCulture) : "-")}"));

    /// <summary>Appends one epoch's logs.</summary>
    internal void Add(int epoch, IReadOnlyDictionary<string, float> logs)
    {
        _epochs.Add(epoch);
        foreach (var (key, value) in logs)
        {
            if (!_values.TryGetValue(key, out var list))
            {
                list = [];
                _values[key] = list;
                _keys.Add(key);
            }

            list.Add(value);
        }

        EpochCount++;
    }
}
