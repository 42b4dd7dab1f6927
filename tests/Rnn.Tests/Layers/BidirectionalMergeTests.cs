using System.Numerics.Tensors;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Optimizers;
using Rnn.Tests.Reference;

namespace Rnn.Tests.Layers;

/// <summary>
/// Merge modes of bidirectional layers beyond the float64 reference: validation, output shapes, the merged layer
/// against a concatenating twin with the same weights (forward and backward), and training through a model.
/// </summary>
public class BidirectionalMergeTests
{
    private static readonly BidirectionalMerge[] Merges = [BidirectionalMerge.Sum, BidirectionalMerge.Average, BidirectionalMerge.Multiply];

    public static TheoryData<BidirectionalMerge> MergeModes() => [.. Merges];

    public static TheoryData<ReferenceCell, BidirectionalMerge, bool> CellsAndModes()
    {
        var data = new TheoryData<ReferenceCell, BidirectionalMerge, bool>();
        foreach (var cell in Enum.GetValues<ReferenceCell>())
        {
            foreach (var merge in Merges)
            {
                data.Add(cell, merge, false);
                data.Add(cell, merge, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MergeModes))]
    public void Constructor_MergeModeWithoutBidirectional_ThrowsNamingLayerExpectedAndReceived(BidirectionalMerge merge)
    {
        Func<Recurrent>[] layers =
        [
            () => new Lstm(4, mergeMode: merge),
            () => new Gru(4, mergeMode: merge, name: "encoder"),
            () => new SimpleRnn(4, mergeMode: merge, bidirectional: false),
        ];
        string[] names = ["lstm", "encoder", "simple_rnn"];
        for (var i = 0; i < layers.Length; i++)
        {
            var error = Assert.Throws<ArgumentException>(() => layers[i]());
            Assert.Equal("mergeMode", error.ParamName);
            Assert.StartsWith($"Layer '{names[i]}' has mergeMode {merge}", error.Message, StringComparison.Ordinal);
            Assert.Contains("expects bidirectional: true but received bidirectional: false", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Constructor_UnknownMergeMode_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Gru(4, bidirectional: true, mergeMode: (BidirectionalMerge)7));
        Assert.Contains("Layer 'gru': unknown merge mode; expected one of Concat, Sum, Average, Multiply", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_AreConcat_ForOneAndTwoDirections()
    {
        Assert.Equal(BidirectionalMerge.Concat, new Lstm(4).MergeMode);
        var bidirectional = new Gru(4, bidirectional: true);
        Assert.Equal(BidirectionalMerge.Concat, bidirectional.MergeMode);
        Assert.Equal(8, bidirectional.OutputFeatures);
    }

    [Theory]
    [MemberData(nameof(MergeModes))]
    public void OutputShape_HasUnitsFeatures_AndSummaryShowsIt(BidirectionalMerge merge)
    {
        var model = new Sequential(
            new Lstm(8, returnSequences: true, bidirectional: true, mergeMode: merge, numLayers: 2, inputShape: (10, 3)),
            new Gru(5, bidirectional: true, mergeMode: merge),
            new Dense(2));
        Assert.Equal([10, 8], model.Layers[0].ComputeOutputShape([10, 3]));
        Assert.Equal([5], model.Layers[1].ComputeOutputShape([10, 8]));
        var summary = model.Summary();
        Assert.Contains("(None, 10, 8)", summary, StringComparison.Ordinal);
        Assert.Contains("(None, 5)", summary, StringComparison.Ordinal);

        // Parameters are those of the concatenating layer; only the next layer's input shrinks: the Gru sees 8
        // features (not 16) and the Dense 5 (not 10).
        var concat = new Sequential(
            new Lstm(8, returnSequences: true, bidirectional: true, numLayers: 2, inputShape: (10, 3)),
            new Gru(5, bidirectional: true),
            new Dense(2));
        Assert.Equal(concat.Layers[0].ParameterCount, model.Layers[0].ParameterCount);
        Assert.Equal(2 * ((3 * 5 * (8 + 5)) + (2 * 3 * 5)), model.Layers[1].ParameterCount);
        Assert.Equal((2 * 5) + 2, model.Layers[2].ParameterCount);

        var output = model.Predict(TestUtil.ToTensor(new float[4 * 10 * 3], 4, 10, 3));
        Assert.Equal([4, 2], TestUtil.Shape(output));
    }

    /// <summary>
    /// The merged layer's output is the concatenating layer's two halves combined, and its backward equals the
    /// concatenating layer's backward from [∂y/∂y_f ⊙ dL/dy, ∂y/∂y_r ⊙ dL/dy], with the halves and the products computed here.
    /// </summary>
    [Theory]
    [MemberData(nameof(CellsAndModes))]
    public void MergedLayer_MatchesConcatenatingTwin_ForwardAndBackward(ReferenceCell cell, BidirectionalMerge merge, bool returnSequences)
    {
        const int Batch = 3, Time = 6, Input = 4, Hidden = 7;
        var random = new Random(31 + ((int)cell * 10) + (int)merge);
        var merged = RecurrentHarness.CreateLayer(cell, Hidden, layers: 2, bidirectional: true, returnSequences, returnState: true, merge: merge);
        var concat = RecurrentHarness.CreateLayer(cell, Hidden, layers: 2, bidirectional: true, returnSequences, returnState: true);
        merged.Build(-1, Input);
        concat.Build(-1, Input);
        foreach (var parameter in merged.Parameters)
        {
            var values = TestUtil.ToFloats(TestUtil.RandomArray(random, parameter.Length, 0.5));
            parameter.Assign(values);
            concat.GetParameter(parameter.Name).Assign(values);
        }

        var x = TestUtil.ToTensor(TestUtil.RandomArray(random, Batch * Time * Input), Batch, Time, Input);
        var mask = Tensor.Create(RecurrentHarness.RandomMask(random, Batch, Time), [Batch, Time]);
        var y = merged.Forward(x, null, mask: mask, training: true);
        var yc = concat.Forward(x, null, mask: mask, training: true);

        var rows = returnSequences ? Batch * Time : Batch;
        Assert.Equal(returnSequences ? [Batch, Time, Hidden] : [Batch, Hidden], TestUtil.Shape(y.Output));
        var halves = TestUtil.Span(yc.Output).ToArray();
        var expected = new float[rows * Hidden];
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < Hidden; j++)
            {
                float f = halves[(r * 2 * Hidden) + j], b = halves[(r * 2 * Hidden) + Hidden + j];
                expected[(r * Hidden) + j] = merge switch
                {
                    BidirectionalMerge.Sum => f + b,
                    BidirectionalMerge.Average => (f + b) * 0.5f,
                    _ => f * b,
                };
            }
        }

        Assert.Equal(expected, TestUtil.Span(y.Output).ToArray());
        Assert.Equal(TestUtil.Span(yc.FinalHidden!).ToArray(), TestUtil.Span(y.FinalHidden!).ToArray());

        var dy = TestUtil.ToFloats(TestUtil.RandomArray(random, rows * Hidden));
        var dyc = new float[rows * 2 * Hidden];
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < Hidden; j++)
            {
                float g = dy[(r * Hidden) + j], f = halves[(r * 2 * Hidden) + j], b = halves[(r * 2 * Hidden) + Hidden + j];
                (dyc[(r * 2 * Hidden) + j], dyc[(r * 2 * Hidden) + Hidden + j]) = merge switch
                {
                    BidirectionalMerge.Sum => (g, g),
                    BidirectionalMerge.Average => (g * 0.5f, g * 0.5f),
                    _ => (g * b, g * f),
                };
            }
        }

        var gradients = merged.Backward(TestUtil.ToTensor(dy, TestUtil.Shape(y.Output)), null);
        var concatGradients = concat.Backward(TestUtil.ToTensor(dyc, TestUtil.Shape(yc.Output)), null);
        var label = $"{cell} {merge} {(returnSequences ? "seq" : "last")}";
        TestUtil.AssertClose(TestUtil.ToDoubles(TestUtil.Span(concatGradients.Input)), TestUtil.Span(gradients.Input), 1e-6, $"{label}: dX");
        foreach (var parameter in merged.Parameters)
        {
            TestUtil.AssertClose(TestUtil.ToDoubles(concat.GetParameter(parameter.Name).Grad), parameter.Grad, 1e-6, $"{label}: d{parameter.Name}");
        }
    }

