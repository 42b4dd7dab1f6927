using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Rnn.Initializers;
using Rnn.Kernels;

namespace Rnn.Layers;

/// <summary>
/// The common base of <see cref="SimpleRnn"/>, <see cref="Lstm"/> and <see cref="Gru"/>: a stack of
/// <see cref="NumLayers"/> recurrent layers, each optionally bidirectional, run over inputs of shape
/// [batch, time, features] with PyTorch's math, gate order and weight names.
/// </summary>
/// <remarks>
/// <para>
/// Parameters, for layer k and direction suffix s (empty, or <c>_reverse</c> for the backward direction of
/// a bidirectional layer), G gates and H = <see cref="Units"/>:
/// <c>weight_ih_l{k}{s}</c> [G·H, in_k], <c>weight_hh_l{k}{s}</c> [G·H, H], <c>bias_ih_l{k}{s}</c> [G·H] and
/// <c>bias_hh_l{k}{s}</c> [G·H] (when <see cref="UseBias"/>), where in_0 is the input feature count and
/// in_k = H · directions for k &gt; 0. The order is PyTorch's <c>named_parameters()</c> order.
/// </para>
/// <para>
/// Between stacked layers, during training only, <see cref="Dropout"/> zeroes each output with that
/// probability and scales the others by 1 / (1 - p), as PyTorch does.
/// </para>
/// <para>
/// <see cref="InputDropout"/> (Keras's <c>dropout</c>) drops features of the layer's input during training: one mask m
/// [batch, features] per forward pass, zeros with probability p and 1 / (1 - p) elsewhere, the same at every step.
/// </para>
/// <para>
/// A <see cref="Stateful"/> layer (Keras's <c>stateful=True</c>) starts each batch from the final states of the batch before
/// (sequence i from sequence i), for sequences too long for one batch that arrive in consecutive chunks; gradients stop at
/// the chunk's start (truncated backpropagation through time). <see cref="ResetStates"/> starts over from zeros.
/// </para>
/// <para>
/// <see cref="RecurrentDropout"/> (Keras's <c>recurrent_dropout</c>, variational dropout of Gal and Ghahramani, 2016)
/// drops units of the state where it enters the recurrent weights, during training only: each layer and direction draws
/// one mask m [batch, H] per forward pass, zeros with probability p and 1 / (1 - p) elsewhere, the same at every step,
/// and the step computes <c>W_hh (m ⊙ h_{t-1})</c> in place of <c>W_hh h_{t-1}</c>. The state itself is not dropped:
/// the Lstm's cell update and the Gru's <c>z ⊙ h_{t-1}</c> use h_{t-1} unchanged, as in Keras's GRUCell with
/// <c>implementation=1</c>.
/// </para>
/// <para>
/// Output: the top layer's outputs, [batch, time, W] when returning sequences, else the last processed step's,
/// [batch, W]. One direction: W = H. Two: the forward output y_f and the reverse output y_r (aligned in time)
/// combined by <see cref="MergeMode"/> (Keras's <c>Bidirectional(merge_mode=...)</c>): Concat y = [y_f, y_r],
/// W = 2H; Sum y = y_f + y_r, Average y = (y_f + y_r) / 2 and Multiply y = y_f ⊙ y_r, W = H. Backward splits
/// dL/dy between the directions accordingly: dL/dy_f = dL/dy_r = dL/dy (Sum), dL/dy / 2 (Average), and
/// dL/dy_f = dL/dy ⊙ y_r, dL/dy_r = dL/dy ⊙ y_f (Multiply). Padded steps give zeros in each direction, so
/// a merged output is zero there too.
/// </para>
/// </remarks>
public abstract class Recurrent : Layer
{
    private readonly CellKind _kind;
    private readonly DirectionsJob _directionsJob;
    private readonly LayoutJob _layoutJob = new();

    // One per call site of the layout job: each times its own copies.
    private readonly WorkerTuner _inputLayoutTuner = new();
    private readonly WorkerTuner _outputLayoutTuner = new();
    private readonly WorkerTuner _outputGradientLayoutTuner = new();
    private readonly WorkerTuner _inputGradientLayoutTuner = new();
    private RandomSource _dropoutRandom = new(0);
    private RecurrentScan[] _scans = [];
    private WorkerTuner[] _directionTuners = [];

    // Buffers reused across calls (time-major, row t·B + b).
    private float[] _x = [];
    private float[][] _layerOutputs = [];
    private float[][] _dropoutMasks = [];
    private float[][] _recurrentMasks = [];
    private float[] _inputMask = [];
    private float[] _carriedHidden = [];
    private float[] _carriedCell = [];
    private int _carriedBatch;
    private byte[] _mask = [];
    private float[] _topGradient = [];
    private float[] _gradientA = [];
    private float[] _gradientB = [];
    private float[] _finalGradient = [];
    private float[] _mergeGradient = [];

    // What the last training forward pass saw; null when backward is not possible.
    private ForwardRecord? _record;
    private readonly ForwardRecord _recordStorage = new();

