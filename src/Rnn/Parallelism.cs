namespace Rnn;

/// <summary>
/// How many threads the library's layers use. Results are bitwise identical for every thread count: work is
/// split so that no sum depends on how many threads share it.
/// </summary>
public static class Parallelism
{
    private static int _threadCount = Environment.ProcessorCount;

    /// <summary>
    /// The most threads a layer uses at once (the calling thread included); by default the number of processors
    /// available to the process. 1 runs everything on the calling thread. Problems too small to gain from a
    /// second thread (a recurrent step of fewer than about 64 thousand multiply-adds, such as batch 32 × 20 units)
    /// run on one thread whatever this says.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set below 1.</exception>
    public static int ThreadCount
    {
        get => _threadCount;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _threadCount = value;
        }
    }
}
