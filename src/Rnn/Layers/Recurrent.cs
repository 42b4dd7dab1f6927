using System.Globalization;
using System.Numerics.Tensors;
using Rnn.Initializers;

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
/// </remarks>
public abstract class Recurrent : Layer
{
    private readonly CellKind _kind;
    private readonly RecurrentInitialization _initialization;
    private readonly Random _initRandom;
    private readonly Random _dropoutRandom;
    private RecurrentScan[] _scans = [];

    // Buffers reused across calls (time-major, row t·B + b).
    private float[] _x = [];
    private float[][] _layerOutputs = [];
    private float[][] _dropoutMasks = [];
    private byte[] _mask = [];
    private float[] _topGradient = [];
    private float[] _gradientA = [];
    private float[] _gradientB = [];
    private float[] _finalGradient = [];

    // What the last training forward pass saw; null when backward is not possible.
    private ForwardRecord? _record;

    private protected Recurrent(
        CellKind kind, int units, bool returnSequences, bool returnState, bool goBackwards, bool bidirectional, int numLayers,
        float dropout, bool useBias, RecurrentInitialization initialization, (int? Time, int Features)? inputShape, int? seed, string? name, string defaultName)
        : base(name, defaultName)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(units, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(numLayers, 1);
        if (!(dropout >= 0f && dropout < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"Layer '{Name}': dropout must be in [0, 1) but was {dropout.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (!Enum.IsDefined(initialization))
        {
            throw new ArgumentOutOfRangeException(nameof(initialization), initialization, $"Layer '{Name}': unknown initialization.");
        }

        _kind = kind;
        Units = units;
        ReturnSequences = returnSequences;
        ReturnState = returnState;
        GoBackwards = goBackwards;
        Bidirectional = bidirectional;
        NumLayers = numLayers;
        Dropout = dropout;
        UseBias = useBias;
        _initialization = initialization;
        var baseSeed = seed ?? Random.Shared.Next();
        _initRandom = new Random(baseSeed);
        _dropoutRandom = new Random(unchecked((baseSeed * 31) + 17));
        if (inputShape is { } shape)
        {
            if (shape.Features < 1 || shape.Time is < 1)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(inputShape), $"Layer '{Name}': inputShape must be (time ≥ 1 or null, features ≥ 1) but was ({shape.Time?.ToString(CultureInfo.InvariantCulture) ?? "null"}, {shape.Features}).");
            }

            Build(shape.Time ?? -1, shape.Features);
        }
    }

    /// <summary>H, the number of hidden units of each direction of each layer.</summary>
    public int Units { get; }

    /// <summary>Whether the output has every step ([batch, time, units · directions]) or only the last ([batch, units · directions]).</summary>
    public bool ReturnSequences { get; }

    /// <summary>Whether <see cref="Forward(Tensor{float}, Tensor{float}?, Tensor{float}?, bool)"/> returns the final states, and <see cref="Backward(Tensor{float}, Tensor{float}?, Tensor{float}?)"/> accepts their gradients.</summary>
    public bool ReturnState { get; }

    /// <summary>
    /// Processes the sequence from its last step to its first, and returns the output sequence in that
    /// (reversed) order, as Keras's <c>go_backwards</c> does: the same as running on the time-reversed input
    /// (with a mask, the time-reversed mask).
    /// </summary>
    public bool GoBackwards { get; }

    /// <summary>Whether each layer also runs a second direction over the reversed sequence, its outputs concatenated after the first's.</summary>
    public bool Bidirectional { get; }

    /// <summary>1 or 2.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Number of stacked layers (PyTorch's <c>num_layers</c>).</summary>
    public int NumLayers { get; }

    /// <summary>Dropout probability on the outputs of every layer but the last, during training.</summary>
    public float Dropout { get; }

    /// <summary>Whether the layers have the two bias vectors.</summary>
    public bool UseBias { get; }

    /// <summary>Number of input features, once built.</summary>
    public int InputFeatures => InputShape is { } shape ? shape[1] : throw new InvalidOperationException($"Layer '{Name}' is not built yet: its input feature count is not known.");

