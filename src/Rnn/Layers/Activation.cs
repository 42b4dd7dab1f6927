namespace Rnn.Layers;

/// <summary>Elementwise (or, for softmax, row-wise over the last axis) nonlinearities for <see cref="Dense"/> and <see cref="ActivationLayer"/>.</summary>
public enum Activation
{
    /// <summary>The identity, y = x.</summary>
    Linear,

    /// <summary>y = max(0, x).</summary>
    Relu,

    /// <summary>y = 1 / (1 + e^-x).</summary>
    Sigmoid,

    /// <summary>y = tanh(x).</summary>
    Tanh,

    /// <summary>y_i = e^(x_i) / Σ_j e^(x_j) over the last axis.</summary>
    Softmax,

    /// <summary>y = x for x &gt; 0, e^x - 1 otherwise (α = 1).</summary>
    Elu,

    /// <summary>y = log(1 + e^x).</summary>
    Softplus,

    /// <summary>y = x · σ(x) (also called swish).</summary>
    Silu,
}
