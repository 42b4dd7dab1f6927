namespace Rnn.Metrics;

/// <summary>
/// Mean absolute error: a sample-step's value is <c>(1/k) Σ_i |p_i - y_i|</c>, so the result is the mean
/// of all absolute errors. Keras's <c>mean_absolute_error</c> (<c>"mae"</c>).
/// </summary>
public sealed class MeanAbsoluteError : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="name">The name in training history; <c>mean_absolute_error</c> when null.</param>
    public MeanAbsoluteError(string? name = null)
        : base(name, "mean_absolute_error")
    {
    }

    private protected override (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
    {
        var sum = 0.0;
        for (var i = 0; i < prediction.Length; i++)
        {
            sum += Math.Abs((double)prediction[i] - target[i]);
        }

        return (sum / prediction.Length, 1);
    }
}
