using Rnn.Initializers;

namespace Rnn.Layers;

/// <summary>The nonlinearity of a <see cref="SimpleRnn"/>.</summary>
public enum RnnActivation
{
    /// <summary>tanh (PyTorch's default <c>nonlinearity='tanh'</c>).</summary>
    Tanh,

    /// <summary>max(0, x) (<c>nonlinearity='relu'</c>).</summary>
    Relu,
}

/// <summary>
/// Fully connected recurrent layer (Elman network) with PyTorch's math and weight layout
/// (<c>torch.nn.RNN</c> with <c>batch_first=True</c>). At each step, for input x and previous state h:
/// <code>
/// h' = act(W_ih x + b_ih + W_hh h + b_hh),   act = tanh or relu
/// </code>
/// <c>weight_ih_l{k}</c> is [H, in], <c>weight_hh_l{k}</c> [H, H], <c>bias_ih_l{k}</c> and <c>bias_hh_l{k}</c> [H].
/// Input [batch, time, features]; see <see cref="Recurrent"/> for outputs, states, stacking and directions.
/// </summary>
public sealed class SimpleRnn : Recurrent
{
    /// <summary>Creates a SimpleRnn layer; parameters are created from <paramref name="inputShape"/> now, or from the first input.</summary>
    /// <param name="units">H, the hidden size.</param>
    /// <param name="activation">tanh (default) or relu.</param>
    /// <param name="returnSequences">Return the output of every step ([batch, time, W]) rather than the last ([batch, W]); W = H, or 2H for a bidirectional layer that concatenates.</param>
    /// <param name="returnState">Also return the final state h_n, and accept its gradient in backward.</param>
    /// <param name="goBackwards">Process the sequence from its end and return the reversed output sequence (Keras's <c>go_backwards</c>).</param>
    /// <param name="bidirectional">Add a reverse direction to each layer; between stacked layers their outputs are concatenated [forward, reverse].</param>
    /// <param name="mergeMode">
    /// How the output combines the two directions of a bidirectional layer (Keras's <c>merge_mode</c>): Concat
    /// [y_f, y_r] (2H features, the default), Sum y_f + y_r, Average (y_f + y_r) / 2 or Multiply y_f ⊙ y_r (H
    /// features). Anything but Concat needs <paramref name="bidirectional"/>.
    /// </param>
    /// <param name="numLayers">Number of stacked layers.</param>
    /// <param name="dropout">Dropout probability between stacked layers, during training (PyTorch's <c>dropout</c>); needs <paramref name="numLayers"/> &gt; 1.</param>
    /// <param name="recurrentDropout">Dropout probability on the state where it enters the recurrent weights, during training (Keras's <c>recurrent_dropout</c>); one mask per sequence, the same at every step.</param>
    /// <param name="inputDropout">Dropout probability on the layer's input features, during training (Keras's <c>dropout</c>); one mask per sequence, the same at every step.</param>
    /// <param name="useBias">Whether to have the bias vectors.</param>
    /// <param name="initialization">Keras's (default) or PyTorch's initialization.</param>
    /// <param name="inputShape">(time, features) of one sample, time null when it varies; builds the layer now.</param>
    /// <param name="seed">Seed for initialization and dropout; null for a random seed.</param>
    /// <param name="name">The layer's name, <c>simple_rnn</c> by default.</param>
    /// <param name="stateful">Start each batch from the final states of the batch before (Keras's <c>stateful</c>); see <see cref="Recurrent.Stateful"/>.</param>
    public SimpleRnn(
        int units, RnnActivation activation = RnnActivation.Tanh, bool returnSequences = false, bool returnState = false, bool goBackwards = false,
        bool bidirectional = false, BidirectionalMerge mergeMode = BidirectionalMerge.Concat, int numLayers = 1, float dropout = 0f, float recurrentDropout = 0f, float inputDropout = 0f, bool useBias = true,
        WeightInitialization initialization = WeightInitialization.Keras,
        (int? Time, int Features)? inputShape = null, int? seed = null, string? name = null, bool stateful = false)
        : base(ToKind(activation), units, returnSequences, returnState, goBackwards, bidirectional, mergeMode, numLayers, dropout, recurrentDropout, inputDropout, useBias, initialization, inputShape, seed, name, "simple_rnn", stateful)
    {
        Activation = activation;
    }

    /// <summary>The nonlinearity.</summary>
    public RnnActivation Activation { get; }

    private static CellKind ToKind(RnnActivation activation) => activation switch
    {
        RnnActivation.Tanh => CellKind.RnnTanh,
        RnnActivation.Relu => CellKind.RnnRelu,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Expected RnnActivation.Tanh or RnnActivation.Relu."),
    };
}
