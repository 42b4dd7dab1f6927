using System.Numerics.Tensors;
using Rnn.Losses;

namespace Rnn.Tests.Losses;

/// <summary>Bad input gets an <see cref="ArgumentException"/> that names the loss, what it expected and what it got.</summary>
public class LossValidationTests
{
    public static TheoryData<string> Ids() => [.. LossCases.All];

    private static Tensor<float> Fill(float value, params int[] shape) => TestUtil.ToTensor(Enumerable.Repeat(value, shape.Aggregate(1, (a, b) => a * b)).ToArray(), shape);

    private static Tensor<float> Valid(string id, params int[] shape) => Fill(LossCases.IsSparse(id) ? 0f : 0.5f, shape);

    [Theory]
    [MemberData(nameof(Ids))]
    public void Compute_ThrowsForTargetShapeMismatch(string id)
    {
        var loss = LossCases.Create(id);
        var target = LossCases.IsSparse(id) ? Valid(id, 5) : Valid(id, 4, 2);

        var error = Assert.Throws<ArgumentException>(() => loss.Compute(Valid(id, 4, 3), target));

        Assert.StartsWith($"Loss '{loss.Name}' expects ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"but received {(LossCases.IsSparse(id) ? "[5]" : "[4, 2]")}.", error.Message, StringComparison.Ordinal);
        Assert.Equal("target", error.ParamName);
    }

    [Fact]
    public void MeanSquaredError_TargetShapeMismatch_MessageStatesExpectedAndReceived()
    {
        var error = Assert.Throws<ArgumentException>(() => Loss.MeanSquaredError.Compute(Fill(0f, 4, 3), Fill(0f, 4, 2)));
        Assert.Equal("Loss 'mean_squared_error' expects targets of shape [4, 3] (the predictions' shape) but received [4, 2]. (Parameter 'target')", error.Message);
    }

    [Fact]
    public void MeanSquaredError_SingleOutputTargetShapeMismatch_MessageOffersBothShapes()
    {
        var error = Assert.Throws<ArgumentException>(() => Loss.MeanSquaredError.Compute(Fill(0f, 4, 6, 1), Fill(0f, 4)));
        Assert.StartsWith("Loss 'mean_squared_error' expects targets of shape [4, 6, 1] or [4, 6] (the predictions' shape) but received [4].", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SparseCategoricalCrossEntropy_OneHotTargets_MessageAsksForClassIndices()
    {
        var error = Assert.Throws<ArgumentException>(() => Loss.SparseCategoricalCrossEntropy().Compute(Fill(0.5f, 2, 5, 3), Fill(0f, 2, 5, 3)));
        Assert.Equal(
            "Loss 'sparse_categorical_crossentropy' expects class-index targets of shape [2, 5] or [2, 5, 1] for predictions of shape [2, 5, 3] but received [2, 5, 3]. (Parameter 'target')",
            error.Message);
    }

    [Theory]
    [InlineData(new[] { 6 })]
    [InlineData(new[] { 2, 3, 4, 5 })]
    public void Compute_ThrowsForPredictionsOfWrongRank(int[] shape)
    {
        var error = Assert.Throws<ArgumentException>(() => Loss.MeanAbsoluteError.Compute(Fill(0f, shape), Fill(0f, shape)));
        Assert.StartsWith(
            $"Loss 'mean_absolute_error' expects predictions of shape [batch, k] or [batch, time, k] but received [{string.Join(", ", shape)}].",
            error.Message,
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { 0, 3 })]
    [InlineData(new[] { 2, 0, 3 })]
    [InlineData(new[] { 2, 4, 0 })]
    public void Compute_ThrowsForEmptyBatch(int[] shape)
    {
        foreach (var id in LossCases.All)
        {
            var loss = LossCases.Create(id);
            var target = LossCases.IsSparse(id) ? Fill(0f, shape[..^1]) : Fill(0f, shape);
            var error = Assert.Throws<ArgumentException>(() => loss.Compute(Fill(0.5f, shape), target));
            Assert.Equal(
                $"Loss '{loss.Name}' expects at least one sample, one time step and one class but received predictions of shape [{string.Join(", ", shape)}]. (Parameter 'prediction')",
                error.Message);
        }
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Compute_ThrowsForNaNOrInfiniteTarget(string id)
    {
        var loss = LossCases.Create(id);
        foreach (var bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            var target = LossCases.IsSparse(id) ? Valid(id, 2, 3) : Valid(id, 2, 3, 4);
            TestUtil.Span(target)[5] = bad;

            var error = Assert.Throws<ArgumentException>(() => loss.Compute(Valid(id, 2, 3, 4), target));

            Assert.StartsWith($"Loss '{loss.Name}' expects ", error.Message, StringComparison.Ordinal);
            Assert.EndsWith($"but received {bad.ToString(System.Globalization.CultureInfo.InvariantCulture)} at flat index 5 of the targets.", error.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>Rows longer than a vector: the first non-finite target is named, whether it lies in the vector part or the tail.</summary>
    [Theory]
    [InlineData(29, float.PositiveInfinity)] // row 1, column 9: second vector of the row
    [InlineData(37, float.NaN)] // row 1, column 17: the scalar tail (20 = 8 + 8 + 4)
    [InlineData(3, float.NegativeInfinity)]
    public void MeanSquaredError_LongRows_NameTheFirstNonFiniteTarget(int index, float bad)
    {
        var target = new float[3 * 20];
        target[index] = bad;
        target[50] = float.NaN; // a later one, not reported
        var error = Assert.Throws<ArgumentException>(() => Loss.MeanSquaredError.Compute(Fill(0.5f, 3, 20), TestUtil.ToTensor(target, 3, 20)));
        Assert.Equal(
            $"Loss 'mean_squared_error' expects finite targets but received {bad.ToString(System.Globalization.CultureInfo.InvariantCulture)} at flat index {index} of the targets.",
            error.Message);
    }

    [Fact]
    public void MeanSquaredError_NaNTarget_MessageSaysFiniteTargetsExpected()
    {
        var error = Assert.Throws<ArgumentException>(() => Loss.MeanSquaredError.Compute(Fill(0f, 2, 2), TestUtil.ToTensor(new[] { 0f, 0f, float.NaN, 0f }, 2, 2)));
        Assert.Equal("Loss 'mean_squared_error' expects finite targets but received NaN at flat index 2 of the targets.", error.Message);
    }

    [Theory]
    [InlineData(1.5f)]
    [InlineData(-0.1f)]
    [InlineData(1.0000001f)]
    public void BinaryCrossEntropy_ThrowsForTargetOutsideUnitInterval(float y)
    {
        foreach (var fromLogits in new[] { false, true })
        {
            var target = Fill(0f, 3, 2);
            TestUtil.Span(target)[3] = y;
            var error = Assert.Throws<ArgumentException>(() => Loss.BinaryCrossEntropy(fromLogits).Compute(Fill(0.5f, 3, 2), target));
            Assert.Equal(
                $"Loss 'binary_crossentropy' expects targets in [0, 1] but received {y.ToString(System.Globalization.CultureInfo.InvariantCulture)} at flat index 3 of the targets.",
                error.Message);
        }
    }

    [Theory]
    [InlineData(1.5f)]
    [InlineData(-1f)]
    [InlineData(3f)]
    [InlineData(7f)]
    public void SparseCategoricalCrossEntropy_ThrowsForLabelThatIsNoClassIndex(float label)
    {
        foreach (var fromLogits in new[] { false, true })
        {
            var target = TestUtil.ToTensor(new[] { 0f, 2f, label, 1f }, 2, 2);
            var error = Assert.Throws<ArgumentException>(() => Loss.SparseCategoricalCrossEntropy(fromLogits).Compute(Fill(0.3f, 2, 2, 3), target));
            Assert.Equal(
                $"Loss 'sparse_categorical_crossentropy' expects class indices as targets: integers in [0, 3) but received {label.ToString(System.Globalization.CultureInfo.InvariantCulture)} at flat index 2 of the targets.",
                error.Message);
        }
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Compute_ThrowsForGradientOfOtherShape(string id)
    {
        var loss = LossCases.Create(id);
        var error = Assert.Throws<ArgumentException>(() => loss.Compute(Valid(id, 2, 3), Valid(id, LossCases.IsSparse(id) ? [2] : [2, 3]), Fill(0f, 3, 2)));
        Assert.Equal($"Loss '{loss.Name}' writes dL/dprediction into a gradient of the predictions' shape [2, 3] but received [3, 2]. (Parameter 'gradient')", error.Message);
    }

    [Fact]
    public void Compute_ThrowsForMaskOfWrongLength()
    {
        var sequences = Assert.Throws<ArgumentException>(() => Loss.MeanSquaredError.Compute(Fill(0f, 2, 3, 4), Fill(0f, 2, 3, 4), new byte[5]));
        Assert.Equal(
            "Loss 'mean_squared_error' expects a mask of [batch] = [2] or [batch, time] = [2, 3] = 6 values (1 = counts, 0 = ignored) but received 5. (Parameter 'mask')",
            sequences.Message);

        var samples = Assert.Throws<ArgumentException>(() => Loss.MeanSquaredError.Compute(Fill(0f, 2, 4), Fill(0f, 2, 4), new byte[3]));
        Assert.Equal(
            "Loss 'mean_squared_error' expects a mask of [batch] = [2] values (1 = counts, 0 = ignored) but received 3. (Parameter 'mask')",
            samples.Message);
    }

    [Fact]
    public void Compute_ThrowsForNullTensors()
    {
        Assert.Throws<ArgumentNullException>(() => Loss.MeanSquaredError.Compute(null!, Fill(0f, 1, 1)));
        Assert.Throws<ArgumentNullException>(() => Loss.MeanSquaredError.Compute(Fill(0f, 1, 1), null!));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Huber_ThrowsForDeltaThatIsNotPositiveAndFinite(float delta)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Loss.Huber(delta));
        Assert.StartsWith("Loss 'huber_loss' expects a positive, finite delta but received ", error.Message, StringComparison.Ordinal);
        Assert.Equal("delta", error.ParamName);
    }
}