    /// <summary>The parameter called <paramref name="name"/> (for example <c>weight_hh_l0_reverse</c>).</summary>
    /// <param name="name">A PyTorch parameter name.</param>
    /// <returns>The parameter.</returns>
    /// <exception cref="KeyNotFoundException">No parameter has that name.</exception>
    public Parameter GetParameter(string name)
        => Parameters.FirstOrDefault(p => p.Name == name)
           ?? throw new KeyNotFoundException($"Layer '{Name}' has no parameter '{name}'; it has {string.Join(", ", Parameters.Select(p => p.Name))}.");

    /// <summary>
    /// Runs the layer over a batch of sequences, optionally from given initial states.
    /// </summary>
    /// <param name="input">[batch, time, features].</param>
    /// <param name="initialHidden">h0, [numLayers · directions, batch, units] (PyTorch's layout), or null for zeros.</param>
    /// <param name="initialCell">c0 for Lstm, same shape, or null for zeros; must be null for other layers.</param>
    /// <param name="training">Keep what backward needs, and apply dropout between layers.</param>
    /// <returns>The output and, when <see cref="ReturnState"/>, the final states.</returns>
    /// <exception cref="ArgumentException">A shape does not match what the layer expects.</exception>
    public RecurrentOutput Forward(Tensor<float> input, Tensor<float>? initialHidden, Tensor<float>? initialCell = null, bool training = false)
        => Run(input, initialHidden, initialCell, default, training);

    /// <summary>
    /// Backpropagates through the last training forward pass: returns the gradients of the input and of the
    /// initial states that were given, and adds every parameter's gradient to <see cref="Parameter.Gradient"/>.
    /// </summary>
    /// <param name="outputGradient">dL/doutput, the shape of the last output.</param>
    /// <param name="finalHiddenGradient">dL/dh_n, [numLayers · directions, batch, units], or null; only when <see cref="ReturnState"/>.</param>
    /// <param name="finalCellGradient">dL/dc_n for Lstm, same shape, or null; only when <see cref="ReturnState"/>.</param>
    /// <returns>dL/dinput and, where initial states were given, dL/dh0 and dL/dc0.</returns>
    /// <exception cref="InvalidOperationException">There was no training forward pass to backpropagate through.</exception>
    /// <exception cref="ArgumentException">A shape does not match the last forward pass.</exception>
    public RecurrentGradients Backward(Tensor<float> outputGradient, Tensor<float>? finalHiddenGradient, Tensor<float>? finalCellGradient = null)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var record = _record ?? throw new InvalidOperationException(
            $"Layer '{Name}' cannot run Backward: there was no Forward with training: true since it was built or since the last inference Forward.");
        var batch = record.Batch;
        var time = record.Time;
        var hidden = Units;
        var directions = Directions;
        var width = hidden * directions;
        int[] expected = ReturnSequences ? [batch, time, width] : [batch, width];
        CheckShape(outputGradient, expected, "output gradient", "the output of the last Forward");
        if ((finalHiddenGradient is not null || finalCellGradient is not null) && !ReturnState)
        {
            throw new ArgumentException(
                $"Layer '{Name}' received a final-state gradient but does not return its state; create it with returnState: true to backpropagate from h_n/c_n.");
        }

        int[] stateShape = [NumLayers * directions, batch, hidden];
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

