using Rnn.Optimizers;

namespace Rnn.Tests.Optimizers;

/// <summary>
/// The learning-rate schedules as Keras's and PyTorch's code computes them (keras/src/optimizers/schedules/
/// learning_rate_schedule.py, torch/optim/lr_scheduler.py), naively in float64 and written independently of
/// ours: Keras's formulas where the schedule is Keras's, PyTorch's step-by-step (chainable) <c>get_lr</c> where
/// it is PyTorch's, so that a closed form of ours is checked against a recursion. Settings are read from the
/// schedule under test; η is the optimizer's base rate.
/// </summary>
public static class ReferenceSchedule
{
    /// <summary>The rate of step <paramref name="k"/> (0 for the first).</summary>
    public static double Rate(LearningRateSchedule schedule, long k, double eta) => schedule switch
    {
        StepDecay s => eta * Math.Pow(s.Gamma, Math.Floor((double)k / s.StepSize)),
        ExponentialDecay e => eta * Math.Pow(e.DecayRate, e.Staircase ? Math.Floor((double)k / e.DecaySteps) : (double)k / e.DecaySteps),
        CosineDecay c => KerasCosineDecay(c, k, eta),
        LinearSchedule l => PyTorchLinearLR(l, k, eta),
        PolynomialDecay p => KerasPolynomialDecay(p, k, eta),
        PiecewiseConstantDecay p => KerasPiecewiseConstantDecay(p, k, eta),
        MultiStepDecay m => PyTorchMultiStepLR(m, k, eta),
        InverseTimeDecay i => eta / (1 + (i.DecayRate * (i.Staircase ? Math.Floor((double)k / i.DecaySteps) : (double)k / i.DecaySteps))),
        CosineDecayRestarts r => KerasCosineDecayRestarts(r, k, eta),
        OneCycle o => PyTorchOneCycleLR(o, k, eta),
        var other => throw new NotSupportedException(other.Name),
    };

    /// <summary>PyTorch's <c>PolynomialLR(total_iters, power)</c>, step by step: the previous rate times ((1 - k/T) / (1 - (k-1)/T))^power up to T, then unchanged.</summary>
    public static double PyTorchPolynomialLR(long totalIters, double power, long k, double eta)
    {
        var lr = eta;
        for (var epoch = 1L; epoch <= k; epoch++)
        {
            if (epoch <= totalIters)
            {
                lr *= Math.Pow((1.0 - ((double)epoch / totalIters)) / (1.0 - ((double)(epoch - 1) / totalIters)), power);
            }
        }

        return lr;
    }

    /// <summary>PyTorch's <c>CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)</c>: its <c>step()</c> advances T_cur and T_i in whole numbers.</summary>
    public static double PyTorchCosineAnnealingWarmRestarts(long t0, long tMult, double etaMin, long k, double eta)
    {
        var (tCur, tI) = (0L, t0);
        for (var epoch = 1L; epoch <= k; epoch++)
        {
            tCur++;
            if (tCur >= tI)
            {
                tCur %= tI;
                tI *= tMult;
            }
        }

        return etaMin + ((eta - etaMin) * (1 + Math.Cos(Math.PI * tCur / tI)) / 2);
    }

    private static double KerasCosineDecay(CosineDecay c, long k, double eta)
    {
        // initial_learning_rate = s·η, warmup_target = η (or no warmup: initial_learning_rate = η).
        double Decay(double step, double from) => from * (((1.0 - c.Alpha) * 0.5 * (1 + Math.Cos(Math.PI * step / c.DecaySteps))) + c.Alpha);
        if (c.WarmupSteps == 0)
        {
            return Decay(Math.Min(k, c.DecaySteps), eta);
        }

        var initial = c.WarmupStartFactor * eta;
        double step = Math.Min(k, c.DecaySteps + c.WarmupSteps);
        return step < c.WarmupSteps
            ? ((eta - initial) * (step / c.WarmupSteps)) + initial
            : Decay(step - c.WarmupSteps, eta);
    }

