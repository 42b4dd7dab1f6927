namespace Rnn.Initializers;

/// <summary>Which framework's default initializers a layer uses when it is built.</summary>
public enum WeightInitialization
{
    /// <summary>
    /// Keras's defaults. Recurrent layers: <c>weight_ih</c> Glorot-uniform over the Keras kernel shape [in, G·H]
    /// (limit √(6 / (in + G·H))), <c>weight_hh</c> orthogonal, biases zero, and for Lstm a forget-gate bias of 1
    /// (Keras's <c>unit_forget_bias</c>, placed in <c>bias_ih</c>). Dense: Glorot-uniform weight, zero bias.
    /// Embedding: uniform in [-0.05, 0.05].
    /// </summary>
    Keras,

    /// <summary>
    /// PyTorch's defaults. Recurrent layers: every weight and bias uniform in [-1/√H, 1/√H]. Dense (<c>nn.Linear</c>):
    /// weight and bias uniform in [-1/√in, 1/√in]. Embedding: standard normal.
    /// </summary>
    PyTorch,
}
