namespace Rnn.Losses;

/// <summary>
/// Negative cosine similarity over the last axis: with <c>ŷ = y / max(‖y‖, ε)</c> and <c>p̂ = p / max(‖p‖, ε)</c>, per sample-step
/// <c>ℓ = -Σ_i ŷ_i p̂_i</c> (so -1 for the same direction, 0 for orthogonal vectors or a zero vector, 1 for opposite ones), then
/// the mean over sample-steps. Keras's <c>cosine_similarity</c> loss with <c>axis=-1</c>, with its sign: minimizing the loss
/// maximizes the similarity. ε = 1e-7 (Keras's <c>epsilon()</c>, the floor of its <c>normalize</c>).
/// </summary>
/// <remarks>
/// <para>
/// Gradient, where <c>‖p‖ &gt; ε</c>: <c>dℓ/dp = (c p̂ - ŷ) / ‖p‖</c> with <c>c = ŷ · p̂</c> (only the part of ŷ across p̂ moves p;
/// the length of p does not matter). Where <c>‖p‖ ≤ ε</c> the normalization is the constant <c>1/ε</c>, so
/// <c>dℓ/dp = -ŷ / ε</c>.
/// </para>
/// <para>
/// The norms and the dot product are summed in double, so values up to float32's maximum give the true cosine (Keras's
/// float32 sum of squares overflows beyond about 1e19 and returns 0).
/// </para>
/// <para>Use <see cref="Loss.CosineSimilarity"/> for the shared instance.</para>
/// </remarks>
public sealed class CosineSimilarity : Loss
{
    /// <summary>Creates the loss.</summary>
    public CosineSimilarity()
        : base("cosine_similarity")
    {
    }

    /// <summary><c>ŷ · p̂</c>, the cosine similarity of a row with Keras's floor ε on both norms; 0 when either is a zero vector.</summary>
    /// <param name="prediction">[k].</param>
    /// <param name="target">[k].</param>
    /// <returns>The similarity in [-1, 1].</returns>
    internal static double Similarity(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
    {
        var (dot, predictionNorm, targetNorm) = Norms(prediction, target);
        return dot / (predictionNorm * targetNorm);
    }

    private protected override double RowLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex, bool binaryTargets)
    {
        CheckFinite(target, targetIndex);
        var (dot, predictionNorm, targetNorm) = Norms(prediction, target);
        var similarity = dot / (predictionNorm * targetNorm);
        if (!gradient.IsEmpty)
        {
            // Below the floor, p̂ = p / ε is linear in p: no part along p̂ to take out.
            var along = predictionNorm > KerasBackend.Epsilon ? similarity / predictionNorm : 0.0;
            for (var i = 0; i < prediction.Length; i++)
            {
                gradient[i] = (float)(scale * ((along * prediction[i]) - (target[i] / targetNorm)) / predictionNorm);
            }
        }

        return -similarity;
    }

    /// <summary>y · p and the two norms, each at least ε, summed in double.</summary>
    private static (double Dot, double PredictionNorm, double TargetNorm) Norms(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
    {
        double dot = 0, pp = 0, yy = 0;
        for (var i = 0; i < prediction.Length; i++)
        {
            double p = prediction[i], y = target[i];
            dot += y * p;
            pp += p * p;
            yy += y * y;
        }

        return (dot, Math.Max(Math.Sqrt(pp), KerasBackend.Epsilon), Math.Max(Math.Sqrt(yy), KerasBackend.Epsilon));
    }
}
