using System.Numerics.Tensors;
using Rnn.Data;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Metrics;
using Rnn.Optimizers;

namespace Rnn.Tests.Models;

/// <summary>
/// Training and evaluating on a <see cref="BatchSource"/> (Keras's PyDataset): the same numbers as on tensors cut into the
/// same batches, every batch asked for once per epoch, bad batches named; and <see cref="WindowBatches"/> giving exactly
/// the windows of <see cref="TimeSeries.SlidingWindows(Tensor{float}, Tensor{float}?, int, int, int, bool, int?, int, int?)"/>.
/// </summary>
public class BatchSourceTests
{
    private const int Time = 5, Features = 3;

    private static Tensor<float> Labels(int seed, int count, int classes)
    {
        var random = new Random(seed);
        return TestUtil.ToTensor(Enumerable.Range(0, count).Select(_ => (float)random.Next(classes)).ToArray(), count);
    }

    private static Sequential Classifier(bool stateful = false)
    {
        var model = new Sequential([new Gru(5, inputShape: (null, Features), stateful: stateful), new Dense(3)], seed: 4);
        model.Compile(new Adam(0.01f), Loss.SparseCategoricalCrossEntropy(fromLogits: true), [Metric.Accuracy], [Metric.Accuracy]);
        return model;
    }

    [Fact]
    public void Fit_OnASource_TrainsBitwiseAsOnTheSameBatchesOfTensors()
    {
        var x = TestUtil.RandomTensor(1, 30, Time, Features);
        var y = Labels(2, 30, 3);
        var weights = TestUtil.ToTensor(Enumerable.Range(0, 30).Select(i => 0.5f + (i % 4)).ToArray(), 30);
        var (xv, yv) = (TestUtil.RandomTensor(3, 9, Time, Features), Labels(4, 9, 3));
        var classWeight = new Dictionary<int, float> { [1] = 2f };

        var tensors = Classifier();
        var expected = tensors.Fit(x, y, epochs: 3, batchSize: 8, validationData: (xv, yv), shuffle: false, classWeight: classWeight, sampleWeight: weights, verbose: 0);
        var source = Classifier();
        var actual = source.Fit(new RowSource(x, y, 8, weights), epochs: 3, validationData: new RowSource(xv, yv, 8), shuffle: false, classWeight: classWeight, verbose: 0);

        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var key in expected.Keys)
        {
            Assert.Equal(expected[key], actual[key]);
        }

