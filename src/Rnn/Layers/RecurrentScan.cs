using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Rnn.Kernels;

namespace Rnn.Layers;

/// <summary>
/// The recurrent engine for one layer and one direction: the scan over time, forward and backward.
/// All sequences are time-major inside (row <c>t·B + b</c>), which makes every step's rows one
/// contiguous block and lets the weight gradients of all steps be one GEMM each.
/// </summary>
/// <remarks>
/// <para>
/// Forward: <c>A[T·B, G·H] = X · W_ihᵀ</c>, one GEMM per chunk of steps (about 64 rows); each step adds <c>h_{t-1} · W_hhᵀ</c> (one GEMM
/// for all gates) and runs the cell's fused kernel, which writes h_t (and c_t) and, when training, the gate
/// activations in place of the pre-activations. Backward walks the steps in reverse: the fused backward kernel
/// turns the activations into the pre-activation gradients dA_t in place, and <c>dh_{t-1} += dA_t · W_hh</c>
/// is the only per-step GEMM. After the loop: <c>dW_ih += dAᵀ · X</c>, <c>dW_hh += dAᵀ · H_prev</c>,
/// <c>db = Σ_rows dA</c>, <c>dX = dA · W_ih</c>.
/// </para>
/// <para>
/// States are kept in <c>T + 1</c> slots of B rows: forward, slot 0 holds the initial state and slot t + 1
/// the state after step t; reversed, slot t holds the state after step t and slot T the initial state. Either
/// way the previous states of all steps, in time order, are one contiguous block.
/// </para>
/// <para>
/// Threads: with small weights (they fit in each core's L2) and a batch of at least 16 rows per worker, each
/// worker runs its own batch rows through the whole loop, with no barrier until the weight gradients. Otherwise
/// each worker owns a block of hidden units (a multiple of 16) for the whole pass: it computes those
/// units' columns of every gate's GEMMs and their fused kernels, so its slice of <c>W_hh</c> stays in its cache;
/// the workers meet once per step (forward: before the next step reads all of h; backward: before the
/// <c>dh</c> GEMM reads all of dA). After the loop, the weight-gradient GEMMs split by gate rows and the input
/// gradient by time-batch rows. Every value is computed in the same order whatever the split (the GEMMs
/// compute each element as one chain over k), so results are bitwise identical for any number of workers.
/// </para>
/// <para>
/// Masked (padded) rows of a step keep the previous state: h and c are copied forward, and backward their
/// gradient flows to the previous step unchanged while their gate gradients are zero.
/// </para>
/// <para>
/// Recurrent dropout (training only): with a mask m [B, H] fixed for the whole pass, the recurrent product reads
/// <c>h̃_{t-1} = m ⊙ h_{t-1}</c> instead of h_{t-1}, which is kept in its own T + 1 slots (written by the worker that
/// computes those units of h). Everything else, including the Gru's <c>z ⊙ h_{t-1}</c>, sees the state itself.
/// Backward: <c>dW_hh += dAᵀ · H̃_prev</c>, and the step product's part of dh_{t-1} is multiplied by m.
/// </para>
/// </remarks>
internal sealed class RecurrentScan : IWorkerJob
{
    private const int UnitBlock = 16;

    /// <summary>Fewest batch rows a worker takes when the batch is split.</summary>
    private const int MinRowsPerWorker = 16;

    /// <summary>
    /// Largest W_ih + W_hh (bytes) for which workers split the batch rather than the hidden units: each worker then
    /// reads all of the weights every step, so they must fit in its L2 cache (1 MB on the machine measured) with
    /// room for the step's activations.
    /// </summary>
    private const long RowSplitWeightBytes = 512 * 1024;
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

    // Which packed weights this pass repacks (decided in the Prepare call; the workers pack them in parts).
    private bool _packIh;
    private bool _packHh;
    private bool _packHhPlain;

