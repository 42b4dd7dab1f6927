namespace Rnn.Optimizers;

/// <summary>
/// Multiplies the learning rate by γ every <see cref="StepSize"/> steps:
/// <c>rate(k) = η·γ^⌊k / stepSize⌋</c>. PyTorch's <c>torch.optim.lr_scheduler.StepLR(step_size, gamma)</c>
/// stepped once per optimizer step; Keras's <c>ExponentialDecay(η, stepSize, γ, staircase=True)</c>.
/// </summary>
public sealed class StepDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="stepSize">Steps between decays, ≥ 1.</param>
    /// <param name="gamma">γ &gt; 0, the factor of each decay; 0.1 by default, as PyTorch's.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public StepDecay(long stepSize, float gamma = 0.1f)
    {
        StepSize = ScheduleGuard.Steps(Title, stepSize, nameof(stepSize));
        Gamma = ScheduleGuard.Positive(Title, gamma, nameof(gamma));
    }

    private const string Title = "step_decay";

    /// <inheritdoc/>
    public override string Name => Title;

    /// <summary>Steps between decays.</summary>
    public long StepSize { get; }

    /// <summary>γ: the factor of each decay.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> GetConfig() => new Dictionary<string, string>
    {
        ["step_size"] = ConfigReader.Format(StepSize),
        ["gamma"] = ConfigReader.Format(Gamma),
    };

    /// <inheritdoc/>
    protected override float Compute(long iteration, float baseRate) => (float)(baseRate * Math.Pow(Gamma, iteration / StepSize));
}
