namespace Rnn.Optimizers;

/// <summary>
/// Keras's <c>CosineDecayRestarts</c> (SGDR, Loshchilov &amp; Hutter 2016): cosine decays from the peak to α·η,
/// each followed by a warm restart. Cycle i (from 0) starts at step <c>S(i) = D·(t^i - 1) / (t - 1)</c>
/// (<c>D·i</c> when t = 1), lasts <c>D·t^i</c> steps and starts from the peak m^i·η (D =
/// <see cref="FirstDecaySteps"/>, t = <see cref="TMul"/>, m = <see cref="MMul"/>, α = <see cref="Alpha"/>):
/// <code>
/// rate(k) = α·η + (η - α·η)·m^i·(1 + cos(π·(k - S(i)) / (D·t^i))) / 2,   S(i) ≤ k &lt; S(i + 1)
/// </code>
/// </summary>
/// <remarks>
/// <para>
/// Keras's <c>CosineDecayRestarts(initial_learning_rate, first_decay_steps, t_mul, m_mul, alpha)</c> is this
/// schedule on an optimizer whose learning rate is <c>initial_learning_rate</c>; the defaults are Keras's. As in
/// Keras, m scales only the part above α·η. Keras finds the cycle with a logarithm in the rate's precision,
/// which can land one cycle early at a restart (for example t = 3, step 121·D); this schedule corrects the
/// logarithm's estimate against S(i), so a restart is always at S(i) exactly (for whole t and D).
/// </para>
/// <para>
/// PyTorch's <c>torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)</c>, stepped once per
/// optimizer step, is <c>new CosineDecayRestarts(T_0, tMul: T_mult, alpha: eta_min / η)</c> (m = 1; note that
/// PyTorch's default T_mult is 1 and Keras's t_mul is 2). PyTorch counts the step within the cycle in whole
/// numbers; so does this schedule for whole t, so the cosine's argument is the same double.
/// </para>
/// </remarks>
public sealed class CosineDecayRestarts : LearningRateSchedule
{
    private const string Title = "cosine_decay_restarts";

    /// <summary>Creates the schedule.</summary>
    /// <param name="firstDecaySteps">D ≥ 1: the length of the first cycle (Keras's <c>first_decay_steps</c>, PyTorch's <c>T_0</c>).</param>
    /// <param name="tMul">t ≥ 1, finite: each cycle is t times as long as the one before; 2 by default, as Keras's.</param>
    /// <param name="mMul">m, finite and ≥ 0: each cycle's peak above α·η is m times the one before; 1 by default.</param>
    /// <param name="alpha">α in [0, 1]: the lowest rate as a fraction of η.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public CosineDecayRestarts(long firstDecaySteps, float tMul = 2f, float mMul = 1f, float alpha = 0f)
    {
        FirstDecaySteps = ScheduleGuard.Steps(Title, firstDecaySteps, nameof(firstDecaySteps));
        if (!(tMul >= 1f && float.IsFinite(tMul)))
        {
            throw ScheduleGuard.OutOfRange(Title, nameof(tMul), tMul, $"a finite {nameof(tMul)} >= 1", ScheduleGuard.Show(tMul));
        }

        TMul = tMul;
        MMul = ScheduleGuard.NonNegative(Title, mMul, nameof(mMul));
        Alpha = ScheduleGuard.Fraction(Title, alpha, nameof(alpha));
    }

    /// <inheritdoc/>
    public override string Name => Title;

    /// <summary>D: the length of the first cycle.</summary>
    public long FirstDecaySteps { get; }

    /// <summary>t: the growth of each cycle's length.</summary>
    public float TMul { get; }

    /// <summary>m: the growth of each cycle's peak (above α·η).</summary>
    public float MMul { get; }

    /// <summary>α: the lowest rate as a fraction of η.</summary>
    public float Alpha { get; }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> GetConfig() => new Dictionary<string, string>
    {
        ["first_decay_steps"] = ConfigReader.Format(FirstDecaySteps),
        ["t_mul"] = ConfigReader.Format(TMul),
        ["m_mul"] = ConfigReader.Format(MMul),
        ["alpha"] = ConfigReader.Format(Alpha),
    };

    /// <inheritdoc/>
    protected override float Compute(long iteration, float baseRate)
    {
        var (cycle, intoCycle, length) = Locate(iteration);
        var minimum = (double)Alpha * baseRate;
        var cosine = (1 + Math.Cos(Math.PI * intoCycle / length)) / 2;
        return (float)(minimum + ((baseRate - minimum) * Math.Pow(MMul, cycle) * cosine));
    }

    /// <summary>The cycle i of step k, the steps k - S(i) since its start, and its length D·t^i.</summary>
    private (long Cycle, double IntoCycle, double Length) Locate(long iteration)
    {
        if (TMul == 1f)
        {
            var whole = iteration / FirstDecaySteps;
            return (whole, iteration - (whole * FirstDecaySteps), FirstDecaySteps);
        }

        // Keras's estimate, i = ⌊log(1 - (k / D)·(1 - t)) / log t⌋, then moved to the cycle with S(i) ≤ k < S(i + 1).
        double t = TMul;
        var cycle = Math.Max(0L, (long)Math.Floor(Math.Log(1 - ((double)iteration / FirstDecaySteps * (1 - t))) / Math.Log(t)));
        while (Start(cycle + 1) <= iteration)
        {
            cycle++;
        }

        while (cycle > 0 && Start(cycle) > iteration)
        {
            cycle--;
        }

        return (cycle, iteration - Start(cycle), FirstDecaySteps * Math.Pow(t, cycle));

        double Start(long i) => FirstDecaySteps * ((Math.Pow(t, i) - 1) / (t - 1));
    }
}
