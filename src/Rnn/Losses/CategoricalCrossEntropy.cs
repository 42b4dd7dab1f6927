using System.Numerics.Tensors;

namespace Rnn.Losses;

/// <summary>
/// Categorical cross-entropy against one-hot or probability targets y (k classes on the last axis): per
/// sample-step <c>ℓ = -Σ_i y_i log q_i</c> (a sum over classes), then the mean over sample-steps. Keras's
/// <c>categorical_crossentropy</c>.
/// </summary>
/// <remarks>
/// <para>
/// From logits x (<see cref="FromLogits"/> true), <c>log q = log_softmax(x)</c> computed stably as
/// <c>(x_i - m) - log Σ_j e^{x_j - m}</c> with <c>m = max_j x_j</c>, so any finite logits give a finite loss;
/// <c>dℓ/dx_i = softmax(x)_i · Σ_j y_j - y_i</c>, which is <c>softmax(x) - y</c> for targets that sum to 1.
/// </para>
/// <para>
/// From probabilities p (<see cref="FromLogits"/> false), as Keras: p is rescaled to sum to 1,
/// <c>q = p / Σ_j p_j</c>, then clipped to [ε, 1 - ε] with ε = 1e-7; the gradient goes through both (0 through
/// an active clip). For a softmax output the rescaling changes nothing.
/// </para>
/// </remarks>
public sealed class CategoricalCrossEntropy : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="fromLogits">Whether predictions are logits rather than probabilities.</param>
    public CategoricalCrossEntropy(bool fromLogits = false)
        : base("categorical_crossentropy")
    {
        FromLogits = fromLogits;
    }

    /// <summary>Whether predictions are logits (the softmax is applied inside the loss) rather than probabilities.</summary>
    public bool FromLogits { get; }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> GetConfig()
        => new Dictionary<string, string> { ["from_logits"] = FromLogits ? "true" : "false" };

    private protected override double RowLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex, bool binaryTargets)
    {
        CheckFinite(target, targetIndex);
        return FromLogits ? FromLogitsRow(prediction, target, gradient, scale) : FromProbabilitiesRow(prediction, target, gradient, scale);
    }

    private static double FromLogitsRow(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> gradient, float scale)
    {
        // gradient (when given) receives e^{x_i - m} on the way.
        var max = TensorPrimitives.Max(x);
        var sum = Softmax.ShiftedExpSum(x, max, gradient);
        var logSum = MathF.Log(sum);
        var loss = 0.0;
        var targetSum = 0f;
        for (var i = 0; i < x.Length; i++)
        {
            // Zero targets are skipped so that a logit of -∞ in a class that is not the target costs nothing.
            if (y[i] != 0f)
            {
                loss += y[i] * (logSum - (double)(x[i] - max));
                targetSum += y[i];
            }
        }

        if (!gradient.IsEmpty)
        {
            var softmaxScale = scale * targetSum / sum;
            for (var i = 0; i < x.Length; i++)
            {
                gradient[i] = (softmaxScale * gradient[i]) - (scale * y[i]);
            }
        }

        return loss;
    }

    private static double FromProbabilitiesRow(ReadOnlySpan<float> p, ReadOnlySpan<float> y, Span<float> gradient, float scale)
    {
        // With q = p / S and c = clip(q): dℓ/dq_i = g_i = -y_i / c_i (0 where clipped), and
        // dℓ/dp_j = Σ_i g_i (δ_ij - q_i) / S = (g_j - Σ_i g_i q_i) / S.
        var total = TensorPrimitives.Sum(p);
        var loss = 0.0;
        var dot = 0f;
        for (var i = 0; i < p.Length; i++)
        {
            var q = p[i] / total;
            var c = Math.Clamp(q, KerasBackend.Epsilon, KerasBackend.OneMinusEpsilon);
            loss -= y[i] * (double)MathF.Log(c);
            if (!gradient.IsEmpty)
            {
                var g = q >= KerasBackend.Epsilon && q <= KerasBackend.OneMinusEpsilon ? -y[i] / c : 0f;
                gradient[i] = g;
                dot += g * q;
            }
        }

        if (!gradient.IsEmpty)
        {
            var factor = scale / total;
            for (var i = 0; i < p.Length; i++)
            {
                gradient[i] = factor * (gradient[i] - dot);
            }
        }

        return loss;
    }
}
