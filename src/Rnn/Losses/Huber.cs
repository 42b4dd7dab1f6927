using System.Globalization;

namespace Rnn.Losses;

/// <summary>
/// Huber loss: with <c>e = p - y</c>, per value <c>h(e) = e²/2</c> where <c>|e| ≤ δ</c> and
/// <c>δ|e| - δ²/2</c> beyond; per sample-step <c>ℓ = (1/k) Σ_i h(e_i)</c>, then the mean over sample-steps.
/// <c>dℓ/dp_i = clamp(e_i, -δ, δ) / k</c>. Quadratic near the target, linear (robust to outliers) far from it.
/// Keras's <c>huber_loss</c>.
/// </summary>
public sealed class Huber : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="delta">δ, where the loss turns from quadratic to linear; positive and finite.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is not positive and finite.</exception>
    public Huber(float delta = 1f)
        : base("huber_loss")
    {
        if (!(delta > 0f && float.IsFinite(delta)))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, $"Loss 'huber_loss' expects a positive, finite delta but received {delta.ToString(CultureInfo.InvariantCulture)}.");
        }

        Delta = delta;
    }

    /// <summary>δ, where the loss turns from quadratic to linear.</summary>
    public float Delta { get; }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> GetConfig()
        => new Dictionary<string, string> { ["delta"] = Delta.ToString("R", CultureInfo.InvariantCulture) };

    private protected override double RowLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex, bool binaryTargets)
    {
        var delta = Delta;
        var sum = 0.0;
        var factor = scale / prediction.Length;
        for (var i = 0; i < prediction.Length; i++)
        {
            CheckFinite(target[i], targetIndex + i);
            var error = prediction[i] - target[i];
            var magnitude = MathF.Abs(error);
            sum += magnitude <= delta ? 0.5 * error * error : (delta * (double)magnitude) - (0.5 * delta * delta);
            if (!gradient.IsEmpty)
            {
                gradient[i] = factor * Math.Clamp(error, -delta, delta);
            }
        }

        return sum / prediction.Length;
    }
}