    // Per-call buffers, grown on demand and reused; 64-byte aligned, so that with rows a multiple of 16 floats
    // long the workers' unit blocks never share a cache line (false sharing between the two cores tripled the
    // gate kernels' time).
    private readonly AlignedBuffer _gates = new();
    private readonly AlignedBuffer _hiddenPart = new();
    private readonly AlignedBuffer _states = new();
    private readonly AlignedBuffer _cells = new();
    private readonly AlignedBuffer _dh = new();
    private readonly AlignedBuffer _dc = new();
    private readonly AlignedBuffer _droppedStates = new();
    private readonly AlignedBuffer _dhProduct = new();
    private readonly WorkerTuner _forwardTuner = new();
    private readonly WorkerTuner _backwardTuner = new();
    private float[] _inputGradient = [];
    private int _batch;
    private int _time;
    private int _chunk = 1;
    private int _keptRows;

    // The arguments of the pass in progress, for the workers.
    private bool _backward;
    private float[] _x = [];
    private byte[]? _mask;
    private float[]? _recurrentMask;
    private bool _training;
    private float[]? _outputGradient;
    private int _outputOffset;
    private int _outputStride;
    private bool _wantInputGradient;
    private bool _wantWeightGradients;

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

    /// <summary>Whether the prepared pass is a backward pass.</summary>
    public bool IsBackwardPass => _backward;

    /// <summary>Time steps of the prepared pass.</summary>
    public int Steps => _time;

    /// <summary>Chooses one worker or several for the prepared kind of pass (forward and backward are timed apart).</summary>
    public WorkerTuner Tuner => _backward ? _backwardTuner : _forwardTuner;

    private bool HasCell => _kind == CellKind.Lstm;

    private bool SplitsHiddenPart => _kind == CellKind.Gru;

    public static int GateCount(CellKind kind) => kind switch
    {
        CellKind.Lstm => 4,
        CellKind.Gru => 3,
        _ => 1,
    };

    /// <summary>h of every step in time order: [T·B, H].</summary>
    public ReadOnlySpan<float> Outputs => _states.Slice(Reverse ? 0 : _batch * Hidden, _time * _batch * Hidden);

    /// <summary>h after the last processed step: [B, H].</summary>
    public ReadOnlySpan<float> FinalHidden => _states.Slice(Reverse ? 0 : _time * _batch * Hidden, _batch * Hidden);

    /// <summary>c after the last processed step (Lstm): [B, H].</summary>
    public ReadOnlySpan<float> FinalCell => _cells.Slice(CellSlot(Reverse ? 0 : _time) * _batch * Hidden, _batch * Hidden);

    /// <summary>dL/dh of the initial state after a backward pass: [B, H].</summary>
    public ReadOnlySpan<float> InitialHiddenGradient => _dh.Span(_batch * Hidden);

    /// <summary>dL/dc of the initial state after a backward pass (Lstm): [B, H].</summary>
    public ReadOnlySpan<float> InitialCellGradient => _dc.Span(_batch * Hidden);

    /// <summary>dL/dX after a backward pass with an input gradient requested: [T·B, I].</summary>
    public ReadOnlySpan<float> InputGradient => _inputGradient.AsSpan(0, _time * _batch * InputSize);

    /// <summary>
    /// How many workers a pass over [batch] sequences is worth, and how they split it. One in all when a step has
    /// too little work (measured: below ~64k multiply-adds per step the fork, the barriers and the smaller GEMMs
    /// cost more than the second core gains, even split by rows). When the weights fit in a core's L2 and the batch
    /// has at least 16 rows per worker, the workers split the batch rows: no barrier in the time loop at all (LSTM
    /// medium on two threads: 6.3 → 4.3 ms, the same measured hour). Otherwise one worker per block of at least
    /// 32 hidden units, meeting once per step.
    /// </summary>
    public int WorkersFor(int batch, int available)
    {
        var multiplyAdds = (long)batch * Gates * Hidden * (Hidden + InputSize);
        if (available <= 1 || multiplyAdds < 64 * 1024)
        {
            return 1;
        }

        if (SplitsRows(batch))
        {
            return Math.Min(available, batch / MinRowsPerWorker);
        }

        return Math.Max(1, Math.Min(available, Hidden / (2 * UnitBlock)));
    }

