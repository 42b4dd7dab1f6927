using System.Numerics.Tensors;

namespace Rnn.Data;

/// <summary>
/// The windows of <see cref="TimeSeries.SlidingWindows(Tensor{float}, Tensor{float}?, int, int, int, bool, int?, int, int?)"/>,
/// in the same order, made one batch at a time when a model asks for them instead of all at once: a series of n steps
/// and windows of length L over it take n values here against about n·L as tensors. This is what Keras's
/// <c>timeseries_dataset_from_array</c> returns: a batched dataset of (window, target) pairs.
/// </summary>
/// <remarks>
/// The source reads the series and targets it was given, without copying them: do not change them while it is in use.
/// Each batch is written into the same buffers (one size for whole batches, one for a shorter last batch), which
/// <see cref="Sequential"/> copies before asking for the next one; a caller that keeps batches must copy them.
/// </remarks>
public sealed class WindowBatches : BatchSource
{
    private readonly Tensor<float> _data;
    private readonly Tensor<float> _targets;
    private readonly int[] _starts;
    private readonly int _features;
    private readonly int _targetRowSize;
    private readonly nint[] _stepShape;
    private readonly nint[] _targetShape;
    private readonly int _samplingRate;
    private (float[] X, float[] Y) _full;
    private (float[] X, float[] Y) _last;

    /// <summary>Windows over <paramref name="data"/> with a target each, in batches of <paramref name="batchSize"/>.</summary>
    /// <param name="data">The series, rows first: <c>[steps]</c>, <c>[steps, features]</c>, or <c>[steps, ...]</c> (dense).</param>
    /// <param name="targets">Targets, rows first: <c>targets[p]</c> belongs to the window that starts at row p (Keras's rule).</param>
    /// <param name="sequenceLength">Steps per window (Keras <c>sequence_length</c>).</param>
    /// <param name="batchSize">Windows per batch (Keras <c>batch_size</c>, 128 by default); the last batch may be smaller.</param>
    /// <param name="sequenceStride">Rows between the starts of successive windows (Keras <c>sequence_stride</c>).</param>
    /// <param name="samplingRate">Rows between successive steps inside a window (Keras <c>sampling_rate</c>).</param>
    /// <param name="shuffle">Put the windows in a random order once, as <see cref="TimeSeries.SlidingWindows(Tensor{float}, Tensor{float}?, int, int, int, bool, int?, int, int?)"/> does (training can also shuffle the order of the batches every epoch).</param>
    /// <param name="seed">Seed for <paramref name="shuffle"/>; null for a random one.</param>
    /// <param name="startIndex">The first row that windows may use (Keras <c>start_index</c>).</param>
    /// <param name="endIndex">One past the last row that windows may use (Keras <c>end_index</c>); null for the row count.</param>
    /// <exception cref="ArgumentOutOfRangeException">A length, batch size, stride, rate or index is out of range.</exception>
    /// <exception cref="ArgumentException">The data or targets are empty or not dense.</exception>
    public WindowBatches(
        Tensor<float> data,
        Tensor<float> targets,
        int sequenceLength,
        int batchSize = 128,
        int sequenceStride = 1,
        int samplingRate = 1,
        bool shuffle = false,
        int? seed = null,
        int startIndex = 0,
        int? endIndex = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var rows = Batching.RowCount(data, nameof(data));
        var targetRows = Batching.RowCount(targets, nameof(targets));
        _features = Batching.RowSize(data);
        _targetRowSize = Batching.RowSize(targets);
        _stepShape = data.Rank == 1 ? [1] : data.Lengths[1..].ToArray();
        _targetShape = targets.Lengths[1..].ToArray();
        _starts = TimeSeries.WindowStarts(nameof(data), rows, _features, _stepShape, targetRows, hasTargets: true, sequenceLength, sequenceStride, samplingRate, shuffle, seed, startIndex, endIndex);
        (_data, _targets, SequenceLength, BatchSize, _samplingRate) = (data, targets, sequenceLength, batchSize, samplingRate);
        _full = ([], []);
        _last = ([], []);
    }

    /// <summary>Steps per window.</summary>
    public int SequenceLength { get; }

    /// <summary>Windows per batch (the last batch may hold fewer).</summary>
    public int BatchSize { get; }

    /// <summary>The number of windows, the same as <see cref="TimeSeries.SlidingWindows(Tensor{float}, Tensor{float}?, int, int, int, bool, int?, int, int?)"/> makes.</summary>
    public int WindowCount => _starts.Length;

    /// <inheritdoc/>
    public override int BatchCount => (_starts.Length + BatchSize - 1) / BatchSize;

    /// <summary>Windows <c>index·BatchSize</c> onwards: X <c>[n, sequenceLength, features]</c> and Y <c>[n, ...]</c>.</summary>
    /// <param name="index">From 0 to <see cref="BatchCount"/> − 1.</param>
    /// <returns>The batch, in buffers the next call overwrites.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not below <see cref="BatchCount"/>.</exception>
    public override DataBatch GetBatch(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BatchCount);
        var first = index * BatchSize;
        var count = Math.Min(BatchSize, _starts.Length - first);
        ref var buffers = ref count == BatchSize ? ref _full : ref _last;
        if (buffers.X.Length != count * SequenceLength * _features)
        {
            buffers = (new float[count * SequenceLength * _features], new float[count * _targetRowSize]);
        }

        TimeSeries.CopyWindows(_data.AsFlatSpan(), _features, _targets.AsFlatSpan(), _targetRowSize, _starts.AsSpan(first, count), SequenceLength, _samplingRate, buffers.X, buffers.Y);
        return new DataBatch(Tensor.Create(buffers.X, [count, SequenceLength, .. _stepShape]), Tensor.Create(buffers.Y, [count, .. _targetShape]));
    }
}
