namespace Rnn.Models;

/// <summary>A callback made of delegates, for custom code without a class (Keras's <c>LambdaCallback</c>).</summary>
/// <param name="onEpochEnd">Runs at the end of each epoch with its number (from 0) and logs.</param>
/// <param name="onBatchEnd">Runs after each batch with its number within the epoch and the running logs.</param>
/// <param name="onTrainBegin">Runs before the first epoch.</param>
/// <param name="onTrainEnd">Runs after the last epoch with its logs.</param>
/// <param name="onEpochBegin">Runs at the start of each epoch with its number (from 0).</param>
public sealed class LambdaCallback(
    Action<int, IReadOnlyDictionary<string, float>>? onEpochEnd = null,
    Action<int, IReadOnlyDictionary<string, float>>? onBatchEnd = null,
    Action? onTrainBegin = null,
    Action<IReadOnlyDictionary<string, float>>? onTrainEnd = null,
    Action<int>? onEpochBegin = null) : Callback
{
    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch) => onEpochBegin?.Invoke(epoch);

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, float> logs) => onEpochEnd?.Invoke(epoch, logs);

    /// <inheritdoc/>
    public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, float> logs) => onBatchEnd?.Invoke(batch, logs);

    /// <inheritdoc/>
    public override void OnTrainBegin() => onTrainBegin?.Invoke();

    /// <inheritdoc/>
    public override void OnTrainEnd(IReadOnlyDictionary<string, float> logs) => onTrainEnd?.Invoke(logs);
}