    /// <summary>Whether more than one worker splits [batch] sequences by rows rather than by hidden units (see <see cref="WorkersFor"/>).</summary>
    private bool SplitsRows(int batch) => batch >= 2 * MinRowsPerWorker && 4L * Gates * Hidden * (Hidden + InputSize) <= RowSplitWeightBytes;

    /// <summary>
    /// Steps per input-projection GEMM: enough steps for about 64 rows. Projecting a chunk just before its steps
    /// read it, instead of all T·B rows up front, keeps the projection in cache for the step GEMM that adds to it
    /// and the gate kernel (measured on LSTM medium, B = 64: 9.9 → 8.2 ms on one thread, 5.7 → 4.8 ms on two), and
    /// at inference only one chunk of gates is kept. A whole chunk at once keeps M = 1 streaming efficient: its
    /// projection is still one GEMM over 64 steps rather than 64 row-vector products.
    /// </summary>
    internal static int ProjectionChunk(int batch, int time) => Math.Clamp((64 + batch - 1) / batch, 1, Math.Max(1, time));

    /// <summary>Prepares a forward pass (single-threaded); then run <see cref="Execute"/> on one or more workers.</summary>
    /// <param name="x">[T·B, I] inputs, time-major (kept until the pass and any backward pass are done).</param>
    /// <param name="time">T.</param>
    /// <param name="batch">B.</param>
    /// <param name="h0">[B, H] initial hidden state, or empty for zeros.</param>
    /// <param name="c0">[B, H] initial cell state (Lstm), or empty for zeros.</param>
    /// <param name="mask">[T·B] 1 where a step is real, 0 where it is padding; null when every step is real.</param>
    /// <param name="training">Keep what <see cref="PrepareBackward"/> needs.</param>
    /// <param name="recurrentMask">[B, H] recurrent dropout multipliers (0 or 1 / (1 - p)) for a training pass, or null; kept until backward is done.</param>
    public void PrepareForward(float[] x, int time, int batch, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, byte[]? mask, bool training, float[]? recurrentMask = null)
    {
        var hidden = Hidden;
        var gh = Gates * hidden;
        var rows = time * batch;
        _time = time;
        _batch = batch;
        _x = x;
        _mask = mask;
        _training = training;
        _recurrentMask = training ? recurrentMask : null;
        _backward = false;
        RefreshWeights();
        _chunk = ProjectionChunk(batch, time);
        _keptRows = training ? rows : Math.Min(time, _chunk) * batch;
        _gates.EnsureCapacity(_keptRows * gh);
        _states.EnsureCapacity((time + 1) * batch * hidden);
        if (HasCell)
        {
            _cells.EnsureCapacity(CellSlots * batch * hidden);
        }

        if (SplitsHiddenPart)
        {
            _hiddenPart.EnsureCapacity(_keptRows * gh);
        }

        var initialSlot = Reverse ? time : 0;
        var block = batch * hidden;
        CopyOrClear(h0, _states.Slice(initialSlot * block, block));
        if (HasCell)
        {
            CopyOrClear(c0, _cells.Slice(CellSlot(initialSlot) * block, block));
        }

        if (_recurrentMask is not null)
        {
            _droppedStates.EnsureCapacity((time + 1) * block);
            TensorPrimitives.Multiply(_states.Slice(initialSlot * block, block), _recurrentMask.AsSpan(0, block), _droppedStates.Slice(initialSlot * block, block));
        }
    }

