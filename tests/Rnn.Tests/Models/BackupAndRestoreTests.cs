using System.Numerics.Tensors;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Models;
using Rnn.Optimizers;

namespace Rnn.Tests.Models;

/// <summary>
/// Keras's <c>initial_epoch</c> and <c>BackupAndRestore</c>: a run interrupted after an epoch and restarted in a new model
/// ends with bitwise the weights of a run that was never interrupted.
/// </summary>
public sealed class BackupAndRestoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rnn-backup-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static (Tensor<float> X, Tensor<float> Y) Data()
        => (TestUtil.ToTensor(TestUtil.RandomArray(new Random(1), 24 * 5 * 3), 24, 5, 3), TestUtil.ToTensor(TestUtil.RandomArray(new Random(2), 24), 24, 1));

    /// <summary>Dropout and shuffling make every epoch draw random numbers, so a resume must restore those too.</summary>
    private static Sequential Model(int seed = 3, string optimizer = "adam")
    {
        var model = new Sequential([new Lstm(6, returnSequences: true, recurrentDropout: 0.2f, inputShape: (null, 3)), new Dropout(0.3f), new Gru(4), new Dense(1)], seed: seed);
        model.Compile(Optimizer.FromConfig(optimizer, new Dictionary<string, string> { ["learning_rate"] = "0.01" }), Loss.MeanSquaredError);
        return model;
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("nadam")]
    [InlineData("radam")]
    [InlineData("adamax")]
    [InlineData("adadelta")]
    public void AnInterruptedRun_ResumesToBitwiseTheWeightsOfAnUninterruptedOne(string optimizer)
    {
        var (x, y) = Data();
        var uninterrupted = Model(optimizer: optimizer);
        var backup = new BackupAndRestore(Path.Combine(_directory, "a"));
        var full = uninterrupted.Fit(x, y, epochs: 4, batchSize: 8, validationSplit: 0.25f, callbacks: [backup], verbose: 0);
        Assert.Equal([0, 1, 2, 3], full.Epochs);
        Assert.False(File.Exists(backup.BackupPath));

        var crashing = Model(optimizer: optimizer);
        var run = new BackupAndRestore(Path.Combine(_directory, "b"));
        var crash = new LambdaCallback(onEpochEnd: (epoch, _) =>
        {
            if (epoch == 1)
            {
                throw new IOException("simulated crash after epoch 2");
            }
        });
        Assert.Throws<IOException>(() => crashing.Fit(x, y, epochs: 4, batchSize: 8, validationSplit: 0.25f, callbacks: [run, crash], verbose: 0));
        Assert.True(File.Exists(run.BackupPath));

        // A new process: a new model (another seed, so nothing but the backup can make it agree) and the same Fit call.
        var restarted = Model(seed: 99, optimizer: optimizer);
        var resumed = restarted.Fit(x, y, epochs: 4, batchSize: 8, validationSplit: 0.25f, callbacks: [run], verbose: 0);

        Assert.Equal(1, run.ResumedAfterEpoch);
        Assert.Equal([2, 3], resumed.Epochs);
        Assert.Equal(full["loss"].Skip(2), resumed["loss"]);
        Assert.Equal(full["val_loss"].Skip(2), resumed["val_loss"]);
        Assert.Equal(uninterrupted.GetWeights(), restarted.GetWeights());
        Assert.False(File.Exists(run.BackupPath));
    }

    [Fact]
    public void ABackupOfAnotherModel_IsRefused_AndChangesNothing()
    {
        var (x, y) = Data();
        var backup = new BackupAndRestore(Path.Combine(_directory, "c"), deleteWhenDone: false);
        Model().Fit(x, y, epochs: 1, batchSize: 8, callbacks: [backup], verbose: 0);
        Assert.True(File.Exists(backup.BackupPath));

        var other = new Sequential([new Gru(5, inputShape: (null, 3)), new Dense(1)], seed: 4);
        other.Compile(new Adam(0.01f), Loss.MeanSquaredError);
        other.Build(-1, 3);
        var before = other.GetWeights();
        var error = Assert.Throws<InvalidDataException>(() => other.Fit(x, y, epochs: 2, batchSize: 8, callbacks: [backup], verbose: 0));
        Assert.Contains("cannot resume model 'sequential'", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, other.GetWeights());

        // A backup is also a model file: it loads as one.
        Assert.Equal(4, Sequential.Load(backup.BackupPath).Layers.Count);

        // Other data (16 samples instead of 24): the saved sample order cannot continue.
        var fewer = Model();
        fewer.Build(-1, 3);
        var fewerBefore = fewer.GetWeights();
        var data = Assert.Throws<InvalidDataException>(() => fewer.Fit(Rnn.Data.Batching.GatherRows(x, [.. Enumerable.Range(0, 16)]), Rnn.Data.Batching.GatherRows(y, [.. Enumerable.Range(0, 16)]), epochs: 2, batchSize: 8, callbacks: [backup], verbose: 0));
        Assert.Contains("saved while training on 24 samples or batches, and this Fit has 16", data.Message, StringComparison.Ordinal);
        Assert.Equal(fewerBefore, fewer.GetWeights());

        // The same model with another optimizer: its weights fit but the optimizer state does not; all of it is undone.
        var sgd = Model();
        sgd.Compile(new Sgd(0.1f, momentum: 0.9f), Loss.MeanSquaredError);
        sgd.Build(-1, 3);
        var sgdBefore = sgd.GetWeights();
        Assert.Throws<InvalidDataException>(() => sgd.Fit(x, y, epochs: 2, batchSize: 8, callbacks: [backup], verbose: 0));
        Assert.Equal(sgdBefore, sgd.GetWeights());
    }

    [Fact]
    public void InitialEpoch_StartsTheEpochCountLater()
    {
        var (x, y) = Data();
        var model = Model();
        var seen = new List<int>();
        var history = model.Fit(x, y, epochs: 3, batchSize: 8, initialEpoch: 1, verbose: 0, callbacks: [new LambdaCallback(onEpochBegin: seen.Add)]);
        Assert.Equal([1, 2], seen);
        Assert.Equal([1, 2], history.Epochs);
        Assert.Equal(2, history.EpochCount);
        Assert.Contains("initialEpoch must be from 0 to epochs (3)", Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(x, y, epochs: 3, initialEpoch: 4, verbose: 0)).Message, StringComparison.Ordinal);
    }
}
