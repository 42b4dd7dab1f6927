using Rnn.Layers;
using Rnn.Optimizers;

namespace Rnn.Tests.Optimizers;

/// <summary>
/// Schedules give their documented formulas (PyTorch's StepLR, MultiStepLR, ExponentialLR, LinearLR,
/// PolynomialLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, OneCycleLR and Keras's ExponentialDecay,
/// InverseTimeDecay, PolynomialDecay, PiecewiseConstantDecay, CosineDecay with warmup, CosineDecayRestarts),
/// count optimizer steps from 0, scale the optimizer's current base rate, and round-trip through their configs.
/// </summary>
public class LearningRateScheduleTests
{
    [Fact]
    public void StepDecay_MultipliesByGammaEveryStepSizeSteps()
    {
        var schedule = new StepDecay(stepSize: 3, gamma: 0.5f);
        float[] expected = [0.2f, 0.2f, 0.2f, 0.1f, 0.1f, 0.1f, 0.05f];
        Assert.Equal(expected, Enumerable.Range(0, expected.Length).Select(k => schedule.Rate(k, 0.2f)));
    }

    [Fact]
    public void StepDecay_EqualsStaircaseExponentialDecay()
    {
        var step = new StepDecay(stepSize: 4, gamma: 0.7f);
        var staircase = new ExponentialDecay(decaySteps: 4, decayRate: 0.7f, staircase: true);
        for (var k = 0L; k < 40; k++)
        {
            Assert.Equal(step.Rate(k, 0.01f), staircase.Rate(k, 0.01f));
        }
    }

    [Fact]
    public void ExponentialDecay_DecaysContinuously_OrInStairs()
    {
        var continuous = new ExponentialDecay(decaySteps: 10, decayRate: 0.5f);
        var staircase = new ExponentialDecay(decaySteps: 10, decayRate: 0.5f, staircase: true);

        Assert.Equal(1f, continuous.Rate(0, 1f));
        Assert.Equal((float)Math.Pow(0.5, 0.5), continuous.Rate(5, 1f));
        Assert.Equal(0.5f, continuous.Rate(10, 1f));
        Assert.Equal(1f, staircase.Rate(9, 1f));
        Assert.Equal(0.25f, staircase.Rate(25, 1f));
    }

    [Fact]
    public void ExponentialDecay_WithOneStep_IsPyTorchsExponentialLR()
    {
        // ExponentialLR multiplies its double-precision rate by gamma at every step.
        var schedule = new ExponentialDecay(decaySteps: 1, decayRate: 0.9f);
        double rate = 0.1f;
        for (var k = 0; k < 20; k++)
        {
            Assert.Equal((float)rate, schedule.Rate(k, 0.1f));
            rate *= 0.9f;
        }
    }

    [Fact]
    public void CosineDecay_FallsAlongHalfACosine_ThenStaysAtAlpha()
    {
        var schedule = new CosineDecay(decaySteps: 100, alpha: 0.1f);

        Assert.Equal(2f, schedule.Rate(0, 2f));
        Assert.Equal((float)(2 * (0.1 + (0.9 * 0.5))), schedule.Rate(50, 2f), 6);
        Assert.Equal(0.2f, schedule.Rate(100, 2f), 6);
        Assert.Equal(schedule.Rate(100, 2f), schedule.Rate(1000, 2f));
        for (var k = 1L; k <= 100; k++)
        {
            Assert.True(schedule.Rate(k, 2f) <= schedule.Rate(k - 1, 2f));
        }
    }

