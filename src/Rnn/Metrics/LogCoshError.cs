namespace Rnn.Metrics;

/// <summary>
/// Log-cosh error: a sample-step's value is <c>(1/k) Σ_i log(cosh(p_i - y_i))</c>, the loss <see cref="Losses.LogCosh"/>
/// (computed as stably). Keras's <c>LogCoshError</c>, whose name is <c>"logcosh"</c>.
/// </summary>
public sealed class LogCoshError : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="name">The name in training history; <c>logcosh</c> (Keras's) when null.</param>
    public LogCoshError(string? name = null)
        : base(name, "logcosh")
    {
    }

    private protected override (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
        => (Losses.ElementLoss.Mean<Losses.LogCosh.Formula>(prediction, target), 1);
}
