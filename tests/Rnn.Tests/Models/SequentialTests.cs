using System.Numerics.Tensors;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Metrics;
using Rnn.Models;
using Rnn.Optimizers;

namespace Rnn.Tests.Models;

public class SequentialTests
{
    /// <summary>x [n, time, features] uniform in [-1, 1], y [n, 1] the mean of the first feature over time.</summary>
    private static (Tensor<float> X, Tensor<float> Y) MeanData(int n, int time = 6, int features = 2, int seed = 1)
    {
        var random = new Random(seed);
        var x = new float[n * time * features];
        var y = new float[n];
        for (var i = 0; i < n; i++)
        {
            for (var t = 0; t < time; t++)
            {
                for (var f = 0; f < features; f++)
                {
                    x[(((i * time) + t) * features) + f] = (float)((2 * random.NextDouble()) - 1);
                }

                y[i] += x[((i * time) + t) * features] / time;
            }
        }

        return (TestUtil.ToTensor(x, n, time, features), TestUtil.ToTensor(y, n, 1));
    }

    private static Sequential SmallModel(int? seed = 5, float dropout = 0f) => new(
        [new Lstm(8, inputShape: (null, 2), returnSequences: true), new Dropout(dropout), new Gru(6), new Dense(1)],
        seed: seed);

    private static float[][] Snapshot(Sequential model) => model.GetWeights();

    private static void AssertUnchanged(float[][] before, Sequential model)
    {
        var after = model.GetWeights();
        Assert.Equal(before.Length, after.Length);
        for (var i = 0; i < before.Length; i++)
        {
            Assert.Equal(before[i], after[i]);
        }
    }

