using System.Numerics.Tensors;
using Rnn.Layers;

namespace Rnn.Tests.Models;

public class StreamingSessionTests
{
    private static Tensor<float> RandomSequences(int batch, int time, int features, int seed)
        => TestUtil.ToTensor(TestUtil.RandomArray(new Random(seed), batch * time * features), batch, time, features);

    /// <summary>Steps t0..t1 of x [B, T, F] as a new tensor.</summary>
    private static Tensor<float> Steps(Tensor<float> x, int t0, int t1)
    {
        var (batch, time, features) = ((int)x.Lengths[0], (int)x.Lengths[1], (int)x.Lengths[2]);
        var values = new float[batch * (t1 - t0) * features];
        for (var b = 0; b < batch; b++)
        {
            TestUtil.Span(x).Slice(((b * time) + t0) * features, (t1 - t0) * features).CopyTo(values.AsSpan(b * (t1 - t0) * features));
        }

        return TestUtil.ToTensor(values, batch, t1 - t0, features);
    }

    [Fact]
    public void Step_OutputsEqualPredictOnEveryPrefix()
    {
        var model = new Sequential([new Lstm(9, numLayers: 2, inputShape: (null, 3)), new Dense(2, Activation.Tanh)], seed: 3);
        var x = RandomSequences(2, 7, 3, 1);
        var session = model.StartStreaming(batchSize: 2);
        var output = new float[2 * 2];
        for (var t = 0; t < 7; t++)
        {
            session.Step(TestUtil.Span(Steps(x, t, t + 1)), output);
            var expected = TestUtil.Span(model.Predict(Steps(x, 0, t + 1))).ToArray();
            Assert.Equal(expected, output);
        }

        Assert.Equal(7, session.Steps);
    }

    /// <summary>LayerNormalization works on each step alone, so a stream through it equals Predict on every prefix.</summary>
    [Fact]
    public void Step_ThroughLayerNormalization_EqualsPredictOnEveryPrefix()
    {
        var model = new Sequential([new Lstm(6, returnSequences: true, inputShape: (null, 3)), new LayerNormalization(), new Gru(4), new LayerNormalization(center: false), new Dense(2)], seed: 5);
        var x = RandomSequences(2, 5, 3, 4);
        var session = model.StartStreaming(batchSize: 2);
        var output = new float[2 * 2];
        for (var t = 0; t < 5; t++)
        {
            session.Step(TestUtil.Span(Steps(x, t, t + 1)), output);
            Assert.Equal(TestUtil.Span(model.Predict(Steps(x, 0, t + 1))).ToArray(), output);
        }
    }

    [Fact]
    public void Run_ChunksOfSequenceOutputs_EqualThePredictionOfTheWholeSequence()
    {
        var model = new Sequential([new Gru(5, returnSequences: true, inputShape: (null, 4)), new SimpleRnn(6, returnSequences: true), new Dense(3)], seed: 8);
        var x = RandomSequences(3, 10, 4, 2);
        var whole = TestUtil.Span(model.Predict(x)).ToArray();
        var session = model.StartStreaming(batchSize: 3);
        var pieces = new[] { (0, 3), (3, 4), (4, 10) }.Select(r => session.Run(Steps(x, r.Item1, r.Item2))).ToArray();
        for (var b = 0; b < 3; b++)
        {
            var streamed = pieces.SelectMany(p => TestUtil.Span(p).Slice(b * (int)p.Lengths[1] * 3, (int)p.Lengths[1] * 3).ToArray()).ToArray();
            Assert.Equal(whole.AsSpan(b * 30, 30).ToArray(), streamed);
        }
    }

    [Fact]
    public void Reset_StartsNewSequences()
    {
        var model = new Sequential(new Lstm(4, inputShape: (null, 2)));
        var x = RandomSequences(1, 3, 2, 3);
        var session = model.StartStreaming();
        var first = TestUtil.Span(session.Run(x)).ToArray();
        var continued = TestUtil.Span(session.Run(x)).ToArray();
        session.Reset();
        var again = TestUtil.Span(session.Run(x)).ToArray();
        Assert.NotEqual(first, continued);
        Assert.Equal(first, again);
    }

