namespace Rnn.Losses;

/// <summary>
/// Log-cosh: with <c>e = p - y</c>, per sample-step <c>ℓ = (1/k) Σ_i log(cosh(e_i))</c>, then the mean over sample-steps;
/// <c>dℓ/dp_i = tanh(e_i) / k</c>. About <c>e²/2</c> near the target and <c>|e| - log 2</c> far from it: like Huber, quadratic
/// near and robust far, but smooth everywhere. Keras's <c>log_cosh</c>.
/// </summary>
/// <remarks>
/// <para>
/// Computed in double without overflow or cancellation: <c>log(cosh e) = log1p(2 sinh²(e/2))</c> for <c>|e| &lt; 1</c> (exact
/// to the last digits even for tiny e, where <c>cosh e</c> rounds to 1), and <c>|e| - log 2 + log1p(e^{-2|e|})</c> beyond
/// (Keras's <c>e + softplus(-2e) - log 2</c>, which never forms <c>cosh e</c>, so any finite error gives a finite loss).
/// </para>
/// <para>Use <see cref="Loss.LogCosh"/> for the shared instance.</para>
/// </remarks>
public sealed class LogCosh : Loss
{
    /// <summary>Creates the loss.</summary>
    public LogCosh()
        : base("log_cosh")
    {
    }

    /// <summary>log(cosh(e)), stably (see the remarks of <see cref="LogCosh"/>).</summary>
    /// <param name="error">e.</param>
    /// <returns>log(cosh(e)) ≥ 0.</returns>
    private static double Of(double error)
    {
        var magnitude = Math.Abs(error);
        if (magnitude < 1)
        {
            var half = Math.Sinh(magnitude / 2);
            return Log1P(2 * half * half);
        }

        return magnitude - Math.Log(2) + Log1P(Math.Exp(-2 * magnitude));
    }

    private protected override double RowLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex, bool binaryTargets)
        => ElementMean<Formula>(prediction, target, gradient, scale, targetIndex);

    /// <summary><c>f(p, y) = log(cosh(p - y))</c>, <c>∂f/∂p = tanh(p - y)</c>; also the value of the metric <see cref="Metrics.LogCoshError"/>.</summary>
    internal readonly struct Formula : IElementLoss
    {
        public static double Value(double p, double y) => Of(p - y);

        public static double Derivative(double p, double y) => Math.Tanh(p - y);
    }

    /// <summary>
    /// log(1 + t) for t ≥ 0, accurate for tiny t where <c>1 + t</c> rounds: Goldberg's correction <c>log(u) · t / (u - 1)</c> with
    /// <c>u = 1 + t</c> (D. Goldberg, "What every computer scientist should know about floating-point arithmetic", 1991,
    /// Theorem 4), in double. .NET's <c>double.LogP1</c> is <c>log(1 + t)</c>.
    /// </summary>
    private static double Log1P(double t)
    {
        var u = 1 + t;
        return u == 1 ? t : Math.Log(u) * t / (u - 1);
    }
}
