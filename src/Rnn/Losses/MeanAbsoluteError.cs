namespace Rnn.Losses;

/// <summary>
/// Mean absolute error: per sample-step <c>ℓ = (1/k) Σ_i |p_i - y_i|</c>, then the mean over sample-steps;
/// <c>dℓ/dp_i = sign(p_i - y_i) / k</c>, 0 where the prediction equals the target. Keras's
/// <c>mean_absolute_error</c>.
/// </summary>
/// <remarks>Use <see cref="Loss.MeanAbsoluteError"/> for the shared instance.</remarks>
public sealed class MeanAbsoluteError : Loss
{
    /// <summary>Creates the loss.</summary>
    public MeanAbsoluteError()
        : base("mean_absolute_error")
    {
    }

    private protected override double RowLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex, bool binaryTargets)
    {
        var sum = 0.0;
        var factor = scale / prediction.Length;
        for (var i = 0; i < prediction.Length; i++)
        {
            CheckFinite(target[i], targetIndex + i);
            var error = prediction[i] - target[i];
            sum += MathF.Abs(error);
            if (!gradient.IsEmpty)
            {
                gradient[i] = error > 0f ? factor : error < 0f ? -factor : 0f;
            }
        }

        return sum / prediction.Length;
    }
}
