namespace Rnn.Optimizers;

/// <summary>
/// Keras's <c>PolynomialDecay</c>: over <see cref="DecaySteps"/> steps the rate falls from η to e·η along
/// <c>(1 - k / decaySteps)^power</c>, then stays at e·η (e = <see cref="EndFactor"/>):
/// <code>
/// rate(k) = (η - e·η)·(1 - min(k, decaySteps) / decaySteps)^power + e·η
/// </code>
/// With <see cref="Cycle"/>, the decay restarts from η instead of stopping, over a horizon that grows to the
/// first multiple of <see cref="DecaySteps"/> at or past k (Keras's <c>cycle=True</c>):
/// <c>D = decaySteps·max(1, ⌈k / decaySteps⌉)</c> and <c>rate(k) = (η - e·η)·(1 - k / D)^power + e·η</c>.
/// </summary>
/// <remarks>
/// <para>
/// η is the optimizer's <see cref="Optimizer.LearningRate"/>, Keras's <c>initial_learning_rate</c>. Keras's
/// <c>end_learning_rate</c> is a rate, here a fraction of η: Keras's
/// <c>PolynomialDecay(initial_learning_rate, decay_steps, end_learning_rate, power, cycle)</c> is this schedule
/// with <c>endFactor: end_learning_rate / initial_learning_rate</c>. Keras's default end rate is 0.0001; the
/// default factor here is 0, PyTorch's.
/// </para>
/// <para>
/// PyTorch's <c>torch.optim.lr_scheduler.PolynomialLR(total_iters, power)</c>, stepped once per optimizer
/// step, is <c>new PolynomialDecay(total_iters, power: power)</c>: the rate reaches 0 at step
/// <c>total_iters</c> and stays there. PyTorch computes it step by step, multiplying by ratios; this is its
/// closed form, the same number up to the last bits of a double.
/// </para>
/// </remarks>
public sealed class PolynomialDecay : LearningRateSchedule
{
    private const string Title = "polynomial_decay";

    /// <summary>Creates the schedule.</summary>
    /// <param name="decaySteps">Steps from η to e·η, ≥ 1 (Keras's <c>decay_steps</c>, PyTorch's <c>total_iters</c>).</param>
    /// <param name="endFactor">e, finite and ≥ 0: the final rate as a fraction of η; 0 by default, as PyTorch's.</param>
    /// <param name="power">The power of the polynomial, positive and finite; 1 (linear) by default.</param>
    /// <param name="cycle">Restart the decay after <paramref name="decaySteps"/> over a longer horizon instead of staying at e·η.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public PolynomialDecay(long decaySteps, float endFactor = 0f, float power = 1f, bool cycle = false)
    {
        DecaySteps = ScheduleGuard.Steps(Title, decaySteps, nameof(decaySteps));
        EndFactor = ScheduleGuard.NonNegative(Title, endFactor, nameof(endFactor));
        Power = ScheduleGuard.Positive(Title, power, nameof(power));
        Cycle = cycle;
    }

    /// <inheritdoc/>
    public override string Name => Title;

    /// <summary>Steps from η to e·η (in the first cycle).</summary>
    public long DecaySteps { get; }

    /// <summary>e: the final rate as a fraction of η.</summary>
    public float EndFactor { get; }

    /// <summary>The power of the polynomial.</summary>
    public float Power { get; }

    /// <summary>Whether the decay restarts over the next multiple of <see cref="DecaySteps"/>.</summary>
    public bool Cycle { get; }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> GetConfig() => new Dictionary<string, string>
    {
        ["decay_steps"] = ConfigReader.Format(DecaySteps),
        ["end_factor"] = ConfigReader.Format(EndFactor),
        ["power"] = ConfigReader.Format(Power),
        ["cycle"] = ConfigReader.Format(Cycle),
    };

    /// <inheritdoc/>
    protected override float Compute(long iteration, float baseRate)
    {
        double horizon = DecaySteps;
        double step = iteration;
        if (Cycle)
        {
            // The first multiple of decaySteps at or past k (decaySteps itself at k = 0), in whole numbers.
            horizon *= Math.Max(1, (iteration + DecaySteps - 1) / DecaySteps);
        }
        else
        {
            step = Math.Min(iteration, DecaySteps);
        }

        var end = (double)EndFactor * baseRate;
        return (float)(((baseRate - end) * Math.Pow(1 - (step / horizon), Power)) + end);
    }
}