    /// <summary>
    /// Configurations of every schedule, each compared with <see cref="ReferenceSchedule"/> over steps
    /// 0..<see cref="ReferenceSteps"/>: past every boundary, cycle and last step.
    /// </summary>
    public static TheoryData<LearningRateSchedule> ReferenceCases() =>
    [
        new StepDecay(7, 0.3f),
        new ExponentialDecay(5, 0.96f),
        new ExponentialDecay(5, 0.96f, staircase: true),
        new CosineDecay(20, 0.01f),
        new CosineDecay(30, 0.1f, warmupSteps: 10),
        new CosineDecay(7, warmupSteps: 13, warmupStartFactor: 0.2f),
        new CosineDecay(1, 0.5f, warmupSteps: 1, warmupStartFactor: 1f),
        new LinearSchedule(),
        new LinearSchedule(0.05f, 1f, 40),
        new LinearSchedule(1f, 0.1f, 17),
        new LinearSchedule(0.5f, 0f, 1),
        new PolynomialDecay(30),
        new PolynomialDecay(12, power: 2f),
        new PolynomialDecay(25, endFactor: 0.1f, power: 0.5f),
        new PolynomialDecay(9, endFactor: 0.05f, power: 1.7f, cycle: true),
        new PolynomialDecay(1, endFactor: 2f, cycle: true),
        new PiecewiseConstantDecay([10], [1f, 0.5f]),
        new PiecewiseConstantDecay([0, 3, 4, 30, 55], [2f, 1f, 0.5f, 0.25f, 0f, 0.1f]),
        new MultiStepDecay([2, 5, 11], 0.5f),
        new MultiStepDecay([0, 8, 8, 40], 0.7f),
        new MultiStepDecay([]),
        new InverseTimeDecay(10, 0.5f),
        new InverseTimeDecay(7, 2f, staircase: true),
        new InverseTimeDecay(1, 0f),
        new CosineDecayRestarts(10),
        new CosineDecayRestarts(3, tMul: 1f, mMul: 0.8f, alpha: 0.1f),
        new CosineDecayRestarts(4, tMul: 1.5f, mMul: 0.9f, alpha: 0.05f),
        new CosineDecayRestarts(1, tMul: 3f),
        new OneCycle(50),
        new OneCycle(20, pctStart: 0.25f, divFactor: 10f, finalDivFactor: 100f),
        new OneCycle(7, pctStart: 0.5f),
        new OneCycle(10, pctStart: 0f),
        new OneCycle(10, pctStart: 1f),
        new OneCycle(1),
    ];

    private const int ReferenceSteps = 130;

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void Schedule_MatchesFloat64ReferenceOfKerasOrPyTorch(LearningRateSchedule schedule)
    {
        foreach (var eta in new[] { 0.1f, 3e-4f })
        {
            for (var k = 0L; k <= ReferenceSteps; k++)
            {
                AssertRate(ReferenceSchedule.Rate(schedule, k, eta), schedule.Rate(k, eta), $"{schedule}, η {eta}, step {k}");
            }
        }
    }

    [Fact]
    public void CosineDecay_WarmsUpLinearlyToTheBaseRate_ThenDecays()
    {
        // Keras's documented warmup: from initial_learning_rate (here 0.25·η) to warmup_target (η) over warmup_steps.
        var schedule = new CosineDecay(decaySteps: 8, alpha: 0.5f, warmupSteps: 4, warmupStartFactor: 0.25f);

        Assert.Equal([0.25f, 0.4375f, 0.625f, 0.8125f, 1f], Enumerable.Range(0, 5).Select(k => schedule.Rate(k, 1f)));
        Assert.Equal(0.75f, schedule.Rate(8, 1f), 6);
        Assert.Equal(0.5f, schedule.Rate(12, 1f));
        Assert.Equal(0.5f, schedule.Rate(1000, 1f));
    }

