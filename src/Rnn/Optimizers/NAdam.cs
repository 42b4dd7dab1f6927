using System.Runtime.CompilerServices;
using Rnn.Layers;

namespace Rnn.Optimizers;

/// <summary>
/// NAdam: PyTorch's <c>torch.optim.NAdam</c>, Adam with Nesterov momentum (Dozat, 2016). Per step t (1 for
/// a parameter's first update), with learning rate η, decay rates β₁ and β₂, ε, weight decay λ, momentum
/// decay ψ and gradient g:
/// <code>
/// g ← g + λ·θ                                   (λ ≠ 0, coupled: L2 in the gradient)
/// θ ← θ·(1 - η·λ)                               (λ ≠ 0, decoupled, as AdamW)
/// μₜ ← β₁·(1 - ½·0.96^(t·ψ));   μₜ₊₁ ← β₁·(1 - ½·0.96^((t+1)·ψ))
/// Π ← Π·μₜ                                      (Π = μ₁···μₜ, starts at 1)
/// m ← m + (1 - β₁)·(g - m)
/// v ← β₂·v + (1 - β₂)·g²
/// d ← √(v / (1 - β₂ᵗ)) + ε
/// θ ← θ - η·(1 - μₜ)/(1 - Π) · g/d - η·μₜ₊₁/(1 - Π·μₜ₊₁) · m/d
/// </code>
/// </summary>
/// <remarks>
/// Defaults are PyTorch's (η = 0.002, ψ = 0.004, coupled weight decay). Keras's Nadam has η = 0.001,
/// ε = 1e-7, ψ fixed at 0.004 and a decoupled <c>weight_decay</c>. State per
/// parameter: <c>step</c>, <c>mu_product</c> (Π, a float32 as in PyTorch, so that a resumed run continues
/// bit for bit), <c>exp_avg</c> (m) and <c>exp_avg_sq</c> (v).
/// </remarks>
public sealed class NAdam : Optimizer
{
    private static readonly string[] NAdamState = ["exp_avg", "exp_avg_sq"];
    private static readonly ScalarState[] MuProduct = [new("mu_product", 1f, 0f, 1f)];

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">η, &gt; 0.</param>
    /// <param name="beta1">β₁ in [0, 1): decay rate of the first-moment estimate m, and the scale of the momentum μₜ.</param>
    /// <param name="beta2">β₂ in [0, 1): decay rate of the second-moment estimate v.</param>
    /// <param name="epsilon">ε &gt; 0, added to the bias-corrected √v (PyTorch's <c>eps</c>; PyTorch also accepts 0).</param>
    /// <param name="weightDecay">λ ≥ 0: L2 penalty added to the gradient, or with <paramref name="decoupledWeightDecay"/> the decay factor 1 - η·λ.</param>
    /// <param name="momentumDecay">ψ ≥ 0: how fast μₜ rises towards β₁ (PyTorch's <c>momentum_decay</c>).</param>
    /// <param name="decoupledWeightDecay">Shrink the parameter directly (as <see cref="AdamW"/>) rather than adding λ·θ to the gradient (NAdamW).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public NAdam(float learningRate = 0.002f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f, float momentumDecay = 0.004f, bool decoupledWeightDecay = false)
        : base("nadam", learningRate)
    {
        Beta1 = InHalfOpenRange(beta1, 0f, 1f, nameof(beta1), "in [0, 1)");
        Beta2 = InHalfOpenRange(beta2, 0f, 1f, nameof(beta2), "in [0, 1)");
        Epsilon = Positive(epsilon, nameof(epsilon));
        WeightDecay = NonNegative(weightDecay, nameof(weightDecay));
        MomentumDecay = NonNegative(momentumDecay, nameof(momentumDecay));
        DecoupledWeightDecay = decoupledWeightDecay;
    }

    /// <summary>β₁: decay rate of the first-moment estimate.</summary>
    public float Beta1 { get; }

