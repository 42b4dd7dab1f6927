namespace Rnn.Losses;

/// <summary>
/// Mean absolute percentage error: per sample-step <c>ℓ = (100/k) Σ_i |y_i - p_i| / max(|y_i|, ε)</c>, then the mean over
/// sample-steps; <c>dℓ/dp_i = 100 sign(p_i - y_i) / (k max(|y_i|, ε))</c>, 0 where the prediction equals the target.
/// ε = 1e-7 (Keras's <c>epsilon()</c>) keeps a zero target finite, but an error against it weighs 10⁹ times its size, as in
/// Keras. Keras's <c>mean_absolute_percentage_error</c> (<c>"mape"</c>).
/// </summary>
/// <remarks>Use <see cref="Loss.MeanAbsolutePercentageError"/> for the shared instance.</remarks>
public sealed class MeanAbsolutePercentageError : Loss
{
    /// <summary>Creates the loss.</summary>
    public MeanAbsolutePercentageError()
        : base("mean_absolute_percentage_error")
    {
    }

    /// <summary><c>100 · mean_i |y_i - p_i| / max(|y_i|, ε)</c> over a row, in double: the loss of one sample-step, and the metric's value.</summary>
    /// <param name="prediction">[k].</param>
    /// <param name="target">[k].</param>
    /// <returns>The percentage error of the row.</returns>
    internal static double RowValue(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
    {
        var sum = 0.0;
        for (var i = 0; i < prediction.Length; i++)
        {
            sum += Math.Abs((double)prediction[i] - target[i]) / Divisor(target[i]);
        }

        return 100.0 * sum / prediction.Length;
    }

    private protected override double RowLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex, bool binaryTargets)
    {
        CheckFinite(target, targetIndex);
        if (!gradient.IsEmpty)
        {
            var factor = 100.0 * scale / prediction.Length;
            for (var i = 0; i < prediction.Length; i++)
            {
                gradient[i] = (float)(factor * Math.Sign((double)prediction[i] - target[i]) / Divisor(target[i]));
            }
        }

        return RowValue(prediction, target);
    }

    private static double Divisor(float y) => Math.Max(Math.Abs(y), KerasBackend.Epsilon);
}
