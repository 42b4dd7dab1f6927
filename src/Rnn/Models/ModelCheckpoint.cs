using System.Globalization;
using System.Text.RegularExpressions;

namespace Rnn.Models;

/// <summary>
/// Saves the model at the end of epochs (Keras's <c>ModelCheckpoint</c>): every epoch, or with
/// <c>saveBestOnly</c> only when the monitored quantity improved. The path may hold Keras's placeholders:
/// <c>{epoch}</c> (1-based, as Keras numbers files) and any logged quantity such as <c>{val_loss}</c>, each optionally
/// with a Python format spec, <c>[0][width][.precision]</c> then <c>d</c> (whole numbers), <c>f</c> or <c>e</c>:
/// <c>"model-{epoch:02d}-{val_loss:.4f}.safetensors"</c> becomes <c>model-07-0.1234.safetensors</c>. Saves are atomic,
/// so an interrupted save never damages the previous checkpoint.
/// </summary>
public sealed partial class ModelCheckpoint : Callback
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
        foreach (Match placeholder in Placeholder().Matches(path))
        {
            if (placeholder.Groups["spec"].Success && FormatSpec().Match(placeholder.Groups["spec"].Value) is var spec
                && (!spec.Success || (spec.Groups["type"].Value == "d" && spec.Groups["precision"].Success)))
            {
                throw new ArgumentException(
                    $"ModelCheckpoint's path has the placeholder '{placeholder.Value}', whose format '{placeholder.Groups["spec"].Value}' is not one this class formats: [0][width][.precision] then d, f or e, as in {{epoch:02d}} or {{val_loss:.4f}}.",
                    nameof(path));
            }
        }

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

        var path = FormatPath(Path, epoch, logs);
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

    /// <summary><paramref name="pattern"/> with each placeholder replaced by the epoch (1-based) or the logged value, formatted as its spec says.</summary>
    /// <exception cref="InvalidOperationException">A placeholder names a quantity that was not logged, or formats a fraction as a whole number.</exception>
    internal static string FormatPath(string pattern, int epoch, IReadOnlyDictionary<string, float> logs) => Placeholder().Replace(pattern, placeholder =>
    {
        var key = placeholder.Groups["key"].Value;
        double value = key == "epoch" ? epoch + 1
            : logs.TryGetValue(key, out var logged) ? logged
            : throw new InvalidOperationException(
                $"ModelCheckpoint's path has the placeholder '{placeholder.Value}', but epoch {epoch + 1} logged no '{key}'; it logged epoch, {string.Join(", ", logs.Keys)}.");
        if (!placeholder.Groups["spec"].Success)
        {
            return key == "epoch" ? ((int)value).ToString(CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);
        }

        var spec = FormatSpec().Match(placeholder.Groups["spec"].Value);
        var zeros = spec.Groups["zero"].Success;
        var width = spec.Groups["width"].Success ? int.Parse(spec.Groups["width"].Value, CultureInfo.InvariantCulture) : 0;
        var precision = spec.Groups["precision"].Success ? int.Parse(spec.Groups["precision"].Value, CultureInfo.InvariantCulture) : 6;
        string text;
        switch (spec.Groups["type"].Value)
        {
            case var _ when !double.IsFinite(value) && spec.Groups["type"].Value != "d":
                text = double.IsNaN(value) ? "nan" : "inf";   // Python's spelling
                break;
            case "d":
                if (value != Math.Floor(value) || double.IsInfinity(value))
                {
                    throw new InvalidOperationException($"ModelCheckpoint's path formats '{key}' = {value.ToString("R", CultureInfo.InvariantCulture)} with '{placeholder.Value}', which takes whole numbers only (Python's 'd'); use f or e.");
                }

                text = Math.Abs(value).ToString("F0", CultureInfo.InvariantCulture);
                break;
            case "f":
                text = Math.Abs(value).ToString("F" + precision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
                break;
            default:
                // Python writes at least two exponent digits (1.5e+00); .NET's "e" writes three.
                text = ExponentDigits().Replace(
                    Math.Abs(value).ToString("e" + precision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), "e${sign}${digits}");
                break;
        }

        var sign = double.IsNegative(value) && !double.IsNaN(value) ? "-" : string.Empty;   // Python keeps the sign of -0.0
        return zeros ? sign + text.PadLeft(Math.Max(0, width - sign.Length), '0') : (sign + text).PadLeft(width);
    });

    [GeneratedRegex(@"\{(?<key>[A-Za-z_][A-Za-z0-9_]*)(?::(?<spec>[^{}]*))?\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^(?<zero>0)?(?<width>[1-9][0-9]*)?(?:\.(?<precision>[0-9]+))?(?<type>[dfe])$")]
    private static partial Regex FormatSpec();

    [GeneratedRegex(@"e(?<sign>[+-])0*(?<digits>[0-9]{2,})$")]
    private static partial Regex ExponentDigits();
}
