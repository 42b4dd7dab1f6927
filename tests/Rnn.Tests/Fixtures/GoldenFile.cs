using System.Globalization;
using Rnn.Serialization;

namespace Rnn.Tests.Fixtures;

/// <summary>
/// One PyTorch golden file from <c>Fixtures/pytorch/</c> (see Fixtures/README.md): its metadata, its
/// tensors by name, and the layer configuration the metadata describes.
/// </summary>
/// <example>
/// <code>
/// var golden = GoldenFile.Load("lstm_2layer_bidir");
/// var (shape, values) = golden["weight_ih_l1_reverse"];   // [4H, 2H]
/// var output = golden["output"].Data;                     // [B, T, D·H]
/// </code>
/// </example>
public sealed class GoldenFile
{
    private GoldenFile(string name, IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, (int[] Shape, float[] Data)> tensors)
    {
        Name = name;
        Metadata = metadata;
        Tensors = tensors;
    }

    /// <summary>The directory the golden files are copied to next to the test assembly.</summary>
    public static string DirectoryPath { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures", "pytorch");

    /// <summary>The case names of every golden file present, sorted (e.g. <c>gru_1layer</c>).</summary>
    public static IReadOnlyList<string> Names =>
        [.. Directory.GetFiles(DirectoryPath, "*.safetensors").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal)];

    /// <summary>The case name, e.g. <c>lstm_initial_state</c>.</summary>
    public string Name { get; }

    /// <summary>The header's <c>__metadata__</c>: mode, sizes and flags as strings, and the generator's versions.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor by name: its shape and its float32 values in row-major order.</summary>
    public IReadOnlyDictionary<string, (int[] Shape, float[] Data)> Tensors { get; }

    /// <summary><c>LSTM</c>, <c>GRU</c>, <c>RNN_TANH</c> or <c>RNN_RELU</c>.</summary>
    public string Mode => Metadata["mode"];

    /// <summary>I: features per time step of the input.</summary>
    public int InputSize => Int("input_size");

    /// <summary>H: units per direction.</summary>
    public int HiddenSize => Int("hidden_size");

    /// <summary>L: stacked layers.</summary>
    public int NumLayers => Int("num_layers");

    /// <summary>Whether each layer also runs backwards in time (D = 2).</summary>
    public bool Bidirectional => Bool("bidirectional");

    /// <summary>D: 2 when bidirectional, else 1.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Whether the layer has <c>bias_ih</c> and <c>bias_hh</c>.</summary>
    public bool Bias => Bool("bias");

    /// <summary>B: sequences in the batch.</summary>
    public int Batch => Int("batch");

    /// <summary>T: time steps.</summary>
    public int Time => Int("time");

    /// <summary>Whether <c>h0</c> (and, for LSTM, <c>c0</c>) were given instead of zeros.</summary>
    public bool HasInitialState => Bool("has_initial_state");

    /// <summary>G: gates per cell (LSTM 4: i, f, g, o; GRU 3: r, z, n; RNN 1).</summary>
    public int Gates => Mode switch
    {
        "LSTM" => 4,
        "GRU" => 3,
        "RNN_TANH" or "RNN_RELU" => 1,
        _ => throw new InvalidDataException($"Golden file '{Name}' has an unknown mode '{Mode}'."),
    };

    /// <summary>Whether the layer has a cell state (<c>c0</c>, <c>c_n</c>): LSTM only.</summary>
    public bool HasCellState => Mode == "LSTM";

    /// <summary>The tensor called <paramref name="tensor"/>.</summary>
    public (int[] Shape, float[] Data) this[string tensor] =>
        Tensors.TryGetValue(tensor, out var value)
            ? value
            : throw new KeyNotFoundException($"Golden file '{Name}' has no tensor '{tensor}'.");

    /// <summary>Reads <c>Fixtures/pytorch/<paramref name="name"/>.safetensors</c> with our safetensors reader.</summary>
    public static GoldenFile Load(string name)
    {
        var path = Path.Combine(DirectoryPath, name + ".safetensors");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"There is no golden file '{name}' in {DirectoryPath}; there are: {string.Join(", ", Names)}.", path);
        }

        var file = SafeTensors.Read(path);
        var tensors = file.Tensors.ToDictionary(t => t.Name, t => (t.Shape.ToArray(), t.Data), StringComparer.Ordinal);
        return new GoldenFile(name, file.Metadata, tensors);
    }

    private int Int(string key) => int.Parse(Metadata[key], NumberStyles.None, CultureInfo.InvariantCulture);

    private bool Bool(string key) => Metadata[key] switch
    {
        "true" => true,
        "false" => false,
        var other => throw new InvalidDataException($"Golden file '{Name}' has {key} = '{other}', expected 'true' or 'false'."),
    };
}
