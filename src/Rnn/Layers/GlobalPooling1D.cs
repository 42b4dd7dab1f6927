using System.Numerics.Tensors;

namespace Rnn.Layers;

/// <summary>
/// The common base of <see cref="GlobalAveragePooling1D"/> and <see cref="GlobalMaxPooling1D"/>: reduces the time axis of
/// [batch, time, features] to [batch, features], over the steps a mask (from <see cref="Masking"/> or
/// <see cref="Embedding"/> with <c>maskZero</c>, passed on by the layers between) marks real. A sample whose steps are all
/// masked gives zeros. With <see cref="KeepDims"/> the time axis stays, of length 1: [batch, 1, features] (Keras's
/// <c>keepdims=True</c>). The output carries no mask. No parameters.
/// </summary>
public abstract class GlobalPooling1D : Layer
{
    private readonly int[] _shape = new int[3];
    private byte[] _mask = [];
    private bool _masked;
    private bool _trained;

    private protected GlobalPooling1D(bool keepDims, string? name, string defaultName)
        : base(name, defaultName, null, 0)
    {
        KeepDims = keepDims;
    }

    /// <summary>Whether the output keeps the time axis with length 1: [batch, 1, features] instead of [batch, features].</summary>
    public bool KeepDims { get; }

    /// <summary>Pools a batch on its own (outside a model), over the steps <paramref name="mask"/> marks true.</summary>
    /// <param name="input">[batch, time, features].</param>
    /// <param name="mask">[batch, time], false at padding; null when every step is real.</param>
    /// <param name="training">Keep what <see cref="Layer.Backward(Tensor{float})"/> needs.</param>
    /// <returns>[batch, features], or [batch, 1, features] with <see cref="KeepDims"/>.</returns>
    /// <exception cref="ArgumentException">The input is not [batch, time, features], or the mask is not [batch, time].</exception>
    public Tensor<float> Forward(Tensor<float> input, Tensor<bool>? mask, bool training = false)
    {
        PrepareForward(input);
        var bytes = StepMaskOf(input, mask);
        var output = TensorExtensions.Zeros(OutputShapeFor(input));
        ForwardCore(input, output, bytes, training);
        return output;
    }

    internal override Dictionary<string, string> GetConfig() => LayerConfig.Of(("keepdims", KeepDims ? LayerConfig.Format(true) : null));

    /// <summary>The time axis a mask describes is gone (or reduced to one pooled step), so no mask passes on.</summary>
    internal override bool PropagatesMask(int outputRank) => false;

    internal override void ForwardCore(Tensor<float> input, Tensor<float> output, ReadOnlySpan<byte> mask, bool training)
    {
        var (batch, time, features) = ((int)input.Lengths[0], (int)input.Lengths[1], (int)input.Lengths[2]);
        _masked = !mask.IsEmpty;
        if (_masked)
        {
            Buffers.Grow(ref _mask, batch * time);
            mask.CopyTo(_mask);
        }

        Pool(input.AsFlatSpan(), output.AsFlatSpan(), _masked ? _mask.AsSpan(0, batch * time) : default, batch, time, features);
        (_shape[0], _shape[1], _shape[2], _trained) = (batch, time, features, training);
    }

    internal override int[] CheckBackward(Tensor<float> outputGradient)
    {
        if (!_trained)
        {
            throw NoTrainingForward();
        }

        CheckShape(outputGradient, KeepDims ? [_shape[0], 1, _shape[2]] : [_shape[0], _shape[2]], "output gradient", "the output of the last Forward");
        return [.. _shape];
    }

    internal override void BackwardCore(Tensor<float> outputGradient, Tensor<float>? inputGradient)
    {
        if (inputGradient is not null)
        {
            var (batch, time, features) = (_shape[0], _shape[1], _shape[2]);
            Unpool(outputGradient.AsFlatSpan(), inputGradient.AsFlatSpan(), _masked ? _mask.AsSpan(0, batch * time) : default, batch, time, features);
        }
    }

