using Rnn.Layers;
using Rnn.Optimizers;

namespace Rnn.Tests.Optimizers;

/// <summary>
/// Schedules give their documented formulas (PyTorch's StepLR, ExponentialLR, CosineAnnealingLR and
/// Keras's ExponentialDecay, CosineDecay), count optimizer steps from 0, scale the optimizer's current
/// base rate, and round-trip through their configs.
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
    ];

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
            "Unknown learning-rate schedule 'linear'. Known schedules: step_decay, exponential_decay, cosine_decay.",
            Assert.Throws<ArgumentException>(() => LearningRateSchedule.FromConfig("linear")).Message,
            StringComparison.Ordinal);
        Assert.StartsWith(
            "Schedule 'cosine_decay' has no setting 'warmup_steps'; its settings are: alpha, decay_steps.",
            Assert.Throws<ArgumentException>(() => LearningRateSchedule.FromConfig("cosine_decay", new Dictionary<string, string> { ["decay_steps"] = "5", ["warmup_steps"] = "2" })).Message,
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
    }

    private sealed class BrokenSchedule : LearningRateSchedule
    {
        public override string Name => "broken";

        protected override float Compute(long iteration, float baseRate) => float.NaN;
    }
}
