using Rnn.Kernels;

namespace Rnn.Layers;

/// <summary>
/// The recurrent engine for one layer and one direction: the scan over time, forward and backward.
/// All sequences are time-major inside (row <c>t·B + b</c>), which makes every step's rows one
/// contiguous block and lets the weight gradients of all steps be one GEMM each.
/// </summary>
/// <remarks>
/// Forward: one GEMM projects the inputs of all steps, <c>A[T·B, G·H] = X · W_ihᵀ</c>; each step adds
/// <c>h_{t-1} · W_hhᵀ</c> (one GEMM for all gates) and runs the cell's fused kernel, which writes h_t
/// (and c_t) and, when training, the gate activations in place of the pre-activations.
/// Backward walks the steps in reverse: the fused backward kernel turns the activations into the
/// pre-activation gradients dA_t in place, and <c>dh_{t-1} += dA_t · W_hh</c> is the only per-step GEMM.
/// After the loop: <c>dW_ih += dAᵀ · X</c>, <c>dW_hh += dAᵀ · H_prev</c>, <c>db = Σ_rows dA</c>,
/// <c>dX (+)= dA · W_ih</c>.
/// <para>
/// States are kept in <c>T + 1</c> slots of B rows: forward, slot 0 holds the initial state and slot t + 1
/// the state after step t; reversed, slot t holds the state after step t and slot T the initial state. Either
/// way the previous states of all steps, in time order, are one contiguous block.
/// </para>
/// <para>
/// Masked (padded) rows of a step keep the previous state: h and c are copied forward, and backward their
/// gradient flows to the previous step unchanged while their gate gradients are zero.
/// </para>
/// </remarks>
internal sealed class RecurrentScan
{
    private readonly CellKind _kind;
    private readonly Parameter _weightIh;
    private readonly Parameter _weightHh;
    private readonly Parameter? _biasIh;
    private readonly Parameter? _biasHh;
    private readonly PackedMatrix _weightIhT = new();
    private readonly PackedMatrix _weightHhT = new();
    private readonly PackedMatrix _weightHhPlain = new();
    private readonly float[] _bias;
    private readonly float[] _biasHidden;
    private int _weightIhVersion = -1;
    private int _weightHhVersion = -1;
    private int _weightHhPlainVersion = -1;
    private int _biasIhVersion = -1;
    private int _biasHhVersion = -1;

    // Per-call buffers, grown on demand and reused.
    private float[] _gates = [];
    private float[] _hiddenPart = [];
    private float[] _states = [];
    private float[] _cells = [];
    private float[] _dh = [];
    private float[] _dc = [];
    private int _batch;
    private int _time;

    public RecurrentScan(CellKind kind, int inputSize, int hidden, bool reverse, Parameter weightIh, Parameter weightHh, Parameter? biasIh, Parameter? biasHh)
    {
        _kind = kind;
        InputSize = inputSize;
        Hidden = hidden;
        Reverse = reverse;
        Gates = GateCount(kind);
        _weightIh = weightIh;
        _weightHh = weightHh;
        _biasIh = biasIh;
        _biasHh = biasHh;
        _bias = new float[Gates * hidden];
        _biasHidden = new float[Gates * hidden];
    }

    public int InputSize { get; }

    public int Hidden { get; }

    public int Gates { get; }

    public bool Reverse { get; }

    private bool HasCell => _kind == CellKind.Lstm;

    private bool SplitsHiddenPart => _kind == CellKind.Gru;

    public static int GateCount(CellKind kind) => kind switch
    {
        CellKind.Lstm => 4,
        CellKind.Gru => 3,
        _ => 1,
    };

    /// <summary>h of every step in time order: [T·B, H].</summary>
    public ReadOnlySpan<float> Outputs => _states.AsSpan(Reverse ? 0 : _batch * Hidden, _time * _batch * Hidden);

    /// <summary>h after the last processed step: [B, H].</summary>
    public ReadOnlySpan<float> FinalHidden => _states.AsSpan(Reverse ? 0 : _time * _batch * Hidden, _batch * Hidden);

