using Rnn.Losses;

namespace Rnn.Tests.Losses;

/// <summary>
/// Masked steps count for nothing (Keras's masked loss: the mean over the counted steps), per-sample masks
/// cover all steps of a sample, and the target shapes Keras accepts besides the predictions' own.
/// </summary>
public class LossMaskAndShapeTests
{
    public static TheoryData<string> Ids() => [.. LossCases.All];

    [Theory]
    [MemberData(nameof(Ids))]
    public void Compute_WithMask_EqualsComputeOnTheCountedStepsAlone(string id)
    {
        const int Batch = 3, Time = 4, Classes = 5, Rows = Batch * Time;
        var random = new Random(17);
        var (prediction, target) = LossCases.Data(id, random, Rows, Classes);
        var mask = LossCases.Mask(random, Rows);
        var width = LossCases.IsSparse(id) ? 1 : Classes;
        var counted = Enumerable.Range(0, Rows).Where(r => mask[r] != 0).ToArray();
        var keptPrediction = counted.SelectMany(r => prediction.AsSpan(r * Classes, Classes).ToArray()).ToArray();
        var keptTarget = counted.SelectMany(r => target.AsSpan(r * width, width).ToArray()).ToArray();
        var loss = LossCases.Create(id);

        var gradient = TestUtil.ToTensor(Enumerable.Repeat(float.NaN, Rows * Classes).ToArray(), Batch, Time, Classes);
        var masked = loss.Compute(
            TestUtil.ToTensor(prediction, Batch, Time, Classes),
            TestUtil.ToTensor(target, LossCases.TargetShape(id, Batch, Time, Classes)),
            mask,
            gradient);
        var keptGradient = TestUtil.ToTensor(new float[keptPrediction.Length], counted.Length, Classes);
        var kept = loss.Compute(
            TestUtil.ToTensor(keptPrediction, counted.Length, Classes),
            TestUtil.ToTensor(keptTarget, LossCases.TargetShape(id, counted.Length, 0, Classes)),
            keptGradient);

        Assert.Equal(kept, masked, 6);
        var g = TestUtil.Span(gradient);
        var k = 0;
        for (var r = 0; r < Rows; r++)
        {
            var row = g.Slice(r * Classes, Classes);
            if (mask[r] == 0)
            {
                Assert.All(row.ToArray(), v => Assert.Equal(0f, v));
            }
            else
            {
                Assert.Equal(TestUtil.Span(keptGradient).Slice(k++ * Classes, Classes).ToArray(), row.ToArray());
            }
        }
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Compute_WithSampleMask_AppliesEachFlagToAllStepsOfItsSample(string id)
    {
        const int Batch = 4, Time = 3, Classes = 3;
        var random = new Random(5);
        var (prediction, target) = LossCases.Data(id, random, Batch * Time, Classes);
        byte[] sampleMask = [1, 0, 1, 1];
        var stepMask = sampleMask.SelectMany(m => Enumerable.Repeat(m, Time)).ToArray();
        var loss = LossCases.Create(id);
        var p = TestUtil.ToTensor(prediction, Batch, Time, Classes);
        var y = TestUtil.ToTensor(target, LossCases.TargetShape(id, Batch, Time, Classes));
        var bySample = TestUtil.ToTensor(new float[prediction.Length], Batch, Time, Classes);
        var byStep = TestUtil.ToTensor(new float[prediction.Length], Batch, Time, Classes);

        Assert.Equal(loss.Compute(p, y, stepMask, byStep), loss.Compute(p, y, sampleMask, bySample));
        Assert.Equal(TestUtil.Span(byStep).ToArray(), TestUtil.Span(bySample).ToArray());
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Compute_WithEveryStepMasked_ReturnsZeroLossAndZeroGradient(string id)
    {
        var random = new Random(3);
        var (prediction, target) = LossCases.Data(id, random, 6, 3);
        var gradient = TestUtil.ToTensor(Enumerable.Repeat(float.NaN, 18).ToArray(), 2, 3, 3);

        var loss = LossCases.Create(id).Compute(
            TestUtil.ToTensor(prediction, 2, 3, 3), TestUtil.ToTensor(target, LossCases.TargetShape(id, 2, 3, 3)), new byte[6], gradient);

        Assert.Equal(0f, loss);
        Assert.All(TestUtil.Span(gradient).ToArray(), g => Assert.Equal(0f, g));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Compute_IgnoresInvalidTargetsInMaskedSteps(string id)
    {
        var random = new Random(9);
        var (prediction, target) = LossCases.Data(id, random, 4, 3);
        var width = LossCases.IsSparse(id) ? 1 : 3;
        target.AsSpan(width, width).Fill(float.NaN);        // row 1: padding with garbage
        target.AsSpan(3 * width, width).Fill(-1f);          // row 3: a "no label" marker
        byte[] mask = [1, 0, 1, 0];

        var loss = LossCases.Create(id).Compute(TestUtil.ToTensor(prediction, 4, 3), TestUtil.ToTensor(target, LossCases.TargetShape(id, 4, 0, 3)), mask);

        Assert.True(float.IsFinite(loss));
    }

    [Theory]
    [InlineData("mse")]
    [InlineData("mae")]
    [InlineData("huber")]
    [InlineData("bce")]
    [InlineData("bce_logits")]
    [InlineData("msle")]
    [InlineData("mape")]
    [InlineData("log_cosh")]
    [InlineData("poisson")]
    [InlineData("hinge")]
    [InlineData("squared_hinge")]
    public void Compute_SingleOutput_AcceptsTargetsWithoutTheTrailingOne(string id)
    {
        var random = new Random(11);
        var (prediction, target) = LossCases.Data(id, random, 6, 1);
        var loss = LossCases.Create(id);

        var sequences = loss.Compute(TestUtil.ToTensor(prediction, 2, 3, 1), TestUtil.ToTensor(target, 2, 3));
        var samples = loss.Compute(TestUtil.ToTensor(prediction, 6, 1), TestUtil.ToTensor(target, 6));

        Assert.Equal(loss.Compute(TestUtil.ToTensor(prediction, 2, 3, 1), TestUtil.ToTensor(target, 2, 3, 1)), sequences);
        Assert.Equal(loss.Compute(TestUtil.ToTensor(prediction, 6, 1), TestUtil.ToTensor(target, 6, 1)), samples);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SparseCategoricalCrossEntropy_AcceptsClassIndicesWithTrailingOne(bool fromLogits)
    {
        var random = new Random(13);
        var (prediction, target) = LossCases.Data("scce", random, 6, 4);
        var loss = Loss.SparseCategoricalCrossEntropy(fromLogits);
        var p = TestUtil.ToTensor(prediction, 2, 3, 4);

        Assert.Equal(loss.Compute(p, TestUtil.ToTensor(target, 2, 3)), loss.Compute(p, TestUtil.ToTensor(target, 2, 3, 1)));
    }

    [Theory]
    [InlineData("cce_logits")]
    [InlineData("scce_logits")]
    public void FromLogits_ManyClasses_MatchesReferenceWithAndWithoutGradient(string id)
    {
        // More classes than the stack buffer used when no gradient is requested: several chunks.
        const int Rows = 2, Classes = 1000;
        var random = new Random(21);
        var (prediction, target) = LossCases.Data(id, random, Rows, Classes);
        var loss = LossCases.Create(id);
        var gradient = new float[Rows * Classes];

        var withGradient = loss.Compute(prediction, target, gradient, Rows, Classes, default);
        var without = loss.Compute(prediction, target, default, Rows, Classes, default);

        var expected = LossCases.Reference(id).Loss(TestUtil.ToDoubles(prediction), TestUtil.ToDoubles(target), Rows, Classes, null);
        Assert.Equal(expected, withGradient, expected * 1e-5);
        Assert.Equal(expected, without, expected * 1e-5);
    }

    [Fact]
    public void MeanSquaredError_HandComputedExample()
    {
        // Rows [1, 2] vs [0, 0] and [3, 5] vs [3, 1]: row losses (1 + 4)/2 = 2.5 and (0 + 16)/2 = 8; mean 5.25.
        var gradient = new float[4];
        var loss = Loss.MeanSquaredError.Compute([1f, 2f, 3f, 5f], [0f, 0f, 3f, 1f], gradient, 2, 2, default);

        Assert.Equal(5.25f, loss);
        Assert.Equal([0.5f, 1f, 0f, 2f], gradient);   // 2 e / (k · rows) = e / 2
    }
}
