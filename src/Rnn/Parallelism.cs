namespace Rnn;

/// <summary>
/// How many threads the library's layers use. Results are bitwise identical for every thread count: work is
/// split so that no sum depends on how many threads share it.
/// </summary>
public static class Parallelism
{
    private static int _threadCount = Environment.ProcessorCount;
    private static volatile bool _adaptive = true;

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

    /// <summary>
    /// Whether a recurrent layer may run on fewer threads than <see cref="ThreadCount"/> when it measures that fewer are
    /// faster (default <see langword="true"/>). Each layer times its own calls, one worker against
    /// <see cref="ThreadCount"/>, and keeps using the faster, retrying the other now and then (after 16 calls, then
    /// 32, ... up to 1024). A second thread that meets the first at every time step pays only when its core is free
    /// and close: with another process busy on the second core, a streaming LSTM (one sequence) ran 7× slower on two
    /// threads than on one (0.9–1.3× with this on). Results are bitwise identical whatever is chosen; set this to <see langword="false"/> to
    /// always use as many threads as a problem is worth (for example, to measure them).
    /// </summary>
    public static bool Adaptive
    {
        get => _adaptive;
        set => _adaptive = value;
    }
}
