using Rnn.Layers;
using Rnn.Losses;
using Rnn.Optimizers;
using Rnn.Tests.Reference;

namespace Rnn.Tests.Layers;

/// <summary>
/// Keras's <c>stateful=True</c>: a batch starts from the final states of the batch before, which is the same as passing
/// those states explicitly; gradients stop at the chunk's start.
/// </summary>
public class StatefulTests
{
    private const int Batch = 3, Time = 4, Input = 2, Hidden = 5, Layers = 2;

    private static Recurrent Create(ReferenceCell cell, bool stateful, int seed = 3) => cell switch
    {
        ReferenceCell.Lstm => new Lstm(Hidden, returnSequences: true, returnState: true, numLayers: Layers, seed: seed, stateful: stateful),
        ReferenceCell.Gru => new Gru(Hidden, returnSequences: true, returnState: true, numLayers: Layers, seed: seed, stateful: stateful),
        _ => new SimpleRnn(Hidden, returnSequences: true, returnState: true, numLayers: Layers, seed: seed, stateful: stateful),
    };

    public static TheoryData<ReferenceCell> Cells() => [ReferenceCell.Lstm, ReferenceCell.Gru, ReferenceCell.RnnTanh];

    private static System.Numerics.Tensors.Tensor<float> Chunk(int seed) => TestUtil.ToTensor(TestUtil.RandomArray(new Random(seed), Batch * Time * Input), Batch, Time, Input);

    /// <summary>Chunk after chunk, forward and backward equal a stateless layer given the carried states explicitly, bit for bit.</summary>
    [Theory]
    [MemberData(nameof(Cells))]
    public void Chunks_EqualExplicitInitialStates_ForwardAndBackward(ReferenceCell cell)
    {
        var stateful = Create(cell, stateful: true);
        var plain = Create(cell, stateful: false);
        stateful.Build(-1, Input);
        plain.Build(-1, Input);
        Assert.Equal(stateful.Parameters.SelectMany(p => p.Value.ToArray()), plain.Parameters.SelectMany(p => p.Value.ToArray()));

        System.Numerics.Tensors.Tensor<float>? h = null, c = null;
        for (var chunk = 0; chunk < 3; chunk++)
        {
            var x = Chunk(10 + chunk);
            var carried = stateful.Forward(x, null, training: true);
            var given = plain.Forward(x, h, c, training: true);
            Assert.Equal(TestUtil.Span(given.Output).ToArray(), TestUtil.Span(carried.Output).ToArray());
            Assert.Equal(TestUtil.Span(given.FinalHidden!).ToArray(), TestUtil.Span(carried.FinalHidden!).ToArray());

            var dy = TestUtil.ToTensor(TestUtil.RandomArray(new Random(20 + chunk), Batch * Time * Hidden), Batch, Time, Hidden);
            stateful.ZeroGradients();
            plain.ZeroGradients();
            var carriedGradients = stateful.Backward(dy, null);
            var givenGradients = plain.Backward(dy, null);
            Assert.Equal(TestUtil.Span(givenGradients.Input).ToArray(), TestUtil.Span(carriedGradients.Input).ToArray());
            Assert.Equal(plain.Parameters.SelectMany(p => p.Gradient.ToArray()), stateful.Parameters.SelectMany(p => p.Gradient.ToArray()));
            (h, c) = (given.FinalHidden, given.FinalCell);
        }

        // Explicit states bypass the carried ones and leave them alone; ResetStates starts over from zeros.
        var probe = Chunk(30);
        var zeros = plain.Forward(probe, null).Output;
        stateful.Forward(probe, TestUtil.ToTensor(new float[Layers * Batch * Hidden], Layers, Batch, Hidden), cell == ReferenceCell.Lstm ? TestUtil.ToTensor(new float[Layers * Batch * Hidden], Layers, Batch, Hidden) : null);
        Assert.Equal(TestUtil.Span(plain.Forward(probe, h, c).Output).ToArray(), TestUtil.Span(stateful.Forward(probe, null).Output).ToArray());
        stateful.ResetStates();
        Assert.Equal(TestUtil.Span(zeros).ToArray(), TestUtil.Span(stateful.Forward(probe, null).Output).ToArray());
    }

    [Fact]
    public void AnotherBatchSize_ThrowsUntilReset_AndBidirectionalIsRefused()
    {
        var layer = new Gru(4, stateful: true, inputShape: (null, Input));
        layer.Forward(Chunk(1), null);
        var error = Assert.Throws<ArgumentException>(() => layer.Forward(TestUtil.ToTensor(new float[2 * Time * Input], 2, Time, Input), null));
        Assert.Contains("Layer 'gru' is stateful: it carries the states of 3 sequences from batch to batch, so the next batch must have 3 sequences, but it has 2", error.Message, StringComparison.Ordinal);
        layer.ResetStates();
        layer.Forward(TestUtil.ToTensor(new float[2 * Time * Input], 2, Time, Input), null);

        var bidirectional = Assert.Throws<ArgumentException>(() => new Lstm(3, bidirectional: true, stateful: true));
        Assert.Contains("Layer 'lstm' is stateful and bidirectional", bidirectional.Message, StringComparison.Ordinal);
    }

    /// <summary>In a model: Predict carries state from call to call, ResetStates forgets it, Fit checks the batches, files keep the option.</summary>
    [Fact]
    public void Sequential_CarriesStatesBetweenCalls_AndChecksBatchSizes()
    {
        var model = new Sequential([new Lstm(6, stateful: true, inputShape: (null, Input)), new Dense(1)], seed: 4);
        model.Compile(new Adam(), Loss.MeanSquaredError);
        var x = Chunk(5);
        var first = TestUtil.Span(model.Predict(x)).ToArray();
        Assert.NotEqual(first, TestUtil.Span(model.Predict(x)).ToArray());
        model.ResetStates();
        Assert.Equal(first, TestUtil.Span(model.Predict(x)).ToArray());

        var y = TestUtil.ToTensor(new float[6], 6, 1);
        var six = TestUtil.ToTensor(TestUtil.RandomArray(new Random(6), 6 * Time * Input), 6, Time, Input);
        model.ResetStates();
        var error = Assert.Throws<ArgumentException>(() => model.Fit(six, y, batchSize: 4, verbose: 0));
        Assert.Contains("has the stateful layer 'lstm', whose batches must all have the same number of sequences, but 6 training samples do not split into batches of 4", error.Message, StringComparison.Ordinal);
        model.Fit(six, y, batchSize: 3, epochs: 2, shuffle: false, verbose: 0);
        Assert.Contains("carries the states of 3 sequences", Assert.Throws<ArgumentException>(() => model.Predict(six, batchSize: 2)).Message, StringComparison.Ordinal);

        var path = Path.Combine(Path.GetTempPath(), $"rnn-stateful-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Assert.True(((Recurrent)Sequential.Load(path).Layers[0]).Stateful);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
