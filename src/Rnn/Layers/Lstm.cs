using Rnn.Initializers;

namespace Rnn.Layers;

/// <summary>
/// Long short-term memory layer (Hochreiter and Schmidhuber, 1997), with PyTorch's math, gate order and
/// weight layout (<c>torch.nn.LSTM</c> with <c>batch_first=True</c>). At each step, for input x and
/// previous state (h, c):
/// <code>
/// i  = σ(W_ii x + b_ii + W_hi h + b_hi)
/// f  = σ(W_if x + b_if + W_hf h + b_hf)
/// g  = tanh(W_ig x + b_ig + W_hg h + b_hg)
/// o  = σ(W_io x + b_io + W_ho h + b_ho)
/// c' = f ⊙ c + i ⊙ g
/// h' = o ⊙ tanh(c')
/// </code>
/// <c>weight_ih_l{k}</c> is [4H, in] (W_ii; W_if; W_ig; W_io stacked), <c>weight_hh_l{k}</c> [4H, H],
/// <c>bias_ih_l{k}</c> and <c>bias_hh_l{k}</c> [4H]. Input [batch, time, features]; see <see cref="Recurrent"/>
/// for outputs, states, stacking and directions.
/// </summary>
public sealed class Lstm : Recurrent
{
    /// <summary>Creates an Lstm layer; parameters are created from <paramref name="inputShape"/> now, or from the first input.</summary>
    /// <param name="units">H, the hidden size.</param>
    /// <param name="returnSequences">Return the output of every step ([batch, time, W]) rather than the last ([batch, W]); W = H, or 2H for a bidirectional layer that concatenates.</param>
    /// <param name="returnState">Also return the final states h_n and c_n, and accept their gradients in backward.</param>
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
    /// <param name="name">The layer's name, <c>lstm</c> by default.</param>
    /// <param name="stateful">Start each batch from the final states of the batch before (Keras's <c>stateful</c>); see <see cref="Recurrent.Stateful"/>.</param>
    public Lstm(
        int units, bool returnSequences = false, bool returnState = false, bool goBackwards = false, bool bidirectional = false,
        BidirectionalMerge mergeMode = BidirectionalMerge.Concat, int numLayers = 1, float dropout = 0f, float recurrentDropout = 0f, float inputDropout = 0f, bool useBias = true,
        WeightInitialization initialization = WeightInitialization.Keras,
        (int? Time, int Features)? inputShape = null, int? seed = null, string? name = null, bool stateful = false)
        : base(CellKind.Lstm, units, returnSequences, returnState, goBackwards, bidirectional, mergeMode, numLayers, dropout, recurrentDropout, inputDropout, useBias, initialization, inputShape, seed, name, "lstm", stateful)
    {
    }
}
