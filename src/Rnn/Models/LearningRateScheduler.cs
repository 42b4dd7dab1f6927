using System.Globalization;

namespace Rnn.Models;

/// <summary>
/// Sets the optimizer's learning rate at the start of every epoch from a function of the epoch (from 0) and the current
/// rate (Keras's <c>LearningRateScheduler</c>): <c>lr ← schedule(epoch, lr)</c>. Use it for schedules by epoch; for
/// schedules by step, give the optimizer a <see cref="Optimizers.LearningRateSchedule"/>, which this rate then scales
/// (the step's rate is <c>Schedule.Rate(step, LearningRate)</c>).
/// </summary>
/// <example>
/// Keep the rate for 10 epochs, then decay it by 10 % an epoch:
/// <code>
/// new LearningRateScheduler((epoch, rate) => epoch &lt; 10 ? rate : rate * 0.9f)
/// </code>
/// </example>
public sealed class LearningRateScheduler : Callback
{
    private readonly Func<int, float, float> _schedule;

    /// <summary>Creates the callback.</summary>
    /// <param name="schedule">The new learning rate from the epoch (from 0) and the current rate; must be positive and finite.</param>
    public LearningRateScheduler(Func<int, float, float> schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        _schedule = schedule;
    }

    /// <summary>The rate the schedule set at the start of the last epoch (NaN before training).</summary>
    public float LastLearningRate { get; private set; } = float.NaN;

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The schedule gave a rate that is not positive and finite; the optimizer keeps its rate.</exception>
    public override void OnEpochBegin(int epoch)
    {
        var optimizer = RequireModel().Optimizer!;
        var rate = _schedule(epoch, optimizer.LearningRate);
        if (!(rate > 0f) || float.IsInfinity(rate))
        {
            throw new InvalidOperationException(
                string.Create(CultureInfo.InvariantCulture, $"LearningRateScheduler: the schedule gave the learning rate {rate} for epoch {epoch + 1}; it must be positive and finite."));
        }

        optimizer.LearningRate = rate;
        LastLearningRate = rate;
    }
}