    [Fact]
    public void Step_AllocatesNothingInSteadyState()
    {
        var model = new Sequential([new Lstm(32, inputShape: (null, 8)), new Dense(4)], seed: 1);
        var session = model.StartStreaming(batchSize: 2);
        var input = new float[16];
        var output = new float[8];
        session.Step(input, output);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            input[i % 16] = i * 0.01f;
            session.Step(input, output);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void StartStreaming_RejectsBackwardLayersAndWrongShapes()
    {
        var bidirectional = new Sequential(new Gru(3, bidirectional: true, inputShape: (null, 2)));
        var error = Assert.Throws<NotSupportedException>(() => bidirectional.StartStreaming());
        Assert.Contains("Layer 'gru' reads its sequence backwards", error.Message, StringComparison.Ordinal);

        // After a pooling layer, a recurrent layer would run over the single pooled step from a zero state on each prefix,
        // and a second pooling would pool one step: a stream carrying state across chunks cannot give either.
        var recurrentAfter = new Sequential([new Gru(3, returnSequences: true, inputShape: (null, 2)), new GlobalAveragePooling1D(keepDims: true), new Lstm(2)]);
        Assert.Contains("Layer 'lstm' reads the output of 'global_average_pooling1d'", Assert.Throws<NotSupportedException>(() => recurrentAfter.StartStreaming()).Message, StringComparison.Ordinal);
        var twice = new Sequential([new Gru(3, returnSequences: true, inputShape: (null, 2)), new GlobalMaxPooling1D(keepDims: true), new GlobalAveragePooling1D()]);
        Assert.Contains("a stream can pool once", Assert.Throws<NotSupportedException>(() => twice.StartStreaming()).Message, StringComparison.Ordinal);

        var encoderDecoder = new Sequential([new Lstm(3, inputShape: (null, 2)), new RepeatVector(2), new Lstm(3, returnSequences: true)]);
        Assert.Contains("Layer 'repeat_vector' (RepeatVector)", Assert.Throws<NotSupportedException>(() => encoderDecoder.StartStreaming()).Message, StringComparison.Ordinal);

        var session = new Sequential(new Lstm(3, inputShape: (null, 2))).StartStreaming(batchSize: 2);
        var wrong = Assert.Throws<ArgumentException>(() => session.Run(RandomSequences(2, 4, 3, 0)));
        Assert.Contains("chunks of shape [2, steps ≥ 1, 2] but received [2, 4, 3]", wrong.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => session.Step(new float[3], new float[6]));
    }

    /// <summary>
    /// Pooling over time streams as a running mean or maximum: after every step, and after chunks of several, the output
    /// is Predict's on the prefix, bitwise, with padding (masked ids) skipped as Predict skips it.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Step_ThroughPooling_EqualsPredictOnEveryPrefix(bool max, bool keepDims)
    {
        Layer pooling = max ? new GlobalMaxPooling1D(keepDims) : new GlobalAveragePooling1D(keepDims);
        var model = new Sequential([new Embedding(9, 3, maskZero: true), new Lstm(5, returnSequences: true), pooling, new Dense(2)], seed: 6);

        // Sequence 0 has padding (id 0) at steps 1 and 4; sequence 1 starts with padding.
        float[] ids = [3, 0, 5, 8, 0, 2, 0, 0, 7, 1, 4, 6];
        var x = TestUtil.ToTensor(ids, 2, 6);
        var session = model.StartStreaming(batchSize: 2);
        var output = new float[2 * 2];
        for (var t = 0; t < 6; t++)
        {
            session.Step([ids[t], ids[6 + t]], output);
            var prefix = TestUtil.ToTensor([.. ids.Take(t + 1), .. ids.Skip(6).Take(t + 1)], 2, t + 1);
            Assert.Equal(TestUtil.Span(model.Predict(prefix)).ToArray(), output);
        }

        session.Reset();
        var first = session.Run(TestUtil.ToTensor([.. ids.Take(4), .. ids.Skip(6).Take(4)], 2, 4));
        var rest = session.Run(TestUtil.ToTensor([.. ids.Skip(4).Take(2), .. ids.Skip(10)], 2, 2));
        Assert.Equal(TestUtil.Span(model.Predict(TestUtil.ToTensor([.. ids.Take(4), .. ids.Skip(6).Take(4)], 2, 4))).ToArray(), TestUtil.Span(first).ToArray());
        Assert.Equal(TestUtil.Span(model.Predict(x)).ToArray(), TestUtil.Span(rest).ToArray());
    }

    [Fact]
    public void Step_TokenIdsIntoAnEmbeddingModel_EqualsPredictOnEveryPrefix()
    {
        var model = new Sequential([new Embedding(7, 3), new Gru(5, returnSequences: true), new Dense(4)], seed: 2);
        float[] ids = [1, 5, 6, 2, 3, 0, 4, 4];
        var x = TestUtil.ToTensor(ids, 2, 4);
        var whole = TestUtil.Span(model.Predict(x)).ToArray();
        var session = model.StartStreaming(batchSize: 2);
        Assert.True(session.TakesIds);
        var output = new float[2 * 4];
        for (var t = 0; t < 4; t++)
        {
            session.Step([ids[t], ids[4 + t]], output);
            Assert.Equal(whole.AsSpan(t * 4, 4).ToArray(), output.AsSpan(0, 4).ToArray());
            Assert.Equal(whole.AsSpan(16 + (t * 4), 4).ToArray(), output.AsSpan(4, 4).ToArray());
        }
    }
}
