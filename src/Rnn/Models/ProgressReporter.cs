namespace Rnn.Models;

/// <summary>Where training is, as reported through <see cref="IProgress{T}"/> by <see cref="ProgressReporter"/>.</summary>
/// <param name="Epoch">The epoch, from 0.</param>
/// <param name="Epochs">The number of epochs asked for.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="Logs">A copy of the logs: running loss and metrics, and at the end of an epoch the validation ones.</param>
public sealed record TrainingProgress(int Epoch, int Epochs, int Batch, int Batches, IReadOnlyDictionary<string, float> Logs);

/// <summary>
/// Reports training progress to an <see cref="IProgress{T}"/> (for a UI: <see cref="Progress{T}"/> posts to
/// the thread that created it): at the end of each epoch, and after each batch when asked.
/// </summary>
/// <param name="progress">The receiver.</param>
/// <param name="everyBatch">Also report after every batch.</param>
public sealed class ProgressReporter(IProgress<TrainingProgress> progress, bool everyBatch = false) : Callback
{
    private readonly IProgress<TrainingProgress> _progress = progress ?? throw new ArgumentNullException(nameof(progress));
    private int _epoch;

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch) => _epoch = epoch;

    /// <inheritdoc/>
    public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, float> logs)
    {
        if (everyBatch)
        {
            var model = RequireModel();
            _progress.Report(new TrainingProgress(_epoch, model.TrainingEpochs, batch + 1, model.TrainingBatches, new Dictionary<string, float>(logs)));
        }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, float> logs)
    {
        var model = RequireModel();
        _progress.Report(new TrainingProgress(epoch, model.TrainingEpochs, model.TrainingBatches, model.TrainingBatches, new Dictionary<string, float>(logs)));
    }
}
