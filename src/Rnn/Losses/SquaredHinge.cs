namespace Rnn.Losses;

/// <summary>
/// Squared hinge loss: with labels <c>t ∈ {-1, 1}</c> and margins <c>m_i = max(1 - t_i p_i, 0)</c>, per sample-step
/// <c>ℓ = (1/k) Σ_i m_i²</c>, then the mean over sample-steps; <c>dℓ/dp_i = -2 t_i m_i / k</c>. Smooth at the margin's edge,
/// and it punishes large violations more than <see cref="Hinge"/>. 0/1 targets are read as -1/1 as <see cref="Hinge"/> reads
/// them. Keras's <c>squared_hinge</c>.
/// </summary>
/// <remarks>Use <see cref="Loss.SquaredHinge"/> for the shared instance.</remarks>
public sealed class SquaredHinge : Loss
{
    /// <summary>Creates the loss.</summary>
    public SquaredHinge()
        : base("squared_hinge")
    {
    }

    private protected override bool ConvertsBinaryTargets => true;

    private protected override double RowLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex, bool binaryTargets)
    {
        CheckFinite(target, targetIndex);
        return Hinge.Margins(prediction, target, gradient, scale, binaryTargets, squared: true);
    }
}
