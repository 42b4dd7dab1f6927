using System.Globalization;

namespace Rnn.Models;

/// <summary>
/// Saves the model at the end of epochs (Keras's <c>ModelCheckpoint</c>): every epoch, or with
/// <c>saveBestOnly</c> only when the monitored quantity improved. The path may contain <c>{epoch}</c>
/// (1-based, as Keras numbers files), replaced by the epoch number. Saves are atomic, so an interrupted save
/// never damages the previous checkpoint.
/// </summary>
public sealed class ModelCheckpoint : Callback
{
    private readonly Monitor _monitor;

    /// <summary>Creates the callback.</summary>
    /// <param name="path">The file to write (a <c>.safetensors</c> model file); may contain <c>{epoch}</c>.</param>
    /// <param name="monitor">The logged quantity that decides what is best.</param>
    /// <param name="saveBestOnly">Save only when <paramref name="monitor"/> improved on the best so far.</param>
    /// <param name="mode">Whether lower or higher is better.</param>
    /// <param name="includeOptimizer">Also save the optimizer and random states, to resume training from the file.</param>
    /// <param name="weightsOnly">Save only the weights (a plain PyTorch state dict) instead of the whole model.</param>
    public ModelCheckpoint(string path, string monitor = "val_loss", bool saveBestOnly = false, MonitorMode mode = MonitorMode.Auto,
        bool includeOptimizer = false, bool weightsOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _monitor = new Monitor(monitor, mode, 0f, nameof(ModelCheckpoint));
        Path = path;
        SaveBestOnly = saveBestOnly;
        IncludeOptimizer = includeOptimizer;
        WeightsOnly = weightsOnly;
    }

    /// <summary>The file pattern.</summary>
    public string Path { get; }

    /// <summary>Whether only improvements are saved.</summary>
    public bool SaveBestOnly { get; }

    /// <summary>Whether the optimizer and random states are saved too.</summary>
    public bool IncludeOptimizer { get; }

    /// <summary>Whether only the weights are saved.</summary>
    public bool WeightsOnly { get; }

    /// <summary>The epoch (from 0) of the last save, or null.</summary>
    public int? LastSavedEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin()
    {
        _monitor.Reset();
        LastSavedEpoch = null;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, float> logs)
    {
        var model = RequireModel();
        if (SaveBestOnly && !_monitor.Update(_monitor.Read(logs)))
        {
            return;
        }

        var path = Path.Replace("{epoch}", (epoch + 1).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        if (WeightsOnly)
        {
            model.SaveWeights(path);
        }
        else
        {
            model.Save(path, IncludeOptimizer);
        }

        LastSavedEpoch = epoch;
    }
}
