using System.Runtime.CompilerServices;
using Rnn.Layers;

namespace Rnn.Optimizers;

/// <summary>
/// Adadelta: PyTorch's <c>torch.optim.Adadelta</c> (Zeiler, 2012). Per step, with learning rate η (a scale
/// on the step, 1 in the paper), decay rate ρ, ε, weight decay λ and gradient g:
/// <code>
/// g ← g + λ·θ                                   (when λ ≠ 0)
/// v ← ρ·v + (1 - ρ)·g²
/// Δ ← √(u + ε) / √(v + ε) · g
/// u ← ρ·u + (1 - ρ)·Δ²
/// θ ← θ - η·Δ
/// </code>
/// </summary>
/// <remarks>
/// Defaults are PyTorch's: η = 1, ρ = 0.9, ε = 1e-6. Keras's Adadelta has η = 0.001, ρ = 0.95 and ε = 1e-7,
/// with the same update. State per parameter: <c>step</c>, <c>square_avg</c> (v) and <c>acc_delta</c> (u).
/// </remarks>
public sealed class Adadelta : Optimizer
{
    private static readonly string[] AdadeltaState = ["square_avg", "acc_delta"];

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">η, &gt; 0: scales each step Δ.</param>
    /// <param name="rho">ρ in [0, 1]: decay rate of the mean squares of gradients (v) and of steps (u).</param>
    /// <param name="epsilon">ε &gt; 0, added inside both square roots; it sets the size of the first steps (PyTorch's <c>eps</c>; PyTorch also accepts 0, which never moves a parameter).</param>
    /// <param name="weightDecay">λ ≥ 0: L2 penalty added to the gradient.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public Adadelta(float learningRate = 1f, float rho = 0.9f, float epsilon = 1e-6f, float weightDecay = 0f)
        : base("adadelta", learningRate)
    {
        Rho = InRange(rho, 0f, 1f, nameof(rho), "in [0, 1]");
        Epsilon = Positive(epsilon, nameof(epsilon));
        WeightDecay = NonNegative(weightDecay, nameof(weightDecay));
    }

    /// <summary>ρ: decay rate of the mean squares.</summary>
    public float Rho { get; }

    /// <summary>ε: added inside the square roots.</summary>
    public float Epsilon { get; }

    /// <summary>λ: the L2 penalty added to the gradient.</summary>
    public float WeightDecay { get; }

    private protected override IReadOnlyList<string> StateNames => AdadeltaState;

    internal static Adadelta FromConfig(ConfigReader config) => new(
        config.Float("learning_rate", 1f),
        config.Float("rho", 0.9f),
        config.Float("epsilon", 1e-6f),
        config.Float("weight_decay", 0f));

    private protected override void AddConfig(Dictionary<string, string> config)
    {
        config["rho"] = ConfigReader.Format(Rho);
        config["epsilon"] = ConfigReader.Format(Epsilon);
        config["weight_decay"] = ConfigReader.Format(WeightDecay);
    }

    // torch/optim/adadelta.py, _single_tensor_adadelta (not differentiable, not capturable).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void Update(Parameter parameter, ParameterState? state, float learningRate)
    {
        var param = parameter.Data;
        ReadOnlySpan<float> grad = parameter.Grad;
        var squareAvg = state!.Buffers[0];
        var accDelta = state.Buffers[1];
        var std = Scratch(param.Length, 1);
        var delta = Scratch(param.Length, 2);
        grad = DecayWeights(param, grad, WeightDecay, learningRate);          // grad = grad.add(param, alpha=weight_decay)

        TorchOps.Mul(squareAvg, Rho);                                              // square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
        TorchOps.AddCMul(squareAvg, grad, grad, 1.0 - Rho, squareAvg, std);
        TorchOps.Add(squareAvg, Epsilon, std);                                     // std = square_avg.add(eps).sqrt_()
        TorchOps.Sqrt(std, std);
        TorchOps.Add(accDelta, Epsilon, delta);                                    // delta = acc_delta.add(eps).sqrt_()
        TorchOps.Sqrt(delta, delta);
        TorchOps.Div(delta, std);                                                  // delta.div_(std).mul_(grad)
        TorchOps.Mul(delta, grad);
        TorchOps.Mul(accDelta, Rho);                                               // acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
        TorchOps.AddCMul(accDelta, delta, delta, 1.0 - Rho, accDelta, std);
        TorchOps.Add(param, delta, -(double)learningRate, param);                 // param.add_(delta, alpha=-lr)
    }
}
