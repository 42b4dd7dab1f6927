using System.Numerics.Tensors;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Optimizers;

namespace Rnn.Tests.Layers;

/// <summary>
/// GlobalAveragePooling1D, GlobalMaxPooling1D and RepeatVector: forward against float64 definitions, backward against
/// central finite differences of them, masks (padding must not change a sample's result), and the models they make.
/// </summary>
public class PoolingAndRepeatTests
{
    private const int Batch = 4, Time = 6, Features = 5;

    /// <summary>Sample 1 has padding after 3 steps, sample 2 a masked step inside, sample 3 no real step.</summary>
    private static readonly bool[] Mask =
    [
        true, true, true, true, true, true,
        true, true, true, false, false, false,
        true, false, true, true, true, true,
        false, false, false, false, false, false,
    ];

    /// <summary>The pooling written from its definition in float64: over the real steps, 0 when there are none.</summary>
    private static double[] PoolReference(bool max, double[] x, bool[]? mask)
    {
        var y = new double[Batch * Features];
        for (var b = 0; b < Batch; b++)
        {
            for (var f = 0; f < Features; f++)
            {
                var values = Enumerable.Range(0, Time).Where(t => mask is null || mask[(b * Time) + t]).Select(t => x[(((b * Time) + t) * Features) + f]).ToArray();
                y[(b * Features) + f] = values.Length == 0 ? 0 : max ? values.Max() : values.Average();
            }
        }

        return y;
    }



    public static TheoryData<bool, bool> PoolingCases() => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    [Theory]
    [MemberData(nameof(PoolingCases))]
    public void Pooling_ForwardAndBackward_MatchDefinitionAndFiniteDifferences(bool max, bool masked)
    {
        var random = new Random(max ? 1 : 2);

        // Distinct values (no ties for the maximum), rounded to float so both sides see the same inputs.
        var x = TestUtil.RandomArray(random, Batch * Time * Features, 2).Select(v => (double)(float)v).ToArray();
        var mask = masked ? Mask : null;
        GlobalPooling1D layer = max ? new GlobalMaxPooling1D() : new GlobalAveragePooling1D();
        var y = layer.Forward(TestUtil.ToTensor(x, Batch, Time, Features), mask is null ? null : Tensor.Create(mask, [Batch, Time]), training: true);
        Assert.Equal([Batch, Features], TestUtil.Shape(y));
        TestUtil.AssertClose(PoolReference(max, x, mask), TestUtil.Span(y), 1e-6, "output");

        var dy = TestUtil.RandomArray(random, Batch * Features);
        var dx = layer.Backward(TestUtil.ToTensor(dy, Batch, Features));
        TestUtil.AssertClose(TestUtil.NumericGradient(x, () => TestUtil.Dot(PoolReference(max, x, mask), dy)), TestUtil.Span(dx), 1e-5, "dx");
        if (masked)
        {
            Assert.All(TestUtil.Span(y).Slice(3 * Features, Features).ToArray(), v => Assert.Equal(0f, v));
        }
    }

