using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Rnn.Models;

/// <summary>
/// Keras-style training output. On a terminal at verbose 1: a bar redrawn in place with the ETA, time per
/// step and running loss and metrics, finished with the epoch's time and validation results. When the output
/// is redirected, or at verbose 2: one line per epoch. At verbose 0: nothing.
/// </summary>
internal sealed class ProgressDisplay
{
    private const int BarWidth = 20;
    private static readonly long RedrawInterval = Stopwatch.Frequency / 20;
    private readonly TextWriter _writer;
    private readonly bool _bar;
    private readonly bool _lines;
    private readonly int _epochs;
    private readonly int _batches;
    private readonly StringBuilder _text = new();
    private long _epochStart;
    private long _lastDraw;

    public ProgressDisplay(TextWriter writer, int verbose, bool interactive, int epochs, int batches)
    {
        _writer = writer;
        _bar = verbose == 1 && interactive;
        _lines = verbose == 2 || (verbose == 1 && !interactive);
        _epochs = epochs;
        _batches = batches;
    }

    public void EpochBegin(int epoch)
    {
        _epochStart = Stopwatch.GetTimestamp();
        _lastDraw = 0;
        if (_bar)
        {
            _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch + 1}/{_epochs}"));
        }
    }

    public void BatchEnd(int batch, IReadOnlyDictionary<string, float> logs)
    {
        if (!_bar)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        var done = batch + 1;
        if (done < _batches && now - _lastDraw < RedrawInterval)
        {
            return;
        }

        _lastDraw = now;
        var elapsed = Stopwatch.GetElapsedTime(_epochStart, now).TotalSeconds;
        var perStep = elapsed / done;
        _text.Clear();
        _text.Append('\r');
        AppendBar(done);
        _text.Append(' ').Append(FormatDuration(perStep * (_batches - done))).Append(' ').Append(FormatStep(perStep));
        AppendLogs(logs);
        _text.Append("\u001b[K");
        _writer.Write(_text.ToString());
        _writer.Flush();
    }

    public void EpochEnd(int epoch, IReadOnlyDictionary<string, float> logs)
    {
        var elapsed = Stopwatch.GetElapsedTime(_epochStart).TotalSeconds;
        var perStep = elapsed / Math.Max(_batches, 1);
        _text.Clear();
        if (_bar)
        {
            _text.Append('\r');
            AppendBar(_batches);
            _text.Append(' ').Append(FormatDuration(elapsed)).Append(' ').Append(FormatStep(perStep));
            AppendLogs(logs);
            _text.Append("\u001b[K");
        }
        else if (_lines)
        {
            _text.Append(CultureInfo.InvariantCulture, $"Epoch {epoch + 1}/{_epochs} - {_batches}/{_batches} - ")
                .Append(FormatDuration(elapsed)).Append(" - ").Append(FormatStep(perStep));
            AppendLogs(logs);
        }
        else
        {
            return;
        }

        _writer.WriteLine(_text.ToString());
        _writer.Flush();
    }

    /// <summary>A value as Keras prints it: 4 decimals, or scientific below 1e-3.</summary>
    internal static string FormatValue(float value)
        => value != 0f && MathF.Abs(value) < 1e-3f
            ? value.ToString("0.0000e+00", CultureInfo.InvariantCulture)
            : value.ToString("0.0000", CultureInfo.InvariantCulture);

    private static string FormatDuration(double seconds)
        => seconds >= 3600 ? string.Create(CultureInfo.InvariantCulture, $"{(int)(seconds / 3600)}:{(int)(seconds % 3600 / 60):00}:{(int)(seconds % 60):00}")
            : seconds >= 60 ? string.Create(CultureInfo.InvariantCulture, $"{(int)(seconds / 60)}:{(int)(seconds % 60):00}")
            : string.Create(CultureInfo.InvariantCulture, $"{Math.Round(seconds):0}s");

    private static string FormatStep(double seconds)
        => seconds >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{seconds:0}s/step")
            : seconds >= 1e-3 ? string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e3:0}ms/step")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e6:0}us/step");

    private void AppendBar(int done)
    {
        var width = _batches.ToString(CultureInfo.InvariantCulture).Length;
        _text.Append(done.ToString(CultureInfo.InvariantCulture).PadLeft(width)).Append('/').Append(_batches).Append(' ');
        var filled = _batches == 0 ? BarWidth : done * BarWidth / _batches;
        _text.Append('━', filled).Append(' ', BarWidth - filled);
    }

    private void AppendLogs(IReadOnlyDictionary<string, float> logs)
    {
        foreach (var (key, value) in logs)
        {
            _text.Append(" - ").Append(key).Append(": ").Append(FormatValue(value));
        }
    }
}