    /// <summary>c after the last processed step (Lstm): [B, H].</summary>
    public ReadOnlySpan<float> FinalCell => _cells.AsSpan(Reverse ? 0 : _time * _batch * Hidden, _batch * Hidden);

    /// <summary>dL/dh of the initial state after <see cref="Backward"/>: [B, H].</summary>
    public ReadOnlySpan<float> InitialHiddenGradient => _dh.AsSpan(0, _batch * Hidden);

    /// <summary>dL/dc of the initial state after <see cref="Backward"/> (Lstm): [B, H].</summary>
    public ReadOnlySpan<float> InitialCellGradient => _dc.AsSpan(0, _batch * Hidden);

    /// <summary>Runs the layer direction over a whole sequence.</summary>
    /// <param name="x">[T·B, I] inputs, time-major.</param>
    /// <param name="time">T.</param>
    /// <param name="batch">B.</param>
    /// <param name="h0">[B, H] initial hidden state, or empty for zeros.</param>
    /// <param name="c0">[B, H] initial cell state (Lstm), or empty for zeros.</param>
    /// <param name="mask">[T·B] 1 where a step is real, 0 where it is padding; empty when every step is real.</param>
    /// <param name="training">Keep what <see cref="Backward"/> needs.</param>
    public void Forward(ReadOnlySpan<float> x, int time, int batch, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, ReadOnlySpan<byte> mask, bool training)
    {
        var hidden = Hidden;
        var gh = Gates * hidden;
        var rows = time * batch;
        _time = time;
        _batch = batch;
        RefreshWeights();
        Buffers.Grow(ref _gates, rows * gh);
        Buffers.Grow(ref _states, (time + 1) * batch * hidden);
        if (HasCell)
        {
            Buffers.Grow(ref _cells, (time + 1) * batch * hidden);
        }

        if (SplitsHiddenPart)
        {
            Buffers.Grow(ref _hiddenPart, rows * gh);
        }

        var gates = _gates.AsSpan(0, rows * gh);
        var states = _states.AsSpan(0, (time + 1) * batch * hidden);
        var cells = HasCell ? _cells.AsSpan(0, (time + 1) * batch * hidden) : default;

        // A[T·B, G·H] = X · W_ihᵀ for all steps at once.
        Gemm.Multiply(x, InputSize, rows, _weightIhT, 0, gh, gates, gh, accumulate: false);

        var initialSlot = Reverse ? time : 0;
        var block = batch * hidden;
        CopyOrClear(h0, states.Slice(initialSlot * block, block));
        if (HasCell)
        {
            CopyOrClear(c0, cells.Slice(initialSlot * block, block));
        }

        var width = UnitLoop.Best;
        for (var s = 0; s < time; s++)
        {
            var t = Reverse ? time - 1 - s : s;
            var prevSlot = Reverse ? t + 1 : t;
            var slot = Reverse ? t : t + 1;
            var hPrev = states.Slice(prevSlot * block, block);
            var h = states.Slice(slot * block, block);
            var stepGates = gates.Slice(t * batch * gh, batch * gh);
            Span<float> stepHidden = default;
            if (SplitsHiddenPart)
            {
                stepHidden = _hiddenPart.AsSpan(t * batch * gh, batch * gh);
                Gemm.Multiply(hPrev, hidden, batch, _weightHhT, 0, gh, stepHidden, gh, accumulate: false);
            }
            else
            {
                Gemm.Multiply(hPrev, hidden, batch, _weightHhT, 0, gh, stepGates, gh, accumulate: true);
            }

            for (var b = 0; b < batch; b++)
            {
                var row = stepGates.Slice(b * gh, gh);
                var hRow = h.Slice(b * hidden, hidden);
                switch (_kind)
                {
                    case CellKind.Lstm:
                        LstmGates.Forward(
                            row, _bias, cells.Slice((prevSlot * block) + (b * hidden), hidden), cells.Slice((slot * block) + (b * hidden), hidden), hRow,
                            hidden, 0, hidden, training, width);
                        break;
                    case CellKind.Gru:
                        GruGates.Forward(
                            row, stepHidden.Slice(b * gh, gh), _bias, _biasHidden, hPrev.Slice(b * hidden, hidden), hRow,
                            hidden, 0, hidden, training, width);
                        break;
                    default:
                        SimpleRnnGates.Forward(row, _bias, hRow, _kind == CellKind.RnnRelu, 0, hidden, width);
                        break;
                }
            }

            if (!mask.IsEmpty)
            {
                var stepMask = mask.Slice(t * batch, batch);
                for (var b = 0; b < batch; b++)
                {
                    if (stepMask[b] == 0)
                    {
                        hPrev.Slice(b * hidden, hidden).CopyTo(h.Slice(b * hidden, hidden));
                        if (HasCell)
                        {
                            cells.Slice((prevSlot * block) + (b * hidden), hidden).CopyTo(cells.Slice((slot * block) + (b * hidden), hidden));
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Backpropagation through time over the sequence of the last training <see cref="Forward"/>; adds to
    /// the parameter gradients.
    /// </summary>
    /// <param name="x">[T·B, I] the inputs given to <see cref="Forward"/>.</param>
    /// <param name="outputGradient">dL/dh_t from outside for every step, rows of <paramref name="outputStride"/> floats (time-major), or empty.</param>
    /// <param name="outputStride">Row length of <paramref name="outputGradient"/>.</param>
    /// <param name="finalHiddenGradient">[B, H] dL/dh of the final state, or empty.</param>
    /// <param name="finalCellGradient">[B, H] dL/dc of the final state (Lstm), or empty.</param>
    /// <param name="mask">[T·B] as given to <see cref="Forward"/>.</param>
    /// <param name="inputGradient">[T·B, I] dL/dX (out), or empty when not needed.</param>
    /// <param name="accumulateInputGradient">Add to <paramref name="inputGradient"/> instead of overwriting it.</param>
    public void Backward(
        ReadOnlySpan<float> x, ReadOnlySpan<float> outputGradient, int outputStride, ReadOnlySpan<float> finalHiddenGradient, ReadOnlySpan<float> finalCellGradient,
        ReadOnlySpan<byte> mask, Span<float> inputGradient, bool accumulateInputGradient)
    {
        var hidden = Hidden;
        var gh = Gates * hidden;
        var time = _time;
        var batch = _batch;
        var rows = time * batch;
        var block = batch * hidden;
        RefreshBackwardWeights();
        Buffers.Grow(ref _dh, block);
        var dh = _dh.AsSpan(0, block);
        CopyOrClear(finalHiddenGradient, dh);
        Span<float> dc = default;
        if (HasCell)
        {
            Buffers.Grow(ref _dc, block);
            dc = _dc.AsSpan(0, block);
            CopyOrClear(finalCellGradient, dc);
        }

        var gates = _gates.AsSpan(0, rows * gh);
        var states = _states.AsSpan(0, (time + 1) * batch * hidden);
        var cells = HasCell ? _cells.AsSpan(0, (time + 1) * batch * hidden) : default;
        var width = UnitLoop.Best;
        for (var s = time - 1; s >= 0; s--)
        {
            var t = Reverse ? time - 1 - s : s;
            var prevSlot = Reverse ? t + 1 : t;
            var slot = Reverse ? t : t + 1;
            var stepGates = gates.Slice(t * batch * gh, batch * gh);
            var stepHidden = SplitsHiddenPart ? _hiddenPart.AsSpan(t * batch * gh, batch * gh) : stepGates;
            var stepMask = mask.IsEmpty ? default : mask.Slice(t * batch, batch);
            for (var b = 0; b < batch; b++)
            {
                var row = stepGates.Slice(b * gh, gh);
                if (!stepMask.IsEmpty && stepMask[b] == 0)
                {
                    // The state was carried over: its gradient passes to the previous step untouched.
                    row.Clear();
                    if (SplitsHiddenPart)
                    {
                        stepHidden.Slice(b * gh, gh).Clear();
                    }

                    continue;
                }

                var dOut = outputGradient.IsEmpty ? default : outputGradient.Slice(((t * batch) + b) * outputStride, hidden);
                var dhRow = dh.Slice(b * hidden, hidden);
                switch (_kind)
                {
                    case CellKind.Lstm:
                        LstmGates.Backward(
                            row, cells.Slice((slot * block) + (b * hidden), hidden), cells.Slice((prevSlot * block) + (b * hidden), hidden),
                            dOut, dhRow, dc.Slice(b * hidden, hidden), hidden, 0, hidden, width);
                        break;
                    case CellKind.Gru:
                        GruGates.Backward(
                            row, stepHidden.Slice(b * gh, gh), states.Slice((prevSlot * block) + (b * hidden), hidden),
                            dOut, dhRow, hidden, 0, hidden, width);
                        break;
                    default:
                        SimpleRnnGates.Backward(row, states.Slice((slot * block) + (b * hidden), hidden), dOut, dhRow, _kind == CellKind.RnnRelu, 0, hidden, width);
                        break;
                }
            }

            // dh_{t-1} += dA_t · W_hh
            Gemm.Multiply(stepHidden, gh, batch, _weightHhPlain, 0, hidden, dh, hidden, accumulate: true);
        }

        var hiddenGradients = SplitsHiddenPart ? _hiddenPart.AsSpan(0, rows * gh) : gates;
        var previousStates = states.Slice(Reverse ? block : 0, rows * hidden);
        Gemm.MultiplyAtB(gates, gh, x, InputSize, _weightIh.Grad, InputSize, gh, InputSize, rows, accumulate: true);
        Gemm.MultiplyAtB(hiddenGradients, gh, previousStates, hidden, _weightHh.Grad, hidden, gh, hidden, rows, accumulate: true);
        if (_biasIh is not null && _biasHh is not null)
        {
            AddColumnSums(gates, rows, gh, _biasIh.Grad);
            AddColumnSums(hiddenGradients, rows, gh, _biasHh.Grad);
        }

        if (!inputGradient.IsEmpty)
        {
            Gemm.MultiplyAB(gates, gh, _weightIh.Data, InputSize, inputGradient, InputSize, rows, InputSize, gh, accumulateInputGradient);
        }
    }

    private static void AddColumnSums(ReadOnlySpan<float> matrix, int rows, int columns, Span<float> sums)
    {
        for (var r = 0; r < rows; r++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(sums, matrix.Slice(r * columns, columns), sums);
        }
    }

    private static void CopyOrClear(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (source.IsEmpty)
        {
            destination.Clear();
        }
        else
        {
            source.CopyTo(destination);
        }
    }


    private void RefreshWeights()
    {
        var gh = Gates * Hidden;
        if (_weightIhVersion != _weightIh.Version)
        {
            _weightIhT.PackTransposed(_weightIh.Data, InputSize, gh, InputSize);
            _weightIhVersion = _weightIh.Version;
        }

        if (_weightHhVersion != _weightHh.Version)
        {
            _weightHhT.PackTransposed(_weightHh.Data, Hidden, gh, Hidden);
            _weightHhVersion = _weightHh.Version;
        }

        var biasIhVersion = _biasIh?.Version ?? 0;
        var biasHhVersion = _biasHh?.Version ?? 0;
        if (biasIhVersion != _biasIhVersion || biasHhVersion != _biasHhVersion)
        {
            Array.Clear(_bias);
            Array.Clear(_biasHidden);
            if (_biasIh is not null && _biasHh is not null)
            {
                if (SplitsHiddenPart)
                {
                    _biasIh.Data.CopyTo(_bias, 0);
                    _biasHh.Data.CopyTo(_biasHidden, 0);
                }
                else
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(_biasIh.Data, _biasHh.Data, _bias);
                }
            }

            _biasIhVersion = biasIhVersion;
            _biasHhVersion = biasHhVersion;
        }
    }

    private void RefreshBackwardWeights()
    {
        if (_weightHhPlainVersion != _weightHh.Version)
        {
            _weightHhPlain.Pack(_weightHh.Data, Hidden, Gates * Hidden, Hidden);
            _weightHhPlainVersion = _weightHh.Version;
        }
    }
}
