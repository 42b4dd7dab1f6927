namespace Rnn.Losses;

/// <summary>
/// Poisson loss, the negative log-likelihood of counts y under a Poisson distribution of mean p (up to terms without p):
/// per sample-step <c>ℓ = (1/k) Σ_i (p_i - y_i log(p_i + ε))</c>, then the mean over sample-steps;
/// <c>dℓ/dp_i = (1 - y_i / (p_i + ε)) / k</c>. ε = 1e-7 (Keras's <c>epsilon()</c>) keeps a zero prediction finite. Predictions
/// should be non-negative rates (for example from an exponential or softplus output): a prediction at or below -ε gives a
/// NaN or infinite loss, as in Keras. Keras's <c>poisson</c>.
/// </summary>
/// <remarks>Use <see cref="Loss.Poisson"/> for the shared instance.</remarks>
public sealed class Poisson : Loss
{
    /// <summary>Creates the loss.</summary>
    public Poisson()
        : base("poisson")
    {
    }

    private protected override double RowLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex, bool binaryTargets)
        => ElementMean<Formula>(prediction, target, gradient, scale, targetIndex);

    private readonly struct Formula : IElementLoss
    {
        public static double Value(double p, double y) => p - (y * Math.Log(p + KerasBackend.Epsilon));

        public static double Derivative(double p, double y) => 1 - (y / (p + KerasBackend.Epsilon));
    }
}
