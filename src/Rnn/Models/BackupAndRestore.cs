namespace Rnn.Models;

/// <summary>
/// Lets a long training run survive an interruption (a crash, a killed process, a reboot), as Keras's
/// <c>BackupAndRestore</c>: after every epoch it saves the weights, the optimizer state and the random states to a
/// backup file in <see cref="Directory"/>; when <c>Fit</c> starts and finds a backup, it restores all of it and training
/// continues with the epoch after the one saved, exactly as it would have without the interruption (same batches, same
/// dropout, bitwise the same weights). When training ends normally, the backup is deleted. The model must be built,
/// compiled the same way, and given the same data; a backup that does not fit it is refused and changes nothing.
/// </summary>
/// <remarks>
/// Writes are atomic (temporary file, flush, rename), so an interruption while saving leaves the previous backup whole.
/// An epoch interrupted halfway is run again from its start. The history returned by the resumed <c>Fit</c> holds the
/// epochs it ran (<see cref="History.Epochs"/> gives their indices).
/// </remarks>
public sealed class BackupAndRestore : Callback
{
    /// <summary>Creates the callback.</summary>
    /// <param name="directory">Where the backup lives (created if missing); use one directory per training run.</param>
    /// <param name="deleteWhenDone">Delete the backup when training ends normally (Keras's <c>delete_checkpoint</c>).</param>
    public BackupAndRestore(string directory, bool deleteWhenDone = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = directory;
        DeleteWhenDone = deleteWhenDone;
    }

    /// <summary>The backup's directory.</summary>
    public string Directory { get; }

    /// <summary>Whether the backup is deleted when training ends normally.</summary>
    public bool DeleteWhenDone { get; }

    /// <summary>The backup file.</summary>
    public string BackupPath => Path.Combine(Directory, "backup.safetensors");

    /// <summary>The epoch the last <c>Fit</c> resumed after (restored from the backup), or null when it started afresh.</summary>
    public int? ResumedAfterEpoch { get; private set; }

    /// <inheritdoc/>
    /// <exception cref="InvalidDataException">The backup does not fit the model; nothing changed.</exception>
    public override void OnTrainBegin()
    {
        var model = RequireModel();
        System.IO.Directory.CreateDirectory(Directory);
        ResumedAfterEpoch = null;
        if (File.Exists(BackupPath))
        {
            var epoch = model.RestoreBackup(BackupPath);
            ResumedAfterEpoch = epoch;
            model.ResumeEpoch = epoch + 1;
        }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, float> logs) => RequireModel().SaveBackup(BackupPath, epoch);

    /// <inheritdoc/>
    public override void OnTrainEnd(IReadOnlyDictionary<string, float> logs)
    {
        if (DeleteWhenDone && File.Exists(BackupPath))
        {
            File.Delete(BackupPath);
        }
    }
}
