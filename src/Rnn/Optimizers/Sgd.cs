using System.Runtime.CompilerServices;
using Rnn.Layers;

namespace Rnn.Optimizers;

/// <summary>
/// Stochastic gradient descent, optionally with momentum: PyTorch's <c>torch.optim.SGD</c>. Per step, with
/// learning rate η, momentum μ, dampening τ, weight decay λ and gradient g:
/// <code>
/// g ← g + λ·θ                          (when λ ≠ 0)
/// b ← g                                 (first update, when μ ≠ 0)
/// b ← μ·b + (1 - τ)·g                   (later updates)
/// g ← g + μ·b  (Nesterov)   or   g ← b  (when μ ≠ 0)
/// θ ← θ - η·g
/// </code>
/// </summary>
/// <remarks>
/// Defaults are PyTorch's; Keras's SGD has the same learning rate (0.01) and momentum (0), no dampening,
/// and a decoupled <c>weight_decay</c> (θ ← θ - η·λ·θ) where PyTorch's, and this one's, adds λ·θ to the
/// gradient. Keras's momentum form <c>v ← μ·v - η·g; θ ← θ + v</c> equals PyTorch's for a constant
/// learning rate. State per parameter: <c>momentum_buffer</c> (b), only when μ ≠ 0.
/// </remarks>
public sealed class Sgd : Optimizer
{
    private static readonly string[] MomentumState = ["momentum_buffer"];

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">η, &gt; 0; 0.01 by default, as in Keras (PyTorch has no default).</param>
    /// <param name="momentum">μ in [0, 1]; 0 for none.</param>
    /// <param name="nesterov">Nesterov momentum: step along <c>g + μ·b</c> rather than <c>b</c>; needs μ &gt; 0 and τ = 0.</param>
    /// <param name="dampening">τ in [0, 1]: the momentum buffer takes <c>(1 - τ)·g</c> of each gradient after the first.</param>
    /// <param name="weightDecay">λ ≥ 0: L2 penalty added to the gradient (PyTorch's <c>weight_decay</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    /// <exception cref="ArgumentException">Nesterov momentum without momentum or with dampening.</exception>
    public Sgd(float learningRate = 0.01f, float momentum = 0f, bool nesterov = false, float dampening = 0f, float weightDecay = 0f)
        : base("sgd", learningRate)
    {
        Momentum = InRange(momentum, 0f, 1f, nameof(momentum), "in [0, 1]");
        Dampening = InRange(dampening, 0f, 1f, nameof(dampening), "in [0, 1]");
        WeightDecay = NonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && (momentum == 0f || dampening != 0f))
        {
            throw new ArgumentException(
                $"{Owner}: Nesterov momentum needs a momentum > 0 and no dampening, but momentum is {Show(momentum)} and dampening {Show(dampening)}.",
                nameof(nesterov));
        }

        Nesterov = nesterov;
    }

    /// <summary>μ: the momentum factor; 0 for plain SGD.</summary>
    public float Momentum { get; }

    /// <summary>Whether the step uses Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <summary>τ: the dampening of gradients entering the momentum buffer.</summary>
    public float Dampening { get; }

    /// <summary>λ: the L2 penalty added to the gradient.</summary>
    public float WeightDecay { get; }

    private protected override IReadOnlyList<string> StateNames => Momentum != 0f ? MomentumState : [];

    internal static Sgd FromConfig(ConfigReader config) => new(
        config.Float("learning_rate", 0.01f),
        config.Float("momentum", 0f),
        config.Bool("nesterov", false),
        config.Float("dampening", 0f),
        config.Float("weight_decay", 0f));

    private protected override void AddConfig(Dictionary<string, string> config)
    {
        config["momentum"] = ConfigReader.Format(Momentum);
        config["nesterov"] = ConfigReader.Format(Nesterov);
        config["dampening"] = ConfigReader.Format(Dampening);
        config["weight_decay"] = ConfigReader.Format(WeightDecay);
    }

    // torch/optim/sgd.py, _single_tensor_sgd.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void Update(Parameter parameter, ParameterState? state, float learningRate)
    {
        var param = parameter.Data;
        ReadOnlySpan<float> grad = parameter.Grad;
        grad = DecayWeights(param, grad, WeightDecay, learningRate);          // grad = grad.add(param, alpha=weight_decay)

        if (Momentum != 0f)
        {
            var buf = state!.Buffers[0];
            if (state.Step == 1)
            {
                grad.CopyTo(buf);                                               // buf = torch.clone(grad).detach()
            }
            else
            {
                TorchOps.Mul(buf, Momentum);                                    // buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                TorchOps.Add(buf, grad, 1.0 - Dampening, buf);
            }

            if (Nesterov)
            {
                var nesterov = Scratch(param.Length, 1);
                TorchOps.Add(grad, buf, Momentum, nesterov);                    // grad = grad.add(buf, alpha=momentum)
                grad = nesterov;
            }
            else
            {
                grad = buf;
            }
        }

        TorchOps.Add(param, grad, -(double)learningRate, param);                // param.add_(grad, alpha=-lr)
    }
}
