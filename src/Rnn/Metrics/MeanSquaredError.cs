namespace Rnn.Metrics;

/// <summary>
/// Mean squared error: a sample-step's value is <c>(1/k) Σ_i (p_i - y_i)²</c>, so the result is the mean
/// of all squared errors. Keras's <c>mean_squared_error</c> (<c>"mse"</c>).
/// </summary>
public sealed class MeanSquaredError : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="name">The name in training history; <c>mean_squared_error</c> when null.</param>
    public MeanSquaredError(string? name = null)
        : base(name, "mean_squared_error")
    {
    }

    private protected override (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target) => (RowValue(prediction, target), 1);

    /// <summary><c>(1/k) Σ_i (p_i - y_i)²</c> in double: a sample-step's value here and in <see cref="RootMeanSquaredError"/>.</summary>
    /// <param name="prediction">[k].</param>
    /// <param name="target">[k].</param>
    /// <returns>The row's mean squared error.</returns>
    internal static double RowValue(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
    {
        var sum = 0.0;
        for (var i = 0; i < prediction.Length; i++)
        {
            var error = (double)prediction[i] - target[i];
            sum += error * error;
        }

        return sum / prediction.Length;
    }
}
