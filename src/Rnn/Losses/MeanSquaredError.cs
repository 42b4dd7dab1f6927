namespace Rnn.Losses;

/// <summary>
/// Mean squared error: per sample-step <c>ℓ = (1/k) Σ_i (p_i - y_i)²</c>, then the mean over sample-steps, so
/// the mean of all squared errors; <c>dℓ/dp_i = 2 (p_i - y_i) / k</c>. Keras's <c>mean_squared_error</c>.
/// </summary>
/// <remarks>Use <see cref="Loss.MeanSquaredError"/> for the shared instance.</remarks>
public sealed class MeanSquaredError : Loss
{
    /// <summary>Creates the loss.</summary>
    public MeanSquaredError()
        : base("mean_squared_error")
    {
    }

    private protected override double RowLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex)
    {
        var sum = 0.0;
        var factor = 2f * scale / prediction.Length;
        for (var i = 0; i < prediction.Length; i++)
        {
            CheckFinite(target[i], targetIndex + i);
            var error = prediction[i] - target[i];
            sum += (double)error * error;
            if (!gradient.IsEmpty)
            {
                gradient[i] = factor * error;
            }
        }

        return sum / prediction.Length;
    }
}
