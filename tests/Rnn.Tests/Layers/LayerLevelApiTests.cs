using System.Numerics.Tensors;
using Rnn.Layers;
using Rnn.Losses;

namespace Rnn.Tests.Layers;

/// <summary>What encoder–decoder code written against the layers needs: masks, state-only gradients, streams from given states.</summary>
public class LayerLevelApiTests
{
    [Fact]
    public void ComputeMask_GivesThePaddingMaskForLayersUsedOnTheirOwn()
    {
        var ids = TestUtil.ToTensor(new float[] { 3, 1, 0, 2, 0, 0 }, 2, 3);
        Assert.Equal([true, true, false, true, false, false], new Embedding(4, 2, maskZero: true).ComputeMask(ids)!.ToArray());
        Assert.Null(new Embedding(4, 2).ComputeMask(ids));
        var x = TestUtil.ToTensor(new float[] { 1, 0, 0, 0, -1, -1 }, 1, 3, 2);
        Assert.Equal([true, false, true], new Masking(maskValue: 0f).ComputeMask(x).ToArray());
    }

    [Fact]
    public void Loss_WithBooleanMask_EqualsByteMask()
    {
        var random = new Random(1);
        var prediction = TestUtil.ToTensor(TestUtil.RandomArray(random, 2 * 3 * 4), 2, 3, 4);
        var target = TestUtil.ToTensor(TestUtil.RandomArray(random, 2 * 3 * 4), 2, 3, 4);
        bool[] mask = [true, true, false, true, false, false];
        var byBool = Loss.MeanSquaredError.Compute(prediction, target, Tensor.Create(mask, [2, 3]));
        var byByte = Loss.MeanSquaredError.Compute(prediction, target, mask.Select(m => (byte)(m ? 1 : 0)).ToArray());
        Assert.Equal(byByte, byBool);
    }

    [Fact]
    public void Backward_WithoutOutputGradient_EqualsAZeroOutputGradient()
    {
        float[] Gradients(bool withZeros)
        {
            var encoder = new Lstm(5, returnState: true, inputShape: (null, 3), seed: 2);
            var x = TestUtil.ToTensor(TestUtil.RandomArray(new Random(3), 2 * 4 * 3), 2, 4, 3);
            var result = encoder.Forward(x, null, training: true);
            var dh = TestUtil.ToTensor(TestUtil.RandomArray(new Random(4), 10), 1, 2, 5);
            var dc = TestUtil.ToTensor(TestUtil.RandomArray(new Random(5), 10), 1, 2, 5);
            var gradients = encoder.Backward(withZeros ? TestUtil.ToTensor(new float[10], 2, 5) : null, dh, dc);
            return [.. TestUtil.Span(gradients.Input), .. encoder.Parameters.SelectMany(p => p.Grad)];
        }

        Assert.Equal(Gradients(withZeros: true), Gradients(withZeros: false));
        var layer = new Gru(3, inputShape: (null, 2));
        layer.Forward(TestUtil.ToTensor(new float[4], 1, 2, 2), training: true);
        var error = Assert.Throws<ArgumentException>(() => layer.Backward(null, null));
        Assert.Contains("received no gradient at all", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StreamingSession_FromGivenStates_EqualsForwardWithInitialStates()
    {
        var decoder = new Lstm(6, returnSequences: true, inputShape: (null, 2), seed: 7);
        var model = new Sequential([decoder, new Dense(3)], seed: 7);
        var random = new Random(8);
        var h0 = TestUtil.ToTensor(TestUtil.RandomArray(random, 2 * 6), 1, 2, 6);
        var c0 = TestUtil.ToTensor(TestUtil.RandomArray(random, 2 * 6), 1, 2, 6);
        var x = TestUtil.ToTensor(TestUtil.RandomArray(random, 2 * 5 * 2), 2, 5, 2);

        var expected = model.Layers[1].Forward(decoder.Forward(x, h0, c0).Output);
        var session = model.StartStreaming(batchSize: 2);
        session.SetState(decoder, h0, c0);
        Assert.Equal(TestUtil.Span(expected).ToArray(), TestUtil.Span(session.Run(x)).ToArray());
        Assert.Equal(TestUtil.Span(decoder.Forward(x, h0, c0, training: false).Output)[^6..].ToArray(), TestUtil.Span(session.GetState(decoder).Hidden)[6..].ToArray());

        var wrong = Assert.Throws<ArgumentException>(() => session.SetState(decoder, TestUtil.ToTensor(new float[6], 1, 1, 6)));
        Assert.Contains("expects a hidden state of shape [1, 2, 6]", wrong.Message, StringComparison.Ordinal);
    }
}