    /// <summary>
    /// Streaming (see <see cref="Models.StreamingSession"/>): pools a chunk of steps into the running state of each sequence
    /// and writes the pooled value of all the steps so far, which equals the layer's output on the whole prefix.
    /// </summary>
    /// <param name="input">[batch, steps, features], the chunk.</param>
    /// <param name="mask">[batch, steps], or empty when every step is real.</param>
    /// <param name="output">[batch, features] (or [batch, 1, features] with <see cref="KeepDims"/>), written.</param>
    /// <param name="state">[batch, features] the running sum or maximum, carried from chunk to chunk (zeros to start).</param>
    /// <param name="counts">[batch] real steps so far, carried (zeros to start).</param>
    internal void Stream(Tensor<float> input, ReadOnlySpan<byte> mask, Tensor<float> output, Span<float> state, Span<float> counts)
        => FoldSteps(input.AsFlatSpan(), mask, (int)input.Lengths[0], (int)input.Lengths[1], (int)input.Lengths[2], state, counts, output.AsFlatSpan());

    /// <summary>
    /// Folds the real steps of x [batch, time, features] into running states [batch, features] and counts [batch], then
    /// writes each sequence's pooled value into y [batch, features] (which may be the states themselves).
    /// </summary>
    private protected void FoldSteps(ReadOnlySpan<float> x, ReadOnlySpan<byte> mask, int batch, int time, int features, Span<float> state, Span<float> counts, Span<float> y)
    {
        for (var b = 0; b < batch; b++)
        {
            var running = state.Slice(b * features, features);
            for (var t = 0; t < time; t++)
            {
                if (mask.IsEmpty || mask[(b * time) + t] != 0)
                {
                    Fold(running, x.Slice(((b * time) + t) * features, features), counts[b] == 0);
                    counts[b]++;
                }
            }

            Finish(running, counts[b], y.Slice(b * features, features));
        }
    }

    /// <summary>Adds one real step to a running state (<paramref name="first"/>: the state holds nothing yet).</summary>
    private protected abstract void Fold(Span<float> running, ReadOnlySpan<float> step, bool first);

    /// <summary>The pooled value of a running state over <paramref name="count"/> real steps (0 for none).</summary>
    private protected abstract void Finish(ReadOnlySpan<float> running, float count, Span<float> pooled);

    /// <summary>y [batch, features] from x [batch, time, features] over the real steps (all when the mask is empty).</summary>
    private protected abstract void Pool(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<byte> mask, int batch, int time, int features);

    /// <summary>dx [batch, time, features] (overwritten) from dy [batch, features], for the last <see cref="Pool"/>.</summary>
    private protected abstract void Unpool(ReadOnlySpan<float> dy, Span<float> dx, ReadOnlySpan<byte> mask, int batch, int time, int features);

    private protected override void ValidateInputShape(ReadOnlySpan<int> inputShape)
    {
        if (inputShape.Length != 2 || inputShape[1] < 1)
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects input of shape [batch, time, features] but was given [batch, {string.Join(", ", inputShape.ToArray())}].");
        }
    }

    private protected override void ValidateInput(Tensor<float> input)
    {
        if (input.Rank != 3)
        {
            throw new ArgumentException($"Layer '{Name}' expects input of shape [batch, time, features] but received {input.ShapeString()}.", nameof(input));
        }
    }

    private protected override bool IsVariableDimension(int index) => index == 0;

    private protected override void BuildCore(ReadOnlySpan<int> inputShape, RandomSource random)
    {
    }

    private protected override int[] ComputeOutputShapeCore(ReadOnlySpan<int> inputShape) => KeepDims ? [1, inputShape[1]] : [inputShape[1]];
}

/// <summary>
/// The mean over time of [batch, time, features], <c>y[b, f] = Σ_t m[b, t] x[b, t, f] / Σ_t m[b, t]</c> with m the mask
/// (1 everywhere without one), as Keras's <c>GlobalAveragePooling1D</c>; 0 for a sample with no real step (Keras divides
/// by zero there). Output [batch, features].
/// </summary>
public sealed class GlobalAveragePooling1D : GlobalPooling1D
{
    private float[] _counts = [];

    /// <summary>Creates the layer.</summary>
    /// <param name="keepDims">Keep the time axis, with length 1: output [batch, 1, features] (Keras's <c>keepdims</c>).</param>
    /// <param name="name">The layer's name, <c>global_average_pooling1d</c> by default.</param>
    public GlobalAveragePooling1D(bool keepDims = false, string? name = null)
        : base(keepDims, name, "global_average_pooling1d")
    {
    }

    /// <summary>The sums build up in y itself, which then holds the means.</summary>
    private protected override void Pool(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<byte> mask, int batch, int time, int features)
    {
        Buffers.Grow(ref _counts, batch);
        var counts = _counts.AsSpan(0, batch);
        counts.Clear();
        FoldSteps(x, mask, batch, time, features, y, counts, y);
    }