    /// <summary>keepDims changes only the shape: [batch, 1, features], the same values and the same input gradient.</summary>
    [Theory]
    [MemberData(nameof(PoolingCases))]
    public void KeepDims_KeepsATimeAxisOfOne_WithTheSameValuesAndGradient(bool max, bool masked)
    {
        var random = new Random(3);
        var x = TestUtil.ToTensor(TestUtil.RandomArray(random, Batch * Time * Features), Batch, Time, Features);
        var mask = masked ? Tensor.Create(Mask, [Batch, Time]) : null;
        var dy = TestUtil.RandomArray(random, Batch * Features);
        GlobalPooling1D Make(bool keep) => max ? new GlobalMaxPooling1D(keep) : new GlobalAveragePooling1D(keep);
        var flat = Make(false);
        var kept = Make(true);

        var expected = flat.Forward(x, mask, training: true);
        var actual = kept.Forward(x, mask, training: true);

        Assert.Equal([Batch, 1, Features], TestUtil.Shape(actual));
        Assert.Equal([1, Features], kept.ComputeOutputShape(Time, Features));
        Assert.Equal(TestUtil.Span(expected).ToArray(), TestUtil.Span(actual).ToArray());
        Assert.Equal(
            TestUtil.Span(flat.Backward(TestUtil.ToTensor(dy, Batch, Features))).ToArray(),
            TestUtil.Span(kept.Backward(TestUtil.ToTensor(dy, Batch, 1, Features))).ToArray());
        var wrong = Assert.Throws<ArgumentException>(() => kept.Backward(TestUtil.ToTensor(dy, Batch, Features)));
        Assert.Contains($"[{Batch}, 1, {Features}]", wrong.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// After a masked sequence is pooled with keepDims, the one step left is real for every sample: a recurrent layer after
    /// it must not see the padding mask, whose time axis no longer exists. Its output is then the one-step Gru of the pooled
    /// vector, which the layers run one by one give.
    /// </summary>
    [Fact]
    public void KeepDims_DropsTheMask_SoALaterRecurrentLayerSeesOneRealStep()
    {
        var model = new Sequential([new Embedding(10, 3, maskZero: true), new Lstm(4, returnSequences: true), new GlobalAveragePooling1D(keepDims: true), new Gru(2)], seed: 4);
        // Sample 0 has one real step, so a mask wrongly passed on (read as [batch, 1]) would mark sample 1 as padding.
        var ids = TestUtil.ToTensor([3f, 0, 0, 0, 2, 5, 6, 0], 2, 4);
        var mask = Tensor.Create([true, false, false, false, true, true, true, false], [2, 4]);

        var embedded = model.Layers[0].Forward(ids);
        var states = ((Recurrent)model.Layers[1]).Forward(embedded, null, null, mask).Output;
        var pooled = ((GlobalPooling1D)model.Layers[2]).Forward(states, mask);
        var expected = model.Layers[3].Forward(pooled);

        Assert.Equal(TestUtil.Span(expected).ToArray(), TestUtil.Span(model.Predict(ids)).ToArray());
    }

    [Fact]
    public void MaxPooling_PropagatesNaN()
    {
        var x = new float[Batch * Time * Features];
        x[7] = float.NaN;
        var y = new GlobalMaxPooling1D().Forward(TestUtil.ToTensor(x, Batch, Time, Features), null);
        Assert.True(float.IsNaN(TestUtil.Span(y)[2]));
    }

    [Fact]
    public void RepeatVector_ForwardAndBackward_MatchDefinitionAndFiniteDifferences()
    {
        const int N = 3;
        var random = new Random(3);
        var x = TestUtil.RandomArray(random, Batch * Features).Select(v => (double)(float)v).ToArray();
        double[] Reference() => [.. Enumerable.Range(0, Batch * N * Features).Select(i => x[((i / (N * Features)) * Features) + (i % Features)])];
        var layer = new RepeatVector(N);
        var y = layer.Forward(TestUtil.ToTensor(x, Batch, Features), training: true);
        Assert.Equal([Batch, N, Features], TestUtil.Shape(y));
        TestUtil.AssertClose(Reference(), TestUtil.Span(y), 0, "output");
        var dy = TestUtil.RandomArray(random, Batch * N * Features);
        var dx = layer.Backward(TestUtil.ToTensor(dy, Batch, N, Features));
        TestUtil.AssertClose(TestUtil.NumericGradient(x, () => TestUtil.Dot(Reference(), dy)), TestUtil.Span(dx), 1e-5, "dx");
    }

    /// <summary>
    /// In a model after <c>Embedding(maskZero)</c> and a recurrent layer, padding changes nothing: each padded sample's
    /// prediction equals the prediction for the sample alone, unpadded.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Pooling_AfterMaskedRecurrentLayer_IgnoresPadding(bool max, bool goBackwards)
    {
        var model = new Sequential(
            [
                new Embedding(20, 4, maskZero: true),
                new Gru(6, returnSequences: true, goBackwards: goBackwards),
                max ? new GlobalMaxPooling1D() : new GlobalAveragePooling1D(),
                new Dense(3),
            ],
            seed: 5);
        int[][] sequences = [[3, 7, 1], [5, 2, 9, 11, 4, 8], [19]];
        const int Padded = 6;
        var ids = new float[sequences.Length * Padded];
        for (var s = 0; s < sequences.Length; s++)
        {
            for (var t = 0; t < sequences[s].Length; t++)
            {
                ids[(s * Padded) + t] = sequences[s][t];
            }
        }

        var batch = TestUtil.Span(model.Predict(TestUtil.ToTensor(ids, sequences.Length, Padded)));
        for (var s = 0; s < sequences.Length; s++)
        {
            var alone = model.Predict(TestUtil.ToTensor(sequences[s].Select(v => (float)v).ToArray(), 1, sequences[s].Length));
            TestUtil.AssertClose(TestUtil.ToDoubles(TestUtil.Span(alone)), batch.Slice(s * 3, 3), 1e-6, $"sample {s}");
        }
    }

    /// <summary>Keras's encoder–decoder as a Sequential model: Lstm → RepeatVector → Lstm(returnSequences) → Dense learns to reverse a sequence.</summary>
    [Fact]
    public void EncoderDecoder_WithRepeatVector_LearnsToReverseASequence()
    {
        const int Samples = 512, Steps = 4;
        var random = new Random(6);
        var x = new float[Samples * Steps];
        var y = new float[Samples * Steps];
        for (var s = 0; s < Samples; s++)
        {
            for (var t = 0; t < Steps; t++)
            {
                x[(s * Steps) + t] = (float)((random.NextDouble() * 2) - 1);
            }

            for (var t = 0; t < Steps; t++)
            {
                y[(s * Steps) + t] = x[(s * Steps) + Steps - 1 - t];
            }
        }

        var model = new Sequential(
            [new Lstm(24, inputShape: (Steps, 1)), new RepeatVector(Steps), new Lstm(24, returnSequences: true), new Dense(1)],
            seed: 7);
        model.Compile(new Adam(learningRate: 0.01f), Loss.MeanSquaredError);
        var history = model.Fit(TestUtil.ToTensor(x, Samples, Steps, 1), TestUtil.ToTensor(y, Samples, Steps, 1), epochs: 40, batchSize: 32, verbose: 0);

        // The targets' variance is 1/3: predicting 0 everywhere scores 0.33.
        Assert.True(history["loss"][^1] < 0.02, $"final loss {history["loss"][^1]}");
        Assert.Contains("repeat_vector (RepeatVector)", model.Summary(), StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidShapesAndArguments_AreNamed()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new RepeatVector(0));
        Assert.Contains("Layer 'repeat_vector': repeats must be at least 1 but was 0", error.Message, StringComparison.Ordinal);

        var rank = Assert.Throws<ArgumentException>(() => new RepeatVector(2).Forward(TestUtil.ToTensor(new float[24], 2, 3, 4)));
        Assert.Contains("Layer 'repeat_vector' expects input of shape [batch, features]", rank.Message, StringComparison.Ordinal);

        var pooling = Assert.Throws<ArgumentException>(() => new GlobalAveragePooling1D().Forward(TestUtil.ToTensor(new float[6], 2, 3)));
        Assert.Contains("Layer 'global_average_pooling1d' expects input of shape [batch, time, features] but received [2, 3]", pooling.Message, StringComparison.Ordinal);

        var mask = Assert.Throws<ArgumentException>(() => new GlobalMaxPooling1D().Forward(TestUtil.ToTensor(new float[24], 2, 3, 4), Tensor.Create(new bool[4], [2, 2])));
        Assert.Contains("expects a dense mask of shape [2, 3] ([batch, time] for input shape [2, 3, 4]) but received [2, 2]", mask.Message, StringComparison.Ordinal);

        var layer = new GlobalMaxPooling1D();
        layer.Forward(TestUtil.ToTensor(new float[24], 2, 3, 4), null);
        Assert.Throws<InvalidOperationException>(() => layer.Backward(TestUtil.ToTensor(new float[8], 2, 4)));
    }
}
