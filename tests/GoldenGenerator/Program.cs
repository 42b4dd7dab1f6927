using System.Globalization;
using GoldenGenerator;
using Rnn.Serialization;
using TorchSharp;

// Writes the PyTorch golden files; see tests/Rnn.Tests/Fixtures/README.md.
// Usage: dotnet run --project tests/GoldenGenerator -c Release [-- FIXTURES_DIR [PART ...]]   (default tests/Rnn.Tests/Fixtures)
// PART is pytorch (with pybridge), optim, packed or interop; without any, all are written.
var parts = args.Length > 1 ? args[1..].ToHashSet(StringComparer.Ordinal) : null;
string[] known = ["pytorch", "optim", "packed", "interop"];
if (parts?.Except(known).FirstOrDefault() is { } unknown)
{
    Console.Error.WriteLine($"Unknown part '{unknown}'; the parts are: {string.Join(", ", known)}.");
    return 2;
}

bool Writes(string part) => parts is null || parts.Contains(part);
var fixtures = Path.GetFullPath(args.Length > 0 ? args[0] : Path.Combine("tests", "Rnn.Tests", "Fixtures"));
if (!Directory.Exists(fixtures))
{
    Console.Error.WriteLine($"Fixtures directory '{fixtures}' does not exist; run from the repository root or pass it.");
    return 2;
}

var pytorchDir = Directory.CreateDirectory(Path.Combine(fixtures, "pytorch")).FullName;
var pybridgeDir = Directory.CreateDirectory(Path.Combine(fixtures, "pybridge")).FullName;

// One thread: libtorch's results then do not depend on the machine's core count.
torch.set_num_threads(1);
Console.WriteLine($"Generator: {TorchGolden.GeneratorDescription}");

foreach (var c in Writes("pytorch") ? GoldenCase.All() : [])
{
    var path = Path.Combine(pytorchDir, c.Name + ".safetensors");
    var stateDict = c.Name == "lstm_1layer" ? Path.Combine(pybridgeDir, "lstm_1layer_state_dict.safetensors") : null;
    var tensors = TorchGolden.Run(c, stateDict);
    var metadata = new Dictionary<string, string>
    {
        ["mode"] = c.ModeName,
        ["input_size"] = Invariant(c.InputSize),
        ["hidden_size"] = Invariant(c.HiddenSize),
        ["num_layers"] = Invariant(c.NumLayers),
        ["bidirectional"] = Bool(c.Bidirectional),
        ["bias"] = Bool(c.Bias),
        ["batch_first"] = Bool(true),
        ["batch"] = Invariant(c.Batch),
        ["time"] = Invariant(c.Time),
        ["has_initial_state"] = Bool(c.HasInitialState),
        ["seed"] = Invariant(c.Seed),
        ["generator"] = TorchGolden.GeneratorDescription,
    };
    SafeTensors.Write(path, tensors, metadata);
    TorchGolden.CheckReadableByPyBridge(path, tensors);
    var (forwardError, gradientError) = Verification.Check(c, path);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{c.Name,-24} {new FileInfo(path).Length,7} bytes, {tensors.Count,2} tensors; |forward - float64 reference| <= {forwardError:E1}, gradient vs finite differences <= {gradientError:E1}; PyBridge reads it back identically"));
}

if (Writes("pytorch"))
{
    var dtypes = Path.Combine(pybridgeDir, "dtypes.safetensors");
    TorchGolden.WriteDTypesFixture(dtypes);
    Console.WriteLine($"{Path.GetFileName(dtypes)} and lstm_1layer_state_dict.safetensors written by TorchSharp.PyBridge");
}

var optimDir = Directory.CreateDirectory(Path.Combine(fixtures, "optim")).FullName;
foreach (var c in Writes("optim") ? OptimizerCase.All() : [])
{
    var referenceError = OptimizerGolden.Write(c, optimDir);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"optim/{c.Name,-38} |torch.optim - float64 reference| / max(1, |reference|) <= {referenceError:E1}; PyBridge reads it back identically"));
}

if (Writes("packed"))
{
    PackedGolden.WriteAll(fixtures);
}

if (Writes("interop"))
{
    InteropGolden.WriteAll(fixtures);
}

return 0;

static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

static string Bool(bool value) => value ? "true" : "false";