    private protected Recurrent(
        CellKind kind, int units, bool returnSequences, bool returnState, bool goBackwards, bool bidirectional, BidirectionalMerge mergeMode, int numLayers,
        float dropout, float recurrentDropout, float inputDropout, bool useBias, WeightInitialization initialization, (int? Time, int Features)? inputShape, int? seed, string? name, string defaultName,
        bool stateful)
        : base(name, defaultName, DeclaredShape(inputShape, name ?? defaultName), seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(units, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(numLayers, 1);
        CheckRate(dropout, nameof(dropout));
        CheckRate(inputDropout, nameof(inputDropout));
        if (dropout > 0f && numLayers == 1)
        {
            throw new ArgumentException(
                $"Layer '{Name}' has dropout {dropout.ToString(CultureInfo.InvariantCulture)} but numLayers 1: dropout (PyTorch's) acts between stacked layers, so it would do nothing here. "
                + "For Keras's dropout on the layer's inputs use inputDropout; on its state, recurrentDropout.",
                nameof(dropout));
        }

        CheckRate(recurrentDropout, nameof(recurrentDropout));

        if (!Enum.IsDefined(initialization))
        {
            throw new ArgumentOutOfRangeException(nameof(initialization), initialization, $"Layer '{Name}': unknown initialization.");
        }

        if (!Enum.IsDefined(mergeMode))
        {
            throw new ArgumentOutOfRangeException(nameof(mergeMode), mergeMode, $"Layer '{Name}': unknown merge mode; expected one of {string.Join(", ", Enum.GetNames<BidirectionalMerge>())}.");
        }

        if (stateful && bidirectional)
        {
            throw new ArgumentException(
                $"Layer '{Name}' is stateful and bidirectional, but its reverse direction reads each chunk from its end, so no state can carry over from the chunk before; make it one-directional or not stateful.",
                nameof(stateful));
        }

        if (mergeMode != BidirectionalMerge.Concat && !bidirectional)
        {
            throw new ArgumentException(
                $"Layer '{Name}' has mergeMode {mergeMode}, which combines the two directions of a bidirectional layer, so it expects bidirectional: true but received bidirectional: false; use BidirectionalMerge.Concat (the default) for one direction.",
                nameof(mergeMode));
        }

        _directionsJob = new DirectionsJob(this);
        _kind = kind;
        Units = units;
        ReturnSequences = returnSequences;
        ReturnState = returnState;
        GoBackwards = goBackwards;
        Bidirectional = bidirectional;
        MergeMode = mergeMode;
        NumLayers = numLayers;
        Dropout = dropout;
        RecurrentDropout = recurrentDropout;
        InputDropout = inputDropout;
        Stateful = stateful;
        UseBias = useBias;
        Initialization = initialization;
    }

    /// <summary>Throws unless the dropout probability <paramref name="rate"/> is in [0, 1).</summary>
    private void CheckRate(float rate, string name)
    {
        if (!(rate >= 0f && rate < 1f))
        {
            throw new ArgumentOutOfRangeException(name, rate, $"Layer '{Name}': {name} must be in [0, 1) but was {rate.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    /// <summary>H, the number of hidden units of each direction of each layer.</summary>
    public int Units { get; }

    /// <summary>Whether the output has every step ([batch, time, <see cref="OutputFeatures"/>]) or only the last ([batch, <see cref="OutputFeatures"/>]).</summary>
    public bool ReturnSequences { get; }

    /// <summary>Whether <see cref="Forward(Tensor{float}, Tensor{float}?, Tensor{float}?, Tensor{bool}?, bool)"/> returns the final states, and <see cref="Backward(Tensor{float}, Tensor{float}?, Tensor{float}?)"/> accepts their gradients.</summary>
    public bool ReturnState { get; }

    /// <summary>
    /// Processes the sequence from its last step to its first, and returns the output sequence in that
    /// (reversed) order, as Keras's <c>go_backwards</c> does: the same as running on the time-reversed input
    /// (with a mask, the time-reversed mask).
    /// </summary>
    public bool GoBackwards { get; }

    /// <summary>
    /// Whether each layer also runs a second direction over the reversed sequence. Between stacked layers its outputs
    /// are concatenated after the first's; the layer's output combines them by <see cref="MergeMode"/>.
    /// </summary>
    public bool Bidirectional { get; }

    /// <summary>
    /// How a bidirectional layer's output combines its two directions (Keras's <c>merge_mode</c>): concatenated
    /// (the default, 2H features), or summed, averaged or multiplied element-wise (H features). Always
    /// <see cref="BidirectionalMerge.Concat"/> for one direction. Final states are per direction whatever the mode.
    /// </summary>
    public BidirectionalMerge MergeMode { get; }

    /// <summary>1 or 2.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>The output's feature count: H · directions when concatenating, H when the directions are summed, averaged or multiplied.</summary>
    public int OutputFeatures => MergeMode == BidirectionalMerge.Concat ? Units * Directions : Units;

    /// <summary>Number of stacked layers (PyTorch's <c>num_layers</c>).</summary>
    public int NumLayers { get; }

    /// <summary>Dropout probability on the outputs of every layer but the last, during training.</summary>
    public float Dropout { get; }

    /// <summary>
    /// Dropout probability on the layer's input features during training (Keras's <c>dropout</c>): one mask per sequence
    /// and feature, the same at every step (see the remarks of <see cref="Recurrent"/>).
    /// </summary>
    public float InputDropout { get; }

    /// <summary>
    /// Dropout probability on the state where it enters the recurrent weights, during training: one mask per layer,
    /// direction and forward pass, the same at every step (Keras's <c>recurrent_dropout</c>; see the remarks of <see cref="Recurrent"/>).
    /// </summary>
    public float RecurrentDropout { get; }

    /// <summary>
    /// Whether each batch starts from the final states of the batch before (Keras's <c>stateful</c>), in Forward, Fit,
    /// Evaluate and Predict alike; initial states given explicitly take precedence and leave the carried ones alone. Every
    /// batch must then have the same number of sequences until <see cref="ResetStates"/>. Model files keep the option, not
    /// the carried states (as Keras).
    /// </summary>
    public bool Stateful { get; }

    /// <summary>Whether the layers have the two bias vectors.</summary>
    public bool UseBias { get; }

    /// <summary>How the weights are initialized when the layer is built.</summary>
    public WeightInitialization Initialization { get; }

    /// <summary>The cell kind, for the engine and serialization.</summary>
    internal CellKind Kind => _kind;

    internal override bool BehavesDifferentlyInTraining => DropsBetweenLayers || RecurrentDropout > 0f || InputDropout > 0f;

    private bool DropsBetweenLayers => Dropout > 0f && NumLayers > 1;

    internal override RandomSource? TrainingRandom => IsBuilt ? _dropoutRandom : null;

    /// <summary>Number of input features, once built.</summary>
    public int InputFeatures => IsBuilt ? InputShape![1] : throw new InvalidOperationException($"Layer '{Name}' is not built yet: its input feature count is not known.");

    /// <summary>The parameter called <paramref name="name"/> (for example <c>weight_hh_l0_reverse</c>).</summary>
    /// <param name="name">A PyTorch parameter name.</param>
    /// <returns>The parameter.</returns>
    /// <exception cref="KeyNotFoundException">No parameter has that name.</exception>
    public Parameter GetParameter(string name)
        => Parameters.FirstOrDefault(p => p.Name == name)
           ?? throw new KeyNotFoundException($"Layer '{Name}' has no parameter '{name}'; it has {string.Join(", ", Parameters.Select(p => p.Name))}.");

    /// <summary>
    /// Runs the layer over a batch of sequences, optionally from given initial states and with a padding mask.
    /// </summary>
    /// <param name="input">[batch, time, features].</param>
    /// <param name="initialHidden">h0, [numLayers · directions, batch, units] (PyTorch's layout), or null for zeros.</param>
    /// <param name="initialCell">c0 for Lstm, same shape, or null for zeros; must be null for other layers.</param>
    /// <param name="mask">
    /// [batch, time], false where a step is padding, or null when every step is real. At a masked step the state is
    /// carried over unchanged and a returned sequence holds zeros, so each sample's final state (and output when not
    /// returning sequences) is its own last real step's, as with PyTorch's packed sequences and Keras's masking.
    /// </param>
    /// <param name="training">Keep what backward needs, and apply dropout between layers.</param>
    /// <returns>The output and, when <see cref="ReturnState"/>, the final states.</returns>
    /// <exception cref="ArgumentException">A shape does not match what the layer expects.</exception>
    public RecurrentOutput Forward(Tensor<float> input, Tensor<float>? initialHidden, Tensor<float>? initialCell = null, Tensor<bool>? mask = null, bool training = false)
    {
        PrepareForward(input);
        var batch = (int)input.Lengths[0];
        var time = (int)input.Lengths[1];
        int[] stateShape = [NumLayers * Directions, batch, Units];
        if (initialHidden is not null)
        {
            CheckShape(initialHidden, stateShape, "initial hidden state", $"[numLayers · directions, batch, units] for input shape {input.ShapeString()}");
        }

        if (initialCell is not null)
        {
            if (_kind != CellKind.Lstm)
            {
                throw new ArgumentException($"Layer '{Name}' has no cell state, but an initial cell state was given.", nameof(initialCell));
            }

            CheckShape(initialCell, stateShape, "initial cell state", $"[numLayers · directions, batch, units] for input shape {input.ShapeString()}");
        }

        var maskBytes = StepMaskOf(input, mask);

        var output = TensorExtensions.Zeros(OutputShapeFor(input));
        var finalHidden = ReturnState ? TensorExtensions.Zeros(stateShape) : null;
        var finalCell = ReturnState && _kind == CellKind.Lstm ? TensorExtensions.Zeros(stateShape) : null;
        Run(
            input,
            initialHidden is null ? default : initialHidden.AsFlatSpan(),
            initialCell is null ? default : initialCell.AsFlatSpan(),
            maskBytes,
            training,
            output.AsFlatSpan(),
            finalHidden is null ? default : finalHidden.AsFlatSpan(),
            finalCell is null ? default : finalCell.AsFlatSpan());
        return new RecurrentOutput(output, finalHidden, finalCell);
    }

    /// <summary>
    /// Backpropagates through the last training forward pass: returns the gradients of the input and of the
    /// initial states that were given, and adds every parameter's gradient to <see cref="Parameter.Gradient"/>.
    /// </summary>
    /// <param name="outputGradient">dL/doutput, the shape of the last output; null when the loss does not depend on the output (an encoder whose final states alone feed a decoder).</param>
    /// <param name="finalHiddenGradient">dL/dh_n, [numLayers · directions, batch, units], or null; only when <see cref="ReturnState"/>.</param>
    /// <param name="finalCellGradient">dL/dc_n for Lstm, same shape, or null; only when <see cref="ReturnState"/>.</param>
    /// <returns>dL/dinput and, where initial states were given, dL/dh0 and dL/dc0.</returns>
    /// <exception cref="InvalidOperationException">There was no training forward pass to backpropagate through.</exception>
    /// <exception cref="ArgumentException">A shape does not match the last forward pass.</exception>
    public RecurrentGradients Backward(Tensor<float>? outputGradient, Tensor<float>? finalHiddenGradient, Tensor<float>? finalCellGradient = null)
    {
        var record = _record ?? throw NoTrainingForward();
        int[] inputShape = [record.Batch, record.Time, InputFeatures];
        if (outputGradient is not null)
        {
            CheckBackward(outputGradient);
        }
        else if (finalHiddenGradient is null && finalCellGradient is null)
        {
            throw new ArgumentException($"Layer '{Name}' received no gradient at all: give the output gradient, a final-state gradient, or both.", nameof(outputGradient));
        }

        if ((finalHiddenGradient is not null || finalCellGradient is not null) && !ReturnState)
        {
            throw new ArgumentException(
                $"Layer '{Name}' received a final-state gradient but does not return its state; create it with returnState: true to backpropagate from h_n/c_n.");
        }

        int[] stateShape = [NumLayers * Directions, record.Batch, Units];
        if (finalHiddenGradient is not null)
        {
            CheckShape(finalHiddenGradient, stateShape, "final hidden state gradient", "h_n");
        }

        if (finalCellGradient is not null)
        {
            if (_kind != CellKind.Lstm)
            {
                throw new ArgumentException($"Layer '{Name}' has no cell state, but a final cell state gradient was given.", nameof(finalCellGradient));
            }

            CheckShape(finalCellGradient, stateShape, "final cell state gradient", "c_n");
        }

        var dInput = TensorExtensions.Zeros(inputShape);
        var dh0 = record.HasInitialHidden ? TensorExtensions.Zeros(stateShape) : null;
        var dc0 = record.HasInitialCell ? TensorExtensions.Zeros(stateShape) : null;
        BackwardRun(
            outputGradient is null ? default : outputGradient.AsFlatSpan(),
            finalHiddenGradient is null ? default : finalHiddenGradient.AsFlatSpan(),
            finalCellGradient is null ? default : finalCellGradient.AsFlatSpan(),
            dInput.AsFlatSpan(),
            dh0 is null ? default : dh0.AsFlatSpan(),
            dc0 is null ? default : dc0.AsFlatSpan());
        return new RecurrentGradients(dInput, dh0, dc0);
    }

    /// <summary>Forgets the carried states of a <see cref="Stateful"/> layer: the next batch starts from zeros, with any number of sequences.</summary>
    public void ResetStates() => _carriedBatch = 0;

    /// <summary>The dropout mask (0 or 1 / (1 - p)) applied to layer <paramref name="layer"/>'s output in the last training pass, time-major [T·B, width]; for tests.</summary>
    internal ReadOnlySpan<float> DropoutMask(int layer, int length) => _dropoutMasks[layer].AsSpan(0, length);

    /// <summary>The input dropout mask [B, F] of the last training pass; for tests.</summary>
    internal ReadOnlySpan<float> InputDropoutMask(int length) => _inputMask.AsSpan(0, length);

    /// <summary>The recurrent dropout mask [B, H] of layer · directions + direction in the last training pass; for tests.</summary>
    internal ReadOnlySpan<float> RecurrentDropoutMask(int index, int length) => _recurrentMasks[index].AsSpan(0, length);

    internal override void ForwardCore(Tensor<float> input, Tensor<float> output, ReadOnlySpan<byte> mask, bool training)
        => Run(input, default, default, mask, training, output.AsFlatSpan(), default, default);

    internal override int[] CheckBackward(Tensor<float> outputGradient)
    {
        var record = _record ?? throw NoTrainingForward();
        var width = OutputFeatures;
        int[] expected = ReturnSequences ? [record.Batch, record.Time, width] : [record.Batch, width];
        CheckShape(outputGradient, expected, "output gradient", "the output of the last Forward");
        return [record.Batch, record.Time, InputFeatures];
    }

    internal override void BackwardCore(Tensor<float> outputGradient, Tensor<float>? inputGradient)
        => BackwardRun(outputGradient.AsFlatSpan(), default, default, inputGradient is null ? default : inputGradient.AsFlatSpan(), default, default);

    internal override bool PropagatesMask(int outputRank) => ReturnSequences;

    internal override bool ReversesTime => GoBackwards && ReturnSequences;

    /// <summary>
    /// The forward pass on validated arguments, writing the output (and final states when their spans are not
    /// empty) into the given spans.
    /// </summary>
    /// <param name="input">[B, T, F], validated.</param>
    /// <param name="h0">[L·D, B, H] or empty.</param>
    /// <param name="c0">[L·D, B, H] or empty.</param>
    /// <param name="mask">[B, T] or empty.</param>
    /// <param name="training">Keep what backward needs.</param>
    /// <param name="output">[B, T, W] or [B, W], W = <see cref="OutputFeatures"/>.</param>
    /// <param name="finalHidden">[L·D, B, H] or empty.</param>
    /// <param name="finalCell">[L·D, B, H] or empty.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void Run(Tensor<float> input, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, ReadOnlySpan<byte> mask, bool training, Span<float> output, Span<float> finalHidden, Span<float> finalCell)
    {
        var batch = (int)input.Lengths[0];
        var time = (int)input.Lengths[1];
        var features = (int)input.Lengths[2];
        var hidden = Units;
        var directions = Directions;
        var width = hidden * directions;
        var rows = time * batch;
        var block = batch * hidden;
        var carried = Stateful && h0.IsEmpty && c0.IsEmpty;
        if (carried && _carriedBatch > 0)
        {
            CheckCarriedBatch(batch);
            h0 = _carriedHidden.AsSpan(0, NumLayers * block);
            c0 = _kind == CellKind.Lstm ? _carriedCell.AsSpan(0, NumLayers * block) : default;
        }

        _record = null;
        Buffers.Grow(ref _x, rows * features);
        _layoutJob.ToTimeMajor(_inputLayoutTuner, input.AsFlatSpan(), batch, time, features, GoBackwards, _x.AsSpan(0, rows * features));
        var applyInputDropout = training && InputDropout > 0f;
        if (applyInputDropout)
        {
            // One mask per sequence and feature, applied to every step (rows t·B + b).
            Buffers.Grow(ref _inputMask, batch * features);
            FillDropoutMask(_inputMask.AsSpan(0, batch * features), InputDropout);
            MultiplyEveryStep(_x.AsSpan(0, rows * features), _inputMask.AsSpan(0, batch * features));
        }

        ReadOnlySpan<byte> timeMask = default;
        if (!mask.IsEmpty)
        {
            Buffers.Grow(ref _mask, rows);
            for (var b = 0; b < batch; b++)
            {
                for (var t = 0; t < time; t++)
                {
                    _mask[(t * batch) + b] = mask[(b * time) + (GoBackwards ? time - 1 - t : t)];
                }
            }

            timeMask = _mask.AsSpan(0, rows);
        }

        var applyDropout = training && DropsBetweenLayers;
        var applyRecurrentDropout = training && RecurrentDropout > 0f;
        var maskArray = mask.IsEmpty ? null : _mask;
        for (var layer = 0; layer < NumLayers; layer++)
        {
            var layerInput = layer == 0 ? _x : _layerOutputs[layer - 1];
            for (var d = 0; d < directions; d++)
            {
                var index = (layer * directions) + d;
                float[]? recurrentMask = null;
                if (applyRecurrentDropout)
                {
                    recurrentMask = _recurrentMasks[index];
                    Buffers.Grow(ref recurrentMask, block);
                    _recurrentMasks[index] = recurrentMask;
                    FillDropoutMask(recurrentMask.AsSpan(0, block), RecurrentDropout);
                }

                _scans[index].PrepareForward(
                    layerInput, time, batch,
                    h0.IsEmpty ? default : h0.Slice(index * block, block),
                    c0.IsEmpty ? default : c0.Slice(index * block, block),
                    maskArray, training, recurrentMask);
            }

            RunLayer(layer, batch);
            if (layer < NumLayers - 1)
            {
                var layerOutput = _layerOutputs[layer];
                Buffers.Grow(ref layerOutput, rows * width);
                _layerOutputs[layer] = layerOutput;
                ConcatenateDirections(layer, rows, layerOutput.AsSpan(0, rows * width));
                if (applyDropout)
                {
                    var dropoutMask = _dropoutMasks[layer];
                    Buffers.Grow(ref dropoutMask, rows * width);
                    _dropoutMasks[layer] = dropoutMask;
                    FillDropoutMask(dropoutMask.AsSpan(0, rows * width), Dropout);
                    TensorPrimitives.Multiply(layerOutput.AsSpan(0, rows * width), dropoutMask.AsSpan(0, rows * width), layerOutput.AsSpan(0, rows * width));
                }
            }
        }

        var top = (NumLayers - 1) * directions;
        if (MergeMode != BidirectionalMerge.Concat)
        {
            MergeOutputs(timeMask, batch, time, output);
        }
        else if (ReturnSequences)
        {
            for (var d = 0; d < directions; d++)
            {
                _layoutJob.Outputs(_outputLayoutTuner, _scans[top + d].Outputs, timeMask, batch, time, hidden, width, d * hidden, output);
            }
        }
        else
        {
            for (var d = 0; d < directions; d++)
            {
                var final = _scans[top + d].FinalHidden;
                for (var b = 0; b < batch; b++)
                {
                    final.Slice(b * hidden, hidden).CopyTo(output.Slice((b * width) + (d * hidden), hidden));
                }
            }
        }

        CopyFinalStates(finalHidden, finalCell, block);

        if (training)
        {
            // One record object reused: a training step must not allocate.
            _recordStorage.Set(batch, time, !h0.IsEmpty, !c0.IsEmpty, !mask.IsEmpty, applyDropout, applyInputDropout);
            _record = _recordStorage;
        }

        if (carried)
        {
            // The scans copied h0 and c0 in; the carried states can now take the final ones.
            var length = NumLayers * block;
            Buffers.Grow(ref _carriedHidden, length);
            Buffers.Grow(ref _carriedCell, _kind == CellKind.Lstm ? length : 0);
            CopyFinalStates(_carriedHidden.AsSpan(0, length), _kind == CellKind.Lstm ? _carriedCell.AsSpan(0, length) : default, block);
            _carriedBatch = batch;
        }
    }

    /// <summary>Copies every scan's final h (and c) into [L·D, B, H] <paramref name="hidden"/> (and <paramref name="cell"/>), where not empty.</summary>
    private void CopyFinalStates(Span<float> hidden, Span<float> cell, int block)
    {
        for (var index = 0; index < _scans.Length; index++)
        {
            if (!hidden.IsEmpty)
            {
                _scans[index].FinalHidden.CopyTo(hidden.Slice(index * block, block));
            }

            if (!cell.IsEmpty)
            {
                _scans[index].FinalCell.CopyTo(cell.Slice(index * block, block));
            }
        }
    }

    /// <summary>Throws unless a stateful layer's next batch has as many sequences as the states it carries.</summary>
    /// <param name="batch">Sequences in the next batch.</param>
    internal void CheckCarriedBatch(int batch)
    {
        if (Stateful && _carriedBatch > 0 && batch != _carriedBatch)
        {
            throw new ArgumentException(
                $"Layer '{Name}' is stateful: it carries the states of {_carriedBatch} sequences from batch to batch, so the next batch must have {_carriedBatch} sequences, but it has {batch}; call ResetStates() to start over with another batch size.");
        }
    }

    /// <summary>The backward pass on validated arguments (see <see cref="Backward(Tensor{float}, Tensor{float}?, Tensor{float}?)"/>).</summary>
    /// <param name="dOutput">dL/doutput, the last output's shape ([B, T, W] or [B, W], W = <see cref="OutputFeatures"/>), or empty for zero.</param>
    /// <param name="finalHidden">dL/dh_n [L·D, B, H] or empty.</param>
    /// <param name="finalCell">dL/dc_n [L·D, B, H] or empty.</param>
    /// <param name="dInput">dL/dinput [B, T, F] (written), or empty when not needed.</param>
    /// <param name="dh0">dL/dh0 [L·D, B, H] (written) or empty.</param>
    /// <param name="dc0">dL/dc0 [L·D, B, H] (written) or empty.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void BackwardRun(ReadOnlySpan<float> dOutput, ReadOnlySpan<float> finalHidden, ReadOnlySpan<float> finalCell, Span<float> dInput, Span<float> dh0, Span<float> dc0)
    {
        var record = _record!;
        var batch = record.Batch;
        var time = record.Time;
        var hidden = Units;
        var directions = Directions;
        var width = hidden * directions;
        var rows = time * batch;
        var block = batch * hidden;
        var mask = record.HasMask ? _mask.AsSpan(0, rows) : default;
        var merged = MergeMode != BidirectionalMerge.Concat;
        float[]? layerOutputGradient = null;
        if (ReturnSequences && !dOutput.IsEmpty)
        {
            Buffers.Grow(ref _topGradient, rows * width);
            var topGradient = _topGradient.AsSpan(0, rows * width);
            layerOutputGradient = _topGradient;
            if (merged)
            {
                SplitMergedSequenceGradient(dOutput, batch, time, topGradient);
            }
            else
            {
                _layoutJob.ToTimeMajor(_outputGradientLayoutTuner, dOutput, batch, time, width, reverse: false, topGradient);
            }

            if (!mask.IsEmpty)
            {
                for (var r = 0; r < rows; r++)
                {
                    if (mask[r] == 0)
                    {
                        topGradient.Slice(r * width, width).Clear();
                    }
                }
            }
        }

        Buffers.Grow(ref _finalGradient, block);
        var finalGradient = _finalGradient.AsSpan(0, block);
        Buffers.Grow(ref _gradientA, rows * Math.Max(width, InputFeatures));
        Buffers.Grow(ref _gradientB, rows * Math.Max(width, InputFeatures));
        var swap = false;
        for (var layer = NumLayers - 1; layer >= 0; layer--)
        {
            var inputSize = layer == 0 ? InputFeatures : width;

            // The first layer's input gradient is computed only when the caller wants it.
            var inputGradientArray = swap ? _gradientB : _gradientA;
            var inputGradient = layer == 0 && dInput.IsEmpty ? default : inputGradientArray.AsSpan(0, rows * inputSize);
            for (var d = 0; d < directions; d++)
            {
                var index = (layer * directions) + d;
                var fromOutput = layer == NumLayers - 1 && !ReturnSequences && !dOutput.IsEmpty;
                var hasFinalHidden = !finalHidden.IsEmpty || fromOutput;
                if (hasFinalHidden)
                {
                    finalGradient.Clear();
                    if (!finalHidden.IsEmpty)
                    {
                        finalHidden.Slice(index * block, block).CopyTo(finalGradient);
                    }

                    if (fromOutput && merged)
                    {
                        AddMergedGradient(dOutput, d, batch, finalGradient);
                    }
                    else if (fromOutput)
                    {
                        for (var b = 0; b < batch; b++)
                        {
                            TensorPrimitives.Add(finalGradient.Slice(b * hidden, hidden), dOutput.Slice((b * width) + (d * hidden), hidden), finalGradient.Slice(b * hidden, hidden));
                        }
                    }
                }

                _scans[index].PrepareBackward(
                    layerOutputGradient,
                    d * hidden,
                    width,
                    hasFinalHidden ? finalGradient : default,
                    finalCell.IsEmpty ? default : finalCell.Slice(index * block, block),
                    inputGradient: layer > 0 || !dInput.IsEmpty,
                    weightGradients: Trainable);
            }

            RunLayer(layer, batch);
            for (var d = 0; d < directions; d++)
            {
                var index = (layer * directions) + d;
                var scan = _scans[index];
                if (!dh0.IsEmpty)
                {
                    scan.InitialHiddenGradient.CopyTo(dh0.Slice(index * block, block));
                }

                if (!dc0.IsEmpty)
                {
                    scan.InitialCellGradient.CopyTo(dc0.Slice(index * block, block));
                }
            }

            if (inputGradient.IsEmpty)
            {
                break;
            }

            // Sum the directions' input gradients in a fixed order (the same whatever ran them in parallel).
            _scans[layer * directions].InputGradient.CopyTo(inputGradient);
            for (var d = 1; d < directions; d++)
            {
                TensorPrimitives.Add(inputGradient, _scans[(layer * directions) + d].InputGradient, inputGradient);
            }

            if (layer > 0 && record.DropoutApplied)
            {
                TensorPrimitives.Multiply(inputGradient, _dropoutMasks[layer - 1].AsSpan(0, rows * width), inputGradient);
            }

            layerOutputGradient = inputGradientArray;
            swap = !swap;
        }

        if (!dInput.IsEmpty)
        {
            if (record.InputDropoutApplied)
            {
                MultiplyEveryStep(layerOutputGradient.AsSpan(0, rows * InputFeatures), _inputMask.AsSpan(0, batch * InputFeatures));
            }

            _layoutJob.FromTimeMajor(_inputGradientLayoutTuner, layerOutputGradient.AsSpan(0, rows * InputFeatures), batch, time, InputFeatures, GoBackwards, dInput);
        }
    }

    /// <summary>
    /// Runs the prepared passes of layer <paramref name="layer"/>'s directions: with two directions and two
    /// threads, one direction per thread (no barriers at all); otherwise each direction in turn, its hidden
    /// units split between the threads its size is worth. Either way a <see cref="WorkerTuner"/> may pick one
    /// thread instead, when it has measured that one is faster (see <see cref="Parallelism.Adaptive"/>).
    /// </summary>
    private void RunLayer(int layer, int batch)
    {
        var pool = WorkerPool.Shared;
        if (Directions == 2 && pool.Workers >= 2)
        {
            var first = _scans[layer * 2];
            _directionsJob.Layer = layer;
            _directionTuners[(2 * layer) + (first.IsBackwardPass ? 1 : 0)].Run(pool, _directionsJob, 2, batch, first.Steps);
            return;
        }

        for (var d = 0; d < Directions; d++)
        {
            var scan = _scans[(layer * Directions) + d];
            scan.Tuner.Run(pool, scan, scan.WorkersFor(batch, pool.Workers), batch, scan.Steps);
        }
    }

    private protected override void ValidateInputShape(ReadOnlySpan<int> inputShape)
    {
        if (inputShape.Length != 2)
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects input of shape [batch, time, features] but was given a shape of rank {inputShape.Length + 1} ([batch, {string.Join(", ", inputShape.ToArray())}]).");
        }

        if (inputShape[1] < 1)
        {
            throw new ArgumentException($"Layer '{Name}' needs a known feature count ≥ 1 but was given {inputShape[1]} (shape [batch, {inputShape[0]}, {inputShape[1]}]).");
        }
    }

    private protected override void BuildCore(ReadOnlySpan<int> inputShape, RandomSource random)
    {
        var features = inputShape[1];
        var hidden = Units;
        var gates = RecurrentScan.GateCount(_kind);
        var directions = Directions;
        _dropoutRandom = new RandomSource(random.NextSeed());
        _scans = new RecurrentScan[NumLayers * directions];
        _directionTuners = [.. Enumerable.Range(0, 2 * NumLayers).Select(_ => new WorkerTuner())];
        _layerOutputs = new float[Math.Max(NumLayers - 1, 0)][];
        _dropoutMasks = new float[Math.Max(NumLayers - 1, 0)][];
        _recurrentMasks = [.. Enumerable.Range(0, NumLayers * directions).Select(_ => Array.Empty<float>())];
        for (var layer = 0; layer < NumLayers - 1; layer++)
        {
            _layerOutputs[layer] = [];
            _dropoutMasks[layer] = [];
        }

        for (var layer = 0; layer < NumLayers; layer++)
        {
            var inputSize = layer == 0 ? features : hidden * directions;
            for (var d = 0; d < directions; d++)
            {
                var suffix = $"_l{layer}{(d == 1 ? "_reverse" : string.Empty)}";
                var weightIh = AddParameter("weight_ih" + suffix, gates * hidden, inputSize);
                var weightHh = AddParameter("weight_hh" + suffix, gates * hidden, hidden);
                var biasIh = UseBias ? AddParameter("bias_ih" + suffix, gates * hidden) : null;
                var biasHh = UseBias ? AddParameter("bias_hh" + suffix, gates * hidden) : null;
                Initialize(weightIh, weightHh, biasIh, biasHh, inputSize, random);
                _scans[(layer * directions) + d] = new RecurrentScan(_kind, inputSize, hidden, reverse: d == 1, weightIh, weightHh, biasIh, biasHh);
            }
        }
    }

    private protected override int[] ComputeOutputShapeCore(ReadOnlySpan<int> inputShape)
        => ReturnSequences ? [inputShape[0], OutputFeatures] : [OutputFeatures];

    internal override long CountParameters(ReadOnlySpan<int> inputShape)
    {
        try
        {
            checked
            {
                long gh = RecurrentScan.GateCount(_kind) * (long)Units;
                long total = 0;
                for (var layer = 0; layer < NumLayers; layer++)
                {
                    long input = layer == 0 ? inputShape[1] : (long)Units * Directions;
                    total += Directions * ((gh * (input + Units)) + (UseBias ? 2 * gh : 0));
                }

                return total;
            }
        }
        catch (OverflowException)
        {
            return long.MaxValue;
        }
    }

    internal override Dictionary<string, string> GetConfig()
    {
        var config = LayerConfig.Of(
            ("units", LayerConfig.Format(Units)),
            ("return_sequences", LayerConfig.Format(ReturnSequences)),
            ("go_backwards", LayerConfig.Format(GoBackwards)),
            ("bidirectional", LayerConfig.Format(Bidirectional)),
            ("merge_mode", MergeMode.ToString()),
            ("num_layers", LayerConfig.Format(NumLayers)),
            ("dropout", LayerConfig.Format(Dropout)),
            ("use_bias", LayerConfig.Format(UseBias)),
            ("initialization", Initialization.ToString()),
            ("seed", LayerConfig.Format(Seed)));
        if (Stateful)
        {
            config["stateful"] = LayerConfig.Format(Stateful);
        }

        // Written only when used, so that files without them stay readable by versions before they existed.
        if (RecurrentDropout > 0f)
        {
            config["recurrent_dropout"] = LayerConfig.Format(RecurrentDropout);
        }

        if (InputDropout > 0f)
        {
            config["input_dropout"] = LayerConfig.Format(InputDropout);
        }

        if (_kind is CellKind.RnnTanh or CellKind.RnnRelu)
        {
            config["activation"] = _kind == CellKind.RnnRelu ? "relu" : "tanh";
        }

        return config;
    }

    private static int[]? DeclaredShape((int? Time, int Features)? inputShape, string name)
    {
        if (inputShape is not { } shape)
        {
            return null;
        }

        if (shape.Features < 1 || shape.Time is < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(inputShape), $"Layer '{name}': inputShape must be (time ≥ 1 or null, features ≥ 1) but was ({shape.Time?.ToString(CultureInfo.InvariantCulture) ?? "null"}, {shape.Features}).");
        }

        return [shape.Time ?? -1, shape.Features];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ConcatenateDirections(int layer, int rows, Span<float> destination)
    {
        var hidden = Units;
        var width = hidden * Directions;
        for (var d = 0; d < Directions; d++)
        {
            var outputs = _scans[(layer * Directions) + d].Outputs;
            for (var r = 0; r < rows; r++)
            {
                outputs.Slice(r * hidden, hidden).CopyTo(destination.Slice((r * width) + (d * hidden), hidden));
            }
        }
    }

    /// <summary>
    /// The output of a bidirectional layer whose <see cref="MergeMode"/> is not Concat: y = merge(y_f, y_r) of the top
    /// layer's two directions, per step ([B, T, H], zero at masked steps) or from their final states ([B, H]).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MergeOutputs(ReadOnlySpan<byte> timeMask, int batch, int time, Span<float> output)
    {
        var hidden = Units;
        var top = (NumLayers - 1) * 2;
        if (!ReturnSequences)
        {
            Merge(_scans[top].FinalHidden, _scans[top + 1].FinalHidden, output.Slice(0, batch * hidden));
            return;
        }

        var forward = _scans[top].Outputs;
        var backward = _scans[top + 1].Outputs;
        for (var t = 0; t < time; t++)
        {
            for (var b = 0; b < batch; b++)
            {
                var row = (t * batch) + b;
                var destination = output.Slice(((b * time) + t) * hidden, hidden);
                if (!timeMask.IsEmpty && timeMask[row] == 0)
                {
                    destination.Clear();
                }
                else
                {
                    Merge(forward.Slice(row * hidden, hidden), backward.Slice(row * hidden, hidden), destination);
                }
            }
        }
    }

    /// <summary>y = merge(y_f, y_r) element-wise, by <see cref="MergeMode"/> (Sum, Average or Multiply).</summary>
    private void Merge(ReadOnlySpan<float> forward, ReadOnlySpan<float> backward, Span<float> destination)
    {
        switch (MergeMode)
        {
            case BidirectionalMerge.Multiply:
                TensorPrimitives.Multiply(forward, backward, destination);
                break;
            case BidirectionalMerge.Average:
                TensorPrimitives.Add(forward, backward, destination);
                TensorPrimitives.Multiply(destination, 0.5f, destination);
                break;
            default:
                TensorPrimitives.Add(forward, backward, destination);
                break;
        }
    }

    /// <summary>
    /// One direction's share of dL/dy, ∂y/∂y_d ⊙ dL/dy: dL/dy (Sum), dL/dy / 2 (Average), or
    /// dL/dy ⊙ y_other (Multiply), from <paramref name="gradient"/> [H] and the other direction's output
    /// <paramref name="other"/> [H], written to <paramref name="destination"/> [H].
    /// </summary>
    private void SplitGradient(ReadOnlySpan<float> gradient, ReadOnlySpan<float> other, Span<float> destination)
    {
        switch (MergeMode)
        {
            case BidirectionalMerge.Multiply:
                TensorPrimitives.Multiply(gradient, other, destination);
                break;
            case BidirectionalMerge.Average:
                TensorPrimitives.Multiply(gradient, 0.5f, destination);
                break;
            default:
                gradient.CopyTo(destination);
                break;
        }
    }

    /// <summary>
    /// The top layer's per-direction output gradient, time-major [T·B, 2H] (forward units, then reverse ones), from
    /// dL/dy [B, T, H] of a merged sequence output.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SplitMergedSequenceGradient(ReadOnlySpan<float> dOutput, int batch, int time, Span<float> destination)
    {
        var hidden = Units;
        var top = (NumLayers - 1) * 2;
        var forward = _scans[top].Outputs;
        var backward = _scans[top + 1].Outputs;
        for (var t = 0; t < time; t++)
        {
            for (var b = 0; b < batch; b++)
            {
                var row = (t * batch) + b;
                var gradient = dOutput.Slice(((b * time) + t) * hidden, hidden);
                SplitGradient(gradient, backward.Slice(row * hidden, hidden), destination.Slice(row * 2 * hidden, hidden));
                SplitGradient(gradient, forward.Slice(row * hidden, hidden), destination.Slice((row * 2 * hidden) + hidden, hidden));
            }
        }
    }

    /// <summary>Adds direction <paramref name="d"/>'s share of dL/dy [B, H] of a merged last-step output to its final hidden gradient [B, H].</summary>
    private void AddMergedGradient(ReadOnlySpan<float> dOutput, int d, int batch, Span<float> finalGradient)
    {
        var hidden = Units;
        var block = batch * hidden;
        var other = _scans[((NumLayers - 1) * 2) + 1 - d].FinalHidden;
        Buffers.Grow(ref _mergeGradient, block);
        var share = _mergeGradient.AsSpan(0, block);
        SplitGradient(dOutput.Slice(0, block), other, share);
        TensorPrimitives.Add(finalGradient, share, finalGradient);
    }

    /// <summary>Multiplies each step's rows of time-major <paramref name="rows"/> [T·B, F] by <paramref name="mask"/> [B, F].</summary>
    private static void MultiplyEveryStep(Span<float> rows, ReadOnlySpan<float> mask)
    {
        for (var step = 0; step < rows.Length; step += mask.Length)
        {
            var block = rows.Slice(step, mask.Length);
            TensorPrimitives.Multiply(block, mask, block);
        }
    }

    /// <summary>Fills <paramref name="mask"/> with 0 (probability <paramref name="rate"/>) or 1 / (1 - rate), from the layer's dropout random stream.</summary>
    private void FillDropoutMask(Span<float> mask, float rate)
    {
        var keep = 1f / (1f - rate);
        for (var i = 0; i < mask.Length; i++)
        {
            mask[i] = _dropoutRandom.NextSingle() < rate ? 0f : keep;
        }
    }

    private void Initialize(Parameter weightIh, Parameter weightHh, Parameter? biasIh, Parameter? biasHh, int inputSize, RandomSource random)
    {
        var hidden = Units;
        var gates = RecurrentScan.GateCount(_kind);
        if (Initialization == WeightInitialization.PyTorch)
        {
            var limit = 1.0 / Math.Sqrt(hidden);
            Init.Uniform(weightIh.Data, limit, random);
            Init.Uniform(weightHh.Data, limit, random);
            if (biasIh is not null && biasHh is not null)
            {
                Init.Uniform(biasIh.Data, limit, random);
                Init.Uniform(biasHh.Data, limit, random);
            }
        }
        else
        {
            Init.GlorotUniform(weightIh.Data, inputSize, gates * hidden, random);
            Init.Orthogonal(weightHh.Data, gates * hidden, hidden, random);
            if (biasIh is not null && _kind == CellKind.Lstm)
            {
                biasIh.Data.AsSpan(hidden, hidden).Fill(1f);
            }
        }

        weightIh.MarkModified();
        weightHh.MarkModified();
        biasIh?.MarkModified();
        biasHh?.MarkModified();
    }

    private protected override bool IsVariableDimension(int index) => index == 0;

    private protected override void ValidateInput(Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 3)
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects input of rank 3 [batch, time, features] but received rank {input.Rank} (input shape {input.ShapeString()}).",
                nameof(input));
        }

        if (input.Lengths[0] < 1 || input.Lengths[1] < 1)
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects at least one sequence of at least one step but received input shape {input.ShapeString()}.", nameof(input));
        }

