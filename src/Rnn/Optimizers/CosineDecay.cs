namespace Rnn.Optimizers;

/// <summary>
/// Keras 3's <c>CosineDecay</c>, with its optional linear warmup: for <see cref="WarmupSteps"/> steps the
/// rate rises in a straight line from s·η to η (s = <see cref="WarmupStartFactor"/>), then over
/// <see cref="DecaySteps"/> steps it falls along half a cosine from η to α·η, and stays there:
/// <code>
/// rate(k) = η·(s + (1 - s)·k / warmupSteps)                                      for k &lt; warmupSteps
/// rate(k) = η·(α + (1 - α)·(1 + cos(π·min(k - warmupSteps, decaySteps) / decaySteps)) / 2)   otherwise
/// </code>
/// η is the optimizer's <see cref="Optimizer.LearningRate"/>.
/// </summary>
/// <remarks>
/// <para>
/// Keras's <c>CosineDecay(initial_learning_rate, decay_steps, alpha)</c> is this schedule on an optimizer
/// whose learning rate is <c>initial_learning_rate</c>. With warmup,
/// <c>CosineDecay(initial_learning_rate, decay_steps, alpha, warmup_target=T, warmup_steps=W)</c> is the
/// optimizer's learning rate T (the peak, which α is a fraction of in Keras too) and
/// <c>new CosineDecay(decaySteps, alpha, warmupSteps: W, warmupStartFactor: initial_learning_rate / T)</c>;
/// Keras's usual <c>initial_learning_rate=0</c> is the default factor 0.
/// </para>
/// <para>
/// Without warmup, PyTorch's <c>CosineAnnealingLR(T_max=decaySteps, eta_min=α·η)</c>, stepped once per
/// optimizer step, gives the same rates for k ≤ decaySteps; after that PyTorch's rate rises again along the
/// cosine (period 2·T_max) while this one stays at α·η. PyTorch's <c>LinearLR</c> warmup followed by a cosine
/// is <see cref="LinearSchedule"/> and this schedule chained (<c>SequentialLR</c>), which has no single
/// schedule here; the warmup of this one is Keras's.
/// </para>
/// </remarks>
public sealed class CosineDecay : LearningRateSchedule
{
    private const string Title = "cosine_decay";

    /// <summary>Creates the schedule.</summary>
    /// <param name="decaySteps">Steps from η to α·η, ≥ 1 (Keras's <c>decay_steps</c>).</param>
    /// <param name="alpha">α in [0, 1]: the final rate as a fraction of η.</param>
    /// <param name="warmupSteps">Steps of linear warmup before the decay, ≥ 0; 0 (the default) for none.</param>
    /// <param name="warmupStartFactor">s in [0, 1]: the rate of step 0 of the warmup as a fraction of η (Keras's <c>initial_learning_rate / warmup_target</c>); 0 by default.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public CosineDecay(long decaySteps, float alpha = 0f, long warmupSteps = 0, float warmupStartFactor = 0f)
    {
        DecaySteps = ScheduleGuard.Steps(Title, decaySteps, nameof(decaySteps));
        Alpha = ScheduleGuard.Fraction(Title, alpha, nameof(alpha));
        if (warmupSteps < 0)
        {
            throw ScheduleGuard.OutOfRange(Title, nameof(warmupSteps), warmupSteps, $"{nameof(warmupSteps)} >= 0", ScheduleGuard.Show(warmupSteps));
        }

        WarmupSteps = warmupSteps;
        WarmupStartFactor = ScheduleGuard.Fraction(Title, warmupStartFactor, nameof(warmupStartFactor));
    }

    /// <inheritdoc/>
    public override string Name => Title;

    /// <summary>Steps from η to α·η, after the warmup.</summary>
    public long DecaySteps { get; }

    /// <summary>α: the final rate as a fraction of η.</summary>
    public float Alpha { get; }

    /// <summary>Steps of linear warmup from s·η to η before the decay (0 for none).</summary>
    public long WarmupSteps { get; }

    /// <summary>s: the rate at the start of the warmup as a fraction of η.</summary>
    public float WarmupStartFactor { get; }

    /// <inheritdoc/>
    /// <remarks>The warmup settings are written only when <see cref="WarmupSteps"/> is not 0, so that a schedule without warmup has the same config as before warmup existed.</remarks>
    public override IReadOnlyDictionary<string, string> GetConfig()
    {
        var config = new Dictionary<string, string>
        {
            ["decay_steps"] = ConfigReader.Format(DecaySteps),
            ["alpha"] = ConfigReader.Format(Alpha),
        };
        if (WarmupSteps > 0)
        {
            config["warmup_steps"] = ConfigReader.Format(WarmupSteps);
            config["warmup_start_factor"] = ConfigReader.Format(WarmupStartFactor);
        }

        return config;
    }

    /// <inheritdoc/>
    protected override float Compute(long iteration, float baseRate)
    {
        if (iteration < WarmupSteps)
        {
            // Keras's _warmup_function: (target - initial)·(k / W) + initial, with target η and initial s·η.
            var start = (double)WarmupStartFactor * baseRate;
            return (float)(((baseRate - start) * ((double)iteration / WarmupSteps)) + start);
        }

        // PyTorch's closed form, eta_min + (base - eta_min)·(1 + cos(π·k/T))/2, with eta_min = α·η.
        var minimum = (double)Alpha * baseRate;
        var cosine = (1 + Math.Cos(Math.PI * Math.Min(iteration - WarmupSteps, DecaySteps) / DecaySteps)) / 2;
        return (float)(minimum + ((baseRate - minimum) * cosine));
    }
}