    /// <summary>
    /// Prepares backpropagation through time over the last training pass (single-threaded); then run
    /// <see cref="Execute"/>. Adds to the parameter gradients.
    /// </summary>
    /// <param name="outputGradient">dL/dh_t from outside for every step: rows of <paramref name="outputStride"/> floats (time-major) starting at <paramref name="outputOffset"/>, or null.</param>
    /// <param name="outputOffset">Where this direction's units start in each row.</param>
    /// <param name="outputStride">Row length of <paramref name="outputGradient"/>.</param>
    /// <param name="finalHiddenGradient">[B, H] dL/dh of the final state, or empty.</param>
    /// <param name="finalCellGradient">[B, H] dL/dc of the final state (Lstm), or empty.</param>
    /// <param name="inputGradient">Whether to compute dL/dX into <see cref="InputGradient"/>.</param>
    /// <param name="weightGradients">Whether to add the weight and bias gradients (false for a frozen layer).</param>
    public void PrepareBackward(float[]? outputGradient, int outputOffset, int outputStride, ReadOnlySpan<float> finalHiddenGradient, ReadOnlySpan<float> finalCellGradient, bool inputGradient, bool weightGradients)
    {
        var block = _batch * Hidden;
        _backward = true;
        _outputGradient = outputGradient;
        _outputOffset = outputOffset;
        _outputStride = outputStride;
        _wantInputGradient = inputGradient;
        _wantWeightGradients = weightGradients;
        RefreshBackwardWeights();
        _dh.EnsureCapacity(block);
        CopyOrClear(finalHiddenGradient, _dh.Span(block));
        if (_recurrentMask is not null)
        {
            _dhProduct.EnsureCapacity(block);
        }
        if (HasCell)
        {
            _dc.EnsureCapacity(block);
            CopyOrClear(finalCellGradient, _dc.Span(block));
        }

        if (inputGradient)
        {
            Buffers.Grow(ref _inputGradient, _time * _batch * InputSize);
        }
    }

    /// <summary>Worker <paramref name="worker"/>'s share of the prepared pass.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int worker, int workers)
    {
        var blocks = (Hidden + UnitBlock - 1) / UnitBlock;
        var start = Math.Min(Hidden, blocks * worker / workers * UnitBlock);
        var end = Math.Min(Hidden, blocks * (worker + 1) / workers * UnitBlock);
        var pool = WorkerPool.Shared;
        var (batchStart, batchEnd) = WorkerPool.EqualPart(_batch, worker, workers);
        var work = workers > 1 && SplitsRows(_batch)
            ? new Share(0, Hidden, batchStart, batchEnd, Synchronized: false)
            : new Share(start, end, 0, _batch, Synchronized: workers > 1);
        PackWeights(work, worker, workers, pool);
        if (_backward)
        {
            Backward(work, worker, workers, pool);
        }
        else
        {
            Forward(work, workers, pool);
        }
    }

    /// <summary>
    /// The worker's part of the repacks the pass needs (after an optimizer step, every pass has some): split by
    /// units, the panels whose first column is one of the worker's, so they are packed into the cache of the core
    /// that reads them every step; split by rows, an equal share of the panels. Then all workers meet, since a
    /// panel may hold columns of two workers. Packing W_ih and W_hh (4 × 256 × 320 floats) on one thread while
    /// the other waited was about a tenth of an Lstm stream training step on two threads.
    /// </summary>
    private void PackWeights(Share share, int worker, int workers, WorkerPool pool)
    {
        if (_backward ? !_packHhPlain : !(_packIh || _packHh))
        {
            return;
        }

        var width = UnitLoop.Best;
        if (_backward)
        {
            // dh = dA · W_hh: W_hh [G·H, H] as it is stored; the worker's columns are its units.
            foreach (var (first, end) in OwnPanels(_weightHhPlain.Panels, share, worker, workers))
            {
                _weightHhPlain.PackPanels(_weightHh.Data, Hidden, first, end);
            }
        }
        else
        {
            foreach (var (first, end) in OwnPanels(_weightIhT.Panels, share, worker, workers))
            {
                if (_packIh)
                {
                    _weightIhT.PackTransposedPanels(_weightIh.Data, InputSize, first, end, width);
                }

                if (_packHh)
                {
                    _weightHhT.PackTransposedPanels(_weightHh.Data, Hidden, first, end, width);
                }
            }
        }

        if (workers > 1)
        {
            pool.Barrier(workers);
        }
    }

    /// <summary>
    /// Runs of panels [first, end) that this worker packs, of a matrix whose columns are blocks of H (one per gate):
    /// split by rows, an equal share; split by units, the panels whose first column lies in one of its unit ranges.
    /// </summary>
    private PanelRuns OwnPanels(int panels, Share share, int worker, int workers) =>
        share.Synchronized
            ? new PanelRuns(panels, Hidden, share.Start, share.End)
            : new PanelRuns(WorkerPool.EqualPart(panels, worker, workers));

