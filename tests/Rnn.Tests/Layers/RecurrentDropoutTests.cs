using Rnn.Layers;
using Rnn.Losses;
using Rnn.Optimizers;

namespace Rnn.Tests.Layers;

/// <summary>
/// Recurrent dropout outside the reference comparison (<see cref="RecurrentMatchesReferenceTests"/>): what the masks are,
/// that inference ignores them, and that a model still learns with them.
/// </summary>
public class RecurrentDropoutTests
{
    [Fact]
    public void Masks_DropAboutTheRateOfUnits_OnePerLayerAndDirection_RedrawnEachPass()
    {
        const int Batch = 64, Hidden = 128;
        const float Rate = 0.3f;
        var layer = new Lstm(Hidden, bidirectional: true, numLayers: 2, recurrentDropout: Rate, inputShape: (null, 3), seed: 1);
        var x = TestUtil.ToTensor(TestUtil.RandomArray(new Random(2), Batch * 4 * 3), Batch, 4, 3);
        layer.Forward(x, null, training: true);
        var masks = Enumerable.Range(0, 4).Select(i => layer.RecurrentDropoutMask(i, Batch * Hidden).ToArray()).ToArray();
        var keep = 1f / (1f - Rate);
        foreach (var mask in masks)
        {
            Assert.All(mask, v => Assert.True(v == 0f || v == keep, $"multiplier {v}"));

            // 8192 draws at p = 0.3: the count of zeros has a standard deviation of about 41.
            var dropped = mask.Count(v => v == 0f);
            Assert.InRange(dropped, (Rate * mask.Length) - 200, (Rate * mask.Length) + 200);
        }

        for (var i = 1; i < masks.Length; i++)
        {
            Assert.NotEqual(masks[0], masks[i]);
        }

        layer.Forward(x, null, training: true);
        Assert.NotEqual(masks[0], layer.RecurrentDropoutMask(0, Batch * Hidden).ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Inference_IgnoresRecurrentDropout_TrainingDoesNot(bool gru)
    {
        Recurrent Create(float rate) => gru
            ? new Gru(16, returnSequences: true, recurrentDropout: rate, inputShape: (null, 3), seed: 4)
            : new SimpleRnn(16, returnSequences: true, recurrentDropout: rate, inputShape: (null, 3), seed: 4);
        var plain = Create(0f);
        var dropped = Create(0.5f);
        Assert.Equal(plain.Parameters.SelectMany(p => p.Data), dropped.Parameters.SelectMany(p => p.Data));
        var x = TestUtil.ToTensor(TestUtil.RandomArray(new Random(5), 3 * 6 * 3), 3, 6, 3);
        var expected = TestUtil.Span(plain.Forward(x, null).Output).ToArray();
        Assert.Equal(expected, TestUtil.Span(dropped.Forward(x, null).Output).ToArray());
        Assert.NotEqual(expected, TestUtil.Span(dropped.Forward(x, null, training: true).Output).ToArray());
    }

    /// <summary>Keras's LSTM(…, recurrent_dropout=…) in a Sequential model: training still learns, and one seed gives the same bits.</summary>
    [Fact]
    public void Fit_WithRecurrentDropout_LearnsAndIsReproducible()
    {
        // Predict the sum of the first two steps of a random sequence: the recurrence must carry them to the end.
        var random = new Random(6);
        const int Rows = 256, Time = 8;
        var x = new float[Rows * Time];
        var y = new float[Rows];
        for (var r = 0; r < Rows; r++)
        {
            for (var t = 0; t < Time; t++)
            {
                x[(r * Time) + t] = (float)((random.NextDouble() * 2) - 1);
            }

            y[r] = x[r * Time] + x[(r * Time) + 1];
        }

        (List<double> Loss, float[] Weights) Train()
        {
            var model = new Sequential([new Lstm(16, recurrentDropout: 0.2f, inputShape: (Time, 1)), new Dense(1)], seed: 7);
            model.Compile(new Adam(learningRate: 0.02f), Loss.MeanSquaredError);
            var history = model.Fit(TestUtil.ToTensor(x, Rows, Time, 1), TestUtil.ToTensor(y, Rows, 1), epochs: 30, batchSize: 32, verbose: 0);
            return ([.. history["loss"]], [.. model.GetWeights().SelectMany(w => w)]);
        }

        var first = Train();
        var variance = y.Select(v => (double)v * v).Average();
        Assert.True(first.Loss[^1] < 0.25 * variance, $"final loss {first.Loss[^1]} against a variance of {variance}");
        var second = Train();
        Assert.Equal(first.Loss, second.Loss);
        Assert.Equal(first.Weights, second.Weights);
    }
}
