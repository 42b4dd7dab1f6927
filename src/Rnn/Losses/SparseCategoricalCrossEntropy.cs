using System.Globalization;
using System.Numerics.Tensors;

namespace Rnn.Losses;

/// <summary>
/// Categorical cross-entropy against class indices: the target of a sample-step is the index c of its class
/// (an integer stored as a float), and <c>ℓ = -log q_c</c>, then the mean over sample-steps. The same as
/// <see cref="CategoricalCrossEntropy"/> with one-hot targets, without building them. Keras's
/// <c>sparse_categorical_crossentropy</c>.
/// </summary>
/// <remarks>
/// <para>
/// Targets: <c>[batch]</c> for predictions <c>[batch, k]</c>, <c>[batch, time]</c> for <c>[batch, time, k]</c>,
/// or either with a trailing 1; every counted target must be an integer in [0, k).
/// </para>
/// <para>
/// From logits x: <c>ℓ = log Σ_j e^{x_j - m} - (x_c - m)</c> with <c>m = max_j x_j</c> (stable for any finite
/// logits), <c>dℓ/dx = softmax(x) - onehot(c)</c>. From probabilities p: as Keras, <c>q = p / Σ_j p_j</c> clipped
/// to [ε, 1 - ε] with ε = 1e-7, the gradient going through both (0 through an active clip).
/// </para>
/// </remarks>
public sealed class SparseCategoricalCrossEntropy : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="fromLogits">Whether predictions are logits rather than probabilities.</param>
    public SparseCategoricalCrossEntropy(bool fromLogits = false)
        : base("sparse_categorical_crossentropy")
    {
        FromLogits = fromLogits;
    }

    /// <summary>Whether predictions are logits (the softmax is applied inside the loss) rather than probabilities.</summary>
    public bool FromLogits { get; }

    internal override bool TargetsAreClassIndices => true;

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> GetConfig()
        => new Dictionary<string, string> { ["from_logits"] = FromLogits ? "true" : "false" };

    private protected override double RowLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex, bool binaryTargets)
    {
        var label = target[0];
        if (!(float.IsInteger(label) && label >= 0f && label < prediction.Length))
        {
            ThrowInvalidTarget(
                string.Create(CultureInfo.InvariantCulture, $"class indices as targets: integers in [0, {prediction.Length})"),
                label,
                targetIndex);
        }

        var c = (int)label;
        return FromLogits ? FromLogitsRow(prediction, c, gradient, scale) : FromProbabilitiesRow(prediction, c, gradient, scale);
    }

    private static double FromLogitsRow(ReadOnlySpan<float> x, int c, Span<float> gradient, float scale)
    {
        // gradient (when given) receives e^{x_i - m} on the way.
        var max = TensorPrimitives.Max(x);
        var sum = Softmax.ShiftedExpSum(x, max, gradient);
        if (!gradient.IsEmpty)
        {
            TensorPrimitives.Multiply(gradient, scale / sum, gradient);
            gradient[c] -= scale;
        }

        return MathF.Log(sum) - (double)(x[c] - max);
    }

    private static double FromProbabilitiesRow(ReadOnlySpan<float> p, int c, Span<float> gradient, float scale)
    {
        // With q = p / S: dℓ/dp_j = 1/S for j ≠ c and -(1 - q_c) / (q_c S) for j = c, unless the clip is active.
        var total = TensorPrimitives.Sum(p);
        var q = p[c] / total;
        var clipped = Math.Clamp(q, KerasBackend.Epsilon, KerasBackend.OneMinusEpsilon);
        if (!gradient.IsEmpty)
        {
            if (q >= KerasBackend.Epsilon && q <= KerasBackend.OneMinusEpsilon)
            {
                gradient.Fill(scale / total);
                gradient[c] = -scale * (1f - q) / (q * total);
            }
            else
            {
                gradient.Clear();
            }
        }

        return -MathF.Log(clipped);
    }
}