    [Fact]
    public void Fit_ThrowsBeforeCompile()
    {
        var (x, y) = MeanData(8);
        var error = Assert.Throws<InvalidOperationException>(() => SmallModel().Fit(x, y, verbose: 0));
        Assert.Contains("must be compiled before Fit: call Compile(optimizer, loss) first", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_ThrowsForRowCountMismatchAndChangesNoWeights()
    {
        var (x, _) = MeanData(10);
        var (_, y) = MeanData(9);
        var model = SmallModel();
        model.Compile(new Sgd(), Loss.MeanSquaredError);
        var before = Snapshot(model);
        var error = Assert.Throws<ArgumentException>(() => model.Fit(x, y, verbose: 0));
        Assert.Contains("x has 10 samples (shape [10, 6, 2]) but y has 9 (shape [9, 1])", error.Message, StringComparison.Ordinal);
        AssertUnchanged(before, model);
    }

    [Fact]
    public void Fit_ThrowsForEmptyData()
    {
        var model = SmallModel();
        model.Compile(new Sgd(), Loss.MeanSquaredError);
        var error = Assert.Throws<ArgumentException>(() => model.Fit(TestUtil.ToTensor(Array.Empty<float>(), 0, 6, 2), TestUtil.ToTensor(Array.Empty<float>(), 0, 1), verbose: 0));
        Assert.Contains("x must hold at least one sample", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_ThrowsForWrongFeatureCountAndChangesNoWeights()
    {
        var (x, y) = MeanData(8, features: 3);
        var model = SmallModel();
        model.Compile(new Sgd(), Loss.MeanSquaredError);
        var before = Snapshot(model);
        var error = Assert.Throws<ArgumentException>(() => model.Fit(x, y, verbose: 0));
        Assert.Contains("Layer 'lstm' expects 2 input features but received 3", error.Message, StringComparison.Ordinal);
        AssertUnchanged(before, model);
    }

    [Fact]
    public void Fit_ThrowsForNaNInTargetsAndChangesNoWeights()
    {
        var (x, y) = MeanData(40);
        TestUtil.Span(y)[37] = float.NaN;
        var model = SmallModel();
        model.Compile(new Sgd(), Loss.MeanSquaredError);
        var before = Snapshot(model);
        var error = Assert.Throws<ArgumentException>(() => model.Fit(x, y, batchSize: 8, verbose: 0));
        Assert.Contains("NaN", error.Message, StringComparison.Ordinal);
        Assert.Contains("samples 32..39", error.Message, StringComparison.Ordinal);
        AssertUnchanged(before, model);
    }

    [Fact]
    public void Fit_ThrowsForLabelsOutOfRangeAndChangesNoWeights()
    {
        var (x, _) = MeanData(12);
        var labels = TestUtil.ToTensor(Enumerable.Range(0, 12).Select(i => (float)(i % 3)).ToArray(), 12);
        TestUtil.Span(labels)[7] = 3;
        var model = new Sequential([new Gru(4, inputShape: (null, 2)), new Dense(3)], seed: 1);
        model.Compile(new Sgd(), Loss.SparseCategoricalCrossEntropy(fromLogits: true));
        var before = Snapshot(model);
        var error = Assert.Throws<ArgumentException>(() => model.Fit(x, labels, verbose: 0));
        Assert.Contains("3", error.Message, StringComparison.Ordinal);
        AssertUnchanged(before, model);
    }

    [Fact]
    public void Fit_ThrowsForWrongTargetShapeAndChangesNoWeights()
    {
        var (x, _) = MeanData(8);
        var model = SmallModel();
        model.Compile(new Sgd(), Loss.MeanSquaredError);
        var before = Snapshot(model);
        Assert.Throws<ArgumentException>(() => model.Fit(x, TestUtil.ToTensor(new float[16], 8, 2), verbose: 0));
        AssertUnchanged(before, model);
    }

    [Fact]
    public void Fit_SameSeed_GivesBitwiseIdenticalHistoryAndWeights()
    {
        var (x, y) = MeanData(50);
        (History History, float[][] Weights) Train()
        {
            var model = SmallModel(seed: 42, dropout: 0.25f);
            model.Compile(new Sgd(0.05f), Loss.MeanSquaredError, Metric.MeanAbsoluteError);
            var history = model.Fit(x, y, epochs: 3, batchSize: 8, validationSplit: 0.2f, verbose: 0);
            return (history, model.GetWeights());
        }

        var first = Train();
        var second = Train();
        Assert.Equal(first.History.Keys, second.History.Keys);
        foreach (var key in first.History.Keys)
        {
            Assert.Equal(first.History[key], second.History[key]);
        }

        for (var i = 0; i < first.Weights.Length; i++)
        {
            Assert.Equal(first.Weights[i], second.Weights[i]);
        }

        var other = SmallModel(seed: 43, dropout: 0.25f);
        Assert.NotEqual(first.Weights[0], other.GetWeights()[0]);
    }

    [Fact]
    public void Fit_RecordsLossMetricsAndValidationPerEpoch()
    {
        var (x, y) = MeanData(40);
        var model = SmallModel();
        model.Compile(new Sgd(0.1f), Loss.MeanSquaredError, Metric.MeanAbsoluteError);
        var history = model.Fit(x, y, epochs: 4, batchSize: 8, validationSplit: 0.25f, verbose: 0);
        Assert.Equal(4, history.EpochCount);
        Assert.Equal(["loss", "mean_absolute_error", "val_loss", "val_mean_absolute_error"], history.Keys);
        Assert.All(history["val_loss"], v => Assert.True(float.IsFinite(v)));

        // The validation loss of the last epoch is what Evaluate reports on the held-out rows.
        var xv = TestUtil.ToTensor(TestUtil.Span(x)[(30 * 12)..].ToArray(), 10, 6, 2);
        var yv = TestUtil.ToTensor(TestUtil.Span(y)[30..].ToArray(), 10, 1);
        Assert.Equal(history["val_loss"][^1], model.Evaluate(xv, yv, batchSize: 8)["loss"], 1e-6f);
    }

    [Fact]
    public void Fit_NonFiniteLoss_ThrowsNamingEpochAndBatchBeforeApplyingIt()
    {
        var (x, y) = MeanData(16);
        TestUtil.Span(x)[(9 * 12) + 3] = float.NaN;
        var model = SmallModel();
        model.Compile(new Sgd(0.01f), Loss.MeanSquaredError);
        var error = Assert.Throws<TrainingDivergedException>(() => model.Fit(x, y, batchSize: 4, shuffle: false, verbose: 0));
        Assert.Equal(1, error.Epoch);
        Assert.Equal(3, error.Batch);
        Assert.Contains("at epoch 1, batch 3", error.Message, StringComparison.Ordinal);
        Assert.All(model.GetWeights().SelectMany(w => w), v => Assert.True(float.IsFinite(v)));

        var quiet = SmallModel();
        quiet.Compile(new Sgd(0.01f), Loss.MeanSquaredError);
        var history = quiet.Fit(x, y, epochs: 3, batchSize: 4, shuffle: false, verbose: 0, onNonFiniteLoss: NonFiniteLoss.Stop);
        Assert.Equal(0, history.EpochCount);
        Assert.All(quiet.GetWeights().SelectMany(w => w), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Predict_InBatches_EqualsLayerByLayerForward()
    {
        var (x, _) = MeanData(23);
        var model = SmallModel();
        var predicted = model.Predict(x, batchSize: 5);
        Assert.Equal([23, 1], TestUtil.Shape(predicted));
        var manual = x;
        foreach (var layer in model.Layers)
        {
            manual = layer.Forward(manual);
        }

        Assert.Equal(TestUtil.Span(manual).ToArray(), TestUtil.Span(predicted).ToArray());
    }

    [Fact]
    public void Predict_InOneBatchIntoAGivenTensor_EqualsPredictingInSmallBatches()
    {
        // One batch covering every sample runs straight from x into the given output; several batches go through
        // the plan's buffers. Padded token sequences exercise the mask path; the same bits either way.
        var random = new Random(11);
        const int Samples = 12, Time = 9;
        var tokens = new float[Samples * Time];
        for (var b = 0; b < Samples; b++)
        {
            var length = 1 + random.Next(Time);
            for (var t = 0; t < length; t++)
            {
                tokens[(b * Time) + t] = 1 + random.Next(20);
            }
        }

        var x = System.Numerics.Tensors.Tensor.Create(tokens, [Samples, Time]);
        var model = new Sequential([new Embedding(21, 6, maskZero: true, inputLength: Time), new Gru(7, returnSequences: true), new Dense(3)], seed: 3);
        var small = model.Predict(x, batchSize: 5);
        var whole = System.Numerics.Tensors.Tensor.Create(new float[Samples * Time * 3], [Samples, Time, 3]);
        model.Predict(x, whole, batchSize: Samples);
        Assert.Equal(TestUtil.Span(small).ToArray(), TestUtil.Span(whole).ToArray());

        // Output and input in the same memory: the same values as predicting into a new tensor.
        var same = new Sequential([new Dense(4, inputShape: [4])], seed: 2);
        var values = TestUtil.RandomArray(random, 8 * 4).Select(v => (float)v).ToArray();
        var expected = same.Predict(System.Numerics.Tensors.Tensor.Create((float[])values.Clone(), [8, 4]), batchSize: 3);
        var inPlace = System.Numerics.Tensors.Tensor.Create(values, [8, 4]);
        same.Predict(inPlace, inPlace, batchSize: 8);
        Assert.Equal(TestUtil.Span(expected).ToArray(), TestUtil.Span(inPlace).ToArray());
    }

    [Fact]
    public void Add_RenamesDefaultNamesAndRejectsDuplicatesStateAndBadStacking()
    {
        var model = new Sequential(new Dense(3, inputShape: [4]), new Dense(2), new Dense(1));
        Assert.Equal(["dense", "dense_1", "dense_2"], model.Layers.Select(l => l.Name));

        var duplicate = Assert.Throws<ArgumentException>(() => model.Add(new Dense(1, name: "dense_1")));
        Assert.Contains("already has a layer named 'dense_1'", duplicate.Message, StringComparison.Ordinal);

        var stateful = Assert.Throws<ArgumentException>(() => new Sequential(new Lstm(3, returnState: true)));
        Assert.Contains("single output", stateful.Message, StringComparison.Ordinal);

        var stacked = new Sequential(new Lstm(5, inputShape: (10, 2)));
        var error = Assert.Throws<ArgumentException>(() => stacked.Add(new Gru(3)));
        Assert.Contains("Layer 'gru' cannot follow 'lstm', whose output has shape [batch, 5]", error.Message, StringComparison.Ordinal);
        Assert.Contains("returnSequences: true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_ListsLayersShapesAndParameterCounts()
    {
        var model = new Sequential(new Lstm(20, inputShape: (10, 1)), new Dense(1));
        var summary = model.Summary();
        Assert.Contains("lstm (Lstm)", summary, StringComparison.Ordinal);
        Assert.Contains("(None, 20)", summary, StringComparison.Ordinal);
        Assert.Contains("dense (Dense)", summary, StringComparison.Ordinal);

        // PyTorch's count: 4H(in + H) weights and two 4H biases; Dense: 20 + 1.
        Assert.Contains(((4 * 20 * (1 + 20)) + (2 * 80)).ToString("N0", System.Globalization.CultureInfo.InvariantCulture), summary, StringComparison.Ordinal);
        Assert.Contains("Total params: 1,861", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_Verbose_WritesOneLinePerEpochWhenRedirectedAndNothingAtZero()
    {
        var (x, y) = MeanData(16);
        var model = SmallModel();
        model.Compile(new Sgd(), Loss.MeanSquaredError, Metric.MeanAbsoluteError);
        var output = new StringWriter();
        model.Output = output;
        model.Fit(x, y, epochs: 2, batchSize: 4, verbose: 1);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("Epoch 1/2 - 4/4 - ", lines[0], StringComparison.Ordinal);
        Assert.Contains(" - loss: ", lines[1], StringComparison.Ordinal);
        Assert.Contains(" - mean_absolute_error: ", lines[1], StringComparison.Ordinal);

        output.GetStringBuilder().Clear();
        model.Fit(x, y, epochs: 2, batchSize: 4, verbose: 0);
        Assert.Equal(string.Empty, output.ToString());
    }

    [Fact]
    public void Fit_Cancellation_ThrowsBetweenBatches()
    {
        var (x, y) = MeanData(32);
        var model = SmallModel();
        model.Compile(new Sgd(), Loss.MeanSquaredError);
        using var source = new CancellationTokenSource();
        var batches = 0;
        var counter = new LambdaCallback(onBatchEnd: (_, _) =>
        {
            if (++batches == 3)
            {
                source.Cancel();
            }
        });
        Assert.Throws<OperationCanceledException>(() => model.Fit(x, y, epochs: 5, batchSize: 4, callbacks: [counter], verbose: 0, cancellationToken: source.Token));
        Assert.Equal(3, batches);
    }

    [Fact]
    public void EarlyStopping_StopsAfterPatienceAndRestoresBestWeights()
    {
        var (x, y) = MeanData(32);
        var model = SmallModel();
        model.Compile(new Sgd(0.05f), Loss.MeanSquaredError);
        var weightsByEpoch = new List<float[][]>();
        var recorder = new LambdaCallback(onEpochEnd: (_, _) => weightsByEpoch.Add(model.GetWeights()));

        // A minDelta larger than any change: only the first epoch counts as an improvement.
        var stopper = new EarlyStopping(monitor: "loss", minDelta: 1e6f, patience: 2, restoreBestWeights: true);
        var history = model.Fit(x, y, epochs: 10, batchSize: 8, callbacks: [recorder, stopper], verbose: 0);
        Assert.Equal(3, history.EpochCount);
        Assert.Equal(2, stopper.StoppedEpoch);
        Assert.Equal(0, stopper.BestEpoch);
        var restored = model.GetWeights();
        for (var i = 0; i < restored.Length; i++)
        {
            Assert.Equal(weightsByEpoch[0][i], restored[i]);
        }
    }

    /// <summary>With three epochs of warm-up, the first watched epoch (3) is the best, and patience 2 stops at epoch 5.</summary>
    [Fact]
    public void EarlyStopping_StartFromEpoch_IgnoresTheWarmUpEpochs()
    {
        var (x, y) = MeanData(32);
        var model = SmallModel();
        model.Compile(new Sgd(0.05f), Loss.MeanSquaredError);
        var stopper = new EarlyStopping(monitor: "loss", minDelta: 1e6f, patience: 2, startFromEpoch: 3);
        var history = model.Fit(x, y, epochs: 10, batchSize: 8, callbacks: [stopper], verbose: 0);
        Assert.Equal(3, stopper.BestEpoch);
        Assert.Equal(5, stopper.StoppedEpoch);
        Assert.Equal(6, history.EpochCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping(startFromEpoch: -1));
    }

    [Fact]
    public void EarlyStopping_ThrowsForAQuantityThatIsNotLogged()
    {
        var (x, y) = MeanData(16);
        var model = SmallModel();
        model.Compile(new Sgd(), Loss.MeanSquaredError);
        var error = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 2, callbacks: [new EarlyStopping()], verbose: 0));
        Assert.Contains("EarlyStopping monitors 'val_loss', which training does not log; available: loss", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReduceLROnPlateau_LowersTheLearningRateAfterPatience()
    {
        var (x, y) = MeanData(16);
        var model = SmallModel();
        var optimizer = new Sgd(0.1f);
        model.Compile(optimizer, Loss.MeanSquaredError);
        var rates = new List<float>();
        var recorder = new LambdaCallback(onEpochEnd: (_, _) => rates.Add(optimizer.LearningRate));
        var reducer = new ReduceLROnPlateau(monitor: "loss", factor: 0.5f, patience: 2, minDelta: 1e6f, minLearningRate: 0.02f);
        model.Fit(x, y, epochs: 7, batchSize: 8, callbacks: [reducer, recorder], verbose: 0);
        Assert.Equal(new[] { 0.1f, 0.1f, 0.05f, 0.05f, 0.025f, 0.025f, 0.02f }, rates);
    }

    /// <summary>A schedule by epoch trains exactly as setting the rate by hand before each of four one-epoch Fit calls (unshuffled, so that the batches agree).</summary>
    [Fact]
    public void LearningRateScheduler_SetsTheRateAtEachEpochStart_AsSettingItByHand()
    {
        var (x, y) = MeanData(16);
        static float Schedule(int epoch, float rate) => epoch < 2 ? rate : rate * 0.5f;
        var scheduled = SmallModel();
        var optimizer = new Adam(0.01f);
        scheduled.Compile(optimizer, Loss.MeanSquaredError);
        var rates = new List<float>();
        var recorder = new LambdaCallback(onEpochEnd: (_, _) => rates.Add(optimizer.LearningRate));
        scheduled.Fit(x, y, epochs: 4, batchSize: 8, shuffle: false, callbacks: [new LearningRateScheduler(Schedule), recorder], verbose: 0);

        var byHand = SmallModel();
        var handOptimizer = new Adam(0.01f);
        byHand.Compile(handOptimizer, Loss.MeanSquaredError);
        for (var epoch = 0; epoch < 4; epoch++)
        {
            handOptimizer.LearningRate = Schedule(epoch, handOptimizer.LearningRate);
            byHand.Fit(x, y, epochs: 1, batchSize: 8, shuffle: false, verbose: 0);
        }

        Assert.Equal([0.01f, 0.01f, 0.005f, 0.0025f], rates);
        Assert.Equal(byHand.GetWeights(), scheduled.GetWeights());
    }

    [Fact]
    public void LearningRateScheduler_RejectsARateThatIsNotPositive_NamingTheEpoch()
    {
        var (x, y) = MeanData(16);
        var model = SmallModel();
        var optimizer = new Sgd(0.1f);
        model.Compile(optimizer, Loss.MeanSquaredError);
        var scheduler = new LearningRateScheduler((epoch, rate) => epoch == 1 ? 0f : rate);
        var error = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 3, callbacks: [scheduler], verbose: 0));
        Assert.Contains("gave the learning rate 0 for epoch 2; it must be positive and finite", error.Message, StringComparison.Ordinal);
        Assert.Equal(0.1f, optimizer.LearningRate);
        Assert.Equal(0.1f, scheduler.LastLearningRate);
    }

    [Fact]
    public void GetLayer_FindsByName_AndListsTheNamesWhenMissing()
    {
        var model = SmallModel();
        Assert.Same(model.Layers[2], model.GetLayer("gru"));
        var error = Assert.Throws<ArgumentException>(() => model.GetLayer("conv1d"));
        Assert.Contains("has no layer named 'conv1d'; its layers are 'lstm', 'dropout', 'gru', 'dense'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CsvLogger_WritesHeaderAndOneRowPerEpoch()
    {
        var (x, y) = MeanData(16);
        var model = SmallModel();
        model.Compile(new Sgd(), Loss.MeanSquaredError, Metric.MeanSquaredError);
        var path = Path.Combine(Path.GetTempPath(), $"rnn-csv-{Guid.NewGuid():N}.csv");
        try
        {
            var history = model.Fit(x, y, epochs: 3, batchSize: 8, validationSplit: 0.25f, callbacks: [new CsvLogger(path)], verbose: 0);
            var lines = File.ReadAllLines(path);
            Assert.Equal("epoch,loss,mean_squared_error,val_loss,val_mean_squared_error", lines[0]);
            Assert.Equal(4, lines.Length);
            Assert.Equal(history["val_loss"][2], float.Parse(lines[3].Split(',')[3], System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Predict_AfterAGoBackwardsLayer_PassesTheMaskReversedWithItsReversedOutput()
    {
        var model = new Sequential(
            [new Masking(inputShape: (null, 2)), new Gru(5, returnSequences: true, goBackwards: true), new Lstm(4, returnSequences: true)], seed: 6);
        var (x, _) = MeanData(3, time: 6);
        int[] lengths = [6, 2, 4];
        var mask = new bool[3 * 6];
        for (var b = 0; b < 3; b++)
        {
            for (var t = 0; t < 6; t++)
            {
                mask[(b * 6) + t] = t < lengths[b];
                if (t >= lengths[b])
                {
                    TestUtil.Span(x).Slice(((b * 6) + t) * 2, 2).Clear();
                }
            }
        }

        // By hand: the Gru runs on the reversed sequence and mask and returns its outputs in that order, so the
        // Lstm after it must see the reversed mask.
        var reversed = new bool[mask.Length];
        for (var b = 0; b < 3; b++)
        {
            for (var t = 0; t < 6; t++)
            {
                reversed[(b * 6) + t] = mask[(b * 6) + 5 - t];
            }
        }

        var gru = (Recurrent)model.Layers[1];
        var lstm = (Recurrent)model.Layers[2];
        var middle = gru.Forward(x, null, null, Tensor.Create(mask, [3, 6])).Output;
        var expected = lstm.Forward(middle, null, null, Tensor.Create(reversed, [3, 6])).Output;
        Assert.Equal(TestUtil.Span(expected).ToArray(), TestUtil.Span(model.Predict(x)).ToArray());
    }

    [Fact]
    public void TrainOnBatchAndPredict_AllocateNothingInSteadyState()
    {
        var (x, y) = MeanData(16);
        var model = new Sequential([new Lstm(8, inputShape: (null, 2), returnSequences: true, numLayers: 2, dropout: 0.1f), new LayerNormalization(), new Gru(6, recurrentDropout: 0.2f), new Dense(1)], seed: 3);
        model.Compile(new Adam() { GlobalClipNorm = 1f }, Loss.MeanSquaredError, [Metric.MeanAbsoluteError], [Metric.MeanAbsoluteError, Metric.Auc, Metric.Precision]);
        var output = TestUtil.ToTensor(new float[16], 16, 1);
        model.TrainOnBatch(x, y);
        model.Predict(x, output, batchSize: 16);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 5; i++)
        {
            model.TrainOnBatch(x, y);
            model.Predict(x, output, batchSize: 16);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
