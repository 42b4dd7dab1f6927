namespace Rnn.Metrics;

/// <summary>
/// The F1 score, the harmonic mean of precision and recall: <see cref="FBetaScore"/> with β = 1,
/// <c>F1 = 2 · P·R / (P + R + ε)</c>, counted and averaged as there. Keras's <c>F1Score(average, threshold)</c>.
/// </summary>
public sealed class F1Score : FBetaScore
{
    /// <summary>Creates the metric.</summary>
    /// <param name="average">How the classes' scores become one number (no default: Keras's default, per-class scores, is not offered).</param>
    /// <param name="threshold">Predictions above it count as positive, in (0, 1] as Keras requires; null (Keras's default) for the row's largest prediction.</param>
    /// <param name="name">The name in training history; <c>f1_score</c> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="average"/> is undefined or <paramref name="threshold"/> is outside (0, 1].</exception>
    public F1Score(FScoreAverage average, float? threshold = null, string? name = null)
        : base(average, 1f, threshold, name, "f1_score")
    {
    }

    private protected override void AddSettings(Dictionary<string, string> config)
    {
        base.AddSettings(config);
        config.Remove("beta");
    }
}
