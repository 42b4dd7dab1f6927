using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Rnn.Kernels;

/// <summary>A piece of work split between workers: worker <c>w</c> of <c>workers</c> does its share.</summary>
internal interface IWorkerJob
{
    /// <summary>Does worker <paramref name="worker"/>'s share; may call <see cref="WorkerPool.Barrier"/>, which every worker of the run must reach.</summary>
    void Execute(int worker, int workers);
}

/// <summary>
/// Persistent worker threads for the recurrent engine. A recurrent step takes microseconds, so handing each
/// step to <c>Parallel.For</c> (3–4 µs per call) would cost more than the step; instead one <see cref="Run"/>
/// covers a whole sequence, the workers keep the same hidden units every step (their slice of the weights stays
/// in their cache), and they meet at a spinning <see cref="Barrier"/> (~0.1–0.2 µs) once per step. Idle workers
/// spin briefly for the next job, then block.
/// </summary>
/// <remarks>
/// The calling thread is worker 0. One run at a time: a run that finds the pool busy (another model on
/// another thread) gets a single worker, which changes speed but never results, because every split the
/// engine makes computes each value in the same order.
/// </remarks>
internal sealed class WorkerPool
{
    private const int SpinIterations = 20_000;
    private static WorkerPool? _shared;
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _wake;
    private readonly Lock _runLock = new();
    private IWorkerJob? _job;
    private int _jobWorkers;
    private volatile int _generation;
    private volatile int _pending;
    private volatile int _barrierCount;
    private volatile int _barrierSense;
    private volatile Exception? _failure;

    private WorkerPool(int workers)
    {
        Workers = workers;
        _threads = new Thread[workers - 1];
        _wake = new SemaphoreSlim[workers - 1];
        for (var i = 0; i < _threads.Length; i++)
        {
            var index = i + 1;
            _wake[i] = new SemaphoreSlim(0);
            _threads[i] = new Thread(() => Loop(index)) { IsBackground = true, Name = $"Rnn worker {index}" };
            _threads[i].Start();
        }
    }

    /// <summary>The pool sized to <see cref="Parallelism.ThreadCount"/> (recreated when that changes).</summary>
    public static WorkerPool Shared
    {
        get
        {
            var pool = _shared;
            var wanted = Parallelism.ThreadCount;
            if (pool is null || pool.Workers != wanted)
            {
                pool = new WorkerPool(wanted);
                var previous = Interlocked.Exchange(ref _shared, pool);
                previous?.Retire();
            }

            return pool;
        }
    }

    /// <summary>
    /// Worker <paramref name="worker"/>'s part [Start, End) of <paramref name="length"/> items split into
    /// <paramref name="workers"/> equal parts, each cut at a multiple of <paramref name="multiple"/> (a power of
    /// two); the last part ends at <paramref name="length"/>.
    /// </summary>
    public static (int Start, int End) EqualPart(int length, int worker, int workers, int multiple = 1)
    {
        int Cut(int w) => w == workers ? length : (int)((long)length * w / workers) & -multiple;
        return (Cut(worker), Cut(worker + 1));
    }

    /// <summary>Threads available, the caller included.</summary>
    public int Workers { get; }

    /// <summary>Runs that used more than one worker so far (tests check that a split really happened).</summary>
    public long ParallelRuns { get; private set; }

    private bool Retired { get; set; }

    /// <summary>
    /// Runs <paramref name="job"/> on <paramref name="workers"/> workers (the caller being worker 0) and returns
    /// when all are done. Falls back to one worker when the pool is busy or <paramref name="workers"/> is 1.
    /// </summary>
    /// <returns>The number of workers that ran the job.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Run(IWorkerJob job, int workers)
    {
        if (workers <= 1 || Workers == 1 || !_runLock.TryEnter())
        {
            job.Execute(0, 1);
            return 1;
        }

        try
        {
            workers = Math.Min(workers, Workers);
            ParallelRuns++;
            _job = job;
            _jobWorkers = workers;
            _failure = null;
            _barrierCount = workers;
            _pending = workers - 1;
            _generation++;
            for (var i = 0; i < workers - 1; i++)
            {
                if (_wake[i].CurrentCount == 0)
                {
                    _wake[i].Release();
                }
            }

            try
            {
                job.Execute(0, workers);
            }
            catch (Exception e)
            {
                _failure ??= e;
            }

            var spin = new SpinWait();
            while (_pending > 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            _job = null;
            if (_failure is { } failure)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
            }

            return workers;
        }
        finally
        {
            _runLock.Exit();
        }
    }

    /// <summary>Waits until every worker of the current run has arrived (a sense-reversing barrier).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Barrier(int workers)
    {
        if (workers <= 1)
        {
            return;
        }

        var sense = _barrierSense;
        if (Interlocked.Decrement(ref _barrierCount) == 0)
        {
            _barrierCount = workers;
            _barrierSense = sense ^ 1;
            return;
        }

        var spin = new SpinWait();
        while (_barrierSense == sense)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    private void Retire()
    {
        Retired = true;
        foreach (var wake in _wake)
        {
            wake.Release();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Loop(int index)
    {
        var seen = 0;
        while (true)
        {
            // Spin a little for the next job (steps of a training loop follow each other closely), then block.
            var spins = 0;
            while (_generation == seen && !Retired && spins++ < SpinIterations)
            {
                Thread.SpinWait(20);
            }

            if (_generation == seen && !Retired)
            {
                _wake[index - 1].Wait();
            }

            if (Retired)
            {
                return;
            }

            if (_generation == seen)
            {
                continue;
            }

            seen = _generation;
            var job = _job;
            if (job is not null && index < _jobWorkers)
            {
                try
                {
                    job.Execute(index, _jobWorkers);
                }
                catch (Exception e)
                {
                    _failure ??= e;
                }

                Interlocked.Decrement(ref _pending);
            }

            Debug.Assert(_pending >= 0);
        }
    }
}
