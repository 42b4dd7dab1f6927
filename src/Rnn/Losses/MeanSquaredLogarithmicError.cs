namespace Rnn.Losses;

/// <summary>
/// Mean squared logarithmic error: with <c>a_i = log(max(p_i, ε) + 1)</c> and <c>b_i = log(max(y_i, ε) + 1)</c>, per
/// sample-step <c>ℓ = (1/k) Σ_i (a_i - b_i)²</c>, then the mean over sample-steps; <c>dℓ/dp_i = 2 (a_i - b_i) / (k (p_i + 1))</c>
/// where <c>p_i ≥ ε</c> and 0 below, where the clip holds p at ε. ε = 1e-7 (Keras's <c>epsilon()</c>), so negative and zero
/// values count as ε, as in Keras. Relative errors matter, not absolute ones: for targets spread over orders of magnitude.
/// Keras's <c>mean_squared_logarithmic_error</c> (<c>"msle"</c>).
/// </summary>
/// <remarks>Use <see cref="Loss.MeanSquaredLogarithmicError"/> for the shared instance.</remarks>
public sealed class MeanSquaredLogarithmicError : Loss
{
    /// <summary>Creates the loss.</summary>
    public MeanSquaredLogarithmicError()
        : base("mean_squared_logarithmic_error")
    {
    }

    private protected override double RowLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex, bool binaryTargets)
        => ElementMean<Formula>(prediction, target, gradient, scale, targetIndex);

    private readonly struct Formula : IElementLoss
    {
        public static double Value(double p, double y) => Math.Pow(Difference(p, y), 2);

        public static double Derivative(double p, double y) => p >= KerasBackend.Epsilon ? 2 * Difference(p, y) / (p + 1) : 0;

        private static double Difference(double p, double y) => Math.Log(Math.Max(p, KerasBackend.Epsilon) + 1) - Math.Log(Math.Max(y, KerasBackend.Epsilon) + 1);
    }
}
