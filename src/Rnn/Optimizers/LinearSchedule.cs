namespace Rnn.Optimizers;

/// <summary>
/// PyTorch's <c>torch.optim.lr_scheduler.LinearLR(start_factor, end_factor, total_iters)</c>, stepped once per
/// optimizer step: the rate moves in a straight line from a·η to b·η over <see cref="TotalIters"/> steps,
/// then stays at b·η:
/// <c>rate(k) = η·(a + (b - a)·min(k, totalIters) / totalIters)</c>, with a = <see cref="StartFactor"/> and
/// b = <see cref="EndFactor"/>. The usual use is a warmup (a &lt; b = 1); a &gt; b decays.
/// </summary>
/// <remarks>
/// The defaults are PyTorch's (a = 1/3, b = 1, 5 steps). PyTorch computes the rate step by step, multiplying the
/// previous one by a ratio; this is its closed form (<c>_get_closed_form_lr</c>), the same number up to the last
/// bits of a double, which the rounding to float32 almost always hides. Keras has no linear schedule of its own:
/// its <c>PolynomialDecay(power=1)</c> is the decaying case, <see cref="PolynomialDecay"/>.
/// </remarks>
public sealed class LinearSchedule : LearningRateSchedule
{
    private const string Title = "linear";

    /// <summary>Creates the schedule.</summary>
    /// <param name="startFactor">a in (0, 1]: the rate of step 0 as a fraction of η (PyTorch's <c>start_factor</c>).</param>
    /// <param name="endFactor">b in [0, 1]: the rate from step <paramref name="totalIters"/> on, as a fraction of η (<c>end_factor</c>).</param>
    /// <param name="totalIters">Steps from a·η to b·η, ≥ 1 (<c>total_iters</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public LinearSchedule(float startFactor = 1f / 3, float endFactor = 1f, long totalIters = 5)
    {
        // PyTorch's own bounds: a factor 0 at the start would stop its step-by-step ratios at 0 for good.
        if (!(startFactor > 0f && startFactor <= 1f))
        {
            throw ScheduleGuard.OutOfRange(Title, nameof(startFactor), startFactor, $"{nameof(startFactor)} in (0, 1]", ScheduleGuard.Show(startFactor));
        }

        StartFactor = startFactor;
        EndFactor = ScheduleGuard.Fraction(Title, endFactor, nameof(endFactor));
        TotalIters = ScheduleGuard.Steps(Title, totalIters, nameof(totalIters));
    }

    /// <inheritdoc/>
    public override string Name => Title;

    /// <summary>a: the rate of step 0 as a fraction of η.</summary>
    public float StartFactor { get; }

    /// <summary>b: the rate from step <see cref="TotalIters"/> on, as a fraction of η.</summary>
    public float EndFactor { get; }

    /// <summary>Steps from a·η to b·η.</summary>
    public long TotalIters { get; }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> GetConfig() => new Dictionary<string, string>
    {
        ["start_factor"] = ConfigReader.Format(StartFactor),
        ["end_factor"] = ConfigReader.Format(EndFactor),
        ["total_iters"] = ConfigReader.Format(TotalIters),
    };

    /// <inheritdoc/>
    protected override float Compute(long iteration, float baseRate)
    {
        // PyTorch's base_lr·(start + (end - start)·min(T, k) / T), in its order.
        var factor = StartFactor + (((double)EndFactor - StartFactor) * Math.Min(TotalIters, iteration) / TotalIters);
        return (float)(baseRate * factor);
    }
}
