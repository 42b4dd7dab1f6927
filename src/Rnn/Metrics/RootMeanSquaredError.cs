namespace Rnn.Metrics;

/// <summary>
/// Root mean squared error: the square root of the (weighted) mean of the sample-steps' mean squared errors
/// <c>(1/k) Σ_i (p_i - y_i)²</c> over everything counted since <see cref="Metric.Reset"/>, so
/// <c>sqrt(Σ w·mse / Σ w)</c>: the root of the whole data's mean, not a mean of per-batch roots. In the targets' units.
/// Keras's <c>RootMeanSquaredError</c> (<c>"root_mean_squared_error"</c>).
/// </summary>
public sealed class RootMeanSquaredError : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="name">The name in training history; <c>root_mean_squared_error</c> when null.</param>
    public RootMeanSquaredError(string? name = null)
        : base(name, "root_mean_squared_error")
    {
    }

    private protected override (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
        => (MeanSquaredError.RowValue(prediction, target), 1);

    private protected override float ComputeResult() => (float)Math.Sqrt(base.ComputeResult());
}
