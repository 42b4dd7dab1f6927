using System.Numerics.Tensors;
using Rnn.Layers;

namespace Rnn.Models;

/// <summary>
/// Runs a model over a sequence that arrives a step (or a chunk of steps) at a time, carrying every recurrent
/// layer's state (and every pooling layer's running sum or maximum) from call to call (Keras's <c>stateful=True</c>, made explicit). After steps x_0..x_t, the
/// output equals <see cref="Sequential.Predict(Tensor{float}, int)"/> on the whole prefix x_0..x_t; with
/// recurrent layers that return sequences, one output per step given. Calls allocate nothing once a chunk
/// length has been seen. Created by <see cref="Sequential.StartStreaming"/>.
/// </summary>
public sealed class StreamingSession
{
    private readonly Sequential _model;
    private readonly float[]?[] _hidden;
    private readonly float[]?[] _cells;
    private readonly List<ExecutionPlan> _plans = [];

    internal StreamingSession(Sequential model, int batchSize)
    {
        _model = model;
        BatchSize = batchSize;
        var layers = model.Layers;
        _hidden = new float[]?[layers.Count];
        _cells = new float[]?[layers.Count];
        GlobalPooling1D? pooled = null;
        for (var i = 0; i < layers.Count; i++)
        {
            if (layers[i] is RepeatVector)
            {
                throw new NotSupportedException(
                    $"Layer '{layers[i].Name}' (RepeatVector) repeats a vector along a whole new sequence, so a stream, which sees a chunk of steps at a time, cannot give what Predict gives on the sequence so far; predict on the whole prefix instead.");
            }

            if (layers[i] is GlobalPooling1D pooling)
            {
                if (pooled is not null)
                {
                    throw new NotSupportedException(
                        $"Layer '{pooling.Name}' pools the output of '{pooled.Name}', which is already pooled over the whole prefix; a stream can pool once.");
                }

                // A running sum (or maximum) and a count of real steps per sequence: the pooled value of the prefix.
                var features = pooling.InputShape![^1];
                _hidden[i] = new float[batchSize * features];
                _cells[i] = new float[batchSize];
                pooled = pooling;
            }

            if (layers[i] is Recurrent recurrent)
            {
                if (pooled is not null)
                {
                    throw new NotSupportedException(
                        $"Layer '{recurrent.Name}' reads the output of '{pooled.Name}', which pools the whole prefix into one step: on the prefix, Predict would run it from a zero state over that single step, which a stream carrying its state cannot give.");
                }

                if (recurrent.Bidirectional || recurrent.GoBackwards)
                {
                    throw new NotSupportedException(
                        $"Layer '{recurrent.Name}' reads its sequence backwards (bidirectional or goBackwards), which needs the steps that have not arrived yet; a stream can only run forward layers.");
                }

                var length = recurrent.NumLayers * batchSize * recurrent.Units;
                _hidden[i] = new float[length];
                _cells[i] = recurrent.Kind == CellKind.Lstm ? new float[length] : null;
            }
        }

        var shape = model.InputShape!;
        TakesIds = shape.Count == 1;
        InputFeatures = TakesIds ? 1 : shape[^1];
    }

    /// <summary>Whether a step is one token id per sequence (the model starts with an <see cref="Layers.Embedding"/>) rather than a feature vector.</summary>
    public bool TakesIds { get; }

    /// <summary>Sequences processed side by side.</summary>
    public int BatchSize { get; }

    /// <summary>Values of one step of one sequence: its features, or 1 (a token id) when <see cref="TakesIds"/>.</summary>
    public int InputFeatures { get; }

    /// <summary>Steps fed since creation or the last <see cref="Reset"/>.</summary>
    public long Steps { get; private set; }

    /// <summary>Forgets every state: the next step starts new sequences (zero states).</summary>
    public void Reset()
    {
        foreach (var state in _hidden.Concat(_cells))
        {
            if (state is not null)
            {
                Array.Clear(state);
            }
        }

        Steps = 0;
    }

