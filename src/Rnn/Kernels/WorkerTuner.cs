using System.Diagnostics;

namespace Rnn.Kernels;

/// <summary>
/// Chooses, call by call, between one worker and several for a job that runs again and again (one recurrent layer's
/// pass over a batch), by timing the job's own calls. A second thread pays only when its core is free and close:
/// with another process busy on the second core, a streaming LSTM that meets its workers once per step ran 7×
/// slower on two threads than on one; and where the two cores are far apart, a streaming SimpleRnn ran 10 % slower.
/// Results do not depend on the choice: every split computes each value in the same order.
/// </summary>
/// <remarks>
/// <para>
/// Both options are timed first (three counted calls each). From then on the cheaper one runs, and the other is timed
/// again (three counted calls for one worker, eight for several) after 16 calls; while it keeps losing, after 32, 64,
/// ... up to 1024 calls, and after 16 again once it wins. It is timed again early (at most every 16 calls) when the
/// option in use costs more than 1.5 times what the other cost when last timed: that is how a core that another
/// process has taken is noticed. A timing stops at the first call that costs twice what the option in use does, so
/// that a taken core is paid for once.
/// </para>
/// <para>
/// The first call after every change is not counted: it pays for moving the weights into the caches of the cores that
/// now read them. Costs are per time step; an option's cost is the mean of its last eight counted calls (of a timing,
/// its own calls) without the slowest, so that one call slowed by an interruption (2857 µs among calls of 550–800 µs,
/// measured) does not decide, while an option whose calls are often slow is charged for them. The other option must
/// win two timings in a row to replace the one in use, and several workers must beat one by a tenth (their times
/// count 1.1 times): they occupy another core, and theirs are the calls that vary most when another process shares
/// the machine. A call the pool ran on fewer workers than asked (another model had it) is not counted.
/// </para>
/// </remarks>
internal sealed class WorkerTuner
{
    private const int FirstProbeInterval = 16;
    private const int LastProbeInterval = 1024;
    private const int TrialCalls = 3;

    /// <summary>Counted calls when several workers are timed again: long enough that a few lucky milliseconds do not decide.</summary>
    private const int ManyTrialCalls = 8;

    /// <summary>What a call on several workers is counted as costing, per unit of its time: more threads must be clearly faster.</summary>
    private const double ManyPenalty = 1.1;

    /// <summary>How much more than the other option cost when last timed the option in use must cost for it to be timed again early.</summary>
    private const double ChangedFactor = 1.5;

    /// <summary>A call of the option being timed again that costs this many times the option in use ends the timing: it lost.</summary>
    private const double LosingFactor = 2;

    private readonly Costs _one = new();
    private readonly Costs _many = new();
    private readonly double[] _trial = new double[ManyTrialCalls];
    private int _key = -1;
    private int _most;
    private int _choice;
    private int _last;
    private int _trialLeft;
    private int _trialLength;
    private bool _confirmed;
    private double _otherCost;
    private long _calls;
    private long _lastTrial;
    private long _nextTrial;
    private int _interval;

    /// <summary>The option in use (1 or the most workers); 0 before both have been timed.</summary>
    public int Choice => _choice;

    /// <summary>
    /// Runs <paramref name="job"/> on the pool with 1 or <paramref name="most"/> workers, whichever this tuner expects
    /// to be faster for calls of this <paramref name="key"/> (a new key starts over), and times it.
    /// </summary>
    /// <param name="pool">The pool.</param>
    /// <param name="job">The job.</param>
    /// <param name="most">The most workers the job is worth (1: no choice to make, nothing is timed).</param>
    /// <param name="key">What the timings depend on besides the step count (the batch size).</param>
    /// <param name="steps">Time steps in this call; costs are compared per step.</param>
    public void Run(WorkerPool pool, IWorkerJob job, int most, int key, int steps)
    {
        if (most <= 1 || !Parallelism.Adaptive)
        {
            pool.Run(job, most);
            return;
        }

        var workers = Choose(most, key);
        var start = Stopwatch.GetTimestamp();
        var used = pool.Run(job, workers);
        var elapsed = Stopwatch.GetTimestamp() - start;
        if (used == workers)
        {
            Record(workers, (double)elapsed / Math.Max(1, steps));
        }
    }

