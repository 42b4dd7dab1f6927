using Rnn.Benchmarks.Layers;
using static TorchSharp.torch;

namespace Rnn.Benchmarks.Peers;

/// <summary>
/// The same layer in PyTorch (TorchSharp 0.107, libtorch 2.10 CPU): <c>nn.LSTM/GRU/RNN(batch_first=True)</c>,
/// inference under <c>no_grad</c>, training with autograd, MSE loss and <c>torch.optim.Adam</c>.
/// </summary>
public sealed class TorchPeer : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _forward;
    private readonly Tensor _x;
    private readonly Tensor _y;
    private readonly optim.Optimizer _optimizer;
    private readonly TorchSharp.DisposeScope _scope;
    private static bool _interopThreadsSet;

    public TorchPeer(string cell, Workload w, int threads)
    {
        set_num_threads(threads);
        if (!_interopThreadsSet)
        {
            // libtorch allows this once per process (the paired runner makes several peers in one).
            set_num_interop_threads(1);
            _interopThreadsSet = true;
        }

        _scope = NewDisposeScope();
        manual_seed(1);
        _forward = new SequenceOutput(cell, w.Input, w.Hidden);
        _x = rand(w.Batch, w.Time, w.Input) * 2 - 1;
        _y = rand(w.Batch, w.Time, w.Hidden) * 2 - 1;
        _optimizer = optim.Adam(_forward.parameters());
    }

    /// <summary>Whether libtorch loads here (on Debian 12, after benchmarks/torchsharp-fix.sh).</summary>
    public static bool TryLoad(out string? problem)
    {
        try
        {
            using var probe = ones(1);
            problem = null;
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or NotSupportedException or InvalidOperationException)
        {
            problem = e.GetBaseException().Message;
            return false;
        }
    }

    public void Inference()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        _ = _forward.call(_x);
    }

    public void TrainStep()
    {
        using var scope = NewDisposeScope();
        _optimizer.zero_grad();
        var loss = nn.functional.mse_loss(_forward.call(_x), _y);
        loss.backward();
        _optimizer.step();
    }

    public void Dispose()
    {
        _scope.Dispose();
        _forward.Dispose();
    }

    /// <summary>The recurrent module's output sequence [B, T, H].</summary>
    private sealed class SequenceOutput : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module _recurrent;
        private readonly string _cell;

        public SequenceOutput(string cell, int input, int hidden)
            : base(cell)
        {
            _cell = cell;
            _recurrent = cell switch
            {
                "lstm" => nn.LSTM(input, hidden, batchFirst: true),
                "gru" => nn.GRU(input, hidden, batchFirst: true),
                _ => nn.RNN(input, hidden, nonLinearity: nn.NonLinearities.Tanh, batchFirst: true),
            };
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => _cell switch
        {
            "lstm" => ((TorchSharp.Modules.LSTM)_recurrent).call(x, null).Item1,
            "gru" => ((TorchSharp.Modules.GRU)_recurrent).call(x, null).Item1,
            _ => ((TorchSharp.Modules.RNN)_recurrent).call(x, null).Item1,
        };
    }
}
