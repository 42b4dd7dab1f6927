namespace Rnn.Losses;

/// <summary>
/// Binary cross-entropy: every value is an independent yes/no with target <c>y ∈ [0, 1]</c>. Per value
/// <c>b = -(y log p + (1 - y) log(1 - p))</c>; per sample-step <c>ℓ = (1/k) Σ_i b_i</c> (a mean over the last
/// axis, as Keras), then the mean over sample-steps. Keras's <c>binary_crossentropy</c>.
/// </summary>
/// <remarks>
/// <para>
/// From probabilities (<see cref="FromLogits"/> false), p is first clipped to [ε, 1 - ε] with ε = 1e-7 in
/// float32 (Keras's <c>epsilon()</c>), so the loss stays finite at 0 and 1; where the clip is active the
/// gradient is 0, as the clip's derivative. Inside: <c>db/dp = (p - y) / (p (1 - p))</c>.
/// </para>
/// <para>
/// From logits x (<see cref="FromLogits"/> true), p = σ(x) is never formed: the loss is computed as
/// <c>b = max(x, 0) - x y + log(1 + e^{-|x|})</c>, which neither overflows nor loses the small tail, and
/// <c>db/dx = σ(x) - y</c>.
/// </para>
/// </remarks>
public sealed class BinaryCrossEntropy : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="fromLogits">Whether predictions are logits rather than probabilities.</param>
    public BinaryCrossEntropy(bool fromLogits = false)
        : base("binary_crossentropy")
    {
        FromLogits = fromLogits;
    }

    /// <summary>Whether predictions are logits (the sigmoid is applied inside the loss) rather than probabilities.</summary>
    public bool FromLogits { get; }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> GetConfig()
        => new Dictionary<string, string> { ["from_logits"] = FromLogits ? "true" : "false" };

    private protected override double RowLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex, bool binaryTargets)
    {
        var sum = 0.0;
        var factor = scale / prediction.Length;
        for (var i = 0; i < prediction.Length; i++)
        {
            var y = target[i];
            if (!(y >= 0f && y <= 1f))
            {
                ThrowInvalidTarget("targets in [0, 1]", y, targetIndex + i);
            }

            var x = prediction[i];
            float derivative;
            if (FromLogits)
            {
                var tail = MathF.Exp(-MathF.Abs(x));
                sum += Math.Max(x, 0f) - ((double)x * y) + Log1P(tail);
                var sigmoid = x >= 0f ? 1f / (1f + tail) : tail / (1f + tail);
                derivative = sigmoid - y;
            }
            else
            {
                var p = Math.Clamp(x, KerasBackend.Epsilon, KerasBackend.OneMinusEpsilon);
                sum -= (y * (double)MathF.Log(p)) + ((1f - y) * (double)MathF.Log(1f - p));
                derivative = x >= KerasBackend.Epsilon && x <= KerasBackend.OneMinusEpsilon ? (p - y) / (p * (1f - p)) : 0f;
            }

            if (!gradient.IsEmpty)
            {
                gradient[i] = factor * derivative;
            }
        }

        return sum / prediction.Length;
    }

    /// <summary>
    /// log(1 + t) for t in [0, 1], accurate for tiny t where <c>1 + t</c> rounds: Goldberg's correction
    /// <c>log(u) · t / (u - 1)</c> with <c>u = 1 + t</c> (D. Goldberg, "What every computer scientist should know
    /// about floating-point arithmetic", 1991, Theorem 4). .NET's <c>float.LogP1</c> is <c>log(1 + t)</c>.
    /// </summary>
    private static double Log1P(float t)
    {
        var u = 1f + t;
        return u == 1f ? t : MathF.Log(u) * (double)t / (u - 1f);
    }
}
