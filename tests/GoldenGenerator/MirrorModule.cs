using TorchSharp;
using static TorchSharp.torch;

namespace GoldenGenerator;

/// <summary>
/// The PyTorch module that mirrors an <see cref="InteropCase"/>'s <c>Sequential</c> model, as one would write it
/// in Python (<see cref="InteropCase.DescribeTorch"/>): named submodules registered in the model's layer order,
/// so that <c>state_dict()</c> names are <c>{submodule}.{parameter}</c>, and a forward that reads out what
/// the recurrent layer passes to the head (through <c>nn.LayerNorm</c> when the case has one).
/// </summary>
internal sealed class MirrorModule : nn.Module<Tensor, Tensor>
{
    private readonly InteropCase _case;
    private readonly TorchSharp.Modules.Embedding? _embedding;
    private readonly nn.Module _recurrent;
    private readonly TorchSharp.Modules.LayerNorm? _layerNorm;
    private readonly TorchSharp.Modules.Linear _dense;

    public MirrorModule(InteropCase c)
        : base(c.Name)
    {
        _case = c;
        var recurrentIn = c.EmbeddingDim ?? c.Features;
        if (c.EmbeddingDim is { } dim)
        {
            _embedding = nn.Embedding(c.Features, dim);
            register_module("embedding", _embedding);
        }

        _recurrent = c.Mode switch
        {
            RnnMode.Lstm => nn.LSTM(recurrentIn, c.Hidden, c.NumLayers, batchFirst: true, dropout: c.Dropout, bidirectional: c.Bidirectional),
            RnnMode.Gru => nn.GRU(recurrentIn, c.Hidden, c.NumLayers, batchFirst: true, dropout: c.Dropout, bidirectional: c.Bidirectional),
            RnnMode.RnnTanh => nn.RNN(recurrentIn, c.Hidden, c.NumLayers, nn.NonLinearities.Tanh, batchFirst: true, dropout: c.Dropout, bidirectional: c.Bidirectional),
            _ => nn.RNN(recurrentIn, c.Hidden, c.NumLayers, nn.NonLinearities.ReLU, batchFirst: true, dropout: c.Dropout, bidirectional: c.Bidirectional),
        };
        register_module(c.TorchRecurrentName, _recurrent);
        if (c.LayerNorm is { } norm)
        {
            if (norm.Center && !norm.Scale)
            {
                throw new ArgumentException($"{c.Name}: nn.LayerNorm has no bias without elementwise_affine (center without scale).", nameof(c));
            }

            _layerNorm = nn.LayerNorm([c.Directions * c.Hidden], norm.Epsilon, elementwise_affine: norm.Scale, bias: norm.Center);
            register_module("layer_normalization", _layerNorm);
        }

        _dense = nn.Linear(c.Directions * c.Hidden, c.Outputs);
        register_module(c.DenseName, _dense);
    }

    /// <param name="x">[batch, time, features] floats, or [batch, time] int64 token ids with an embedding.</param>
    /// <returns>[batch, outputs], or [batch, time, outputs] for <see cref="Readout.Sequence"/>.</returns>
    public override Tensor forward(Tensor x)
    {
        var h = _embedding is null ? x : _embedding.call(x);
        if (_case.GoBackwards)
        {
            // Keras's go_backwards: run over the reversed sequence and return outputs in that reversed order.
            h = h.flip(1);
        }

        Tensor output, hN;
        switch (_recurrent)
        {
            case TorchSharp.Modules.LSTM lstm:
                (output, hN, _) = lstm.call(h, null);
                break;
            case TorchSharp.Modules.GRU gru:
                (output, hN) = gru.call(h, null);
                break;
            default:
                (output, hN) = ((TorchSharp.Modules.RNN)_recurrent).call(h, null);
                break;
        }

        var features = _case.Readout switch
        {
            Readout.Sequence => output,
            Readout.LastStep => output.select(1, -1),
            // The top layer's two directions: the forward one after the last step, the reverse one after the first.
            _ => torch.cat([hN.select(0, -2), hN.select(0, -1)], 1),
        };
        if (_layerNorm is not null)
        {
            features = _layerNorm.call(features);
        }

        var y = _dense.call(features);
        return _case.SigmoidOutput ? torch.sigmoid(y) : y;
    }
}
