namespace Rnn.Metrics;

/// <summary>
/// Cosine similarity over the last axis: a sample-step's value is <c>(y · p) / (max(‖y‖, ε) max(‖p‖, ε))</c>, from -1 (opposite)
/// through 0 (orthogonal, or a zero vector) to 1 (the same direction). Higher is better: the sign is the opposite of the
/// loss <see cref="Losses.CosineSimilarity"/>'s, as in Keras. Keras's <c>CosineSimilarity</c> (<c>"cosine_similarity"</c>) with
/// <c>axis=-1</c>.
/// </summary>
public sealed class CosineSimilarity : Metric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="name">The name in training history; <c>cosine_similarity</c> when null.</param>
    public CosineSimilarity(string? name = null)
        : base(name, "cosine_similarity")
    {
    }

    private protected override (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
        => (Losses.CosineSimilarity.Similarity(prediction, target), 1);
}
