namespace Rnn.Losses;

/// <summary>
/// Hinge loss, the margin loss of a support vector machine: with labels <c>t ∈ {-1, 1}</c>, per sample-step
/// <c>ℓ = (1/k) Σ_i max(1 - t_i p_i, 0)</c>, then the mean over sample-steps; <c>dℓ/dp_i = -t_i / k</c> inside the margin
/// (<c>t_i p_i &lt; 1</c>) and 0 outside (and on its edge). Predictions are raw scores (no sigmoid). Keras's <c>hinge</c>.
/// </summary>
/// <remarks>
/// <para>
/// Labels, as Keras: when every counted target of the batch is 0 or 1, they are read as -1 and 1 (<c>t = 2y - 1</c>);
/// otherwise the targets are used as they are (expected -1 and 1). Keras decides this over its whole <c>y_true</c> tensor,
/// padding included; here only the sample-steps that count decide, so that padded targets cannot change the loss of
/// the real ones.
/// </para>
/// <para>Use <see cref="Loss.Hinge"/> for the shared instance.</para>
/// </remarks>
public sealed class Hinge : Loss
{
    /// <summary>Creates the loss.</summary>
    public Hinge()
        : base("hinge")
    {
    }

    private protected override bool ConvertsBinaryTargets => true;

    /// <summary>
    /// <c>(1/k) Σ_i m_i</c> or <c>(1/k) Σ_i m_i²</c> with <c>m_i = max(1 - t_i p_i, 0)</c>, and its gradient times
    /// <paramref name="scale"/>: the row of <see cref="Hinge"/> and of <see cref="SquaredHinge"/>.
    /// </summary>
    /// <param name="prediction">[k] scores.</param>
    /// <param name="target">[k] labels, checked finite.</param>
    /// <param name="gradient">[k] to overwrite, or empty.</param>
    /// <param name="scale">The factor that turns dℓ into d(mean loss).</param>
    /// <param name="binaryTargets">Whether the targets are 0/1 labels to read as -1/1.</param>
    /// <param name="squared">Whether the margins are squared.</param>
    /// <returns>ℓ.</returns>
    internal static double Margins(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, bool binaryTargets, bool squared)
    {
        var sum = 0.0;
        var factor = (double)scale / prediction.Length;
        for (var i = 0; i < prediction.Length; i++)
        {
            double label = binaryTargets ? (2 * target[i]) - 1 : target[i];
            var margin = Math.Max(1 - (label * prediction[i]), 0);
            sum += squared ? margin * margin : margin;
            if (!gradient.IsEmpty)
            {
                gradient[i] = margin > 0 ? (float)(-factor * label * (squared ? 2 * margin : 1)) : 0f;
            }
        }

        return sum / prediction.Length;
    }

    private protected override double RowLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex, bool binaryTargets)
    {
        CheckFinite(target, targetIndex);
        return Margins(prediction, target, gradient, scale, binaryTargets, squared: false);
    }
}
