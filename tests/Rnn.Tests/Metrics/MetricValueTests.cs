using Rnn.Metrics;

namespace Rnn.Tests.Metrics;

/// <summary>Each metric against values worked out by hand on small examples.</summary>
public class MetricValueTests
{
    private static float Evaluate(Metric metric, float[] prediction, int[] predictionShape, float[] target, int[] targetShape, byte[]? mask = null)
    {
        var p = TestUtil.ToTensor(prediction, predictionShape);
        var y = TestUtil.ToTensor(target, targetShape);
        if (mask is null)
        {
            metric.Update(p, y);
        }
        else
        {
            metric.Update(p, y, mask);
        }

        return metric.Result;
    }

    [Fact]
    public void BinaryAccuracy_CountsEachValueAboveThresholdAsOne()
    {
        // Values: 0.6→1 ✓, 0.4→0 ✓ | 0.5→0 ✗ (not above 0.5), 0.9→1 ✓ | 0.1→0 ✓, 0.2→0 ✗: 4 of 6.
        var result = Evaluate(new BinaryAccuracy(), [0.6f, 0.4f, 0.5f, 0.9f, 0.1f, 0.2f], [3, 2], [1, 0, 1, 1, 0, 1], [3, 2]);
        Assert.Equal(4f / 6, result, 6);
    }

    [Fact]
    public void BinaryAccuracy_WithThresholdZero_ReadsLogits()
    {
        // Logits: -2→0 ✓, 0.5→1 ✓, 0→0 ✗, 3→1 ✗ (target 0): 2 of 4.
        var result = Evaluate(new BinaryAccuracy(threshold: 0f), [-2f, 0.5f, 0f, 3f], [4, 1], [0, 1, 1, 0], [4]);
        Assert.Equal(0.5f, result);
    }

    [Fact]
    public void BinaryAccuracy_SoftTargetsNeverMatch()
    {
        // As Keras: the thresholded prediction (0 or 1) is compared for equality with the target.
        Assert.Equal(0f, Evaluate(new BinaryAccuracy(), [0.9f, 0.1f], [2, 1], [0.9f, 0.1f], [2, 1]));
    }

    [Fact]
    public void CategoricalAccuracy_ComparesArgMaxes()
    {
        // Row 0: argmax 1 = target 1 ✓. Row 1: argmax 0 ≠ 2 ✗. Row 2: argmax 2 = 2 ✓.
        float[] prediction = [0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f, 0.3f, 0.3f, 0.4f];
        float[] target = [0, 1, 0, 0, 0, 1, 0, 0, 1];
        Assert.Equal(2f / 3, Evaluate(new CategoricalAccuracy(), prediction, [3, 3], target, [3, 3]), 6);
    }

    [Fact]
    public void CategoricalAccuracy_TiesGoToTheFirstIndex()
    {
        // [0.4, 0.4, 0.2] predicts class 0, as Keras's argmax: right for target 0, wrong for target 1.
        Assert.Equal(0.5f, Evaluate(new CategoricalAccuracy(), [0.4f, 0.4f, 0.2f, 0.4f, 0.4f, 0.2f], [2, 3], [1, 0, 0, 0, 1, 0], [2, 3]));
    }

    [Fact]
    public void SparseCategoricalAccuracy_ComparesArgMaxWithClassIndex()
    {
        float[] prediction = [0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f, 0.3f, 0.3f, 0.4f, 0.4f, 0.4f, 0.2f];
        Assert.Equal(0.75f, Evaluate(new SparseCategoricalAccuracy(), prediction, [4, 3], [1, 2, 2, 0], [4]));
    }

    [Fact]
    public void SparseCategoricalAccuracy_LabelThatIsNoClassIndexNeverMatches()
    {
        Assert.Equal(0f, Evaluate(new SparseCategoricalAccuracy(), [0.1f, 0.9f, 0.8f, 0.2f], [2, 2], [1.5f, -1f], [2, 1]));
    }

    [Fact]
    public void MeanAbsoluteError_IsTheMeanOfAllAbsoluteErrors()
    {
        // |1-0|, |2-0| | |3-3|, |5-1| → (1 + 2 + 0 + 4) / 4.
        Assert.Equal(1.75f, Evaluate(new MeanAbsoluteError(), [1f, 2f, 3f, 5f], [2, 2], [0f, 0f, 3f, 1f], [2, 2]));
    }

