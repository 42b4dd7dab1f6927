namespace Rnn.Optimizers;

/// <summary>
/// A learning rate that changes with the optimizer step: <see cref="Optimizer.Step"/> number k (0 for
/// the first) uses <c>Rate(k, optimizer.LearningRate)</c>. Schedules count optimizer steps (batches), as
/// Keras's do; a PyTorch scheduler behaves the same when <c>scheduler.step()</c> is called after every
/// <c>optimizer.step()</c>.
/// </summary>
/// <remarks>
/// The schedule scales the optimizer's base rate rather than holding its own, so that lowering
/// <see cref="Optimizer.LearningRate"/> (for example on a plateau) lowers the whole schedule. Rates are
/// computed in double precision and rounded to float32 once. Derive from this class for a schedule of
/// your own; <see cref="FromConfig"/> rebuilds only the built-in ones.
/// </remarks>
public abstract class LearningRateSchedule
{
    /// <summary>The schedule's name (<c>step_decay</c>, <c>exponential_decay</c>, <c>cosine_decay</c> for the built-in ones).</summary>
    public abstract string Name { get; }

    /// <summary>Rebuilds a built-in schedule from its <see cref="Name"/> and <see cref="GetConfig"/>.</summary>
    /// <param name="name"><c>step_decay</c>, <c>exponential_decay</c> or <c>cosine_decay</c>.</param>
    /// <param name="config">Its settings as <see cref="GetConfig"/> gives them; missing optional keys take the defaults.</param>
    /// <returns>A new schedule.</returns>
    /// <exception cref="ArgumentException">The name is unknown, a required key is missing, a key is unknown, or a value is malformed or out of range.</exception>
    public static LearningRateSchedule FromConfig(string name, IReadOnlyDictionary<string, string>? config = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var reader = new ConfigReader($"Schedule '{name}'", config, nameof(config));
        LearningRateSchedule schedule = name switch
        {
            "step_decay" => new StepDecay(reader.RequiredLong("step_size"), reader.Float("gamma", 0.1f)),
            "exponential_decay" => new ExponentialDecay(reader.RequiredLong("decay_steps"), reader.RequiredFloat("decay_rate"), reader.Bool("staircase", false)),
            "cosine_decay" => new CosineDecay(reader.RequiredLong("decay_steps"), reader.Float("alpha", 0f)),
            _ => throw new ArgumentException($"Unknown learning-rate schedule '{name}'. Known schedules: step_decay, exponential_decay, cosine_decay.", nameof(name)),
        };
        reader.ThrowIfUnknownKeys();
        return schedule;
    }

    /// <summary>The learning rate of optimizer step <paramref name="iteration"/>.</summary>
    /// <param name="iteration">The step, 0 for the first (<see cref="Optimizer.Iterations"/> before the step).</param>
    /// <param name="baseRate">The optimizer's base learning rate.</param>
    /// <returns>The rate, finite and ≥ 0 for the built-in schedules.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="iteration"/> is negative.</exception>
    public float Rate(long iteration, float baseRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iteration);
        return Compute(iteration, baseRate);
    }

    /// <summary>The schedule's settings by name, with invariant-culture values.</summary>
    /// <returns>A new dictionary; empty for a schedule without settings.</returns>
    public virtual IReadOnlyDictionary<string, string> GetConfig() => new Dictionary<string, string>();

    /// <inheritdoc/>
    public override string ToString() => $"{Name}({string.Join(", ", GetConfig().Select(c => $"{c.Key}={c.Value}"))})";

    /// <summary>The rate of step <paramref name="iteration"/> (≥ 0, checked) from the base rate.</summary>
    /// <param name="iteration">The step, ≥ 0.</param>
    /// <param name="baseRate">The optimizer's base learning rate.</param>
    /// <returns>The rate.</returns>
    protected abstract float Compute(long iteration, float baseRate);
}
