namespace Rnn.Benchmarks;

/// <summary>
/// A persistent second thread that runs one piece of work each time it is asked, so that a benchmark can time two
/// cores working at once without starting a thread per invocation.
/// </summary>
public sealed class SecondCore : IDisposable
{
    private readonly SemaphoreSlim _start = new(0);
    private readonly SemaphoreSlim _done = new(0);
    private readonly Thread _thread;
    private volatile bool _stop;

    /// <param name="work">What the second thread runs each time.</param>
    public SecondCore(Action work)
    {
        _thread = new Thread(() =>
        {
            while (true)
            {
                _start.Wait();
                if (_stop)
                {
                    return;
                }

                work();
                _done.Release();
            }
        })
        { IsBackground = true, Name = "second core" };
        _thread.Start();
    }

    /// <summary>Starts the second thread's work, runs <paramref name="first"/> here, and waits for both.</summary>
    /// <param name="first">This thread's work (a delegate made once, so that a call allocates nothing).</param>
    public void RunWith(Action first)
    {
        _start.Release();
        first();
        _done.Wait();
    }

    public void Dispose()
    {
        _stop = true;
        _start.Release();
        _thread.Join();
        _start.Dispose();
        _done.Dispose();
    }
}