    [Fact]
    public void MeanSquaredError_IsTheMeanOfAllSquaredErrors()
    {
        Assert.Equal(5.25f, Evaluate(new MeanSquaredError(), [1f, 2f, 3f, 5f], [2, 2], [0f, 0f, 3f, 1f], [2, 2]));
    }

    [Fact]
    public void Update_WithMask_CountsOnlySelectedSteps()
    {
        // [batch 2, time 2, k 1] absolute errors 1, 2, 3, 4; steps (0,1) and (1,0) masked out: (1 + 4) / 2.
        var result = Evaluate(new MeanAbsoluteError(), [1f, 2f, 3f, 4f], [2, 2, 1], [0f, 0f, 0f, 0f], [2, 2], [1, 0, 0, 1]);
        Assert.Equal(2.5f, result);
    }

    [Fact]
    public void Update_WithSampleMask_CountsAllStepsOfSelectedSamples()
    {
        // [batch 2, time 2, k 1]; sample 0 masked out: (3 + 4) / 2.
        var result = Evaluate(new MeanAbsoluteError(), [1f, 2f, 3f, 4f], [2, 2, 1], [0f, 0f, 0f, 0f], [2, 2, 1], [0, 1]);
        Assert.Equal(3.5f, result);
    }

    [Fact]
    public void Result_IsZeroBeforeAnyUpdateAndAfterReset()
    {
        var metric = new MeanSquaredError();
        Assert.Equal(0f, metric.Result);

        metric.Update(TestUtil.ToTensor([3f], 1, 1), TestUtil.ToTensor([1f], 1, 1));
        Assert.Equal(4f, metric.Result);

        metric.Reset();
        Assert.Equal(0f, metric.Result);
    }

    [Fact]
    public void Result_IsZeroWhenEveryStepIsMasked()
    {
        Assert.Equal(0f, Evaluate(new Accuracy(), [0.2f, 0.8f], [1, 2], [1f], [1], [0]));
    }

    public static TheoryData<int[], int[], string> AccuracyShapes() => new()
    {
        { [6, 1], [6], "binary" },
        { [6, 1], [6, 1], "binary" },
        { [2, 3, 1], [2, 3], "binary" },
        { [6, 3], [6], "sparse" },
        { [6, 3], [6, 1], "sparse" },
        { [2, 3, 3], [2, 3], "sparse" },
        { [2, 3, 3], [2, 3, 1], "sparse" },
        { [6, 3], [6, 3], "categorical" },
        { [2, 3, 3], [2, 3, 3], "categorical" },
    };

    [Theory]
    [MemberData(nameof(AccuracyShapes))]
    public void Accuracy_PicksTheKerasAccuracyFromTheShapes(int[] predictionShape, int[] targetShape, string kind)
    {
        var random = new Random(predictionShape.Sum() + targetShape.Length);
        var prediction = Enumerable.Range(0, predictionShape.Aggregate(1, (a, b) => a * b)).Select(_ => random.NextSingle()).ToArray();
        var classes = predictionShape[^1];
        var rows = prediction.Length / classes;
        var target = kind switch
        {
            "binary" => Enumerable.Range(0, rows).Select(_ => (float)random.Next(2)).ToArray(),
            "sparse" => Enumerable.Range(0, rows).Select(_ => (float)random.Next(classes)).ToArray(),
            _ => Enumerable.Range(0, rows * classes).Select(i => i % classes == (i / classes) % classes ? 1f : 0f).ToArray(),
        };
        Metric expected = kind switch
        {
            "binary" => new BinaryAccuracy(),
            "sparse" => new SparseCategoricalAccuracy(),
            _ => new CategoricalAccuracy(),
        };

        var accuracy = Evaluate(new Accuracy(), prediction, predictionShape, target, targetShape);

        Assert.Equal(Evaluate(expected, prediction, predictionShape, target, targetShape), accuracy);
        Assert.InRange(accuracy, 0.01f, 0.99f);   // the data mixes right and wrong, so the comparison means something
    }
}