        var rows = time * batch;
        var block = batch * hidden;
        var mask = record.HasMask ? _mask.AsSpan(0, rows) : default;
        var dOutput = outputGradient.AsFlatSpan();
        Span<float> topGradient = default;
        if (ReturnSequences)
        {
            Grow(ref _topGradient, rows * width);
            topGradient = _topGradient.AsSpan(0, rows * width);
            ToTimeMajor(dOutput, batch, time, width, reverse: false, topGradient);
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

        var dh0 = record.HasInitialHidden ? TensorExtensions.Zeros(NumLayers * directions, batch, hidden) : null;
        var dc0 = record.HasInitialCell ? TensorExtensions.Zeros(NumLayers * directions, batch, hidden) : null;
        var finalHidden = finalHiddenGradient is null ? default : finalHiddenGradient.AsFlatSpan();
        var finalCell = finalCellGradient is null ? default : finalCellGradient.AsFlatSpan();
        Grow(ref _finalGradient, block);
        var finalGradient = _finalGradient.AsSpan(0, block);
        Grow(ref _gradientA, rows * Math.Max(width, InputFeatures));
        Grow(ref _gradientB, rows * Math.Max(width, InputFeatures));
        ReadOnlySpan<float> layerOutputGradient = topGradient;
        var swap = false;
        for (var layer = NumLayers - 1; layer >= 0; layer--)
        {
            var inputSize = layer == 0 ? InputFeatures : width;
            var layerInput = LayerInput(layer, rows);
            var inputGradient = (swap ? _gradientB : _gradientA).AsSpan(0, rows * inputSize);
            for (var d = 0; d < directions; d++)
            {
                var index = (layer * directions) + d;
                var hasFinalHidden = !finalHidden.IsEmpty || (layer == NumLayers - 1 && !ReturnSequences);
                if (hasFinalHidden)
                {
                    finalGradient.Clear();
                    if (!finalHidden.IsEmpty)
                    {
                        finalHidden.Slice(index * block, block).CopyTo(finalGradient);
                    }

                    if (layer == NumLayers - 1 && !ReturnSequences)
                    {
                        for (var b = 0; b < batch; b++)
                        {
                            TensorPrimitives.Add(finalGradient.Slice(b * hidden, hidden), dOutput.Slice((b * width) + (d * hidden), hidden), finalGradient.Slice(b * hidden, hidden));
                        }
                    }
                }

                var scan = _scans[index];
                scan.Backward(
                    layerInput,
                    layerOutputGradient.IsEmpty ? default : layerOutputGradient[(d * hidden)..],
                    width,
                    hasFinalHidden ? finalGradient : default,
                    finalCell.IsEmpty ? default : finalCell.Slice(index * block, block),
                    mask,
                    inputGradient,
                    accumulateInputGradient: d > 0);
                if (dh0 is not null)
                {
                    scan.InitialHiddenGradient.CopyTo(dh0.AsFlatSpan().Slice(index * block, block));
                }

                if (dc0 is not null)
                {
                    scan.InitialCellGradient.CopyTo(dc0.AsFlatSpan().Slice(index * block, block));
                }
            }

            if (layer > 0 && record.DropoutApplied)
            {
                TensorPrimitives.Multiply(inputGradient, _dropoutMasks[layer - 1].AsSpan(0, rows * width), inputGradient);
            }

            layerOutputGradient = inputGradient;
            swap = !swap;
        }

        var dInput = TensorExtensions.Zeros(batch, time, InputFeatures);
        FromTimeMajor(layerOutputGradient, batch, time, InputFeatures, GoBackwards, dInput.AsFlatSpan());
        return new RecurrentGradients(dInput, dh0, dc0);
    }

