using System.Runtime.CompilerServices;
using Rnn.Layers;

namespace Rnn.Optimizers;

/// <summary>
/// Adam with decoupled weight decay: PyTorch's <c>torch.optim.AdamW</c> (Loshchilov and Hutter, 2019).
/// Each step first shrinks the parameter, <c>θ ← θ·(1 - η·λ)</c> with the step's learning rate η, then
/// takes <see cref="Adam"/>'s step without any L2 term in the gradient:
/// <code>
/// θ ← θ·(1 - η·λ)
/// m ← m + (1 - β₁)·(g - m)
/// v ← β₂·v + (1 - β₂)·g²
/// v̂ ← max(v̂, v)                                 (AMSGrad only; v̂ replaces v below)
/// θ ← θ - η/(1 - β₁ᵗ) · m / (√v / √(1 - β₂ᵗ) + ε)
/// </code>
/// </summary>
/// <remarks>
/// Defaults are PyTorch's (λ = 0.01). Keras's AdamW has λ = 0.004 and ε = 1e-7, with ε placed as in
/// Keras's Adam (see <see cref="Adam"/>). State per parameter: as <see cref="Adam"/>'s.
/// </remarks>
public sealed class AdamW : Optimizer
{
    private static readonly string[] AdamState = ["exp_avg", "exp_avg_sq"];
    private static readonly string[] AmsGradState = ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"];

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">η, &gt; 0.</param>
    /// <param name="beta1">β₁ in [0, 1): decay rate of the first-moment estimate m.</param>
    /// <param name="beta2">β₂ in [0, 1): decay rate of the second-moment estimate v.</param>
    /// <param name="epsilon">ε ≥ 0, added to the bias-corrected √v (PyTorch's <c>eps</c>).</param>
    /// <param name="weightDecay">λ ≥ 0: the parameter shrinks by the factor 1 - η·λ each step.</param>
    /// <param name="amsgrad">Use the running maximum of v (Reddi et al., 2018).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public AdamW(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0.01f, bool amsgrad = false)
        : base("adamw", learningRate)
    {
        Beta1 = InHalfOpenRange(beta1, 0f, 1f, nameof(beta1), "in [0, 1)");
        Beta2 = InHalfOpenRange(beta2, 0f, 1f, nameof(beta2), "in [0, 1)");
        Epsilon = NonNegative(epsilon, nameof(epsilon));
        WeightDecay = NonNegative(weightDecay, nameof(weightDecay));
        AmsGrad = amsgrad;
    }

    /// <summary>β₁: decay rate of the first-moment estimate.</summary>
    public float Beta1 { get; }

    /// <summary>β₂: decay rate of the second-moment estimate.</summary>
    public float Beta2 { get; }

    /// <summary>ε: added to the denominator.</summary>
    public float Epsilon { get; }

    /// <summary>λ: the decoupled weight decay.</summary>
    public float WeightDecay { get; }

    /// <summary>Whether the AMSGrad variant is used.</summary>
    public bool AmsGrad { get; }

    private protected override IReadOnlyList<string> StateNames => AmsGrad ? AmsGradState : AdamState;

    internal static AdamW FromConfig(ConfigReader config) => new(
        config.Float("learning_rate", 0.001f),
        config.Float("beta_1", 0.9f),
        config.Float("beta_2", 0.999f),
        config.Float("epsilon", 1e-8f),
        config.Float("weight_decay", 0.01f),
        config.Bool("amsgrad", false));

    private protected override void AddConfig(Dictionary<string, string> config)
        => Adam.AddConfig(config, Beta1, Beta2, Epsilon, WeightDecay, AmsGrad);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void Update(Parameter parameter, ParameterState? state, float learningRate)
        => Adam.Update(this, parameter, state!, learningRate, Beta1, Beta2, Epsilon, WeightDecay, decoupled: true, AmsGrad);
}
