using Rnn.Kernels;

namespace Rnn.Tests.Kernels;

/// <summary>
/// The choice between one worker and several, driven with made-up costs (no timing): which option it settles on, how
/// often it looks at the other, and what it ignores.
/// </summary>
public class WorkerTunerTests
{
    private const int Most = 2;

    /// <summary>Runs <paramref name="calls"/> calls whose cost per step is <paramref name="cost"/>(call index, workers); returns the workers of each.</summary>
    private static int[] Drive(WorkerTuner tuner, int calls, Func<int, int, double> cost, int key = 1)
    {
        var choices = new int[calls];
        for (var i = 0; i < calls; i++)
        {
            choices[i] = tuner.Choose(Most, key);
            tuner.Record(choices[i], cost(i, choices[i]));
        }

        return choices;
    }

    [Theory]
    [InlineData(1.0, 2.0, Most)] // two workers twice as fast
    [InlineData(2.0, 1.0, 1)] // one worker twice as fast
    [InlineData(0.95, 1.0, 1)] // two workers 5 % faster: not enough to take a second core
    public void SettlesOnTheCheaperOption(double manyCost, double oneCost, int expected)
    {
        var tuner = new WorkerTuner();
        var choices = Drive(tuner, 2000, (_, workers) => workers == 1 ? oneCost : manyCost);

        Assert.Equal(expected, tuner.Choice);
        Assert.True(choices[^500..].Count(c => c == expected) >= 490, $"the last 500 calls used {expected} worker(s) only {choices[^500..].Count(c => c == expected)} times");
    }

    [Fact]
    public void TimesBothOptionsFirst_NotCountingTheFirstCallAfterAChange()
    {
        var tuner = new WorkerTuner();

        // The first call of each option costs a hundred times more: were it counted, one worker would win.
        var choices = Drive(tuner, 8, (i, workers) => (i is 0 or 4 ? 100 : 1) * (workers == 1 ? 2.0 : 1.0));

        Assert.Equal([Most, Most, Most, Most, 1, 1, 1, 1], choices);
        Assert.Equal(Most, tuner.Choice);
    }

    [Fact]
    public void LooksAtTheOtherOptionAfter16Calls_ThenLessOftenWhileItLoses()
    {
        var tuner = new WorkerTuner();
        var choices = Drive(tuner, 1000, (_, workers) => workers == 1 ? 2.0 : 1.0);

        // After the 8 calls of learning, each look at the other option is a run of 1s (one uncounted call, three counted).
        var starts = Enumerable.Range(9, choices.Length - 9).Where(i => choices[i] == 1 && choices[i - 1] == Most).ToArray();
        var gaps = starts.Zip(starts.Skip(1), (a, b) => b - a).ToArray();
        Assert.Equal(8 + 16, starts[0]);
        Assert.Equal([4 + 32, 4 + 64, 4 + 128, 4 + 256], gaps[..4]);
        Assert.All(Enumerable.Range(0, starts.Length), k => Assert.Equal([1, 1, 1, 1], choices[starts[k]..(starts[k] + 4)]));
    }

    [Fact]
    public void OneSlowCall_DoesNotChangeTheChoice()
    {
        var tuner = new WorkerTuner();
        var choices = Drive(tuner, 300, (i, workers) => i == 100 ? 50.0 : workers == 1 ? 2.0 : 1.0);

        Assert.Equal(Most, tuner.Choice);
        Assert.All(choices[101..120], c => Assert.Equal(Most, c));
    }

    [Fact]
    public void ACoreTaken_SwitchesToOneWorkerWithin40Calls_AndLaterTimingsOfTheTakenCoreStopAtTheirFirstCountedCall()
    {
        var tuner = new WorkerTuner();

        // Two workers are twice as fast until call 500, when another process takes the second core: then they are six times slower.
        var choices = Drive(tuner, 700, (i, workers) => workers == 1 ? 2.0 : i < 500 ? 1.0 : 12.0);

        Assert.Equal(1, tuner.Choice);
        var runs = new List<(int End, int Length)>();
        for (int i = 500, run = 0; i < choices.Length; i++)
        {
            run = choices[i] == Most ? run + 1 : 0;
            if (run > 0 && (i + 1 == choices.Length || choices[i + 1] != Most))
            {
                runs.Add((i, run));
            }
        }

        // Two timings of one worker win (the second confirms), then two workers are only looked at: one uncounted call
        // and one counted call that ends the timing.
        var lastLong = runs.FindLastIndex(r => r.Length > 2);
        Assert.True(lastLong < 0 || runs[lastLong].End < 540, $"two workers still ran {runs[lastLong].Length} calls in a row up to call {runs[lastLong].End}");
        Assert.NotEmpty(runs.Skip(lastLong + 1));
        Assert.All(runs.Skip(lastLong + 1), run => Assert.Equal(2, run.Length));
    }

    [Fact]
    public void ACoreFreedAgain_TwoWorkersReturnAfterWinningTwice()
    {
        var tuner = new WorkerTuner();

        // The second core is taken until call 300 (two workers 3× slower), then free (two workers twice as fast).
        var choices = Drive(tuner, 2000, (i, workers) => workers == 1 ? 2.0 : i < 300 ? 6.0 : 1.0);

        Assert.Equal(1, choices[299]);
        Assert.Equal(Most, tuner.Choice);
        Assert.True(choices[1500..].Count(c => c == 1) <= 8, "one worker is only looked at now and then");
    }

    [Fact]
    public void OneLuckyTiming_DoesNotTakeTheSecondCore()
    {
        var tuner = new WorkerTuner();

        // Two workers are three times slower, except during the first timing after learning (calls 24–32: one
        // uncounted call and eight counted), which they win.
        var choices = Drive(tuner, 1000, (i, workers) => workers == 1 ? 2.0 : i is >= 24 and < 33 ? 1.0 : 6.0);

        Assert.Equal(1, tuner.Choice);
        var longestRunOfTwo = 0;
        for (int i = 9, run = 0; i < choices.Length; i++)
        {
            run = choices[i] == Most ? run + 1 : 0;
            longestRunOfTwo = Math.Max(longestRunOfTwo, run);
        }

        Assert.Equal(9, longestRunOfTwo); // the lucky timing, and no more
    }

    [Fact]
    public void ANewKey_StartsOver()
    {
        var tuner = new WorkerTuner();
        Drive(tuner, 100, (_, workers) => workers == 1 ? 1.0 : 2.0, key: 7);
        Assert.Equal(1, tuner.Choice);

        var choices = Drive(tuner, 8, (_, workers) => workers == 1 ? 2.0 : 1.0, key: 8);

        Assert.Equal([Most, Most, Most, Most, 1, 1, 1, 1], choices);
        Assert.Equal(Most, tuner.Choice);
    }
}