    /// <summary>Runs with an optional padding mask ([batch, time], 1 = real step, 0 = padding).</summary>
    internal RecurrentOutput Run(Tensor<float> input, Tensor<float>? initialHidden, Tensor<float>? initialCell, ReadOnlySpan<byte> mask, bool training)
    {
        ValidateInput(input);
        EnsureBuilt(input);
        var batch = (int)input.Lengths[0];
        var time = (int)input.Lengths[1];
        var features = (int)input.Lengths[2];
        var hidden = Units;
        var directions = Directions;
        var width = hidden * directions;
        int[] stateShape = [NumLayers * directions, batch, hidden];
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

        if (!mask.IsEmpty && mask.Length != batch * time)
        {
            throw new ArgumentException($"Layer '{Name}' expects a mask of [batch, time] = [{batch}, {time}] values but received {mask.Length}.", nameof(mask));
        }

        _record = null;
        var rows = time * batch;
        var block = batch * hidden;
        Grow(ref _x, rows * features);
        ToTimeMajor(input.AsFlatSpan(), batch, time, features, GoBackwards, _x.AsSpan(0, rows * features));
        ReadOnlySpan<byte> timeMask = default;
        if (!mask.IsEmpty)
        {
            Grow(ref _mask, rows);
            for (var b = 0; b < batch; b++)
            {
                for (var t = 0; t < time; t++)
                {
                    _mask[(t * batch) + b] = mask[(b * time) + (GoBackwards ? time - 1 - t : t)];
                }
            }

            timeMask = _mask.AsSpan(0, rows);
        }

        var h0 = initialHidden is null ? default : initialHidden.AsFlatSpan();
        var c0 = initialCell is null ? default : initialCell.AsFlatSpan();
        var applyDropout = training && Dropout > 0f && NumLayers > 1;
        for (var layer = 0; layer < NumLayers; layer++)
        {
            var layerInput = LayerInput(layer, rows);
            for (var d = 0; d < directions; d++)
            {
                var index = (layer * directions) + d;
                _scans[index].Forward(
                    layerInput, time, batch,
                    h0.IsEmpty ? default : h0.Slice(index * block, block),
                    c0.IsEmpty ? default : c0.Slice(index * block, block),
                    timeMask, training);
            }

            if (layer < NumLayers - 1)
            {
                var output = _layerOutputs[layer];
                Grow(ref output, rows * width);
                _layerOutputs[layer] = output;
                ConcatenateDirections(layer, rows, output.AsSpan(0, rows * width));
                if (applyDropout)
                {
                    var dropoutMask = _dropoutMasks[layer];
                    Grow(ref dropoutMask, rows * width);
                    _dropoutMasks[layer] = dropoutMask;
                    FillDropoutMask(dropoutMask.AsSpan(0, rows * width));
                    TensorPrimitives.Multiply(output.AsSpan(0, rows * width), dropoutMask.AsSpan(0, rows * width), output.AsSpan(0, rows * width));
                }
            }
        }

        var top = (NumLayers - 1) * directions;
        Tensor<float> result;
        if (ReturnSequences)
        {
            result = TensorExtensions.Zeros(batch, time, width);
            var destination = result.AsFlatSpan();
            for (var d = 0; d < directions; d++)
            {
                var outputs = _scans[top + d].Outputs;
                for (var t = 0; t < time; t++)
                {
                    for (var b = 0; b < batch; b++)
                    {
                        if (!timeMask.IsEmpty && timeMask[(t * batch) + b] == 0)
                        {
                            continue;
                        }

                        outputs.Slice(((t * batch) + b) * hidden, hidden).CopyTo(destination.Slice((((b * time) + t) * width) + (d * hidden), hidden));
                    }
                }
            }
        }
        else
        {
            result = TensorExtensions.Zeros(batch, width);
            var destination = result.AsFlatSpan();
            for (var d = 0; d < directions; d++)
            {
                var final = _scans[top + d].FinalHidden;
                for (var b = 0; b < batch; b++)
                {
                    final.Slice(b * hidden, hidden).CopyTo(destination.Slice((b * width) + (d * hidden), hidden));
                }
            }
        }

        Tensor<float>? finalHidden = null;
        Tensor<float>? finalCell = null;
        if (ReturnState)
        {
            finalHidden = TensorExtensions.Zeros(stateShape);
            var hn = finalHidden.AsFlatSpan();
            Span<float> cn = default;
            if (_kind == CellKind.Lstm)
            {
                finalCell = TensorExtensions.Zeros(stateShape);
                cn = finalCell.AsFlatSpan();
            }

            for (var index = 0; index < _scans.Length; index++)
            {
                _scans[index].FinalHidden.CopyTo(hn.Slice(index * block, block));
                if (!cn.IsEmpty)
                {
                    _scans[index].FinalCell.CopyTo(cn.Slice(index * block, block));
                }
            }
        }

        if (training)
        {
            _record = new ForwardRecord(batch, time, initialHidden is not null, initialCell is not null, !mask.IsEmpty, applyDropout);
        }

        return new RecurrentOutput(result, finalHidden, finalCell);
    }

    /// <summary>The dropout mask (0 or 1 / (1 - p)) applied to layer <paramref name="layer"/>'s output in the last training pass, time-major [T·B, width]; for tests.</summary>
    internal ReadOnlySpan<float> DropoutMask(int layer, int length) => _dropoutMasks[layer].AsSpan(0, length);

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

