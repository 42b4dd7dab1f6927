namespace Rnn.Data;

/// <summary>
/// Training or evaluation data made one batch at a time, on demand: for data that does not fit in memory at once, is
/// read from disk, or is built on the fly (windows over a long series, augmentation). Keras's <c>PyDataset</c>
/// (<c>__len__</c>, <c>__getitem__</c>, <c>on_epoch_end</c>); PyTorch's map-style <c>Dataset</c> with a batching
/// <c>DataLoader</c>. <see cref="Sequential.Fit(BatchSource, int, BatchSource?, bool, IReadOnlyDictionary{int, float}?, IEnumerable{Models.Callback}?, int, Models.NonFiniteLoss, int, CancellationToken)"/>,
/// <see cref="Sequential.Evaluate(BatchSource, int)"/> and <see cref="Sequential.Predict(BatchSource)"/> take one.
/// </summary>
/// <remarks>
/// A model asks for each batch once per epoch (training shuffles the order of the batches, not their samples) and copies
/// what it needs before it asks for the next one, so a source may reuse the same tensors for every batch (unless it
/// turns on <see cref="Prefetch"/>). Batches may
/// differ in size (the last one is often smaller), except for stateful models, whose batches must all have the size
/// they were built for. Each batch is checked as it comes: a bad one stops training with an exception that names its
/// index, before it changes any weight.
/// </remarks>
public abstract class BatchSource
{
    /// <summary>The number of batches in one epoch (at least 1).</summary>
    public abstract int BatchCount { get; }

    /// <summary>Makes batch <paramref name="index"/>.</summary>
    /// <param name="index">From 0 to <see cref="BatchCount"/> − 1.</param>
    /// <returns>The batch: inputs, targets (which prediction does without) and optional sample weights, all with the same number of samples.</returns>
    public abstract DataBatch GetBatch(int index);

    /// <summary>
    /// Whether the model may ask for the next batch on a thread-pool thread while it trains or evaluates on the current one
    /// (Keras's <c>PyDataset(workers=...)</c>, with one batch ahead), so that making batches (reading files, augmenting)
    /// overlaps the model's work. False by default. A source that returns true promises that <see cref="GetBatch"/> may run
    /// on another thread than the model's (never two at once, and never during <see cref="OnEpochEnd"/>) and returns tensors
    /// it does not reuse for the next batch. The batches and results are the same either way.
    /// </summary>
    public virtual bool Prefetch => false;

    /// <summary>Called after each training epoch (for example to reshuffle samples between batches). Does nothing by default.</summary>
    public virtual void OnEpochEnd()
    {
    }
}
