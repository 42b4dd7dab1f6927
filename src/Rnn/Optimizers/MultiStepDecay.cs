namespace Rnn.Optimizers;

/// <summary>
/// PyTorch's <c>torch.optim.lr_scheduler.MultiStepLR(milestones, gamma)</c>, stepped once per optimizer step:
/// the rate is multiplied by γ at each milestone, <c>rate(k) = η·γ^n(k)</c> with n(k) the number of milestones
/// ≤ k. <see cref="StepDecay"/> is the case of evenly spaced milestones.
/// </summary>
/// <remarks>
/// A milestone listed twice multiplies by γ² there, as PyTorch's (it counts milestones with a <c>Counter</c>).
/// PyTorch computes the rate step by step (the previous rate times γ^count at a milestone); this is its closed
/// form, <c>base_lr·γ^bisect_right(milestones, k)</c>. Keras's equivalent is
/// <see cref="PiecewiseConstantDecay"/> with <c>boundaries</c> one less than the milestones (Keras switches
/// after a boundary, PyTorch at a milestone) and <c>values</c> γ⁰, γ¹, γ², ….
/// </remarks>
public sealed class MultiStepDecay : LearningRateSchedule
{
    private const string Title = "multi_step_decay";

    private readonly long[] _milestones;

    /// <summary>Creates the schedule.</summary>
    /// <param name="milestones">The steps at which the rate is multiplied by γ, each ≥ 0, in increasing order (repeats allowed); none for a constant rate.</param>
    /// <param name="gamma">γ &gt; 0, the factor at each milestone; 0.1 by default, as PyTorch's.</param>
    /// <exception cref="ArgumentNullException"><paramref name="milestones"/> is null.</exception>
    /// <exception cref="ArgumentException">The milestones are out of order, or a value is out of its range (<see cref="ArgumentOutOfRangeException"/>).</exception>
    public MultiStepDecay(IEnumerable<long> milestones, float gamma = 0.1f)
    {
        _milestones = ScheduleGuard.OrderedSteps(Title, milestones, nameof(milestones), strictly: false);
        Gamma = ScheduleGuard.Positive(Title, gamma, nameof(gamma));
    }

    /// <inheritdoc/>
    public override string Name => Title;

    /// <summary>The steps at which the rate is multiplied by γ, in increasing order.</summary>
    public IReadOnlyList<long> Milestones => _milestones;

    /// <summary>γ: the factor at each milestone.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> GetConfig() => new Dictionary<string, string>
    {
        ["milestones"] = ConfigReader.Format(_milestones),
        ["gamma"] = ConfigReader.Format(Gamma),
    };

    /// <inheritdoc/>
    protected override float Compute(long iteration, float baseRate)
        => (float)(baseRate * Math.Pow(Gamma, ScheduleGuard.CountAtMost(_milestones, iteration)));
}
