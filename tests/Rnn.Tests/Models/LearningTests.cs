using System.Numerics.Tensors;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Metrics;
using Rnn.Optimizers;

namespace Rnn.Tests.Models;

/// <summary>End-to-end: models must learn tasks that need memory, to a stated quality in a bounded number of epochs.</summary>
public class LearningTests
{
    /// <summary>
    /// The adding problem (Hochreiter and Schmidhuber, 1997): each step has a value in [0, 1) and a marker; the
    /// target is the sum of the two marked values. Predicting the mean (1.0) gives MSE ≈ 1/6.
    /// </summary>
    private static (Tensor<float> X, Tensor<float> Y) AddingProblem(int samples, int time, int seed)
    {
        var random = new Random(seed);
        var x = new float[samples * time * 2];
        var y = new float[samples];
        for (var i = 0; i < samples; i++)
        {
            var first = random.Next(time / 2);
            var second = (time / 2) + random.Next(time / 2);
            for (var t = 0; t < time; t++)
            {
                var value = random.NextSingle();
                x[(((i * time) + t) * 2) + 0] = value;
                if (t == first || t == second)
                {
                    x[(((i * time) + t) * 2) + 1] = 1f;
                    y[i] += value;
                }
            }
        }

        return (TestUtil.ToTensor(x, samples, time, 2), TestUtil.ToTensor(y, samples, 1));
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    public void AddingProblem_IsLearnedToATenthOfTheBaselineError(string cell)
    {
        var (x, y) = AddingProblem(2000, 12, seed: 1);
        var (xTest, yTest) = AddingProblem(500, 12, seed: 2);
        Layer recurrent = cell == "lstm" ? new Lstm(24, inputShape: (null, 2)) : new Gru(24, inputShape: (null, 2));
        var model = new Sequential([recurrent, new Dense(1)], seed: 3);
        model.Compile(new Adam(learningRate: 0.01f), Loss.MeanSquaredError);
        model.Fit(x, y, epochs: 12, batchSize: 32, verbose: 0);
        var mse = model.Evaluate(xTest, yTest)["loss"];
        Assert.True(mse < 1f / 60, $"{cell}: test MSE {mse} after 12 epochs; predicting the mean gives about {1f / 6}.");
    }

    /// <summary>
    /// A loss other than MSE drives training end to end: the adding problem, small, with log-cosh (which behaves as MSE / 2
    /// for small errors). Predicting the mean gives about 1/12.
    /// </summary>
    [Fact]
    public void AddingProblem_WithLogCoshLoss_LossFalls()
    {
        var (x, y) = AddingProblem(256, 8, seed: 7);
        var model = new Sequential([new Gru(12, inputShape: (null, 2)), new Dense(1)], seed: 8);
        model.Compile(new Adam(learningRate: 0.02f), Loss.LogCosh, Metric.RootMeanSquaredError);

        var history = model.Fit(x, y, epochs: 15, batchSize: 32, verbose: 0);

        var losses = history["loss"];
        Assert.True(losses[^1] < losses[0] / 4, $"log-cosh loss went from {losses[0]} to {losses[^1]} in 15 epochs.");
        Assert.True(history["root_mean_squared_error"][^1] < history["root_mean_squared_error"][0], "RMSE did not fall.");
    }

    /// <summary>Noisy sine waves of three frequencies with random phase; the class is the frequency.</summary>
    private static (Tensor<float> X, Tensor<float> Y) Waves(int samples, int time, int seed)
    {
        var random = new Random(seed);
        var x = new float[samples * time];
        var y = new float[samples];
        for (var i = 0; i < samples; i++)
        {
            var label = random.Next(3);
            var frequency = 0.15 + (0.12 * label);
            var phase = random.NextDouble() * 2 * Math.PI;
            for (var t = 0; t < time; t++)
            {
                x[(i * time) + t] = (float)(Math.Sin((frequency * t) + phase) + (0.3 * ((2 * random.NextDouble()) - 1)));
            }

            y[i] = label;
        }

        return (TestUtil.ToTensor(x, samples, time, 1), TestUtil.ToTensor(y, samples));
    }

    [Fact]
    public void SequenceClassification_ReachesNinetyFivePercentAccuracy()
    {
        var (x, y) = Waves(1200, 24, seed: 4);
        var (xTest, yTest) = Waves(400, 24, seed: 5);
        var model = new Sequential([new Gru(16, inputShape: (null, 1)), new Dense(3)], seed: 6);
        model.Compile(new Adam(learningRate: 0.01f), Loss.SparseCategoricalCrossEntropy(fromLogits: true), Metric.SparseCategoricalAccuracy);
        model.Fit(x, y, epochs: 10, batchSize: 32, verbose: 0);
        var accuracy = model.Evaluate(xTest, yTest)["sparse_categorical_accuracy"];
        Assert.True(accuracy >= 0.95f, $"test accuracy {accuracy} after 10 epochs (chance: 1/3).");
    }

    /// <summary>
    /// Variable-length token sequences (padded with id 0 at the end): is token 1 more frequent than token 2? Needs
    /// the mask, or the padding would count.
    /// </summary>
    [Fact]
    public void MaskedSequenceClassification_LearnsOverPaddedBatches()
    {
        static (Tensor<float> X, Tensor<float> Y) Make(int samples, int seed)
        {
            const int Time = 16;
            var random = new Random(seed);
            var x = new float[samples * Time];
            var y = new float[samples];
            for (var i = 0; i < samples; i++)
            {
                var length = random.Next(3, Time + 1);
                var balance = 0;
                for (var t = 0; t < length; t++)
                {
                    var token = random.Next(1, 4);
                    x[(i * Time) + t] = token;
                    balance += token == 1 ? 1 : token == 2 ? -1 : 0;
                }

                if (balance == 0)
                {
                    x[(i * Time) + length - 1] = 1;
                    balance = 1;
                }

                y[i] = balance > 0 ? 1 : 0;
            }

            return (TestUtil.ToTensor(x, samples, Time), TestUtil.ToTensor(y, samples, 1));
        }

        var (x, y) = Make(2000, 7);
        var (xTest, yTest) = Make(500, 8);
        var model = new Sequential([new Embedding(4, 8, maskZero: true), new Gru(16, bidirectional: true), new Dense(1, Activation.Sigmoid)], seed: 9);
        model.Compile(new Adam(learningRate: 0.01f), Loss.BinaryCrossEntropy(), Metric.BinaryAccuracy);
        model.Fit(x, y, epochs: 10, batchSize: 32, verbose: 0);
        var accuracy = model.Evaluate(xTest, yTest)["binary_accuracy"];
        Assert.True(accuracy >= 0.95f, $"test accuracy {accuracy} after 10 epochs.");
    }
}
