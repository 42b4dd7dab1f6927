namespace Rnn.Models;

/// <summary>
/// Code that <see cref="Sequential"/>.<c>Fit</c> runs at points of training (Keras's callbacks). Epochs and batches
/// are numbered from 0. Logs map names (<c>loss</c>, metric names, <c>val_</c>-prefixed ones at epoch end) to
/// values; a callback may stop training by setting <see cref="Sequential.StopTraining"/>.
/// </summary>
public abstract class Callback
{
    /// <summary>The model being trained; set by <see cref="Sequential"/>.<c>Fit</c> before <see cref="OnTrainBegin"/>.</summary>
    public Sequential? Model { get; internal set; }

    /// <summary>Called once before the first epoch.</summary>
    public virtual void OnTrainBegin()
    {
    }

    /// <summary>Called once after the last epoch (also when a callback stopped training).</summary>
    /// <param name="logs">The last epoch's logs.</param>
    public virtual void OnTrainEnd(IReadOnlyDictionary<string, float> logs)
    {
    }

    /// <summary>Called at the start of each epoch.</summary>
    /// <param name="epoch">The epoch, from 0.</param>
    public virtual void OnEpochBegin(int epoch)
    {
    }

    /// <summary>Called at the end of each epoch, after validation.</summary>
    /// <param name="epoch">The epoch, from 0.</param>
    /// <param name="logs">The epoch's training and validation loss and metrics.</param>
    public virtual void OnEpochEnd(int epoch, IReadOnlyDictionary<string, float> logs)
    {
    }

    /// <summary>Called after each training batch.</summary>
    /// <param name="batch">The batch within the epoch, from 0.</param>
    /// <param name="logs">The running means of loss and metrics over the epoch so far.</param>
    public virtual void OnBatchEnd(int batch, IReadOnlyDictionary<string, float> logs)
    {
    }

    /// <summary>The model, or a clear exception when the callback is used outside <see cref="Sequential"/>.<c>Fit</c>.</summary>
    /// <returns>The model being trained.</returns>
    private protected Sequential RequireModel()
        => Model ?? throw new InvalidOperationException($"{GetType().Name} is used outside Sequential.Fit: it has no model.");
}
