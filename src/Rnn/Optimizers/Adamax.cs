using System.Runtime.CompilerServices;
using Rnn.Layers;

namespace Rnn.Optimizers;

/// <summary>
/// Adamax: PyTorch's <c>torch.optim.Adamax</c>, Adam with the infinity norm in place of the root mean square
/// (Kingma and Ba, 2015, section 7.1). Per step t (1 for a parameter's first update), with learning rate η,
/// decay rates β₁ and β₂, ε, weight decay λ and gradient g:
/// <code>
/// g ← g + λ·θ                                   (when λ ≠ 0)
/// m ← m + (1 - β₁)·(g - m)
/// u ← max(β₂·u, |g| + ε)
/// θ ← θ - η/(1 - β₁ᵗ) · m / u
/// </code>
/// </summary>
/// <remarks>
/// Defaults are PyTorch's (η = 0.002, ε = 1e-8 inside the maximum). Keras's Adamax has η = 0.001 and
/// ε = 1e-7 added after the maximum (<c>m / (u + ε)</c>, with <c>u ← max(β₂·u, |g|)</c>). State per
/// parameter: <c>step</c>, <c>exp_avg</c> (m) and <c>exp_inf</c> (u).
/// </remarks>
public sealed class Adamax : Optimizer
{
    private static readonly string[] AdamaxState = ["exp_avg", "exp_inf"];

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">η, &gt; 0.</param>
    /// <param name="beta1">β₁ in [0, 1): decay rate of the first-moment estimate m.</param>
    /// <param name="beta2">β₂ in [0, 1): decay rate of the infinity norm u.</param>
    /// <param name="epsilon">ε &gt; 0, added to |g| before the maximum, so that u is never 0 (PyTorch's <c>eps</c>; PyTorch also accepts 0).</param>
    /// <param name="weightDecay">λ ≥ 0: L2 penalty added to the gradient.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public Adamax(float learningRate = 0.002f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f)
        : base("adamax", learningRate)
    {
        Beta1 = InHalfOpenRange(beta1, 0f, 1f, nameof(beta1), "in [0, 1)");
        Beta2 = InHalfOpenRange(beta2, 0f, 1f, nameof(beta2), "in [0, 1)");
        Epsilon = Positive(epsilon, nameof(epsilon));
        WeightDecay = NonNegative(weightDecay, nameof(weightDecay));
    }

    /// <summary>β₁: decay rate of the first-moment estimate.</summary>
    public float Beta1 { get; }

    /// <summary>β₂: decay rate of the infinity norm.</summary>
    public float Beta2 { get; }

    /// <summary>ε: added to |g| before the maximum.</summary>
    public float Epsilon { get; }

    /// <summary>λ: the L2 penalty added to the gradient.</summary>
    public float WeightDecay { get; }

    private protected override IReadOnlyList<string> StateNames => AdamaxState;

    internal static Adamax FromConfig(ConfigReader config) => new(
        config.Float("learning_rate", 0.002f),
        config.Float("beta_1", 0.9f),
        config.Float("beta_2", 0.999f),
        config.Float("epsilon", 1e-8f),
        config.Float("weight_decay", 0f));

    private protected override void AddConfig(Dictionary<string, string> config)
    {
        config["beta_1"] = ConfigReader.Format(Beta1);
        config["beta_2"] = ConfigReader.Format(Beta2);
        config["epsilon"] = ConfigReader.Format(Epsilon);
        config["weight_decay"] = ConfigReader.Format(WeightDecay);
    }

    // torch/optim/adamax.py, _single_tensor_adamax (not differentiable, not capturable).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void Update(Parameter parameter, ParameterState? state, float learningRate)
    {
        var param = parameter.Data;
        ReadOnlySpan<float> grad = parameter.Grad;
        var expAvg = state!.Buffers[0];
        var expInf = state.Buffers[1];
        var normBuf = Scratch(param.Length, 1);
        var temporary = Scratch(param.Length, 2);
        grad = DecayWeights(param, grad, WeightDecay, learningRate);          // grad = grad.add(param, alpha=weight_decay)

        TorchOps.Lerp(expAvg, grad, 1.0 - Beta1, temporary);                       // exp_avg.lerp_(grad, 1 - beta1)
        TorchOps.Mul(expInf, Beta2);                                               // torch.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps), out=exp_inf)
        TorchOps.Abs(grad, normBuf);
        TorchOps.Add(normBuf, Epsilon);
        TorchOps.Maximum(expInf, normBuf);
        var clr = learningRate / (1 - Math.Pow(Beta1, state.Step));               // clr = lr / (1 - beta1 ** step)
        TorchOps.AddCDiv(param, expAvg, expInf, -clr, temporary);                  // param.addcdiv_(exp_avg, exp_inf, value=-clr)
    }
}
