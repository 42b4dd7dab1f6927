namespace Rnn.Layers;

/// <summary>The cell a recurrent layer runs at every step; fixes the gate count and the fused kernels.</summary>
internal enum CellKind
{
    /// <summary>SimpleRnn with tanh: 1 gate.</summary>
    RnnTanh,

    /// <summary>SimpleRnn with relu: 1 gate.</summary>
    RnnRelu,

    /// <summary>Lstm: 4 gates i, f, g, o and a cell state.</summary>
    Lstm,

    /// <summary>Gru: 3 gates r, z, n.</summary>
    Gru,
}
