using System.Runtime.CompilerServices;
using Rnn.Kernels;
using Rnn.Layers;

namespace Rnn.Optimizers;

/// <summary>
/// Adam: PyTorch's <c>torch.optim.Adam</c> (Kingma and Ba, 2015). Per step t (1 for a parameter's first
/// update), with learning rate η, decay rates β₁ and β₂, ε, weight decay λ and gradient g:
/// <code>
/// g ← g + λ·θ                                   (when λ ≠ 0: coupled L2)
/// m ← m + (1 - β₁)·(g - m)                      (= β₁·m + (1 - β₁)·g)
/// v ← β₂·v + (1 - β₂)·g²
/// v̂ ← max(v̂, v)                                 (AMSGrad only; v̂ replaces v below)
/// θ ← θ - η/(1 - β₁ᵗ) · m / (√v / √(1 - β₂ᵗ) + ε)
/// </code>
/// </summary>
/// <remarks>
/// Defaults are PyTorch's. Keras's Adam has ε = 1e-7 and puts ε before the bias correction of √v
/// (<c>θ ← θ - η·√(1 - β₂ᵗ)/(1 - β₁ᵗ) · m / (√v + ε)</c>); its <c>weight_decay</c> is decoupled, as
/// <see cref="AdamW"/>'s. State per parameter: <c>step</c>, <c>exp_avg</c> (m), <c>exp_avg_sq</c> (v) and,
/// with AMSGrad, <c>max_exp_avg_sq</c> (v̂).
/// </remarks>
public sealed class Adam : Optimizer
{
    private static readonly string[] AdamState = ["exp_avg", "exp_avg_sq"];
    private static readonly string[] AmsGradState = ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"];

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">η, &gt; 0.</param>
    /// <param name="beta1">β₁ in [0, 1): decay rate of the first-moment estimate m.</param>
    /// <param name="beta2">β₂ in [0, 1): decay rate of the second-moment estimate v.</param>
    /// <param name="epsilon">ε ≥ 0, added to the bias-corrected √v (PyTorch's <c>eps</c>).</param>
    /// <param name="weightDecay">λ ≥ 0: L2 penalty added to the gradient (for decoupled decay use <see cref="AdamW"/>).</param>
    /// <param name="amsgrad">Use the running maximum of v (Reddi et al., 2018).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public Adam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f, bool amsgrad = false)
        : base("adam", learningRate)
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

    /// <summary>λ: the L2 penalty added to the gradient.</summary>
    public float WeightDecay { get; }

    /// <summary>Whether the AMSGrad variant is used.</summary>
    public bool AmsGrad { get; }

    private protected override IReadOnlyList<string> StateNames => AmsGrad ? AmsGradState : AdamState;

    /// <summary>
    /// One Adam update of <paramref name="parameter"/>, as <c>_single_tensor_adam</c> in
    /// <c>torch/optim/adam.py</c>, which serves <c>AdamW</c> too (<c>decoupled_weight_decay=True</c>).
    /// </summary>
    internal static void Update(
        Optimizer optimizer, Parameter parameter, ParameterState state, float lr, float beta1, float beta2, float eps, float weightDecay, bool decoupled, bool amsgrad)
    {
        var param = parameter.Data;
        ReadOnlySpan<float> grad = parameter.Grad;
        var expAvg = state.Buffers[0];
        var expAvgSq = state.Buffers[1];
        if (!amsgrad)
        {
            // The same float operations as below, fused into one pass (see AdamKernel).
            var scalars = AdamKernel.Scalars.For(lr, beta1, beta2, eps, weightDecay, decoupled, state.Step);
            optimizer.AdamJob.Run(state.Tuner, param, parameter.Grad, expAvg, expAvgSq, scalars, UnitLoop.Best, Parallelism.ThreadCount);
            return;
        }

        var temporary = optimizer.Scratch(param.Length, 1);
        var denom = optimizer.Scratch(param.Length, 2);
        grad = optimizer.DecayWeights(param, grad, weightDecay, lr, decoupled);   // param.mul_(1 - lr * weight_decay), or grad = grad.add(param, alpha=weight_decay)
        Optimizer.UpdateMoments(expAvg, expAvgSq, grad, beta1, beta2, temporary);   // exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)

        double step = state.Step;
        var biasCorrection1 = 1 - Math.Pow(beta1, step);
        var biasCorrection2 = 1 - Math.Pow(beta2, step);
        var stepSize = lr / biasCorrection1;
        var biasCorrection2Sqrt = Math.Sqrt(biasCorrection2);
        ReadOnlySpan<float> secondMoment = expAvgSq;
        if (amsgrad)
        {
            var maxExpAvgSq = state.Buffers[2];
            TorchOps.Maximum(maxExpAvgSq, expAvgSq);                               // torch.maximum(max_exp_avg_sqs[i], exp_avg_sq, out=...)
            secondMoment = maxExpAvgSq;
        }

        TorchOps.Sqrt(secondMoment, denom);                                        // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
        TorchOps.Div(denom, biasCorrection2Sqrt);
        TorchOps.Add(denom, eps);
        TorchOps.AddCDiv(param, expAvg, denom, -stepSize, temporary);              // param.addcdiv_(exp_avg, denom, value=-step_size)
    }

    internal static Adam FromConfig(ConfigReader config) => new(
        config.Float("learning_rate", 0.001f),
        config.Float("beta_1", 0.9f),
        config.Float("beta_2", 0.999f),
        config.Float("epsilon", 1e-8f),
        config.Float("weight_decay", 0f),
        config.Bool("amsgrad", false));

    /// <summary>Adds the settings Adam and AdamW share.</summary>
    internal static void AddConfig(Dictionary<string, string> config, float beta1, float beta2, float epsilon, float weightDecay, bool amsgrad)
    {
        config["beta_1"] = ConfigReader.Format(beta1);
        config["beta_2"] = ConfigReader.Format(beta2);
        config["epsilon"] = ConfigReader.Format(epsilon);
        config["weight_decay"] = ConfigReader.Format(weightDecay);
        config["amsgrad"] = ConfigReader.Format(amsgrad);
    }

    private protected override void AddConfig(Dictionary<string, string> config)
        => AddConfig(config, Beta1, Beta2, Epsilon, WeightDecay, AmsGrad);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void Update(Parameter parameter, ParameterState? state, float learningRate)
        => Update(this, parameter, state!, learningRate, Beta1, Beta2, Epsilon, WeightDecay, decoupled: false, AmsGrad);
}
