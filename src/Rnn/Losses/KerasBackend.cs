namespace Rnn.Losses;

/// <summary>Keras's numerical constants, which every loss that clips or guards a division takes from its backend.</summary>
internal static class KerasBackend
{
    /// <summary>
    /// Keras's <c>backend.epsilon()</c> (1e-7 in float32): probabilities are clipped to [ε, 1 - ε] before the log, and
    /// divisors and logarithm arguments are kept at least ε.
    /// </summary>
    public const float Epsilon = 1e-7f;

    /// <summary>1 - ε rounded to float32, as Keras computes it in float32.</summary>
    public const float OneMinusEpsilon = 1f - Epsilon;
}
