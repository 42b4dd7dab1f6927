namespace Rnn.Losses;

/// <summary>Constants the cross-entropies share.</summary>
internal static class CrossEntropy
{
    /// <summary>Keras's <c>backend.epsilon()</c>: probabilities are clipped to [ε, 1 - ε] before the log.</summary>
    public const float Epsilon = 1e-7f;

    /// <summary>1 - ε rounded to float32, as Keras computes it in float32.</summary>
    public const float OneMinusEpsilon = 1f - Epsilon;
}
