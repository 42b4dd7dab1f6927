namespace Rnn.Losses;

/// <summary>
/// Kullback–Leibler divergence of the predicted distribution p from the target distribution y (k classes on the last axis):
/// with both clipped to [ε, 1], <c>ỹ = clip(y)</c> and <c>p̃ = clip(p)</c>, per sample-step <c>ℓ = Σ_i ỹ_i log(ỹ_i / p̃_i)</c> (a sum
/// over classes, as Keras), then the mean over sample-steps; <c>dℓ/dp_i = -ỹ_i / p̃_i</c> where <c>ε ≤ p_i ≤ 1</c> and 0 where
/// the clip is active. ε = 1e-7 (Keras's <c>epsilon()</c>): a zero target counts as ε, so it adds a small
/// <c>ε log(ε / p̃)</c> rather than nothing, exactly as in Keras. Keras's <c>kl_divergence</c> (<c>"kld"</c>).
/// </summary>
/// <remarks>Use <see cref="Loss.KLDivergence"/> for the shared instance. Predictions are probabilities, e.g. a softmax output.</remarks>
public sealed class KLDivergence : Loss
{
    /// <summary>Creates the loss.</summary>
    public KLDivergence()
        : base("kl_divergence")
    {
    }

    private protected override double RowLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex, bool binaryTargets)
    {
        CheckFinite(target, targetIndex);
        return ElementLoss.Sum<Formula>(prediction, target, gradient, scale);
    }

    private readonly struct Formula : IElementLoss
    {
        public static double Value(double p, double y) => Clip(y) * Math.Log(Clip(y) / Clip(p));

        public static double Derivative(double p, double y) => p >= KerasBackend.Epsilon && p <= 1 ? -Clip(y) / p : 0;

        private static double Clip(double v) => Math.Clamp(v, KerasBackend.Epsilon, 1);
    }
}
