using System.Runtime.CompilerServices;
using Rnn.Layers;

namespace Rnn.Optimizers;

/// <summary>
/// RMSprop: PyTorch's <c>torch.optim.RMSprop</c> (Hinton's lecture notes; the centered form from Graves,
/// 2013). Per step, with learning rate η, smoothing constant α, ε, momentum μ, weight decay λ and
/// gradient g:
/// <code>
/// g ← g + λ·θ                                   (when λ ≠ 0)
/// v ← α·v + (1 - α)·g²
/// ḡ ← ḡ + (1 - α)·(g - ḡ)                        (centered only)
/// d ← √(v - ḡ²) + ε   (centered)   or   d ← √v + ε
/// b ← μ·b + g/d;  θ ← θ - η·b                    (when μ &gt; 0)
/// θ ← θ - η·g/d                                  (otherwise)
/// </code>
/// </summary>
/// <remarks>
/// Defaults are PyTorch's: η = 0.01, α = 0.99, ε = 1e-8, with ε added after the square root. Keras's
/// RMSprop has η = 0.001, ρ (its α) = 0.9, ε = 1e-7, and adds ε inside the square root
/// (<c>√(v + ε)</c>). State per parameter: <c>step</c>, <c>square_avg</c> (v), and
/// <c>momentum_buffer</c> (b) when μ &gt; 0, <c>grad_avg</c> (ḡ) when centered.
/// </remarks>
public sealed class RmsProp : Optimizer
{
    private readonly string[] _stateNames;

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">η, &gt; 0.</param>
    /// <param name="alpha">α in [0, 1): decay rate of the mean square v (Keras's <c>rho</c>).</param>
    /// <param name="epsilon">ε ≥ 0, added to the root mean square.</param>
    /// <param name="momentum">μ in [0, 1]; 0 for none.</param>
    /// <param name="centered">Divide by an estimate of the gradient's standard deviation, √(v - ḡ²), rather than its root mean square.</param>
    /// <param name="weightDecay">λ ≥ 0: L2 penalty added to the gradient.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public RmsProp(float learningRate = 0.01f, float alpha = 0.99f, float epsilon = 1e-8f, float momentum = 0f, bool centered = false, float weightDecay = 0f)
        : base("rmsprop", learningRate)
    {
        Alpha = InHalfOpenRange(alpha, 0f, 1f, nameof(alpha), "in [0, 1)");
        Epsilon = NonNegative(epsilon, nameof(epsilon));
        Momentum = InRange(momentum, 0f, 1f, nameof(momentum), "in [0, 1]");
        Centered = centered;
        WeightDecay = NonNegative(weightDecay, nameof(weightDecay));
        List<string> names = ["square_avg"];
        if (momentum > 0f)
        {
            names.Add("momentum_buffer");
        }

        if (centered)
        {
            names.Add("grad_avg");
        }

        _stateNames = [.. names];
    }

    /// <summary>α: decay rate of the mean square.</summary>
    public float Alpha { get; }

    /// <summary>ε: added to the denominator.</summary>
    public float Epsilon { get; }

    /// <summary>μ: the momentum factor; 0 for none.</summary>
    public float Momentum { get; }

    /// <summary>Whether the gradient is divided by its estimated standard deviation rather than its root mean square.</summary>
    public bool Centered { get; }

    /// <summary>λ: the L2 penalty added to the gradient.</summary>
    public float WeightDecay { get; }

    private protected override IReadOnlyList<string> StateNames => _stateNames;

    internal static RmsProp FromConfig(ConfigReader config) => new(
        config.Float("learning_rate", 0.01f),
        config.Float("alpha", 0.99f),
        config.Float("epsilon", 1e-8f),
        config.Float("momentum", 0f),
        config.Bool("centered", false),
        config.Float("weight_decay", 0f));

    private protected override void AddConfig(Dictionary<string, string> config)
    {
        config["alpha"] = ConfigReader.Format(Alpha);
        config["epsilon"] = ConfigReader.Format(Epsilon);
        config["momentum"] = ConfigReader.Format(Momentum);
        config["centered"] = ConfigReader.Format(Centered);
        config["weight_decay"] = ConfigReader.Format(WeightDecay);
    }

    // torch/optim/rmsprop.py, _single_tensor_rmsprop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void Update(Parameter parameter, ParameterState? state, float learningRate)
    {
        var param = parameter.Data;
        ReadOnlySpan<float> grad = parameter.Grad;
        var squareAvg = state!.Buffers[0];
        var avg = Scratch(param.Length, 1);
        var temporary = Scratch(param.Length, 2);
        grad = DecayWeights(param, grad, WeightDecay, learningRate);          // grad = grad.add(param, alpha=weight_decay)

        TorchOps.Mul(squareAvg, Alpha);                                            // square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        TorchOps.AddCMul(squareAvg, grad, grad, 1.0 - Alpha, squareAvg, temporary);
        if (Centered)
        {
            var gradAvg = state.Buffers[^1];
            TorchOps.Lerp(gradAvg, grad, 1.0 - Alpha, temporary);                  // grad_avg.lerp_(grad, 1 - alpha)
            TorchOps.AddCMul(squareAvg, gradAvg, gradAvg, -1.0, avg, temporary);   // avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
            TorchOps.Sqrt(avg, avg);
        }
        else
        {
            TorchOps.Sqrt(squareAvg, avg);                                         // avg = square_avg.sqrt()
        }

        TorchOps.Add(avg, Epsilon);                                                // avg = avg.add_(eps)
        if (Momentum > 0f)
        {
            var buf = state.Buffers[1];
            TorchOps.Mul(buf, Momentum);                                           // buf.mul_(momentum).addcdiv_(grad, avg)
            TorchOps.AddCDiv(buf, grad, avg, 1.0, temporary);
            TorchOps.Add(param, buf, -(double)learningRate, param);                // param.add_(buf, alpha=-lr)
        }
        else
        {
            TorchOps.AddCDiv(param, grad, avg, -(double)learningRate, temporary);  // param.addcdiv_(grad, avg, value=-lr)
        }
    }
}
