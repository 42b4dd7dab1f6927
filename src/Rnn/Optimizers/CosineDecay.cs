using System.Globalization;

namespace Rnn.Optimizers;

/// <summary>
/// Keras's <c>CosineDecay</c> (without warmup): over <see cref="DecaySteps"/> steps the rate falls along
/// half a cosine from η to α·η, then stays there:
/// <c>rate(k) = η·(α + (1 - α)·(1 + cos(π·min(k, decaySteps) / decaySteps)) / 2)</c>.
/// PyTorch's <c>torch.optim.lr_scheduler.CosineAnnealingLR(T_max=decaySteps, eta_min=α·η)</c>, stepped
/// once per optimizer step, gives the same rates for k ≤ decaySteps; after that PyTorch's rate rises again
/// along the cosine (period 2·T_max) while this one stays at α·η.
/// </summary>
public sealed class CosineDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="decaySteps">Steps from η to α·η, ≥ 1.</param>
    /// <param name="alpha">α in [0, 1]: the final rate as a fraction of η.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public CosineDecay(long decaySteps, float alpha = 0f)
    {
        if (decaySteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(decaySteps), decaySteps, $"Schedule 'cosine_decay' expects decaySteps >= 1 but received {decaySteps}.");
        }

        if (!(alpha >= 0f && alpha <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"Schedule 'cosine_decay' expects alpha in [0, 1] but received {alpha.ToString(CultureInfo.InvariantCulture)}.");
        }

        DecaySteps = decaySteps;
        Alpha = alpha;
    }

    /// <inheritdoc/>
    public override string Name => "cosine_decay";

    /// <summary>Steps from η to α·η.</summary>
    public long DecaySteps { get; }

    /// <summary>α: the final rate as a fraction of η.</summary>
    public float Alpha { get; }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> GetConfig() => new Dictionary<string, string>
    {
        ["decay_steps"] = ConfigReader.Format(DecaySteps),
        ["alpha"] = ConfigReader.Format(Alpha),
    };

    /// <inheritdoc/>
    protected override float Compute(long iteration, float baseRate)
    {
        // PyTorch's closed form, eta_min + (base - eta_min)·(1 + cos(π·k/T))/2, with eta_min = α·η.
        var minimum = (double)Alpha * baseRate;
        var cosine = (1 + Math.Cos(Math.PI * Math.Min(iteration, DecaySteps) / DecaySteps)) / 2;
        return (float)(minimum + ((baseRate - minimum) * cosine));
    }
}
