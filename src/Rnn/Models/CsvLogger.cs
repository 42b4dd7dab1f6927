using System.Globalization;

namespace Rnn.Models;

/// <summary>
/// Writes one CSV row per epoch (<c>epoch</c>, then every logged quantity) to a file, flushed after each row
/// (Keras's <c>CSVLogger</c>).
/// </summary>
public sealed class CsvLogger : Callback, IDisposable
{
    private StreamWriter? _writer;
    private string[]? _columns;

    /// <summary>Creates the callback.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="separator">The field separator.</param>
    /// <param name="append">Append to an existing file instead of replacing it (no second header).</param>
    public CsvLogger(string path, char separator = ',', bool append = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        Separator = separator;
        Append = append;
    }

    /// <summary>The file written.</summary>
    public string Path { get; }

    /// <summary>The field separator.</summary>
    public char Separator { get; }

    /// <summary>Whether rows are appended to an existing file.</summary>
    public bool Append { get; }

    /// <inheritdoc/>
    public override void OnTrainBegin()
    {
        var existing = Append && File.Exists(Path) && new FileInfo(Path).Length > 0;
        _writer = new StreamWriter(Path, Append);
        _columns = null;
        if (existing)
        {
            using var reader = new StreamReader(new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            var header = reader.ReadLine();
            _columns = header?.Split(Separator).Skip(1).ToArray();
        }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, float> logs)
    {
        if (_writer is null)
        {
            throw new InvalidOperationException("CsvLogger received an epoch before training began.");
        }

        if (_columns is null)
        {
            _columns = [.. logs.Keys];
            _writer.WriteLine(string.Join(Separator, _columns.Prepend("epoch")));
        }

        var fields = _columns.Select(c => logs.TryGetValue(c, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : string.Empty);
        _writer.WriteLine(string.Join(Separator, fields.Prepend(epoch.ToString(CultureInfo.InvariantCulture))));
        _writer.Flush();
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(IReadOnlyDictionary<string, float> logs) => Dispose();

    /// <inheritdoc/>
    public void Dispose()
    {
        _writer?.Dispose();
        _writer = null;
    }
}