    [Fact]
    public void CosineDecay_WithoutWarmup_KeepsItsEarlierConfig()
    {
        Assert.Equal(["alpha", "decay_steps"], new CosineDecay(10, 0.1f).GetConfig().Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["alpha", "decay_steps", "warmup_start_factor", "warmup_steps"], new CosineDecay(10, 0.1f, warmupSteps: 2).GetConfig().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void PolynomialDecay_WithEndFactorZero_IsPyTorchsPolynomialLR()
    {
        foreach (var (totalIters, power) in new[] { (5L, 1f), (12L, 2f), (50L, 0.9f) })
        {
            var schedule = new PolynomialDecay(totalIters, power: power);
            for (var k = 0L; k <= 3 * totalIters; k++)
            {
                AssertRate(ReferenceSchedule.PyTorchPolynomialLR(totalIters, power, k, 0.05f), schedule.Rate(k, 0.05f), $"PolynomialLR({totalIters}, {power}), step {k}");
            }
        }
    }

    [Fact]
    public void PiecewiseConstantDecay_SwitchesAfterEachBoundary_AsKerasDocuments()
    {
        // Keras's docstring: 1.0 for the first 100001 steps, 0.5 for the next 10000 steps, and 0.1 for any additional steps.
        var schedule = new PiecewiseConstantDecay([100000, 110000], [1f, 0.5f, 0.1f]);

        Assert.Equal(1f, schedule.Rate(100000, 1f));
        Assert.Equal(0.5f, schedule.Rate(100001, 1f));
        Assert.Equal(0.5f, schedule.Rate(110000, 1f));
        Assert.Equal(0.1f, schedule.Rate(110001, 1f));
    }

    [Fact]
    public void MultiStepDecay_EqualsPiecewiseConstantDecayOneStepEarlier()
    {
        var multiStep = new MultiStepDecay([3, 10, 11], 0.5f);
        var piecewise = new PiecewiseConstantDecay([2, 9, 10], [1f, 0.5f, 0.25f, 0.125f]);
        for (var k = 0L; k < 20; k++)
        {
            Assert.Equal(piecewise.Rate(k, 0.2f), multiStep.Rate(k, 0.2f));
        }
    }

    [Fact]
    public void CosineDecayRestarts_WithWholeTMul_IsPyTorchsCosineAnnealingWarmRestarts()
    {
        foreach (var (t0, tMult, alpha) in new[] { (3L, 2L, 0.05f), (5L, 1L, 0f), (2L, 3L, 0.2f) })
        {
            var schedule = new CosineDecayRestarts(t0, tMul: tMult, alpha: alpha);
            for (var k = 0L; k <= 200; k++)
            {
                var expected = ReferenceSchedule.PyTorchCosineAnnealingWarmRestarts(t0, tMult, (double)alpha * 0.1f, k, 0.1f);
                AssertRate(expected, schedule.Rate(k, 0.1f), $"CosineAnnealingWarmRestarts({t0}, {tMult}), step {k}");
            }
        }
    }

    [Fact]
    public void CosineDecayRestarts_RestartsExactlyWhereKerassLogarithmRoundsDown()
    {
        // With t = 3, cycle 5 starts at step D·(3⁵ - 1)/2 = 121·D, where log(243)/log(3) is 4.999... in double.
        var schedule = new CosineDecayRestarts(2, tMul: 3f);

        Assert.Equal(0.5f, schedule.Rate(242, 0.5f));
        Assert.True(schedule.Rate(241, 0.5f) < 1e-4f);
    }

    [Fact]
    public void OneCycle_RisesFromMaxOverDivFactor_PeaksAtPctStart_AndHoldsItsLastRate()
    {
        var schedule = new OneCycle(totalSteps: 100, pctStart: 0.3f, divFactor: 25f, finalDivFactor: 1e4f);

        Assert.Equal(0.4f, schedule.Rate(0, 10f));
        Assert.Equal(10f, schedule.Rate(29, 10f));
        Assert.Equal(4e-5f, schedule.Rate(99, 10f));
        Assert.Equal(4e-5f, schedule.Rate(100, 10f));
        Assert.Equal(4e-5f, schedule.Rate(10_000, 10f));
    }

    private static void AssertRate(double expected, float actual, string what)
    {
        // Ours is rounded once from a double that agrees with the reference to ~1e-15: within half an ulp of float32.
        var tolerance = (6e-8 * Math.Abs(expected)) + 1e-20;
        if (!(Math.Abs(actual - expected) <= tolerance))
        {
            Assert.Fail($"{what}: rate {actual:R}, reference {expected:R} (difference {Math.Abs(actual - expected):E2}, tolerance {tolerance:E2}).");
        }
    }

    [Fact]
    public void Rate_ThrowsForNegativeIteration()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineDecay(10).Rate(-1, 1f));
    }