    /// <summary>
    /// Sets the state of one recurrent layer of the model, for example a decoder's initial state from an encoder's
    /// final state; the next step continues from it.
    /// </summary>
    /// <param name="layer">A recurrent layer of the model.</param>
    /// <param name="hidden">h, [numLayers, batch, units].</param>
    /// <param name="cell">c for an Lstm, same shape; null for zeros (and for other layers).</param>
    /// <exception cref="ArgumentException">The layer is not a recurrent layer of this model, or a shape differs.</exception>
    public void SetState(Recurrent layer, Tensor<float> hidden, Tensor<float>? cell = null)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        var (index, expected) = StateOf(layer);
        CheckState(hidden, expected, layer, "hidden");
        hidden.AsFlatSpan().CopyTo(_hidden[index]);
        if (cell is not null)
        {
            if (_cells[index] is not { } cells)
            {
                throw new ArgumentException($"Layer '{layer.Name}' has no cell state, but one was given.", nameof(cell));
            }

            CheckState(cell, expected, layer, "cell");
            cell.AsFlatSpan().CopyTo(cells);
        }
        else if (_cells[index] is { } cells)
        {
            Array.Clear(cells);
        }
    }

    /// <summary>A copy of one recurrent layer's current state: h (and c for an Lstm), [numLayers, batch, units].</summary>
    /// <param name="layer">A recurrent layer of the model.</param>
    /// <returns>The states.</returns>
    /// <exception cref="ArgumentException">The layer is not a recurrent layer of this model.</exception>
    public (Tensor<float> Hidden, Tensor<float>? Cell) GetState(Recurrent layer)
    {
        var (index, shape) = StateOf(layer);
        var cell = _cells[index] is { } cells ? Tensor.Create((float[])cells.Clone(), [.. shape.Select(s => (nint)s)]) : null;
        return (Tensor.Create((float[])_hidden[index]!.Clone(), [.. shape.Select(s => (nint)s)]), cell);
    }

    /// <summary>Feeds one step of every sequence and writes the model's output for it.</summary>
    /// <param name="input">[batch, features], one step (or [batch] token ids when <see cref="TakesIds"/>).</param>
    /// <param name="output">The model's output for a one-step chunk: [batch, outputs] (or [batch, 1, outputs] flattened when the last recurrent layer returns sequences).</param>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    public void Step(ReadOnlySpan<float> input, Span<float> output)
    {
        var plan = PlanFor(1);
        Run(plan, input, output);
    }

    /// <summary>Feeds a chunk of steps of every sequence and returns the model's output for it.</summary>
    /// <param name="chunk">[batch, steps, features] (or [batch, steps] token ids when <see cref="TakesIds"/>).</param>
    /// <returns>The model's output for the chunk, continuing from the carried state.</returns>
    /// <exception cref="ArgumentException">The chunk's shape does not suit the stream.</exception>
    public Tensor<float> Run(Tensor<float> chunk)
    {
        var plan = PlanFor(CheckChunk(chunk));
        var output = TensorExtensions.Zeros(plan.OutputShape);
        Run(plan, chunk.AsFlatSpan(), output.AsFlatSpan());
        return output;
    }

    /// <summary>Feeds a chunk of steps and writes the model's output into a given tensor (no allocation).</summary>
    /// <param name="chunk">[batch, steps, features] (or [batch, steps] token ids when <see cref="TakesIds"/>).</param>
    /// <param name="output">The model's output for the chunk (written).</param>
    /// <exception cref="ArgumentException">A shape does not suit the stream.</exception>
    public void Run(Tensor<float> chunk, Tensor<float> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var plan = PlanFor(CheckChunk(chunk));
        Run(plan, chunk.AsFlatSpan(), output.AsFlatSpan());
    }

    private (int Index, int[] Shape) StateOf(Recurrent layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var index = -1;
        for (var i = 0; i < _model.Layers.Count; i++)
        {
            if (ReferenceEquals(_model.Layers[i], layer))
            {
                index = i;
            }
        }

        if (index < 0)
        {
            throw new ArgumentException($"Layer '{layer.Name}' is not a layer of model '{_model.Name}'.", nameof(layer));
        }

        return (index, [layer.NumLayers, BatchSize, layer.Units]);
    }

    private static void CheckState(Tensor<float> state, int[] expected, Recurrent layer, string what)
    {
        if (!state.Shape().AsSpan().SequenceEqual(expected))
        {
            throw new ArgumentException(
                $"Layer '{layer.Name}' expects a {what} state of shape {TensorExtensions.ShapeString(expected)} ([numLayers, batch, units]) but received {state.ShapeString()}.", nameof(state));
        }
    }

    private void Run(ExecutionPlan plan, ReadOnlySpan<float> input, Span<float> output)
    {
        using var call = _model.EnterCall("a streaming step");
        var x = plan.Input.AsFlatSpan();
        var y = plan.Output.AsFlatSpan();
        if (input.Length != x.Length)
        {
            throw new ArgumentException(
                $"The stream expects {x.Length} input values ([{string.Join(", ", plan.InputShape)}]) but received {input.Length}.", nameof(input));
        }

        if (output.Length != y.Length)
        {
            throw new ArgumentException(
                $"The stream writes {y.Length} output values ([{string.Join(", ", plan.OutputShape)}]) but the destination holds {output.Length}.", nameof(output));
        }

        input.CopyTo(x);
        plan.Forward(_model.Layers, training: false, _hidden, _cells);
        y.CopyTo(output);
        Steps += plan.InputShape[1];
    }

    private int CheckChunk(Tensor<float> chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (chunk.Rank != (TakesIds ? 2 : 3) || chunk.Lengths[0] != BatchSize || (!TakesIds && chunk.Lengths[2] != InputFeatures) || chunk.Lengths[1] < 1)
        {
            throw new ArgumentException(
                $"The stream expects chunks of shape [{BatchSize}, steps ≥ 1{(TakesIds ? string.Empty : $", {InputFeatures}")}] but received {chunk.ShapeString()}.", nameof(chunk));
        }

        return (int)chunk.Lengths[1];
    }

    private ExecutionPlan PlanFor(int steps)
    {
        foreach (var plan in _plans)
        {
            if (plan.InputShape[1] == steps)
            {
                return plan;
            }
        }

        var created = new ExecutionPlan(_model.Layers, TakesIds ? [BatchSize, steps] : [BatchSize, steps, InputFeatures], null);
        _plans.Add(created);
        return created;
    }
}
