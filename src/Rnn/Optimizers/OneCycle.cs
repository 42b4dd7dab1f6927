namespace Rnn.Optimizers;

/// <summary>
/// PyTorch's <c>torch.optim.lr_scheduler.OneCycleLR</c> (the 1cycle policy, Smith &amp; Topin 2017; two phases,
/// cosine annealing), stepped once per optimizer step: the rate rises from η/d to the peak η over the first
/// p·N steps, then falls to η/(d·f) at the last step N - 1 (N = <see cref="TotalSteps"/>, p =
/// <see cref="PctStart"/>, d = <see cref="DivFactor"/>, f = <see cref="FinalDivFactor"/>). With
/// <c>e = p·N - 1</c> and <c>anneal(a, b, x) = b + (a - b)/2·(1 + cos(π·x))</c>:
/// <code>
/// rate(k) = anneal(η/d, η, k / e)                          for k ≤ e
/// rate(k) = anneal(η, η/(d·f), (k - e) / (N - 1 - e))      for e &lt; k ≤ N - 1
/// </code>
/// </summary>
/// <remarks>
/// <para>
/// η is the optimizer's <see cref="Optimizer.LearningRate"/>, PyTorch's <c>max_lr</c>:
/// <c>OneCycleLR(optimizer, max_lr, total_steps, pct_start, div_factor, final_div_factor, cycle_momentum=False)</c>
/// is an optimizer with learning rate <c>max_lr</c> and <c>new OneCycle(total_steps, pct_start, div_factor, final_div_factor)</c>
/// (with <c>epochs</c> and <c>steps_per_epoch</c> instead, N is their product). The defaults are PyTorch's.
/// </para>
/// <para>
/// Left out: PyTorch's momentum cycling (<c>cycle_momentum=True</c>, its default, which also sets SGD's momentum
/// or Adam's β₁ at every step), because a schedule here gives only the learning rate and the optimizers' momentum
/// and β₁ are fixed at construction; and <c>anneal_strategy='linear'</c> and <c>three_phase=True</c>.
/// </para>
/// <para>
/// PyTorch refuses to step past N; this schedule stays at η/(d·f) from step N - 1 on. PyTorch also divides zero by
/// zero when p·N = 1 (its first phase then ends at step 0), so that combination is refused here.
/// </para>
/// </remarks>
public sealed class OneCycle : LearningRateSchedule
{
    private const string Title = "one_cycle";

    /// <summary>Creates the schedule.</summary>
    /// <param name="totalSteps">N ≥ 1: the steps of the cycle (PyTorch's <c>total_steps</c>).</param>
    /// <param name="pctStart">p in [0, 1]: the fraction of the steps spent rising (<c>pct_start</c>); 0.3 by default; p·N must not be 1.</param>
    /// <param name="divFactor">d, positive and finite: the first rate is η/d (<c>div_factor</c>); 25 by default.</param>
    /// <param name="finalDivFactor">f, positive and finite: the last rate is η/(d·f) (<c>final_div_factor</c>); 10⁴ by default.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range, or p·N = 1.</exception>
    public OneCycle(long totalSteps, float pctStart = 0.3f, float divFactor = 25f, float finalDivFactor = 1e4f)
    {
        TotalSteps = ScheduleGuard.Steps(Title, totalSteps, nameof(totalSteps));
        PctStart = ScheduleGuard.Fraction(Title, pctStart, nameof(pctStart));
        DivFactor = ScheduleGuard.Positive(Title, divFactor, nameof(divFactor));
        FinalDivFactor = ScheduleGuard.Positive(Title, finalDivFactor, nameof(finalDivFactor));
        if (PeakStep == 0)
        {
            throw ScheduleGuard.OutOfRange(Title, nameof(pctStart), pctStart, $"pctStart·totalSteps other than 1 (the rise would end at step 0; PyTorch divides 0 by 0 there)", $"{ScheduleGuard.Show(pctStart)} with totalSteps {ScheduleGuard.Show(totalSteps)}");
        }
    }

    /// <inheritdoc/>
    public override string Name => Title;

    /// <summary>N: the steps of the cycle.</summary>
    public long TotalSteps { get; }

    /// <summary>p: the fraction of the steps spent rising.</summary>
    public float PctStart { get; }

    /// <summary>d: the first rate is η/d.</summary>
    public float DivFactor { get; }

    /// <summary>f: the last rate is η/(d·f).</summary>
    public float FinalDivFactor { get; }

    /// <summary>e = p·N - 1: the (possibly fractional or negative) step at which the rise ends, PyTorch's first <c>end_step</c>.</summary>
    private double PeakStep => ((double)PctStart * TotalSteps) - 1;

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> GetConfig() => new Dictionary<string, string>
    {
        ["total_steps"] = ConfigReader.Format(TotalSteps),
        ["pct_start"] = ConfigReader.Format(PctStart),
        ["div_factor"] = ConfigReader.Format(DivFactor),
        ["final_div_factor"] = ConfigReader.Format(FinalDivFactor),
    };

    /// <inheritdoc/>
    protected override float Compute(long iteration, float baseRate)
    {
        // PyTorch's get_lr: initial_lr = max_lr / div_factor, min_lr = initial_lr / final_div_factor, phases
        // ending at steps e and N - 1, and _annealing_cos, in its order of operations.
        double peak = baseRate;
        var initial = peak / DivFactor;
        var minimum = initial / FinalDivFactor;
        double step = Math.Min(iteration, TotalSteps - 1);
        var peakStep = PeakStep;
        return step <= peakStep
            ? (float)Anneal(initial, peak, step / peakStep)
            : (float)Anneal(peak, minimum, (step - peakStep) / (TotalSteps - 1 - peakStep));

        static double Anneal(double start, double end, double fraction) => end + ((start - end) / 2.0 * (Math.Cos(Math.PI * fraction) + 1));
    }
}
