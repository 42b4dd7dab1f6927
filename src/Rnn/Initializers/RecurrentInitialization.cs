namespace Rnn.Initializers;

/// <summary>How a recurrent layer fills its weights when it is built.</summary>
public enum RecurrentInitialization
{
    /// <summary>
    /// Keras's defaults: <c>weight_ih</c> Glorot-uniform over the Keras kernel shape [in, G·H]
    /// (limit √(6 / (in + G·H))), <c>weight_hh</c> orthogonal, biases zero, and for Lstm a forget-gate
    /// bias of 1 (Keras's <c>unit_forget_bias</c>, placed in <c>bias_ih</c>).
    /// </summary>
    Keras,

    /// <summary>PyTorch's defaults: every weight and bias uniform in [-1/√H, 1/√H].</summary>
    PyTorch,
}