    private static double PyTorchLinearLR(LinearSchedule l, long k, double eta)
    {
        var (start, end, total) = ((double)l.StartFactor, (double)l.EndFactor, l.TotalIters);
        var lr = eta * start;
        for (var epoch = 1L; epoch <= k; epoch++)
        {
            if (epoch <= total)
            {
                lr *= 1.0 + ((end - start) / ((total * start) + ((epoch - 1) * (end - start))));
            }
        }

        return lr;
    }

    private static double KerasPolynomialDecay(PolynomialDecay p, long k, double eta)
    {
        var end = p.EndFactor * eta;
        double step = k;
        double decaySteps = p.DecaySteps;
        if (p.Cycle)
        {
            decaySteps *= k == 0 ? 1.0 : Math.Ceiling(step / p.DecaySteps);
        }
        else
        {
            step = Math.Min(step, decaySteps);
        }

        return ((eta - end) * Math.Pow(1 - (step / decaySteps), p.Power)) + end;
    }

    private static double KerasPiecewiseConstantDecay(PiecewiseConstantDecay p, long k, double eta)
    {
        // Keras's sum of indicator × value over the intervals (-∞, b0], (b0, b1], ..., (b_last, ∞).
        var (b, v) = (p.Boundaries, p.Values);
        var result = k <= b[0] ? v[0] : 0.0;
        result += k > b[^1] ? v[^1] : 0.0;
        for (var i = 0; i + 1 < b.Count; i++)
        {
            result += k > b[i] && k <= b[i + 1] ? v[i + 1] : 0.0;
        }

        return eta * result;
    }

    private static double PyTorchMultiStepLR(MultiStepDecay m, long k, double eta)
    {
        // get_lr: at an epoch that is a milestone, the rate times gamma ** (how often it is listed).
        var lr = eta;
        for (var epoch = 0L; epoch <= k; epoch++)
        {
            var count = m.Milestones.Count(x => x == epoch);
            if (count > 0)
            {
                lr *= Math.Pow(m.Gamma, count);
            }
        }

        return lr;
    }

    private static double KerasCosineDecayRestarts(CosineDecayRestarts r, long k, double eta)
    {
        // Walks the cycles (Keras's closed form for the cycle index is exact only in exact arithmetic).
        var (start, length, cycle) = (0.0, (double)r.FirstDecaySteps, 0);
        while (k >= start + length)
        {
            start += length;
            length *= r.TMul;
            cycle++;
        }

        var completed = (k - start) / length;
        var cosineDecayed = 0.5 * Math.Pow(r.MMul, cycle) * (1 + Math.Cos(Math.PI * completed));
        return eta * (((1.0 - r.Alpha) * cosineDecayed) + r.Alpha);
    }

    private static double PyTorchOneCycleLR(OneCycle o, long k, double maxLr)
    {
        var initialLr = maxLr / o.DivFactor;
        var minLr = initialLr / o.FinalDivFactor;
        (double EndStep, double StartLr, double EndLr)[] phases =
        [
            ((o.PctStart * (double)o.TotalSteps) - 1, initialLr, maxLr),
            (o.TotalSteps - 1, maxLr, minLr),
        ];

        // PyTorch raises past total_steps; ours holds the last rate from step total_steps - 1 on.
        double stepNum = Math.Min(k, o.TotalSteps - 1);
        var startStep = 0.0;
        for (var i = 0; i < phases.Length; i++)
        {
            if (stepNum <= phases[i].EndStep || i == phases.Length - 1)
            {
                var pct = (stepNum - startStep) / (phases[i].EndStep - startStep);
                return phases[i].EndLr + ((phases[i].StartLr - phases[i].EndLr) / 2.0 * (Math.Cos(Math.PI * pct) + 1));
            }

            startStep = phases[i].EndStep;
        }

        throw new InvalidOperationException("unreachable: the last phase always matches");
    }
}