        if (InputShape is { } built && input.Lengths[2] != built[1])
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects {built[1]} input features but received {input.Lengths[2]} (input shape {input.ShapeString()}).", nameof(input));
        }
    }

    /// <summary>
    /// The copies between the caller's [B, T, F] layout and the engine's time-major one (inputs and output gradients
    /// in, outputs and input gradients out), split by batch rows between the threads when they are large (the large
    /// LSTM moves 20 MB per call this way).
    /// </summary>
    private sealed unsafe class LayoutJob : IWorkerJob
    {
        /// <summary>Below this many floats, one thread copies (a fork costs about a microsecond).</summary>
        private const int ParallelFloats = 256 * 1024;

        private float* _source;
        private float* _destination;
        private byte* _mask;
        private int _batch;
        private int _time;
        private int _features;
        private int _width;
        private int _offset;
        private bool _reverse;
        private bool _toTimeMajor;

        /// <summary>[B, T, F] to [T·B, F], reversing time when asked.</summary>
        public void ToTimeMajor(WorkerTuner tuner, ReadOnlySpan<float> source, int batch, int time, int features, bool reverse, Span<float> destination)
        {
            fixed (float* from = source, to = destination)
            {
                _source = from;
                _destination = to;
                _mask = null;
                (_batch, _time, _features, _width, _offset, _reverse, _toTimeMajor) = (batch, time, features, features, 0, reverse, true);
                Run(tuner, source.Length);
            }
        }

        /// <summary>[T·B, F] to [B, T, F], reversing time when asked.</summary>
        public void FromTimeMajor(WorkerTuner tuner, ReadOnlySpan<float> source, int batch, int time, int features, bool reverse, Span<float> destination)
            => FromTimeMajor(tuner, source, default, batch, time, features, features, 0, reverse, destination);

        /// <summary>
        /// One direction's h of every step ([T·B, H], time-major) into its columns [offset, offset + H) of the
        /// [B, T, width] output, with zeros at masked steps.
        /// </summary>
        public void Outputs(WorkerTuner tuner, ReadOnlySpan<float> outputs, ReadOnlySpan<byte> timeMask, int batch, int time, int hidden, int width, int offset, Span<float> destination)
            => FromTimeMajor(tuner, outputs, timeMask, batch, time, hidden, width, offset, reverse: false, destination);

        private void FromTimeMajor(WorkerTuner tuner, ReadOnlySpan<float> source, ReadOnlySpan<byte> timeMask, int batch, int time, int features, int width, int offset, bool reverse, Span<float> destination)
        {
            fixed (float* from = source, to = destination)
            fixed (byte* mask = timeMask)
            {
                _source = from;
                _destination = to;
                _mask = timeMask.IsEmpty ? null : mask;
                (_batch, _time, _features, _width, _offset, _reverse, _toTimeMajor) = (batch, time, features, width, offset, reverse, false);
                Run(tuner, source.Length);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int worker, int workers)
        {
            var (batch, time, features, reverse) = (_batch, _time, (long)_features, _reverse);
            var (first, end) = WorkerPool.EqualPart(batch, worker, workers);
            for (var b = first; b < end; b++)
            {
                if (_toTimeMajor)
                {
                    // Sample b's steps, one after the other in the source, to every batch-th row of the destination.
                    var from = _source + ((long)b * time * features);
                    var to = _destination + (b * features);
                    var stride = batch * features;
                    for (var t = 0; t < time; t++)
                    {
                        var sourceTime = reverse ? time - 1 - t : t;
                        if (features == 1)
                        {
                            to[t * stride] = from[sourceTime];
                        }
                        else
                        {
                            ShortCopy.Copy(ref from[sourceTime * features], ref to[t * stride], (nint)features);
                        }
                    }
                }
                else
                {
                    var from = _source + (b * features);
                    var to = _destination + ((long)b * time * _width) + _offset;
                    for (var t = 0; t < time; t++)
                    {
                        var destinationTime = reverse ? time - 1 - t : t;
                        ref var destination = ref to[destinationTime * (long)_width];
                        if (_mask is not null && _mask[(t * batch) + b] == 0)
                        {
                            MemoryMarshal.CreateSpan(ref destination, (int)features).Clear();
                        }
                        else
                        {
                            ShortCopy.Copy(ref from[t * batch * features], ref destination, (nint)features);
                        }
                    }
                }
            }
        }

        private void Run(WorkerTuner tuner, int floats)
        {
            tuner.Run(WorkerPool.Shared, this, floats >= ParallelFloats && _batch >= 2 ? 2 : 1, floats, steps: 1);
            _source = null;
            _destination = null;
            _mask = null;
        }
    }

    /// <summary>Runs both directions of one layer at once, one per worker.</summary>
    private sealed class DirectionsJob(Recurrent owner) : IWorkerJob
    {
        public int Layer { get; set; }

        public void Execute(int worker, int workers)
        {
            if (workers == 1)
            {
                owner._scans[Layer * 2].Execute(0, 1);
                owner._scans[(Layer * 2) + 1].Execute(0, 1);
            }
            else
            {
                owner._scans[(Layer * 2) + worker].Execute(0, 1);
            }
        }
    }

    /// <summary>What the last training forward pass saw, for backward.</summary>
    private sealed class ForwardRecord
    {
        public int Batch { get; private set; }

        public int Time { get; private set; }

        public bool HasInitialHidden { get; private set; }

        public bool HasInitialCell { get; private set; }

        public bool HasMask { get; private set; }

        public bool DropoutApplied { get; private set; }

        public bool InputDropoutApplied { get; private set; }

        public void Set(int batch, int time, bool hasInitialHidden, bool hasInitialCell, bool hasMask, bool dropoutApplied, bool inputDropoutApplied)
            => (Batch, Time, HasInitialHidden, HasInitialCell, HasMask, DropoutApplied, InputDropoutApplied) = (batch, time, hasInitialHidden, hasInitialCell, hasMask, dropoutApplied, inputDropoutApplied);
    }
}
