namespace Rnn;

/// <summary>
/// One call at a time: a model's layers keep their buffers and caches between calls, so two threads running the same
/// model at once would overwrite each other's numbers. Every call that runs or changes the model enters here first; a
/// call from another thread while one is running throws instead of computing garbage. Calls from the thread already
/// inside (a callback that predicts or saves during <c>Fit</c>) nest.
/// </summary>
public sealed partial class Sequential
{
    // The managed thread id of the thread inside a call, 0 when none; only that thread changes _callDepth.
    private int _callThread;
    private int _callDepth;

    /// <summary>Enters a call of <paramref name="operation"/>; dispose the result when it ends (allocation-free).</summary>
    /// <exception cref="InvalidOperationException">Another thread is inside a call of this model.</exception>
    internal CallScope EnterCall(string operation)
    {
        var me = Environment.CurrentManagedThreadId;
        var inside = Interlocked.CompareExchange(ref _callThread, me, 0);
        if (inside != 0 && inside != me)
        {
            throw new InvalidOperationException(
                $"Model '{Name}' is busy: {operation} was called on thread {me} while thread {inside} is running the model. A model runs one call "
                + "at a time (its layers reuse their buffers); give each thread its own model (model.Clone()) "
                + "or take a lock around the calls.");
        }

        _callDepth++;
        return new CallScope(this);
    }

    /// <summary>Leaves a call entered with <see cref="EnterCall"/>.</summary>
    internal readonly struct CallScope(Sequential model) : IDisposable
    {
        public void Dispose()
        {
            if (--model._callDepth == 0)
            {
                Volatile.Write(ref model._callThread, 0);
            }
        }
    }
}
