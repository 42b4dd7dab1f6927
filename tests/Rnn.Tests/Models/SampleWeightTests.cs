using System.Numerics.Tensors;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Optimizers;

namespace Rnn.Tests.Models;

/// <summary>
/// Keras's <c>sample_weight</c> and <c>class_weight</c>: the weighted loss <c>(1/n) Σ_s w_s ℓ_s</c> and its gradient through
/// a whole model, checked against computations written out here and against training on the weighted samples alone.
/// </summary>
public class SampleWeightTests
{
    private const int Time = 5, Features = 3;

    private static Sequential Regression(Optimizer optimizer, bool sequences = false)
    {
        var model = new Sequential([new Lstm(6, returnSequences: sequences, inputShape: (null, Features)), new Dense(1)], seed: 3);
        model.Compile(optimizer, Loss.MeanSquaredError);
        return model;
    }

    private static float[] Flat(Sequential model) => [.. model.GetWeights().SelectMany(w => w)];

    [Fact]
    public void UnitWeights_GiveBitwiseTheSameTrainingAsNoWeights()
    {
        var x = TestUtil.RandomTensor(1, 20, Time, Features);
        var labels = TestUtil.ToTensor(Enumerable.Range(0, 20).Select(i => (float)(i % 3)).ToArray(), 20);
        (List<double> Loss, float[] Weights) Train(bool weighted)
        {
            var model = new Sequential([new Gru(5, inputShape: (null, Features)), new Dense(3)], seed: 4);
            model.Compile(new Adam(0.01f), Loss.SparseCategoricalCrossEntropy(fromLogits: true));
            var history = model.Fit(
                x, labels, epochs: 3, batchSize: 8, validationSplit: 0.2f, verbose: 0,
                sampleWeight: weighted ? TestUtil.ToTensor(Enumerable.Repeat(1f, 20).ToArray(), 20) : null,
                classWeight: weighted ? new Dictionary<int, float> { [0] = 1f, [2] = 1f } : null);
            return ([.. history["loss"], .. history["val_loss"]], Flat(model));
        }

        var plain = Train(false);
        var weighted = Train(true);
        Assert.Equal(plain.Loss, weighted.Loss);
        Assert.Equal(plain.Weights, weighted.Weights);
    }