    [Fact]
    public void Optimizer_UsesScheduleOfIterationsBeforeTheStep()
    {
        var parameter = new Parameter("w", 1);
        parameter.Grad[0] = 1f;
        var sgd = new Sgd(learningRate: 1f) { Schedule = new StepDecay(stepSize: 1, gamma: 0.5f) };

        Assert.Equal(1f, sgd.CurrentLearningRate);
        sgd.Step([parameter]);
        Assert.Equal(-1f, parameter.Data[0]);
        Assert.Equal(0.5f, sgd.CurrentLearningRate);
        sgd.Step([parameter]);
        Assert.Equal(-1.5f, parameter.Data[0]);
        Assert.Equal(0.25f, sgd.CurrentLearningRate);
    }

    [Fact]
    public void Optimizer_LoweringLearningRate_ScalesTheSchedule()
    {
        var sgd = new Sgd(learningRate: 0.1f) { Schedule = new ExponentialDecay(decaySteps: 1, decayRate: 0.5f) };
        sgd.Step([]);
        Assert.Equal(0.05f, sgd.CurrentLearningRate);

        sgd.LearningRate = 0.01f;

        Assert.Equal(0.005f, sgd.CurrentLearningRate);
    }

    [Fact]
    public void Optimizer_ThrowsWhenScheduleGivesAnInvalidRate()
    {
        var sgd = new Sgd { Schedule = new BrokenSchedule() };
        var exception = Assert.Throws<InvalidOperationException>(() => sgd.Step([]));
        Assert.Equal("Optimizer 'sgd': schedule 'broken' gave the learning rate NaN at step 0; a schedule must give a finite rate >= 0.", exception.Message);
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public void FromConfig_RoundTrips(LearningRateSchedule schedule)
    {
        var rebuilt = LearningRateSchedule.FromConfig(schedule.Name, schedule.GetConfig());

        Assert.IsType(schedule.GetType(), rebuilt);
        Assert.Equal(schedule.GetConfig(), rebuilt.GetConfig());
        for (var k = 0L; k < 30; k++)
        {
            Assert.Equal(schedule.Rate(k, 0.3f), rebuilt.Rate(k, 0.3f));
        }
    }

    public static TheoryData<LearningRateSchedule> Schedules() =>
    [
        new StepDecay(7, 0.3f),
        new ExponentialDecay(5, 0.96f),
        new ExponentialDecay(5, 0.96f, staircase: true),
        new CosineDecay(20, 0.01f),
        new CosineDecay(20, 0.01f, warmupSteps: 5, warmupStartFactor: 0.1f),
        new LinearSchedule(0.1f, 0.9f, 12),
        new PolynomialDecay(9, 0.05f, 1.7f, cycle: true),
        new PiecewiseConstantDecay([0, 3, 30], [2f, 1f, 0.3333f, 0.1f]),
        new MultiStepDecay([2, 5, 5, 11], 0.5f),
        new MultiStepDecay([]),
        new InverseTimeDecay(7, 2f, staircase: true),
        new CosineDecayRestarts(4, 1.5f, 0.9f, 0.05f),
        new OneCycle(20, 0.25f, 10f, 100f),
    ];

    [Fact]
    public void BuiltInNames_AreTheNamesOfEverySchedule()
    {
        Assert.Equal(LearningRateSchedule.BuiltInNames.Order(StringComparer.Ordinal), Schedules().Cast<object[]>().Select(row => ((LearningRateSchedule)row[0]).Name).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void FromConfig_ThrowsForMissingRequiredSetting()
    {
        var exception = Assert.Throws<ArgumentException>(() => LearningRateSchedule.FromConfig("exponential_decay", new Dictionary<string, string> { ["decay_steps"] = "10" }));
        Assert.StartsWith("Schedule 'exponential_decay' needs the setting 'decay_rate'.", exception.Message, StringComparison.Ordinal);
        Assert.Equal("config", exception.ParamName);
    }

    [Fact]
    public void FromConfig_ThrowsForUnknownScheduleOrKey()
    {
        Assert.StartsWith(
            "Unknown learning-rate schedule 'cyclic'. Known schedules: step_decay, multi_step_decay, exponential_decay, inverse_time_decay, polynomial_decay, piecewise_constant_decay, linear, cosine_decay, cosine_decay_restarts, one_cycle.",
            Assert.Throws<ArgumentException>(() => LearningRateSchedule.FromConfig("cyclic")).Message,
            StringComparison.Ordinal);
        Assert.StartsWith(
            "Schedule 'cosine_decay' has no setting 'warmup_target'; its settings are: alpha, decay_steps, warmup_start_factor, warmup_steps.",
            Assert.Throws<ArgumentException>(() => LearningRateSchedule.FromConfig("cosine_decay", new Dictionary<string, string> { ["decay_steps"] = "5", ["warmup_target"] = "2" })).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Constructors_ThrowForValuesOutOfRange()
    {
        Assert.StartsWith("Schedule 'step_decay' expects stepSize >= 1 but received 0.", Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(0)).Message, StringComparison.Ordinal);
        Assert.StartsWith("Schedule 'step_decay' expects a positive, finite gamma but received -0.5.", Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(2, -0.5f)).Message, StringComparison.Ordinal);
        Assert.StartsWith("Schedule 'exponential_decay' expects decaySteps >= 1 but received -3.", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialDecay(-3, 0.5f)).Message, StringComparison.Ordinal);
        Assert.StartsWith("Schedule 'exponential_decay' expects a positive, finite decayRate but received NaN.", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialDecay(3, float.NaN)).Message, StringComparison.Ordinal);
        Assert.StartsWith("Schedule 'cosine_decay' expects decaySteps >= 1 but received 0.", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineDecay(0)).Message, StringComparison.Ordinal);
        Assert.StartsWith("Schedule 'cosine_decay' expects alpha in [0, 1] but received 1.5.", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineDecay(10, 1.5f)).Message, StringComparison.Ordinal);
        AssertOutOfRange("Schedule 'cosine_decay' expects warmupSteps >= 0 but received -1.", "warmupSteps", () => new CosineDecay(10, warmupSteps: -1));
        AssertOutOfRange("Schedule 'cosine_decay' expects warmupStartFactor in [0, 1] but received 2.", "warmupStartFactor", () => new CosineDecay(10, warmupSteps: 3, warmupStartFactor: 2f));
        AssertOutOfRange("Schedule 'linear' expects startFactor in (0, 1] but received 0.", "startFactor", () => new LinearSchedule(0f));
        AssertOutOfRange("Schedule 'linear' expects endFactor in [0, 1] but received -0.1.", "endFactor", () => new LinearSchedule(0.5f, -0.1f));
        AssertOutOfRange("Schedule 'linear' expects totalIters >= 1 but received 0.", "totalIters", () => new LinearSchedule(totalIters: 0));
        AssertOutOfRange("Schedule 'polynomial_decay' expects decaySteps >= 1 but received 0.", "decaySteps", () => new PolynomialDecay(0));
        AssertOutOfRange("Schedule 'polynomial_decay' expects a finite endFactor >= 0 but received -1.", "endFactor", () => new PolynomialDecay(5, -1f));
        AssertOutOfRange("Schedule 'polynomial_decay' expects a positive, finite power but received 0.", "power", () => new PolynomialDecay(5, power: 0f));
        AssertOutOfRange("Schedule 'piecewise_constant_decay' expects boundaries >= 0 but received -2 at index 0 (boundaries [-2, 4]).", "boundaries", () => new PiecewiseConstantDecay([-2, 4], [1f, 1f, 1f]));
        AssertArgument("Schedule 'piecewise_constant_decay' expects boundaries in strictly increasing order but received 4 after 4 (boundaries [4, 4]).", "boundaries", () => new PiecewiseConstantDecay([4, 4], [1f, 1f, 1f]));
        AssertArgument("Schedule 'piecewise_constant_decay' expects one more value than boundaries but received 2 boundaries and 2 values.", "values", () => new PiecewiseConstantDecay([4, 8], [1f, 0.5f]));
        AssertOutOfRange("Schedule 'piecewise_constant_decay' expects finite values >= 0 but received Infinity at index 1.", "values", () => new PiecewiseConstantDecay([4], [1f, float.PositiveInfinity]));
        AssertArgument("Schedule 'multi_step_decay' expects milestones in increasing order but received 3 after 5 (milestones [5, 3]).", "milestones", () => new MultiStepDecay([5, 3]));
        AssertOutOfRange("Schedule 'multi_step_decay' expects a positive, finite gamma but received 0.", "gamma", () => new MultiStepDecay([5], 0f));
        AssertOutOfRange("Schedule 'inverse_time_decay' expects decaySteps >= 1 but received 0.", "decaySteps", () => new InverseTimeDecay(0, 0.5f));
        AssertOutOfRange("Schedule 'inverse_time_decay' expects a finite decayRate >= 0 but received -0.5.", "decayRate", () => new InverseTimeDecay(10, -0.5f));
        AssertOutOfRange("Schedule 'cosine_decay_restarts' expects firstDecaySteps >= 1 but received 0.", "firstDecaySteps", () => new CosineDecayRestarts(0));
        AssertOutOfRange("Schedule 'cosine_decay_restarts' expects a finite tMul >= 1 but received 0.5.", "tMul", () => new CosineDecayRestarts(10, tMul: 0.5f));
        AssertOutOfRange("Schedule 'cosine_decay_restarts' expects a finite mMul >= 0 but received NaN.", "mMul", () => new CosineDecayRestarts(10, mMul: float.NaN));
        AssertOutOfRange("Schedule 'cosine_decay_restarts' expects alpha in [0, 1] but received -0.5.", "alpha", () => new CosineDecayRestarts(10, alpha: -0.5f));
        AssertOutOfRange("Schedule 'one_cycle' expects totalSteps >= 1 but received 0.", "totalSteps", () => new OneCycle(0));
        AssertOutOfRange("Schedule 'one_cycle' expects pctStart in [0, 1] but received 1.5.", "pctStart", () => new OneCycle(10, 1.5f));
        AssertOutOfRange("Schedule 'one_cycle' expects a positive, finite divFactor but received 0.", "divFactor", () => new OneCycle(10, divFactor: 0f));
        AssertOutOfRange("Schedule 'one_cycle' expects a positive, finite finalDivFactor but received Infinity.", "finalDivFactor", () => new OneCycle(10, finalDivFactor: float.PositiveInfinity));
        AssertOutOfRange(
            "Schedule 'one_cycle' expects pctStart·totalSteps other than 1 (the rise would end at step 0; PyTorch divides 0 by 0 there) but received 0.25 with totalSteps 4.",
            "pctStart",
            () => new OneCycle(4, 0.25f));
    }

    [Fact]
    public void FromConfig_ThrowsForMalformedList()
    {
        var exception = Assert.Throws<ArgumentException>(() => LearningRateSchedule.FromConfig("multi_step_decay", new Dictionary<string, string> { ["milestones"] = "3,x" }));
        Assert.StartsWith("Schedule 'multi_step_decay': setting 'milestones' must be a comma-separated list of whole numbers (invariant culture) but is '3,x'.", exception.Message, StringComparison.Ordinal);
    }

    private static void AssertOutOfRange(string message, string parameter, Func<object> create)
    {
        var exception = Assert.Throws<ArgumentOutOfRangeException>(create);
        Assert.StartsWith(message, exception.Message, StringComparison.Ordinal);
        Assert.Equal(parameter, exception.ParamName);
    }

    private static void AssertArgument(string message, string parameter, Func<object> create)
    {
        var exception = Assert.Throws<ArgumentException>(create);
        Assert.StartsWith(message, exception.Message, StringComparison.Ordinal);
        Assert.Equal(parameter, exception.ParamName);
    }

    private sealed class BrokenSchedule : LearningRateSchedule
    {
        public override string Name => "broken";

        protected override float Compute(long iteration, float baseRate) => float.NaN;
    }
}
