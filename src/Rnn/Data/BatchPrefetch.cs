namespace Rnn.Data;

/// <summary>
/// Makes the next batch of a <see cref="BatchSource"/> on a thread-pool thread while the model works on the current one,
/// for sources that opt in with <see cref="BatchSource.Prefetch"/>. One batch is in flight at a time, and only within one
/// pass over the batches, so <see cref="BatchSource.OnEpochEnd"/> never runs while a batch is being made. An exception of
/// the prefetched <see cref="BatchSource.GetBatch"/> comes out, as it was thrown, where that batch is asked for.
/// </summary>
internal sealed class BatchPrefetch(BatchSource source) : IDisposable
{
    private Task<DataBatch>? _next;
    private int _nextIndex = -1;

    /// <summary>Batch <paramref name="index"/>, then starts making batch <paramref name="following"/> (none when negative or when the source does not prefetch).</summary>
    public DataBatch Get(int index, int following)
    {
        DataBatch batch;
        if (_next is { } task && _nextIndex == index)
        {
            _next = null;
            batch = task.GetAwaiter().GetResult();
        }
        else
        {
            Drain();
            batch = source.GetBatch(index);
        }

        if (following >= 0 && source.Prefetch)
        {
            _nextIndex = following;
            // PreferFairness queues it to the pool's global queue, from which a waiting thread cannot take it to run it
            // inline: the batch is always made on another thread, ahead of time, not on demand when the pool is busy.
            _next = Task.Factory.StartNew(
                () => source.GetBatch(following), CancellationToken.None, TaskCreationOptions.PreferFairness | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
        }

        return batch;
    }

    /// <summary>Waits for a batch still being made (its result or exception no longer matters), so that nothing runs on the source afterwards.</summary>
    public void Dispose() => Drain();

    private void Drain()
    {
        if (_next is { } task)
        {
            _next = null;
            try
            {
                task.Wait();
            }
            catch (AggregateException)
            {
                // Nobody asked for this batch; the caller is leaving or asked for another one.
            }
        }
    }
}
