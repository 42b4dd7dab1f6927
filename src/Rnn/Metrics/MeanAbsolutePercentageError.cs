namespace Rnn.Metrics;

/// <summary>
/// Mean absolute percentage error: a sample-step's value is <c>(100/k) Σ_i |y_i - p_i| / max(|y_i|, ε)</c> with ε = 1e-7, the
/// loss <see cref="Losses.MeanAbsolutePercentageError"/> (a zero target makes an error weigh 10⁹ times its size, as in
/// Keras). Keras's <c>MeanAbsolutePercentageError</c> (<c>"mean_absolute_percentage_error"</c>, <c>"mape"</c>).
/// </summary>
public sealed class MeanAbsolutePercentageError : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="name">The name in training history; <c>mean_absolute_percentage_error</c> when null.</param>
    public MeanAbsolutePercentageError(string? name = null)
        : base(name, "mean_absolute_percentage_error")
    {
    }

    private protected override (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
        => (Losses.ElementLoss.Mean<Losses.MeanAbsolutePercentageError.Formula>(prediction, target), 1);
}