    [Theory]
    [MemberData(nameof(MergeModes))]
    public void Fit_ThroughMergedLayers_LowersTheLoss(BidirectionalMerge merge)
    {
        var random = new Random(5);
        var x = TestUtil.ToTensor(TestUtil.RandomArray(random, 32 * 6 * 2), 32, 6, 2);

        // The target depends on both ends of the sequence, so both directions have something to learn.
        var xs = TestUtil.Span(x).ToArray();
        var y = TestUtil.ToTensor(Enumerable.Range(0, 32).Select(b => (xs[b * 12] - xs[(b * 12) + 11]) / 2f).ToArray(), 32, 1);
        var model = new Sequential(
            [
                new Gru(6, returnSequences: true, bidirectional: true, mergeMode: merge, inputShape: (6, 2)),
                new Lstm(6, bidirectional: true, mergeMode: merge, numLayers: 2),
                new Dense(1),
            ],
            seed: 3);
        model.Compile(new Adam(learningRate: 0.02f), Loss.MeanSquaredError);
        var history = model.Fit(x, y, epochs: 30, batchSize: 8, verbose: 0);
        var losses = history["loss"];
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(losses[^1] < 0.5 * losses[0], $"{merge}: loss went from {losses[0]} to {losses[^1]}.");
    }
}
