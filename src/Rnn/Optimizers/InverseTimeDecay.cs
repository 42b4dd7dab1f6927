namespace Rnn.Optimizers;

/// <summary>
/// Keras's <c>InverseTimeDecay</c>: <c>rate(k) = η / (1 + r·k / decaySteps)</c>, or
/// <c>η / (1 + r·⌊k / decaySteps⌋)</c> with <see cref="Staircase"/>; η is the optimizer's
/// <see cref="Optimizer.LearningRate"/> (Keras's <c>initial_learning_rate</c>), r the <see cref="DecayRate"/>.
/// </summary>
/// <remarks>
/// Keras's <c>InverseTimeDecay(initial_learning_rate, decay_steps, decay_rate, staircase)</c> is this schedule
/// on an optimizer whose learning rate is <c>initial_learning_rate</c>. PyTorch has no scheduler of its own for
/// it (a <c>LambdaLR</c> with <c>lambda k: 1 / (1 + r·k / decay_steps)</c> gives the same rates); Adagrad's
/// <c>lr_decay</c> is the same decay with decaySteps 1, counted per parameter update.
/// </remarks>
public sealed class InverseTimeDecay : LearningRateSchedule
{
    private const string Title = "inverse_time_decay";

    /// <summary>Creates the schedule.</summary>
    /// <param name="decaySteps">Steps over which the denominator grows by r, ≥ 1.</param>
    /// <param name="decayRate">r, finite and ≥ 0 (0 keeps the rate constant).</param>
    /// <param name="staircase">Decay in whole steps of <paramref name="decaySteps"/> rather than continuously.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public InverseTimeDecay(long decaySteps, float decayRate, bool staircase = false)
    {
        DecaySteps = ScheduleGuard.Steps(Title, decaySteps, nameof(decaySteps));
        DecayRate = ScheduleGuard.NonNegative(Title, decayRate, nameof(decayRate));
        Staircase = staircase;
    }

    /// <inheritdoc/>
    public override string Name => Title;

    /// <summary>Steps over which the denominator grows by <see cref="DecayRate"/>.</summary>
    public long DecaySteps { get; }

    /// <summary>r: how much the denominator grows per <see cref="DecaySteps"/> steps.</summary>
    public float DecayRate { get; }

    /// <summary>Whether k / decaySteps is rounded down to a whole number.</summary>
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
        var progress = Staircase ? iteration / DecaySteps : (double)iteration / DecaySteps;
        return (float)(baseRate / (1 + (DecayRate * progress)));
    }
}