    /// <summary>β₂: decay rate of the second-moment estimate.</summary>
    public float Beta2 { get; }

    /// <summary>ε: added to the denominator.</summary>
    public float Epsilon { get; }

    /// <summary>λ: the weight decay.</summary>
    public float WeightDecay { get; }

    /// <summary>ψ: the momentum decay.</summary>
    public float MomentumDecay { get; }

    /// <summary>Whether the weight decay shrinks the parameter directly rather than entering the gradient.</summary>
    public bool DecoupledWeightDecay { get; }

    private protected override IReadOnlyList<string> StateNames => NAdamState;

    private protected override IReadOnlyList<ScalarState> ScalarStates => MuProduct;

    internal static NAdam FromConfig(ConfigReader config) => new(
        config.Float("learning_rate", 0.002f),
        config.Float("beta_1", 0.9f),
        config.Float("beta_2", 0.999f),
        config.Float("epsilon", 1e-8f),
        config.Float("weight_decay", 0f),
        config.Float("momentum_decay", 0.004f),
        config.Bool("decoupled_weight_decay", false));

    private protected override void AddConfig(Dictionary<string, string> config)
    {
        config["beta_1"] = ConfigReader.Format(Beta1);
        config["beta_2"] = ConfigReader.Format(Beta2);
        config["epsilon"] = ConfigReader.Format(Epsilon);
        config["weight_decay"] = ConfigReader.Format(WeightDecay);
        config["momentum_decay"] = ConfigReader.Format(MomentumDecay);
        config["decoupled_weight_decay"] = ConfigReader.Format(DecoupledWeightDecay);
    }

    // torch/optim/nadam.py, _single_tensor_nadam (not differentiable, not capturable).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void Update(Parameter parameter, ParameterState? state, float learningRate)
    {
        var param = parameter.Data;
        ReadOnlySpan<float> grad = parameter.Grad;
        var expAvg = state!.Buffers[0];
        var expAvgSq = state.Buffers[1];
        var denom = Scratch(param.Length, 1);
        var temporary = Scratch(param.Length, 2);
        double step = state.Step;
        double lr = learningRate;
        var biasCorrection2 = 1 - Math.Pow(Beta2, step);                           // bias_correction2 = 1 - beta2 ** step
        grad = DecayWeights(param, grad, WeightDecay, lr, DecoupledWeightDecay);   // param.mul_(1 - lr * weight_decay), or grad = grad.add(param, alpha=weight_decay)

        var mu = Beta1 * (1.0 - (0.5 * Math.Pow(0.96, step * MomentumDecay)));           // mu = beta1 * (1. - 0.5 * (0.96 ** (step * momentum_decay)))
        var muNext = Beta1 * (1.0 - (0.5 * Math.Pow(0.96, (step + 1) * MomentumDecay)));  // mu_next = ... ((step + 1) * momentum_decay)
        state.Scalars[0] *= (float)mu;                                             // mu_product *= mu (a float32 tensor)
        double muProduct = state.Scalars[0];
        UpdateMoments(expAvg, expAvgSq, grad, Beta1, Beta2, temporary);                // exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        TorchOps.Div(expAvgSq, biasCorrection2, denom);                            // denom = exp_avg_sq.div(bias_correction2).sqrt()
        TorchOps.Sqrt(denom, denom);
        var muProductNext = muProduct * muNext;                                    // mu_product_next = _get_value(mu_product) * mu_next
        TorchOps.Add(denom, Epsilon);                                              // denom.add_(eps)
        TorchOps.AddCDiv(param, grad, denom, -lr * (1.0 - mu) / (1.0 - muProduct), temporary);   // param.addcdiv_(grad, denom, value=(-lr * (1. - mu) / (1. - mu_product)))
        TorchOps.AddCDiv(param, expAvg, denom, -lr * muNext / (1.0 - muProductNext), temporary); // param.addcdiv_(exp_avg, denom, value=(-lr * mu_next) / (1. - mu_product_next))
    }
}
