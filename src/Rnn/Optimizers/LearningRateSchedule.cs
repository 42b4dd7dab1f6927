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
    /// <summary>The schedule's name (for the built-in ones: <c>step_decay</c>, <c>multi_step_decay</c>, <c>exponential_decay</c>, <c>inverse_time_decay</c>, <c>polynomial_decay</c>, <c>piecewise_constant_decay</c>, <c>linear</c>, <c>cosine_decay</c>, <c>cosine_decay_restarts</c>, <c>one_cycle</c>).</summary>
    public abstract string Name { get; }

    /// <summary>The <see cref="Name"/>s of the built-in schedules, which <see cref="FromConfig"/> rebuilds.</summary>
    public static IReadOnlyList<string> BuiltInNames { get; } =
    [
        "step_decay", "multi_step_decay", "exponential_decay", "inverse_time_decay", "polynomial_decay",
        "piecewise_constant_decay", "linear", "cosine_decay", "cosine_decay_restarts", "one_cycle",
    ];

    /// <summary>Rebuilds a built-in schedule from its <see cref="Name"/> and <see cref="GetConfig"/>.</summary>
    /// <param name="name">A built-in schedule's <see cref="Name"/>.</param>
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
            "multi_step_decay" => new MultiStepDecay(reader.RequiredLongList("milestones"), reader.Float("gamma", 0.1f)),
            "exponential_decay" => new ExponentialDecay(reader.RequiredLong("decay_steps"), reader.RequiredFloat("decay_rate"), reader.Bool("staircase", false)),
            "inverse_time_decay" => new InverseTimeDecay(reader.RequiredLong("decay_steps"), reader.RequiredFloat("decay_rate"), reader.Bool("staircase", false)),
            "polynomial_decay" => new PolynomialDecay(reader.RequiredLong("decay_steps"), reader.Float("end_factor", 0f), reader.Float("power", 1f), reader.Bool("cycle", false)),
            "piecewise_constant_decay" => new PiecewiseConstantDecay(reader.RequiredLongList("boundaries"), reader.RequiredFloatList("values")),
            "linear" => new LinearSchedule(reader.Float("start_factor", 1f / 3), reader.Float("end_factor", 1f), reader.OptionalLong("total_iters") ?? 5),
            "cosine_decay" => new CosineDecay(reader.RequiredLong("decay_steps"), reader.Float("alpha", 0f), reader.OptionalLong("warmup_steps") ?? 0, reader.Float("warmup_start_factor", 0f)),
            "cosine_decay_restarts" => new CosineDecayRestarts(reader.RequiredLong("first_decay_steps"), reader.Float("t_mul", 2f), reader.Float("m_mul", 1f), reader.Float("alpha", 0f)),
            "one_cycle" => new OneCycle(reader.RequiredLong("total_steps"), reader.Float("pct_start", 0.3f), reader.Float("div_factor", 25f), reader.Float("final_div_factor", 1e4f)),
            _ => throw new ArgumentException($"Unknown learning-rate schedule '{name}'. Known schedules: {string.Join(", ", BuiltInNames)}.", nameof(name)),
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