    /// <summary>
    /// Weights of 1 on some samples and 0 on the rest: the loss is the rest's mean loss times m/n, so one plain gradient
    /// step equals one step on those samples alone with the learning rate times m/n.
    /// </summary>
    [Fact]
    public void ZeroWeights_EqualTrainingOnTheOtherSamplesWithAScaledLearningRate()
    {
        const int Samples = 12;
        const float Rate = 0.1f;
        var x = TestUtil.RandomTensor(5, Samples, Time, Features);
        var y = TestUtil.RandomTensor(6, Samples, 1);
        int[] kept = [0, 2, 3, 7, 8, 11];
        var weights = new float[Samples];
        foreach (var i in kept)
        {
            weights[i] = 1f;
        }

        var weighted = Regression(new Sgd(Rate));
        var weightedLoss = weighted.TrainOnBatch(x, y, TestUtil.ToTensor(weights, Samples));

        var alone = Regression(new Sgd(Rate * kept.Length / Samples));
        var aloneLoss = alone.TrainOnBatch(Rnn.Data.Batching.GatherRows(x, kept), Rnn.Data.Batching.GatherRows(y, kept));

        Assert.Equal(aloneLoss * kept.Length / Samples, weightedLoss, 1e-6f);
        var expected = Flat(alone);
        var actual = Flat(weighted);
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6f * (1 + Math.Abs(expected[i])), $"weight {i}: {actual[i]} against {expected[i]}");
        }
    }

    /// <summary>
    /// Through shuffled epochs each weight stays with its own sample: the targets of zero-weight samples can be anything
    /// without changing a bit of the training.
    /// </summary>
    [Fact]
    public void Fit_Shuffled_KeepsEachWeightWithItsSample()
    {
        const int Samples = 20;
        var x = TestUtil.RandomTensor(20, Samples, Time, Features);
        var y = TestUtil.RandomTensor(21, Samples, 1);
        var weights = Enumerable.Range(0, Samples).Select(i => i % 3 == 0 ? 0f : 1f + (i % 4)).ToArray();
        var scrambled = TestUtil.Span(y).ToArray();
        for (var i = 0; i < Samples; i += 3)
        {
            scrambled[i] = 100f + i;
        }

        (float[] Loss, float[] Weights) Train(Tensor<float> targets)
        {
            var model = Regression(new Adam(0.01f));
            var history = model.Fit(x, targets, epochs: 3, batchSize: 6, shuffle: true, sampleWeight: TestUtil.ToTensor(weights, Samples), verbose: 0);
            return ([.. history["loss"]], Flat(model));
        }

        var plain = Train(y);
        var changed = Train(TestUtil.ToTensor(scrambled, Samples, 1));
        Assert.Equal(plain.Loss, changed.Loss);
        Assert.Equal(plain.Weights, changed.Weights);
    }

    /// <summary>Evaluate's weighted loss against the same sum written out over the predictions, per sample and per sample-step.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Evaluate_WeightedLoss_MatchesTheSumOverThePredictions(bool perStep)
    {
        const int Samples = 7;
        var model = Regression(new Adam(), sequences: true);
        var x = TestUtil.RandomTensor(7, Samples, Time, Features);
        var y = TestUtil.RandomTensor(8, Samples, Time, 1);
        var weights = perStep ? TestUtil.RandomTensor(9, Samples, Time) : TestUtil.RandomTensor(9, Samples);
        TestUtil.Span(weights).ToArray().Select(Math.Abs).ToArray().CopyTo(TestUtil.Span(weights));
        TestUtil.Span(weights)[2] = 0f;

        var prediction = TestUtil.Span(model.Predict(x));
        var target = TestUtil.Span(y);
        var w = TestUtil.Span(weights);
        var sum = 0.0;
        for (var s = 0; s < Samples; s++)
        {
            for (var t = 0; t < Time; t++)
            {
                var row = (s * Time) + t;
                double error = prediction[row] - target[row];
                sum += (perStep ? w[row] : w[s]) * error * error;
            }
        }

        var loss = model.Evaluate(x, y, batchSize: 3, sampleWeight: weights)["loss"];
        Assert.Equal(sum / (Samples * Time), loss, 1e-6);
    }

    [Fact]
    public void ValidationSplit_WeighsTheHeldOutLossWithTheHeldOutWeights()
    {
        const int Samples = 16;
        var model = Regression(new Adam(0.01f));
        var x = TestUtil.RandomTensor(10, Samples, Time, Features);
        var y = TestUtil.RandomTensor(11, Samples, 1);
        var weights = TestUtil.ToTensor(Enumerable.Range(0, Samples).Select(i => (float)(i % 4)).ToArray(), Samples);
        var history = model.Fit(x, y, epochs: 2, batchSize: 4, validationSplit: 0.25f, sampleWeight: weights, verbose: 0);

        var heldOut = Enumerable.Range(12, 4).ToArray();
        var expected = model.Evaluate(
            Rnn.Data.Batching.GatherRows(x, heldOut), Rnn.Data.Batching.GatherRows(y, heldOut), batchSize: 4,
            sampleWeight: Rnn.Data.Batching.GatherRows(weights, heldOut))["loss"];
        Assert.Equal(expected, history["val_loss"][^1]);
        Assert.NotEqual(model.Evaluate(Rnn.Data.Batching.GatherRows(x, heldOut), Rnn.Data.Batching.GatherRows(y, heldOut), batchSize: 4)["loss"], expected);
    }

    [Fact]
    public void ValidationData_WithWeights_WeighsTheValidationLoss()
    {
        var model = Regression(new Adam(0.01f));
        var (x, y) = (TestUtil.RandomTensor(22, 8, Time, Features), TestUtil.RandomTensor(23, 8, 1));
        var (xv, yv) = (TestUtil.RandomTensor(24, 5, Time, Features), TestUtil.RandomTensor(25, 5, 1));
        var weights = TestUtil.ToTensor([0f, 1f, 2f, 3f, 4f], 5);
        var history = model.Fit(x, y, epochs: 2, batchSize: 4, validationData: (xv, yv), validationSampleWeight: weights, verbose: 0);
        Assert.Equal(model.Evaluate(xv, yv, batchSize: 4, sampleWeight: weights)["loss"], history["val_loss"][^1]);

        var error = Assert.Throws<ArgumentException>(() => model.Fit(x, y, validationSampleWeight: weights, verbose: 0));
        Assert.Contains("validationSampleWeight weighs the loss on validationData, which was not given", error.Message, StringComparison.Ordinal);
        var shape = Assert.Throws<ArgumentException>(() => model.Fit(x, y, validationData: (xv, yv), validationSampleWeight: TestUtil.ToTensor(new float[4], 4), verbose: 0));
        Assert.Contains("expects validationSampleWeight of shape [samples] = [5]", shape.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> ClassificationLosses() => ["sparse", "categorical", "binary"];

    /// <summary>Class weights are the sample weights of each sample's class: the same step, bit for bit.</summary>
    [Theory]
    [MemberData(nameof(ClassificationLosses))]
    public void ClassWeight_EqualsTheSampleWeightsOfEachSamplesClass(string kind)
    {
        const int Samples = 10;
        var classes = kind == "binary" ? 2 : 3;
        var labels = Enumerable.Range(0, Samples).Select(i => (i * 7) % classes).ToArray();
        var y = kind switch
        {
            "sparse" => TestUtil.ToTensor(labels.Select(l => (float)l).ToArray(), Samples),
            "binary" => TestUtil.ToTensor(labels.Select(l => (float)l).ToArray(), Samples, 1),
            _ => TestUtil.ToTensor(labels.SelectMany(l => Enumerable.Range(0, classes).Select(c => c == l ? 1f : 0f)).ToArray(), Samples, classes),
        };
        var classWeight = new Dictionary<int, float> { [0] = 0.5f, [1] = 3f };
        var x = TestUtil.RandomTensor(12, Samples, Time, Features);

        (float Loss, float[] Weights) Step(bool byClass)
        {
            var model = new Sequential([new Gru(4, inputShape: (null, Features)), new Dense(kind == "binary" ? 1 : classes)], seed: 2);
            model.Compile(new Adam(0.05f), kind switch
            {
                "sparse" => Loss.SparseCategoricalCrossEntropy(fromLogits: true),
                "binary" => Loss.BinaryCrossEntropy(fromLogits: true),
                _ => Loss.CategoricalCrossEntropy(fromLogits: true),
            });
            var loss = byClass
                ? model.TrainOnBatch(x, y, classWeight: classWeight)
                : model.TrainOnBatch(x, y, TestUtil.ToTensor(labels.Select(l => classWeight.GetValueOrDefault(l, 1f)).ToArray(), Samples));
            return (loss, Flat(model));
        }

        var byClass = Step(true);
        var bySample = Step(false);
        Assert.Equal(bySample.Loss, byClass.Loss);
        Assert.Equal(bySample.Weights, byClass.Weights);
    }

    [Fact]
    public void TrainOnBatch_WithSampleWeights_AllocatesNothingInSteadyState()
    {
        var model = Regression(new Adam());
        var x = TestUtil.RandomTensor(13, 8, Time, Features);
        var y = TestUtil.RandomTensor(14, 8, 1);
        var weights = TestUtil.ToTensor(Enumerable.Range(0, 8).Select(i => 0.5f + i).ToArray(), 8);
        model.TrainOnBatch(x, y, weights);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 5; i++)
        {
            model.TrainOnBatch(x, y, weights);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    public static TheoryData<string, string> BadWeights() => new()
    {
        { "rows", "expects sampleWeight of shape [samples] = [6] for outputs of shape [samples, 1] but received [5]" },
        { "perStep", "expects sampleWeight of shape [samples] = [6] for outputs of shape [samples, 1] but received [6, 5]" },
        { "negative", "expects finite, non-negative sample weights but sampleWeight holds -1 at flat index 4" },
        { "nan", "expects finite, non-negative sample weights but sampleWeight holds NaN at flat index 4" },
        { "classWeightWithMse", "was given classWeight, which weights the classes of a classification loss (binary, categorical or sparse categorical cross-entropy), but its loss is mean_squared_error; pass sampleWeight instead" },
    };

    /// <summary>Bad weights are reported by name, with what was expected, before any weight changes.</summary>
    [Theory]
    [MemberData(nameof(BadWeights))]
    public void Fit_WithBadWeights_ThrowsAndChangesNoWeights(string kind, string message)
    {
        var model = Regression(new Adam());
        var x = TestUtil.RandomTensor(16, 6, Time, Features);
        var y = TestUtil.RandomTensor(17, 6, 1);
        var before = Flat(model);
        var weights = Enumerable.Repeat(1f, 6).ToArray();
        weights[4] = kind == "negative" ? -1f : kind == "nan" ? float.NaN : 1f;
        Tensor<float> sampleWeight = kind switch
        {
            "rows" => TestUtil.ToTensor(new float[5], 5),
            "perStep" => TestUtil.ToTensor(new float[6 * Time], 6, Time),
            _ => TestUtil.ToTensor(weights, 6),
        };
        var error = Assert.Throws<ArgumentException>(() => model.Fit(
            x, y, verbose: 0, sampleWeight: kind == "classWeightWithMse" ? null : sampleWeight,
            classWeight: kind == "classWeightWithMse" ? new Dictionary<int, float> { [0] = 2f } : null));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Flat(model));
    }

    [Theory]
    [InlineData(3, 1f, "has 3 classes (0..2) for its loss sparse_categorical_crossentropy and 3 output(s), but classWeight has class 3")]
    [InlineData(-1, 1f, "but classWeight has class -1")]
    [InlineData(1, -0.5f, "expects finite, non-negative class weights but classWeight[1] is -0.5")]
    public void ClassWeight_OutsideTheClassesOrNegative_Throws(int label, float weight, string message)
    {
        var model = new Sequential([new Gru(4, inputShape: (null, Features)), new Dense(3)], seed: 1);
        model.Compile(new Adam(), Loss.SparseCategoricalCrossEntropy(fromLogits: true));
        var error = Assert.Throws<ArgumentException>(() => model.TrainOnBatch(
            TestUtil.RandomTensor(18, 4, Time, Features), TestUtil.ToTensor([0f, 1f, 2f, 1f], 4), classWeight: new Dictionary<int, float> { [label] = weight }));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClassWeight_WithSeveralBinaryOutputs_Throws()
    {
        var model = new Sequential([new Gru(4, inputShape: (null, Features)), new Dense(2)], seed: 1);
        model.Compile(new Adam(), Loss.BinaryCrossEntropy(fromLogits: true));
        var error = Assert.Throws<ArgumentException>(() => model.TrainOnBatch(
            TestUtil.RandomTensor(19, 3, Time, Features), TestUtil.ToTensor(new float[6], 3, 2), classWeight: new Dictionary<int, float> { [1] = 2f }));
        Assert.Contains("has 2 binary outputs per sample-step", error.Message, StringComparison.Ordinal);
    }
}
