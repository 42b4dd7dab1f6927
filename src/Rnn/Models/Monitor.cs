namespace Rnn.Models;

/// <summary>Whether a monitored quantity improves by going down or up.</summary>
public enum MonitorMode
{
    /// <summary>Up for names containing <c>acc</c> (accuracies), down otherwise, as Keras decides.</summary>
    Auto,

    /// <summary>Lower is better (losses, errors).</summary>
    Min,

    /// <summary>Higher is better (accuracies).</summary>
    Max,
}

/// <summary>Tracks the best value of one logged quantity, for callbacks that react to improvement.</summary>
internal sealed class Monitor
{
    private readonly bool _higherIsBetter;
    private readonly float _minDelta;

    public Monitor(string name, MonitorMode mode, float minDelta, string owner)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!(minDelta >= 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, $"{owner}: minDelta must be ≥ 0.");
        }

        Name = name;
        Owner = owner;
        _higherIsBetter = mode switch
        {
            MonitorMode.Max => true,
            MonitorMode.Min => false,
            MonitorMode.Auto => name.Contains("acc", StringComparison.Ordinal),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, $"{owner}: unknown monitor mode."),
        };
        _minDelta = minDelta;
        Reset();
    }

    public string Name { get; }

    public string Owner { get; }

    public float Best { get; private set; }

    public void Reset() => Best = _higherIsBetter ? float.NegativeInfinity : float.PositiveInfinity;

    /// <summary>The monitored value from the logs, or a clear exception naming what is available.</summary>
    public float Read(IReadOnlyDictionary<string, float> logs)
        => logs.TryGetValue(Name, out var value)
            ? value
            : throw new InvalidOperationException(
                $"{Owner} monitors '{Name}', which training does not log; available: {string.Join(", ", logs.Keys)}. "
                + "Monitor one of those, or give Fit validation data (validationSplit or validationData) for val_ quantities.");

    /// <summary>Whether <paramref name="value"/> beats <paramref name="reference"/> by more than minDelta.</summary>
    public bool IsImprovement(float value, float reference)
        => _higherIsBetter ? value - _minDelta > reference : value + _minDelta < reference;

    /// <summary>Records <paramref name="value"/> as the best if it improves on it; returns whether it did.</summary>
    public bool Update(float value)
    {
        if (!IsImprovement(value, Best))
        {
            return false;
        }

        Best = value;
        return true;
    }
}
