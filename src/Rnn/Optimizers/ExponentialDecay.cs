namespace Rnn.Optimizers;

/// <summary>
/// Keras's <c>ExponentialDecay</c>: <c>rate(k) = η·r^(k / decaySteps)</c>, or <c>η·r^⌊k / decaySteps⌋</c>
/// with <see cref="Staircase"/>. PyTorch's <c>torch.optim.lr_scheduler.ExponentialLR(gamma)</c> stepped once
/// per optimizer step is <c>ExponentialDecay(decaySteps: 1, decayRate: gamma)</c>.
/// </summary>
public sealed class ExponentialDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="decaySteps">Steps over which the rate is multiplied by <paramref name="decayRate"/>, ≥ 1.</param>
    /// <param name="decayRate">r &gt; 0.</param>
    /// <param name="staircase">Decay in whole steps of <paramref name="decaySteps"/> rather than continuously.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public ExponentialDecay(long decaySteps, float decayRate, bool staircase = false)
    {
        DecaySteps = ScheduleGuard.Steps(Title, decaySteps, nameof(decaySteps));
        DecayRate = ScheduleGuard.Positive(Title, decayRate, nameof(decayRate));
        Staircase = staircase;
    }

    private const string Title = "exponential_decay";

    /// <inheritdoc/>
    public override string Name => Title;

    /// <summary>Steps over which the rate is multiplied by <see cref="DecayRate"/>.</summary>
    public long DecaySteps { get; }

    /// <summary>r: the factor per <see cref="DecaySteps"/> steps.</summary>
    public float DecayRate { get; }

    /// <summary>Whether the exponent is rounded down to a whole number.</summary>
    public bool Staircase { get; }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> GetConfig() => new Dictionary<string, string>
    {
        ["decay_steps"] = ConfigReader.Format(DecaySteps),
        ["decay_rate"] = ConfigReader.Format(DecayRate),
        ["staircase"] = ConfigReader.Format(Staircase),
    };

    /// <inheritdoc/>
    protected override float Compute(long iteration, float baseRate)
    {
        var exponent = Staircase ? iteration / DecaySteps : (double)iteration / DecaySteps;
        return (float)(baseRate * Math.Pow(DecayRate, exponent));
    }
}
