using System.Runtime.CompilerServices;
using Rnn.Layers;

namespace Rnn.Optimizers;

/// <summary>
/// Adagrad: PyTorch's <c>torch.optim.Adagrad</c> (Duchi, Hazan and Singer, 2011). Per step t (1 for a
/// parameter's first update), with learning rate η, learning-rate decay δ, ε, weight decay λ and gradient g:
/// <code>
/// g ← g + λ·θ                                   (when λ ≠ 0)
/// η̃ ← η / (1 + (t - 1)·δ)
/// s ← s + g²                                    (s starts at the initial accumulator value)
/// θ ← θ - η̃·g / (√s + ε)
/// </code>
/// </summary>
/// <remarks>
/// Defaults are PyTorch's: η = 0.01, initial accumulator 0, ε = 1e-10 added after the square root. Keras's
/// Adagrad has η = 0.001, initial accumulator 0.1, ε = 1e-7 added inside the square root (<c>√(s + ε)</c>),
/// and no learning-rate decay. State per parameter: <c>step</c> and <c>sum</c> (s).
/// </remarks>
public sealed class Adagrad : Optimizer
{
    private static readonly string[] AdagradState = ["sum"];

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">η, &gt; 0.</param>
    /// <param name="lrDecay">δ ≥ 0: the step size of update t is η / (1 + (t - 1)·δ).</param>
    /// <param name="weightDecay">λ ≥ 0: L2 penalty added to the gradient.</param>
    /// <param name="initialAccumulatorValue">≥ 0: where the sum of squared gradients starts.</param>
    /// <param name="epsilon">ε ≥ 0, added to the root of the sum.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public Adagrad(float learningRate = 0.01f, float lrDecay = 0f, float weightDecay = 0f, float initialAccumulatorValue = 0f, float epsilon = 1e-10f)
        : base("adagrad", learningRate)
    {
        LrDecay = NonNegative(lrDecay, nameof(lrDecay));
        WeightDecay = NonNegative(weightDecay, nameof(weightDecay));
        InitialAccumulatorValue = NonNegative(initialAccumulatorValue, nameof(initialAccumulatorValue));
        Epsilon = NonNegative(epsilon, nameof(epsilon));
    }

    /// <summary>δ: the learning-rate decay per update.</summary>
    public float LrDecay { get; }

    /// <summary>λ: the L2 penalty added to the gradient.</summary>
    public float WeightDecay { get; }

    /// <summary>Where the sum of squared gradients starts.</summary>
    public float InitialAccumulatorValue { get; }

    /// <summary>ε: added to the denominator.</summary>
    public float Epsilon { get; }

    private protected override IReadOnlyList<string> StateNames => AdagradState;

    internal static Adagrad FromConfig(ConfigReader config) => new(
        config.Float("learning_rate", 0.01f),
        config.Float("lr_decay", 0f),
        config.Float("weight_decay", 0f),
        config.Float("initial_accumulator_value", 0f),
        config.Float("epsilon", 1e-10f));

    private protected override void AddConfig(Dictionary<string, string> config)
    {
        config["lr_decay"] = ConfigReader.Format(LrDecay);
        config["weight_decay"] = ConfigReader.Format(WeightDecay);
        config["initial_accumulator_value"] = ConfigReader.Format(InitialAccumulatorValue);
        config["epsilon"] = ConfigReader.Format(Epsilon);
    }

    // state_sum = torch.full_like(p, initial_accumulator_value)
    private protected override void Initialize(ParameterState state) => Array.Fill(state.Buffers[0], InitialAccumulatorValue);

    // torch/optim/adagrad.py, _single_tensor_adagrad.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void Update(Parameter parameter, ParameterState? state, float learningRate)
    {
        var param = parameter.Data;
        ReadOnlySpan<float> grad = parameter.Grad;
        var stateSum = state!.Buffers[0];
        var std = Scratch(param.Length, 1);
        var temporary = Scratch(param.Length, 2);
        grad = DecayWeights(param, grad, WeightDecay, learningRate);          // grad = grad.add(param, alpha=weight_decay)

        var clr = learningRate / (1 + ((state.Step - 1) * (double)LrDecay));      // clr = lr / (1 + (step - 1) * lr_decay)
        TorchOps.AddCMul(stateSum, grad, grad, 1.0, stateSum, temporary);          // state_sum.addcmul_(grad, grad, value=1)
        TorchOps.Sqrt(stateSum, std);                                              // std = state_sum.sqrt().add_(eps)
        TorchOps.Add(std, Epsilon);
        TorchOps.AddCDiv(param, grad, std, -clr, temporary);                       // param.addcdiv_(grad, std, value=-clr)
    }
}
