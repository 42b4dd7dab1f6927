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

    private protected override double RowLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex, bool binaryTargets)
        => ElementMean<Formula>(prediction, target, gradient, scale, targetIndex);

    /// <summary><c>f(p, y) = 100 |y - p| / max(|y|, ε)</c>; also the value of the metric <see cref="Metrics.MeanAbsolutePercentageError"/>.</summary>
    internal readonly struct Formula : IElementLoss
    {
        public static double Value(double p, double y) => 100 * Math.Abs(y - p) / Divisor(y);

        public static double Derivative(double p, double y) => 100 * Math.Sign(p - y) / Divisor(y);

        private static double Divisor(double y) => Math.Max(Math.Abs(y), KerasBackend.Epsilon);
    }
}