    /// <summary>Workers for the next call: 1 or <paramref name="most"/>.</summary>
    internal int Choose(int most, int key)
    {
        if (key != _key || most != _most)
        {
            (_key, _most, _choice, _last, _calls, _interval, _trialLeft, _confirmed) = (key, most, 0, 0, 0, FirstProbeInterval, 0, false);
            _one.Clear();
            _many.Clear();
        }

        if (_choice == 0)
        {
            // Learning: the most workers, then one.
            return _many.Count < TrialCalls ? most : 1;
        }

        if (_trialLeft == 0 && (_calls >= _nextTrial || (_calls >= _lastTrial + FirstProbeInterval && CostsOf(_choice).Cost > ChangedFactor * _otherCost)))
        {
            // Time the other option again: when it is due, or sooner when the one in use got slower than the other was.
            _trialLength = _choice == 1 ? ManyTrialCalls : TrialCalls;
            (_trialLeft, _lastTrial) = (_trialLength, _calls);
        }

        return _trialLeft > 0 ? Other(_choice) : _choice;
    }

    /// <summary>Records the cost per step of the call <see cref="Choose"/> planned, run on <paramref name="workers"/> workers.</summary>
    internal void Record(int workers, double costPerStep)
    {
        _calls++;
        var first = workers != _last;
        _last = workers;
        if (first)
        {
            // The first call after a change (and the first of all) pays for moving the weights into the caches of the
            // cores that now read them: not counted.
            return;
        }

        if (workers != 1)
        {
            costPerStep *= ManyPenalty;
        }

        CostsOf(workers).Add(costPerStep);
        if (_choice == 0)
        {
            if (_one.Count == TrialCalls)
            {
                _choice = _one.Cost <= _many.Cost ? 1 : _most;
                _otherCost = CostsOf(Other(_choice)).Cost;
                _nextTrial = _calls + _interval;
            }
        }
        else if (workers != _choice && _trialLeft > 0)
        {
            _trial[--_trialLeft] = costPerStep;
            var current = CostsOf(_choice).Cost;
            if (costPerStep > LosingFactor * current)
            {
                // Clearly slower (the other core is taken): stop timing it now rather than pay for more such calls.
                _trialLeft = 0;
                _trial.AsSpan(0, _trialLength).Fill(costPerStep);
            }

            if (_trialLeft == 0)
            {
                var trial = Typical(_trial.AsSpan(0, _trialLength));
                var won = trial < current;

                // The option in use gives way only when the other wins twice in a row: one lucky or unlucky timing does not
                // move the weights between the cores.
                var change = won && _confirmed;
                _confirmed = won && !change;
                _interval = won ? FirstProbeInterval : Math.Min(2 * _interval, LastProbeInterval);
                (_choice, _otherCost) = change ? (Other(_choice), current) : (_choice, trial);
                _nextTrial = _calls + _interval;
            }
        }
    }

    private Costs CostsOf(int workers) => workers == 1 ? _one : _many;

    private int Other(int workers) => workers == 1 ? _most : 1;

    /// <summary>
    /// The mean of <paramref name="values"/> without the largest: one call slowed by an interruption does not count, while
    /// an option whose calls are often slow (a core shared with another process) is charged for them.
    /// </summary>
    private static double Typical(ReadOnlySpan<double> values)
    {
        if (values.Length < 2)
        {
            return values.Length == 1 ? values[0] : double.PositiveInfinity;
        }

        double sum = 0, largest = double.NegativeInfinity;
        foreach (var value in values)
        {
            sum += value;
            largest = Math.Max(largest, value);
        }

        return (sum - largest) / (values.Length - 1);
    }

    /// <summary>The last eight counted costs of one option, and their typical value.</summary>
    private sealed class Costs
    {
        private const int Kept = 8;
        private readonly double[] _values = new double[Kept];
        private int _next;

        public int Count { get; private set; }

        public double Cost { get; private set; } = double.PositiveInfinity;

        public void Add(double value)
        {
            _values[_next] = value;
            _next = (_next + 1) % Kept;
            Count = Math.Min(Count + 1, Kept);
            Cost = Typical(_values.AsSpan(0, Count));
        }

        public void Clear() => (_next, Count, Cost) = (0, 0, double.PositiveInfinity);
    }
}