        Assert.Equal(tensors.GetWeights(), source.GetWeights());
        Assert.Equal(tensors.Evaluate(xv, yv, batchSize: 4), source.Evaluate(new RowSource(xv, yv, 4)));
    }

    [Fact]
    public void Fit_AsksForEveryBatchOncePerEpoch_InAShuffledOrder_ThenCallsOnEpochEnd()
    {
        var source = new RowSource(TestUtil.RandomTensor(5, 40, Time, Features), Labels(6, 40, 3), 5);
        Classifier().Fit(source, epochs: 3, shuffle: true, verbose: 0);

        Assert.Equal(3 * 8, source.Requests.Count);
        Assert.Equal([8, 16, 24], source.EpochEnds);
        var epochs = source.Requests.Chunk(8).ToArray();
        Assert.All(epochs, epoch => Assert.Equal(Enumerable.Range(0, 8), epoch.Order()));
        Assert.NotEqual(epochs[0], epochs[1]);
        Assert.NotEqual(Enumerable.Range(0, 8), epochs[0]);
    }

    [Fact]
    public void ABadBatch_IsNamed_AndChangesNoWeight()
    {
        var x = TestUtil.RandomTensor(7, 16, Time, Features);
        var y = Labels(8, 16, 3);
        var model = Classifier();
        var reference = Classifier();
        reference.TrainOnBatch(Batching.GatherRows(x, [0, 1, 2, 3, 4, 5, 6, 7]), Batching.GatherRows(y, [0, 1, 2, 3, 4, 5, 6, 7]));

        var badLabels = new RowSource(x, y, 8) { Corrupt = (index, batch) => index == 1 ? batch with { Y = TestUtil.ToTensor(Enumerable.Repeat(7f, 8).ToArray(), 8) } : batch };
        var labels = Assert.Throws<ArgumentException>(() => model.Fit(badLabels, shuffle: false, verbose: 0));
        Assert.Contains("cannot use batch 1 of data (RowSource)", labels.Message, StringComparison.Ordinal);
        Assert.Contains("7", labels.Message, StringComparison.Ordinal);
        Assert.Equal(reference.GetWeights(), model.GetWeights());

        var badShape = new RowSource(x, y, 8) { Corrupt = (index, batch) => index == 0 ? batch with { X = TestUtil.RandomTensor(9, 8, Time, Features + 1) } : batch };
        var shape = Assert.Throws<ArgumentException>(() => Classifier().Fit(badShape, shuffle: false, verbose: 0));
        Assert.Contains("cannot use batch 0 of data (RowSource)", shape.Message, StringComparison.Ordinal);

        var badWeights = new RowSource(x, y, 8) { Corrupt = (index, batch) => batch with { SampleWeight = TestUtil.ToTensor([1f, 2f], 2) } };
        var weights = Assert.Throws<ArgumentException>(() => Classifier().Evaluate(badWeights));
        Assert.Contains("cannot use batch 0 of data (RowSource)", weights.Message, StringComparison.Ordinal);
        Assert.Contains("SampleWeight", weights.Message, StringComparison.Ordinal);

        var none = new RowSource(x, y, 8) { Corrupt = (_, _) => null! };
        Assert.Contains("GetBatch(0) returned null", Assert.Throws<InvalidOperationException>(() => Classifier().Fit(none, shuffle: false, verbose: 0)).Message, StringComparison.Ordinal);

        var empty = new RowSource(TestUtil.RandomTensor(10, 0, Time, Features), Labels(11, 0, 3), 8);
        Assert.Contains("with 0 batches as validationData", Assert.Throws<ArgumentException>(() => Classifier().Fit(badLabels, validationData: empty, verbose: 0)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StatefulModel_RejectsABatchOfAnotherSize_NamingIt()
    {
        var source = new RowSource(TestUtil.RandomTensor(12, 20, Time, Features), Labels(13, 20, 3), 8);
        var error = Assert.Throws<ArgumentException>(() => Classifier(stateful: true).Fit(source, shuffle: false, verbose: 0));
        Assert.Contains("cannot use batch 2 of data", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_OnASource_StacksTheBatchesOutputs_AsPredictOnTensors()
    {
        var x = TestUtil.RandomTensor(19, 21, Time, Features);
        var model = Classifier();
        var expected = TestUtil.Span(model.Predict(x, batchSize: 8)).ToArray();
        var inputsOnly = new RowSource(x, Labels(20, 21, 3), 8) { Corrupt = (_, batch) => batch with { Y = null } };

        var actual = model.Predict(inputsOnly);

        Assert.Equal([21, 3], TestUtil.Shape(actual));
        Assert.Equal(expected, TestUtil.Span(actual).ToArray());
        var noTargets = Assert.Throws<ArgumentException>(() => model.Fit(inputsOnly, shuffle: false, verbose: 0));
        Assert.Contains("cannot use batch 0 of data (RowSource): It has no targets", noTargets.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_RejectsBatchesWhoseOutputsCannotBeStacked()
    {
        var model = new Sequential([new Lstm(4, returnSequences: true, inputShape: (null, Features)), new Dense(2)], seed: 21);
        var source = new RowSource(TestUtil.RandomTensor(22, 16, Time, Features), Labels(23, 16, 3), 8)
        {
            Corrupt = (index, batch) => index == 1 ? batch with { X = TestUtil.RandomTensor(24, 8, Time + 2, Features) } : batch,
        };
        var error = Assert.Throws<ArgumentException>(() => model.Predict(source));
        Assert.Contains($"cannot use batch 1 of data (RowSource): Its outputs have shape [samples, {Time + 2}, 2] but the first batch's had [samples, {Time}, 2]", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<bool, int, int, int, int, int?> WindowCases() => new()
    {
        { false, 1, 1, 8, 0, null },
        { true, 1, 1, 8, 0, null },
        { false, 3, 2, 5, 4, 90 },
        { true, 2, 3, 7, 10, null },
        { false, 1, 1, 200, 0, null },
    };

    [Theory]
    [MemberData(nameof(WindowCases))]
    public void WindowBatches_GiveTheWindowsOfSlidingWindows_BatchByBatch(bool shuffle, int stride, int rate, int batchSize, int start, int? end)
    {
        var series = TestUtil.RandomTensor(14, 100, 2);
        var targets = TestUtil.RandomTensor(15, 100, 3);
        var (x, y) = TimeSeries.SlidingWindows(series, targets, 6, stride, rate, shuffle, seed: 16, start, end);
        var source = new WindowBatches(series, targets, 6, batchSize, stride, rate, shuffle, seed: 16, start, end);

        var windows = (int)x.Lengths[0];
        Assert.Equal(windows, source.WindowCount);
        Assert.Equal((windows + batchSize - 1) / batchSize, source.BatchCount);
        var xs = new List<float>();
        var ys = new List<float>();
        for (var b = 0; b < source.BatchCount; b++)
        {
            var batch = source.GetBatch(b);
            var count = Math.Min(batchSize, windows - (b * batchSize));
            Assert.Equal([count, 6, 2], TestUtil.Shape(batch.X));
            Assert.Equal([count, 3], TestUtil.Shape(batch.Y!));
            xs.AddRange(TestUtil.Span(batch.X).ToArray());
            ys.AddRange(TestUtil.Span(batch.Y!).ToArray());
        }

        Assert.Equal(TestUtil.Span(x).ToArray(), xs);
        Assert.Equal(TestUtil.Span(y!).ToArray(), ys);
        Assert.Throws<ArgumentOutOfRangeException>(() => source.GetBatch(source.BatchCount));
    }

    [Fact]
    public void Fit_OnWindowBatches_TrainsBitwiseAsOnTheMaterializedWindows()
    {
        var series = TestUtil.RandomTensor(17, 300, 1);
        var next = TestUtil.ToTensor([.. TestUtil.Span(series).ToArray().Skip(10), .. new float[10]], 300, 1);
        Sequential Model()
        {
            var model = new Sequential([new Lstm(6, inputShape: (10, 1)), new Dense(1)], seed: 18);
            model.Compile(new Adam(0.01f), Loss.MeanSquaredError, Metric.MeanAbsoluteError);
            return model;
        }

        var (x, y) = TimeSeries.SlidingWindows(series, next, 10, endIndex: 290);
        var materialized = Model();
        var expected = materialized.Fit(x, y!, epochs: 2, batchSize: 32, shuffle: false, verbose: 0);
        var lazy = Model();
        var actual = lazy.Fit(new WindowBatches(series, next, 10, batchSize: 32, endIndex: 290), epochs: 2, shuffle: false, verbose: 0);

        Assert.Equal(expected["loss"], actual["loss"]);
        Assert.Equal(expected["mean_absolute_error"], actual["mean_absolute_error"]);
        Assert.Equal(materialized.GetWeights(), lazy.GetWeights());
    }

    /// <summary>Rows of tensors in batches of a fixed size, recording what the model asks for.</summary>
    [Fact]
    public void Prefetch_MakesTheNextBatchOnAnotherThread_WithBitwiseTheSameTraining()
    {
        var x = TestUtil.RandomTensor(11, 40, Time, Features);
        var y = Labels(12, 40, 3);
        var (xv, yv) = (TestUtil.RandomTensor(13, 12, Time, Features), Labels(14, 12, 3));
        var plain = new RowSource(x, y, 6);
        var ahead = new RowSource(x, y, 6) { PrefetchBatches = true };
        var plainValidation = new RowSource(xv, yv, 5);
        var aheadValidation = new RowSource(xv, yv, 5) { PrefetchBatches = true };

        var (one, two) = (Classifier(), Classifier());
        var expected = one.Fit(plain, epochs: 3, validationData: plainValidation, shuffle: true, verbose: 0);
        var actual = two.Fit(ahead, epochs: 3, validationData: aheadValidation, shuffle: true, verbose: 0);

        foreach (var key in expected.Keys)
        {
            Assert.Equal(expected[key], actual[key]);
        }

        Assert.Equal(one.GetWeights(), two.GetWeights());
        Assert.Equal(plain.Requests, ahead.Requests);          // the same shuffled order, each batch once
        Assert.Equal(plain.EpochEnds, ahead.EpochEnds);
        Assert.Equal((1, false), ahead.Overlap);               // one batch at a time, none while OnEpochEnd runs
        Assert.Contains(ahead.Threads, id => id != Environment.CurrentManagedThreadId);
        Assert.Single(plain.Threads);
        Assert.Equal(Values(one.Predict(new RowSource(xv, yv, 5))), Values(two.Predict(new RowSource(xv, yv, 5) { PrefetchBatches = true })));
        Assert.Equal(one.Evaluate(plainValidation), two.Evaluate(aheadValidation));
    }

    [Fact]
    public void Prefetch_AnExceptionOfAPrefetchedBatch_ComesOutWhereThatBatchIsUsed()
    {
        var source = new RowSource(TestUtil.RandomTensor(15, 30, Time, Features), Labels(16, 30, 3), 5)
        {
            PrefetchBatches = true,
            Corrupt = (index, batch) => index == 3 ? throw new IOException("disk gone at batch 3") : batch,
        };
        var model = Classifier();
        var before = model.GetWeights();

        var error = Assert.Throws<IOException>(() => model.Fit(source, epochs: 1, shuffle: false, verbose: 0));

        Assert.Equal("disk gone at batch 3", error.Message);
        Assert.Equal([0, 1, 2, 3], source.Requests);           // nothing asked for after the failure
        Assert.NotEqual(before, model.GetWeights());            // batches 0-2 trained, as without prefetching
    }

    private static float[] Values(Tensor<float> tensor) => TestUtil.Span(tensor).ToArray();

    private sealed class RowSource(Tensor<float> x, Tensor<float> y, int batchSize, Tensor<float>? weights = null) : BatchSource
    {
        private readonly int _rows = (int)x.Lengths[0];
        private int _making;

        public List<int> Requests { get; } = [];

        public List<int> EpochEnds { get; } = [];

        public Func<int, DataBatch, DataBatch>? Corrupt { get; init; }

        public bool PrefetchBatches { get; init; }

        /// <summary>The most GetBatch calls that ran at once, and whether one ran during OnEpochEnd.</summary>
        public (int MostAtOnce, bool DuringEpochEnd) Overlap { get; private set; }

        public HashSet<int> Threads { get; } = [];

        public override bool Prefetch => PrefetchBatches;

        public override int BatchCount => (_rows + batchSize - 1) / batchSize;

        public override DataBatch GetBatch(int index)
        {
            var making = Interlocked.Increment(ref _making);
            try
            {
                lock (Requests)
                {
                    Overlap = (Math.Max(Overlap.MostAtOnce, making), Overlap.DuringEpochEnd);
                    Requests.Add(index);
                    Threads.Add(Environment.CurrentManagedThreadId);
                }

                var rows = Enumerable.Range(index * batchSize, Math.Min(batchSize, _rows - (index * batchSize))).ToArray();
                var batch = new DataBatch(Batching.GatherRows(x, rows), Batching.GatherRows(y, rows), weights is null ? null : Batching.GatherRows(weights, rows));
                return Corrupt is null ? batch : Corrupt(index, batch);
            }
            finally
            {
                Interlocked.Decrement(ref _making);
            }
        }

        public override void OnEpochEnd()
        {
            lock (Requests)
            {
                Overlap = (Overlap.MostAtOnce, Overlap.DuringEpochEnd || Volatile.Read(ref _making) != 0);
                EpochEnds.Add(Requests.Count);
            }
        }
    }
}