    private protected override void BuildCore(ReadOnlySpan<int> inputShape)
    {
        var features = inputShape[1];
        var hidden = Units;
        var gates = RecurrentScan.GateCount(_kind);
        var directions = Directions;
        _scans = new RecurrentScan[NumLayers * directions];
        _layerOutputs = new float[Math.Max(NumLayers - 1, 0)][];
        _dropoutMasks = new float[Math.Max(NumLayers - 1, 0)][];
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
                Initialize(weightIh, weightHh, biasIh, biasHh, inputSize);
                _scans[(layer * directions) + d] = new RecurrentScan(_kind, inputSize, hidden, reverse: d == 1, weightIh, weightHh, biasIh, biasHh);
            }
        }
    }

    private protected override int[] ComputeOutputShapeCore(ReadOnlySpan<int> inputShape)
        => ReturnSequences ? [inputShape[0], Units * Directions] : [Units * Directions];

    private protected override Tensor<float> ForwardCore(Tensor<float> input, bool training)
        => Run(input, null, null, default, training).Output;

    private protected override Tensor<float> BackwardCore(Tensor<float> outputGradient)
        => Backward(outputGradient, null, null).Input;

    private static void Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new float[length];
        }
    }

    private static void Grow(ref byte[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new byte[length];
        }
    }

    /// <summary>[B, T, F] batch-major to [T·B, F] time-major, reversing time when asked.</summary>
    private static void ToTimeMajor(ReadOnlySpan<float> source, int batch, int time, int features, bool reverse, Span<float> destination)
    {
        for (var b = 0; b < batch; b++)
        {
            for (var t = 0; t < time; t++)
            {
                var sourceTime = reverse ? time - 1 - t : t;
                source.Slice(((b * time) + sourceTime) * features, features).CopyTo(destination.Slice(((t * batch) + b) * features, features));
            }
        }
    }

    /// <summary>[T·B, F] time-major to [B, T, F] batch-major, reversing time when asked.</summary>
    private static void FromTimeMajor(ReadOnlySpan<float> source, int batch, int time, int features, bool reverse, Span<float> destination)
    {
        for (var b = 0; b < batch; b++)
        {
            for (var t = 0; t < time; t++)
            {
                var destinationTime = reverse ? time - 1 - t : t;
                source.Slice(((t * batch) + b) * features, features).CopyTo(destination.Slice(((b * time) + destinationTime) * features, features));
            }
        }
    }

    private ReadOnlySpan<float> LayerInput(int layer, int rows)
        => layer == 0 ? _x.AsSpan(0, rows * InputFeatures) : _layerOutputs[layer - 1].AsSpan(0, rows * Units * Directions);

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

    private void FillDropoutMask(Span<float> mask)
    {
        var keep = 1f / (1f - Dropout);
        for (var i = 0; i < mask.Length; i++)
        {
            mask[i] = _dropoutRandom.NextSingle() < Dropout ? 0f : keep;
        }
    }

    private void Initialize(Parameter weightIh, Parameter weightHh, Parameter? biasIh, Parameter? biasHh, int inputSize)
    {
        var hidden = Units;
        var gates = RecurrentScan.GateCount(_kind);
        if (_initialization == RecurrentInitialization.PyTorch)
        {
            var limit = 1.0 / Math.Sqrt(hidden);
            Init.Uniform(weightIh.Data, limit, _initRandom);
            Init.Uniform(weightHh.Data, limit, _initRandom);
            if (biasIh is not null && biasHh is not null)
            {
                Init.Uniform(biasIh.Data, limit, _initRandom);
                Init.Uniform(biasHh.Data, limit, _initRandom);
            }
        }
        else
        {
            Init.GlorotUniform(weightIh.Data, inputSize, gates * hidden, _initRandom);
            Init.Orthogonal(weightHh.Data, gates * hidden, hidden, _initRandom);
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

    private void CheckShape(Tensor<float> tensor, int[] expected, string what, string context)
    {
        var lengths = tensor.Lengths;
        var matches = lengths.Length == expected.Length;
        for (var i = 0; matches && i < expected.Length; i++)
        {
            matches = lengths[i] == expected[i];
        }

        if (!matches)
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects the {what} to have shape {TensorExtensions.ShapeString(expected)} ({context}) but received {tensor.ShapeString()}.");
        }
    }

    private sealed record ForwardRecord(int Batch, int Time, bool HasInitialHidden, bool HasInitialCell, bool HasMask, bool DropoutApplied);
}
