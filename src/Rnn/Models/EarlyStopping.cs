namespace Rnn.Models;

/// <summary>
/// Stops training when a monitored quantity has stopped improving for <c>patience</c> epochs (Keras's
/// <c>EarlyStopping</c>, Keras 3 semantics: with <c>restoreBestWeights</c>, the weights of the best epoch are
/// put back when training ends, whether or not it stopped early).
/// </summary>
public sealed class EarlyStopping : Callback
{
    private readonly Monitor _monitor;
    private readonly float? _baseline;
    private float[][]? _bestWeights;
    private int _wait;

    /// <summary>Creates the callback.</summary>
    /// <param name="monitor">The logged quantity to watch.</param>
    /// <param name="minDelta">The least change that counts as an improvement.</param>
    /// <param name="patience">Epochs without improvement after which training stops.</param>
    /// <param name="mode">Whether lower or higher is better; <see cref="MonitorMode.Auto"/> decides from the name.</param>
    /// <param name="baseline">A value the quantity must beat; training stops if it does not within <paramref name="patience"/> epochs.</param>
    /// <param name="restoreBestWeights">Put back the weights of the best epoch when training ends.</param>
    /// <param name="startFromEpoch">Epochs of warm-up before the quantity is watched at all (Keras's <c>start_from_epoch</c>): epochs 0 to <paramref name="startFromEpoch"/> − 1 neither count as best nor use up patience.</param>
    public EarlyStopping(string monitor = "val_loss", float minDelta = 0f, int patience = 0, MonitorMode mode = MonitorMode.Auto,
        float? baseline = null, bool restoreBestWeights = false, int startFromEpoch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(startFromEpoch);
        StartFromEpoch = startFromEpoch;
        _monitor = new Monitor(monitor, mode, minDelta, nameof(EarlyStopping));
        _baseline = baseline;
        Patience = patience;
        RestoreBestWeights = restoreBestWeights;
    }

    /// <summary>Epochs without improvement after which training stops.</summary>
    public int Patience { get; }

    /// <summary>Epochs of warm-up before the quantity is watched.</summary>
    public int StartFromEpoch { get; }

    /// <summary>Whether the best epoch's weights are restored when training ends.</summary>
    public bool RestoreBestWeights { get; }

    /// <summary>The epoch (from 0) at which training was stopped, or null.</summary>
    public int? StoppedEpoch { get; private set; }

    /// <summary>The epoch (from 0) with the best monitored value so far, or null.</summary>
    public int? BestEpoch { get; private set; }

    /// <summary>The best monitored value so far.</summary>
    public float Best => _monitor.Best;

    /// <inheritdoc/>
    public override void OnTrainBegin()
    {
        _monitor.Reset();
        _wait = 0;
        _bestWeights = null;
        StoppedEpoch = null;
        BestEpoch = null;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, float> logs)
    {
        var model = RequireModel();
        var current = _monitor.Read(logs);
        if (epoch < StartFromEpoch)
        {
            return;
        }

        _wait++;
        if (_monitor.Update(current))
        {
            BestEpoch = epoch;
            if (RestoreBestWeights)
            {
                _bestWeights = model.GetWeights();
            }

            if (_baseline is null || _monitor.IsImprovement(current, _baseline.Value))
            {
                _wait = 0;
            }

            return;
        }

        if (_wait >= Patience && epoch > 0)
        {
            StoppedEpoch = epoch;
            model.StopTraining = true;
        }
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(IReadOnlyDictionary<string, float> logs)
    {
        if (RestoreBestWeights && _bestWeights is not null)
        {
            RequireModel().SetWeights(_bestWeights);
        }
    }
}
