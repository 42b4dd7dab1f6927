using System.Runtime.CompilerServices;
using Rnn.Layers;

namespace Rnn.Optimizers;

/// <summary>
/// RAdam: PyTorch's <c>torch.optim.RAdam</c>, Adam with a rectified adaptive learning rate (Liu et al.,
/// 2020). Per step t (1 for a parameter's first update), with learning rate η, decay rates β₁ and β₂, ε,
/// weight decay λ and gradient g:
/// <code>
/// g ← g + λ·θ                                   (λ ≠ 0, coupled: L2 in the gradient)
/// θ ← θ·(1 - η·λ)                               (λ ≠ 0, decoupled, as AdamW)
/// m ← m + (1 - β₁)·(g - m)
/// v ← β₂·v + (1 - β₂)·g²
/// m̂ ← m / (1 - β₁ᵗ)
/// ρ∞ ← 2/(1 - β₂) - 1;   ρₜ ← ρ∞ - 2t·β₂ᵗ/(1 - β₂ᵗ)
/// θ ← θ - η·m̂ · √(1 - β₂ᵗ)/(√v + ε) · r        with r = √((ρₜ - 4)(ρₜ - 2)ρ∞ / ((ρ∞ - 4)(ρ∞ - 2)ρₜ)),   when ρₜ &gt; 5
/// θ ← θ - η·m̂                                   (otherwise: the variance estimate is not yet tractable)
/// </code>
/// </summary>
/// <remarks>
/// Defaults are PyTorch's (η = 0.001, coupled weight decay); Keras has no RAdam. With β₂ = 0.999 the
/// first five updates of a parameter are the unrectified momentum steps. State per parameter: <c>step</c>,
/// <c>exp_avg</c> (m) and <c>exp_avg_sq</c> (v).
/// </remarks>
public sealed class RAdam : Optimizer
{
    private static readonly string[] RAdamState = ["exp_avg", "exp_avg_sq"];

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">η, &gt; 0.</param>
    /// <param name="beta1">β₁ in [0, 1): decay rate of the first-moment estimate m.</param>
    /// <param name="beta2">β₂ in [0, 1): decay rate of the second-moment estimate v.</param>
    /// <param name="epsilon">ε &gt; 0, added to √v (PyTorch's <c>eps</c>; PyTorch also accepts 0).</param>
    /// <param name="weightDecay">λ ≥ 0: L2 penalty added to the gradient, or with <paramref name="decoupledWeightDecay"/> the decay factor 1 - η·λ.</param>
    /// <param name="decoupledWeightDecay">Shrink the parameter directly (as <see cref="AdamW"/>) rather than adding λ·θ to the gradient.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public RAdam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f, bool decoupledWeightDecay = false)
        : base("radam", learningRate)
    {
        Beta1 = InHalfOpenRange(beta1, 0f, 1f, nameof(beta1), "in [0, 1)");
        Beta2 = InHalfOpenRange(beta2, 0f, 1f, nameof(beta2), "in [0, 1)");
        Epsilon = Positive(epsilon, nameof(epsilon));
        WeightDecay = NonNegative(weightDecay, nameof(weightDecay));
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

    /// <summary>Whether the weight decay shrinks the parameter directly rather than entering the gradient.</summary>
    public bool DecoupledWeightDecay { get; }

    private protected override IReadOnlyList<string> StateNames => RAdamState;

    internal static RAdam FromConfig(ConfigReader config) => new(
        config.Float("learning_rate", 0.001f),
        config.Float("beta_1", 0.9f),
        config.Float("beta_2", 0.999f),
        config.Float("epsilon", 1e-8f),
        config.Float("weight_decay", 0f),
        config.Bool("decoupled_weight_decay", false));

    private protected override void AddConfig(Dictionary<string, string> config)
    {
        config["beta_1"] = ConfigReader.Format(Beta1);
        config["beta_2"] = ConfigReader.Format(Beta2);
        config["epsilon"] = ConfigReader.Format(Epsilon);
        config["weight_decay"] = ConfigReader.Format(WeightDecay);
        config["decoupled_weight_decay"] = ConfigReader.Format(DecoupledWeightDecay);
    }

    // torch/optim/radam.py, _single_tensor_radam (not differentiable, not capturable).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void Update(Parameter parameter, ParameterState? state, float learningRate)
    {
        var param = parameter.Data;
        ReadOnlySpan<float> grad = parameter.Grad;
        var expAvg = state!.Buffers[0];
        var expAvgSq = state.Buffers[1];
        var update = Scratch(param.Length, 1);
        var adaptiveLr = Scratch(param.Length, 2);
        double step = state.Step;
        double lr = learningRate;
        grad = DecayWeights(param, grad, WeightDecay, lr, DecoupledWeightDecay);   // param.mul_(1 - lr * weight_decay), or grad = grad.add(param, alpha=weight_decay)

        UpdateMoments(expAvg, expAvgSq, grad, Beta1, Beta2, update);                // exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        var biasCorrection1 = 1 - Math.Pow(Beta1, step);                           // bias_correction1 = 1 - beta1 ** step
        var biasCorrection2 = 1 - Math.Pow(Beta2, step);                           // bias_correction2 = 1 - beta2 ** step
        TorchOps.Div(expAvg, biasCorrection1, update);                             // bias_corrected_exp_avg = exp_avg / bias_correction1
        var rhoInf = (2 / (1 - (double)Beta2)) - 1;                                // rho_inf = 2 / (1 - beta2) - 1
        var rhoT = rhoInf - (2 * step * Math.Pow(Beta2, step) / biasCorrection2);  // rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        TorchOps.Mul(update, lr);                                                  // bias_corrected_exp_avg * lr
        if (rhoT > 5.0)
        {
            // _compute_adaptive_lr(): (bias_correction2 ** 0.5) / exp_avg_sq.sqrt().add_(eps)
            TorchOps.Sqrt(expAvgSq, adaptiveLr);
            TorchOps.Add(adaptiveLr, Epsilon);
            TorchOps.ReciprocalMul(adaptiveLr, Math.Pow(biasCorrection2, 0.5));

            // _compute_rect()
            var rect = Math.Pow((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT), 0.5);
            TorchOps.Mul(update, adaptiveLr);                                      // ... * _compute_adaptive_lr() * _compute_rect()
            TorchOps.Mul(update, rect);
        }

        TorchOps.Add(param, update, -1.0, param);                                  // param.add_(..., alpha=-1.0)
    }
}