    /// <summary>
    /// What one worker computes in the time loop: units [Start, End) of batch rows [RowStart, RowEnd). Split by
    /// units, the workers meet once per step (<paramref name="Synchronized"/>); split by rows, each runs its own
    /// sequences through the whole loop alone.
    /// </summary>
    private readonly record struct Share(int Start, int End, int RowStart, int RowEnd, bool Synchronized)
    {
        public int Rows => RowEnd - RowStart;

        public bool HasWork => Start < End && RowStart < RowEnd;
    }

    /// <summary>Slots of c kept: backward reads c of every step; inference only the previous one (two slots, used in turn).</summary>
    private int CellSlots => _training ? _time + 1 : 2;

    /// <summary>Where the cell state of slot <paramref name="slot"/> lives: its own slot when training, one of two at inference.</summary>
    private int CellSlot(int slot) => _training ? slot : slot & 1;

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

    /// <summary>
    /// Columns [start, end) of each gate block of C = A · P (one call when they are all of them), from the right end
    /// when <paramref name="descending"/>: single-row step products alternate, so each step first reads the weight
    /// panels the step before read last, while they are still in L2 (see <see cref="Gemm.Multiply"/>).
    /// </summary>
    private void MultiplyGateColumns(ReadOnlySpan<float> a, int lda, int m, PackedMatrix p, Span<float> c, int start, int end, bool accumulate, bool descending = false)
    {
        var gh = Gates * Hidden;
        if (start == 0 && end == Hidden)
        {
            Gemm.Multiply(a, lda, m, p, 0, gh, c, gh, accumulate, descending);
            return;
        }

        Gemm.MultiplyBlocks(a, lda, m, p, start, end, Gates, Hidden, c, gh, accumulate, descending);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Forward(Share share, int workers, WorkerPool pool)
    {
        var (start, end, r0, r1) = (share.Start, share.End, share.RowStart, share.RowEnd);
        var rowCount = share.Rows;
        var hidden = Hidden;
        var gh = Gates * hidden;
        var time = _time;
        var batch = _batch;
        var block = batch * hidden;
        var gates = _gates.Span(_keptRows * gh);
        var states = _states.Span((time + 1) * block);
        var cells = HasCell ? _cells.Span(CellSlots * block) : default;
        var mask = _mask;
        var width = UnitLoop.Best;
        var recurrentMask = _recurrentMask;
        var dropped = recurrentMask is null ? default : _droppedStates.Span((time + 1) * block);

        var chunk = _chunk;
        var chunkFirst = 0;
        for (var s = 0; s < time; s++)
        {
            var t = Reverse ? time - 1 - s : s;
            var prevSlot = Reverse ? t + 1 : t;
            var slot = Reverse ? t : t + 1;
            var hPrev = states.Slice(prevSlot * block, block);
            var h = states.Slice(slot * block, block);
            if (s % chunk == 0 && share.HasWork)
            {
                // A = X · W_ihᵀ for the next chunk of steps, this worker's share, just before the steps read it.
                var steps = Math.Min(chunk, time - s);
                chunkFirst = Reverse ? t - steps + 1 : t;
                var first = _training ? chunkFirst : 0;
                if (rowCount == batch)
                {
                    MultiplyGateColumns(
                        _x.AsSpan(chunkFirst * batch * InputSize, steps * batch * InputSize), InputSize, steps * batch, _weightIhT,
                        gates.Slice(first * batch * gh, steps * batch * gh), start, end, accumulate: false);
                }
                else
                {
                    for (var k = 0; k < steps; k++)
                    {
                        MultiplyGateColumns(
                            _x.AsSpan((((chunkFirst + k) * batch) + r0) * InputSize, rowCount * InputSize), InputSize, rowCount, _weightIhT,
                            gates.Slice((((first + k) * batch) + r0) * gh, rowCount * gh), start, end, accumulate: false);
                    }
                }
            }

            var gateStep = _training ? t : t - chunkFirst;
            var stepGates = gates.Slice(((gateStep * batch) + r0) * gh, rowCount * gh);
            var hPrevRows = hPrev.Slice(r0 * hidden, rowCount * hidden);
            var hRows = h.Slice(r0 * hidden, rowCount * hidden);

            // What the recurrent product reads: h_{t-1}, or m ⊙ h_{t-1} under recurrent dropout.
            var productRows = recurrentMask is null ? hPrevRows : dropped.Slice((prevSlot * block) + (r0 * hidden), rowCount * hidden);
            Span<float> stepHidden = default;
            if (share.HasWork)
            {
                var descending = rowCount == 1 && (s & 1) == 1;
                if (SplitsHiddenPart)
                {
                    stepHidden = _hiddenPart.Slice(((gateStep * batch) + r0) * gh, rowCount * gh);
                    MultiplyGateColumns(productRows, hidden, rowCount, _weightHhT, stepHidden, start, end, accumulate: false, descending);
                }
                else
                {
                    MultiplyGateColumns(productRows, hidden, rowCount, _weightHhT, stepGates, start, end, accumulate: true, descending);
                }

                switch (_kind)
                {
                    case CellKind.Lstm:
                        LstmGates.Forward(
                            stepGates, _bias, cells.Slice((CellSlot(prevSlot) * block) + (r0 * hidden), rowCount * hidden), cells.Slice((CellSlot(slot) * block) + (r0 * hidden), rowCount * hidden), hRows,
                            rowCount, hidden, start, end, _training, width);
                        break;
                    case CellKind.Gru:
                        GruGates.Forward(stepGates, stepHidden, _bias, _biasHidden, hPrevRows, hRows, rowCount, hidden, start, end, _training, width);
                        break;
                    default:
                        SimpleRnnGates.Forward(stepGates, _bias, hRows, rowCount, hidden, _kind == CellKind.RnnRelu, start, end, width);
                        break;
                }

                if (mask is not null)
                {
                    for (var b = r0; b < r1; b++)
                    {
                        if (mask[(t * batch) + b] == 0)
                        {
                            var units = (b * hidden) + start;
                            hPrev.Slice(units, end - start).CopyTo(h.Slice(units, end - start));
                            if (HasCell)
                            {
                                cells.Slice((CellSlot(prevSlot) * block) + units, end - start).CopyTo(cells.Slice((CellSlot(slot) * block) + units, end - start));
                            }
                        }
                    }
                }

                if (recurrentMask is not null)
                {
                    // m ⊙ h_t for the worker's units, which the next step's product reads after the barrier.
                    for (var b = r0; b < r1; b++)
                    {
                        var units = (b * hidden) + start;
                        TensorPrimitives.Multiply(h.Slice(units, end - start), recurrentMask.AsSpan(units, end - start), dropped.Slice((slot * block) + units, end - start));
                    }
                }
            }

            // The next step's GEMM reads every unit of h_t (split by rows, only the worker's own).
            if (share.Synchronized)
            {
                pool.Barrier(workers);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Backward(Share share, int worker, int workers, WorkerPool pool)
    {
        var (start, end, r0, r1) = (share.Start, share.End, share.RowStart, share.RowEnd);
        var hidden = Hidden;
        var gh = Gates * hidden;
        var time = _time;
        var batch = _batch;
        var rows = time * batch;
        var block = batch * hidden;
        var gates = _gates.Span(rows * gh);
        var states = _states.Span((time + 1) * block);
        var cells = HasCell ? _cells.Span((time + 1) * block) : default;
        var dh = _dh.Span(block);
        var dc = HasCell ? _dc.Span(block) : default;
        var hiddenGradients = SplitsHiddenPart ? _hiddenPart.Span(rows * gh) : gates;
        var mask = _mask;
        var outputGradient = _outputGradient;
        var width = UnitLoop.Best;
        var recurrentMask = _recurrentMask;
        for (var s = time - 1; s >= 0; s--)
        {
            var t = Reverse ? time - 1 - s : s;
            var prevSlot = Reverse ? t + 1 : t;
            var slot = Reverse ? t : t + 1;
            var stepGates = gates.Slice(t * batch * gh, batch * gh);
            var stepHidden = hiddenGradients.Slice(t * batch * gh, batch * gh);
            for (var b = r0; b < r1 && start < end; b++)
            {
                var row = stepGates.Slice(b * gh, gh);
                if (mask is not null && mask[(t * batch) + b] == 0)
                {
                    // The state was carried over: its gradient passes to the previous step untouched.
                    for (var g = 0; g < Gates; g++)
                    {
                        row.Slice((g * hidden) + start, end - start).Clear();
                        if (SplitsHiddenPart)
                        {
                            stepHidden.Slice((b * gh) + (g * hidden) + start, end - start).Clear();
                        }
                    }

                    continue;
                }

                var dOut = outputGradient is null ? default : outputGradient.AsSpan((((t * batch) + b) * _outputStride) + _outputOffset, hidden);
                var dhRow = dh.Slice(b * hidden, hidden);
                switch (_kind)
                {
                    case CellKind.Lstm:
                        LstmGates.Backward(
                            row, cells.Slice((slot * block) + (b * hidden), hidden), cells.Slice((prevSlot * block) + (b * hidden), hidden),
                            dOut, dhRow, dc.Slice(b * hidden, hidden), hidden, start, end, width);
                        break;
                    case CellKind.Gru:
                        GruGates.Backward(
                            row, stepHidden.Slice(b * gh, gh), states.Slice((prevSlot * block) + (b * hidden), hidden),
                            dOut, dhRow, hidden, start, end, width);
                        break;
                    default:
                        SimpleRnnGates.Backward(row, states.Slice((slot * block) + (b * hidden), hidden), dOut, dhRow, _kind == CellKind.RnnRelu, start, end, width);
                        break;
                }
            }

            // dh_{t-1} += dA_t · W_hh reads every gate column of dA_t (split by rows, the worker's own rows).
            if (share.Synchronized)
            {
                pool.Barrier(workers);
            }

            if (share.HasWork)
            {
                var descending = share.Rows == 1 && (s & 1) == 1;
                if (recurrentMask is null)
                {
                    Gemm.Multiply(stepHidden.Slice(r0 * gh, share.Rows * gh), gh, share.Rows, _weightHhPlain, start, end, dh.Slice(r0 * hidden, share.Rows * hidden), hidden, accumulate: true, descending);
                }
                else
                {
                    // The product reached h_{t-1} through m ⊙ h_{t-1}: dh_{t-1} += m ⊙ (dA_t · W_hh).
                    var product = _dhProduct.Span(block);
                    Gemm.Multiply(stepHidden.Slice(r0 * gh, share.Rows * gh), gh, share.Rows, _weightHhPlain, start, end, product.Slice(r0 * hidden, share.Rows * hidden), hidden, accumulate: false, descending);
                    for (var b = r0; b < r1; b++)
                    {
                        var units = (b * hidden) + start;
                        var dhUnits = dh.Slice(units, end - start);
                        var productUnits = product.Slice(units, end - start);

                        // Two correctly rounded operations, not a fused multiply-add: the bits must not depend on which
                        // lanes of which vector width (or the scalar tail) an element falls in, which the split decides.
                        TensorPrimitives.Multiply(productUnits, recurrentMask.AsSpan(units, end - start), productUnits);
                        TensorPrimitives.Add(dhUnits, productUnits, dhUnits);
                    }
                }
            }
        }

        // The weight gradients and the input gradient read every row and column of dA: wait for the other workers.
        pool.Barrier(workers);

        // The weight gradients: an equal share of the gate rows of dW per worker (cut at multiples of 16), whatever
        // the loop's split, one product per weight: the rows are contiguous and B (X or H_prev) is packed once per
        // worker. (Gate by gate, each of a worker's unit blocks, packed B once per gate: 4 MB more per worker for
        // an LSTM with batch 64, 128 units, 100 steps.) Each element sums over all T·B rows in order.
        var previousStates = (recurrentMask is null ? states : _droppedStates.Span((time + 1) * block)).Slice(Reverse ? block : 0, rows * hidden);
        var (first, rowsEnd) = WorkerPool.EqualPart(gh, worker, workers, UnitBlock);
        var count = rowsEnd - first;
        if (count > 0 && _wantWeightGradients)
        {
            Gemm.MultiplyAtB(gates[first..], gh, _x.AsSpan(0, rows * InputSize), InputSize, _weightIh.Grad.AsSpan(first * InputSize, count * InputSize), InputSize, count, InputSize, rows, accumulate: true);
            Gemm.MultiplyAtB(hiddenGradients[first..], gh, previousStates, hidden, _weightHh.Grad.AsSpan(first * hidden, count * hidden), hidden, count, hidden, rows, accumulate: true);
            if (_biasIh is not null && _biasHh is not null)
            {
                AddColumnSums(gates, rows, gh, first, count, _biasIh.Grad);
                AddColumnSums(hiddenGradients, rows, gh, first, count, _biasHh.Grad);
            }
        }

        if (_wantInputGradient)
        {
            // dX = dA · W_ih: a share of the rows.
            var (rowStart, rowEnd) = WorkerPool.EqualPart(rows, worker, workers);
            Gemm.MultiplyAB(
                gates.Slice(rowStart * gh, (rowEnd - rowStart) * gh), gh, _weightIh.Data, InputSize,
                _inputGradient.AsSpan(rowStart * InputSize, (rowEnd - rowStart) * InputSize), InputSize, rowEnd - rowStart, InputSize, gh, accumulate: false);
        }
    }

    /// <summary>sums[first..first+count) += Σ over rows of matrix[row, first..first+count), row by row in order.</summary>
    private static void AddColumnSums(ReadOnlySpan<float> matrix, int rows, int columns, int first, int count, Span<float> sums)
    {
        var target = sums.Slice(first, count);
        for (var r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(target, matrix.Slice((r * columns) + first, count), target);
        }
    }

    private void RefreshWeights()
    {
        // Sized here, packed by the workers (PackWeights).
        var gh = Gates * Hidden;
        _packIh = _weightIhVersion != _weightIh.Version;
        if (_packIh)
        {
            _weightIhT.Shape(InputSize, gh);
            _weightIhVersion = _weightIh.Version;
        }

        _packHh = _weightHhVersion != _weightHh.Version;
        if (_packHh)
        {
            _weightHhT.Shape(Hidden, gh);
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
                    TensorPrimitives.Add(_biasIh.Data, _biasHh.Data, _bias);
                }
            }

            _biasIhVersion = biasIhVersion;
            _biasHhVersion = biasHhVersion;
        }
    }

    private void RefreshBackwardWeights()
    {
        _packHhPlain = _weightHhPlainVersion != _weightHh.Version;
        if (_packHhPlain)
        {
            _weightHhPlain.Shape(Gates * Hidden, Hidden);
            _weightHhPlainVersion = _weightHh.Version;
        }
    }

    /// <summary>
    /// Runs of consecutive panels (32 columns each), enumerated without allocating: either one range, or the panels
    /// whose first column j has <c>j mod H</c> in [start, end) (blocks of H columns, one per gate), merged into runs.
    /// </summary>
    private struct PanelRuns
    {
        private readonly int _panels;
        private readonly int _hidden;
        private readonly int _start;
        private readonly int _end;
        private readonly bool _single;
        private int _next;

        public PanelRuns((int First, int End) range)
        {
            (_single, _next, _panels) = (true, range.First, range.End);
            (_hidden, _start, _end) = (0, 0, 0);
        }

        public PanelRuns(int panels, int hidden, int start, int end)
        {
            (_single, _next, _panels) = (false, 0, panels);
            (_hidden, _start, _end) = (hidden, start, end);
        }

        public (int First, int End) Current { get; private set; }

        public readonly PanelRuns GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_single)
            {
                Current = (_next, _panels);
                var any = _next < _panels;
                _next = _panels;
                return any;
            }

            while (_next < _panels && !Owns(_next))
            {
                _next++;
            }

            if (_next == _panels)
            {
                return false;
            }

            var first = _next;
            while (_next < _panels && Owns(_next))
            {
                _next++;
            }

            Current = (first, _next);
            return true;
        }

        private readonly bool Owns(int panel)
        {
            var unit = panel * GemmKernel.PanelWidth % _hidden;
            return _start <= unit && unit < _end;
        }
    }
}