    private protected override void Fold(Span<float> running, ReadOnlySpan<float> step, bool first)
    {
        if (first)
        {
            running.Clear();
        }

        TensorPrimitives.Add(running, step, running);
    }

    private protected override void Finish(ReadOnlySpan<float> running, float count, Span<float> pooled)
    {
        if (count > 0)
        {
            TensorPrimitives.Divide(running, count, pooled);
        }
        else
        {
            pooled.Clear();
        }
    }

    private protected override void Unpool(ReadOnlySpan<float> dy, Span<float> dx, ReadOnlySpan<byte> mask, int batch, int time, int features)
    {
        for (var b = 0; b < batch; b++)
        {
            var count = mask.IsEmpty ? time : mask.Slice(b * time, time).Length - mask.Slice(b * time, time).Count((byte)0);
            for (var t = 0; t < time; t++)
            {
                var row = dx.Slice(((b * time) + t) * features, features);
                if (mask.IsEmpty || mask[(b * time) + t] != 0)
                {
                    TensorPrimitives.Divide(dy.Slice(b * features, features), count, row);
                }
                else
                {
                    row.Clear();
                }
            }
        }
    }
}

/// <summary>
/// The maximum over time of [batch, time, features], <c>y[b, f] = max over real t of x[b, t, f]</c>, as Keras's
/// <c>GlobalMaxPooling1D</c> but over the real steps only when there is a mask (Keras ignores it, so padding's zeros
/// compete); 0 for a sample with no real step. The gradient goes to the first step that holds the maximum. Output
/// [batch, features].
/// </summary>
public sealed class GlobalMaxPooling1D : GlobalPooling1D
{
    private int[] _argmax = [];

    /// <summary>Creates the layer.</summary>
    /// <param name="keepDims">Keep the time axis, with length 1: output [batch, 1, features] (Keras's <c>keepdims</c>).</param>
    /// <param name="name">The layer's name, <c>global_max_pooling1d</c> by default.</param>
    public GlobalMaxPooling1D(bool keepDims = false, string? name = null)
        : base(keepDims, name, "global_max_pooling1d")
    {
    }

    private protected override void Pool(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<byte> mask, int batch, int time, int features)
    {
        Buffers.Grow(ref _argmax, batch * features);
        var argmax = _argmax.AsSpan(0, batch * features);
        argmax.Fill(-1);
        y.Clear();
        for (var b = 0; b < batch; b++)
        {
            var best = y.Slice(b * features, features);
            var at = argmax.Slice(b * features, features);
            for (var t = 0; t < time; t++)
            {
                if (!mask.IsEmpty && mask[(b * time) + t] == 0)
                {
                    continue;
                }

                var row = x.Slice(((b * time) + t) * features, features);
                for (var f = 0; f < features; f++)
                {
                    // A NaN wins and stays (as a max over a NaN does elsewhere), so a diverging model is seen.
                    if (at[f] < 0 || row[f] > best[f] || (float.IsNaN(row[f]) && !float.IsNaN(best[f])))
                    {
                        best[f] = row[f];
                        at[f] = t;
                    }
                }
            }
        }
    }

    private protected override void Fold(Span<float> running, ReadOnlySpan<float> step, bool first)
    {
        for (var f = 0; f < running.Length; f++)
        {
            // As in Pool: a NaN wins and stays.
            if (first || step[f] > running[f] || (float.IsNaN(step[f]) && !float.IsNaN(running[f])))
            {
                running[f] = step[f];
            }
        }
    }

    private protected override void Finish(ReadOnlySpan<float> running, float count, Span<float> pooled)
    {
        if (count > 0)
        {
            running.CopyTo(pooled);
        }
        else
        {
            pooled.Clear();
        }
    }

    private protected override void Unpool(ReadOnlySpan<float> dy, Span<float> dx, ReadOnlySpan<byte> mask, int batch, int time, int features)
    {
        dx.Clear();
        var argmax = _argmax.AsSpan(0, batch * features);
        for (var b = 0; b < batch; b++)
        {
            for (var f = 0; f < features; f++)
            {
                var t = argmax[(b * features) + f];
                if (t >= 0)
                {
                    dx[(((b * time) + t) * features) + f] = dy[(b * features) + f];
                }
            }
        }
    }
}
