using System.Globalization;
using System.Text.Json;
using Rnn.Layers;
using Rnn.Serialization;

namespace Rnn.Tests.Serialization;

/// <summary>
/// Weights move between PyTorch and Sequential models without conversion (files in <c>Fixtures/interop/</c>,
/// written by tests/GoldenGenerator; each case's PyTorch module is in its <c>pytorch</c> metadata).
/// PyTorch → Rnn: state dicts of PyTorch modules trained a few Adam steps, saved by TorchSharp.PyBridge, load
/// strictly into the equivalent Sequential, which then predicts PyTorch's outputs. Rnn → PyTorch: weights saved
/// here by <see cref="Sequential.SaveWeights"/> loaded strictly into the PyTorch module, whose outputs our model
/// reproduces, with exactly the state dict names and shapes PyTorch's module has.
/// </summary>
public class PyTorchInteropTests
{
    /// <summary>Measured: at most 9e-8 (float32 rounding in a different summation order).</summary>
    private const float Tolerance = 1e-6f;

    private static readonly string FixtureDirectory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "interop");

    /// <summary>Each case's model, written as the Sequential equivalent of the PyTorch module that made or read its weights.</summary>
    private static readonly Dictionary<string, Func<Sequential>> Models = new(StringComparer.Ordinal)
    {
        // lstm = nn.LSTM(3, 8, batch_first=True); dense = nn.Linear(8, 2); dense(lstm(x)[0][:, -1])
        ["torch_lstm_dense"] = () => new Sequential(new Lstm(8, inputShape: (6, 3)), new Dense(2)),
        // gru = nn.GRU(4, 6, num_layers=2, batch_first=True, bidirectional=True); dense = nn.Linear(12, 3); dense(cat(h_n[-2], h_n[-1]))
        ["torch_gru_2layer_bidir_dense"] = () => new Sequential(new Gru(6, bidirectional: true, numLayers: 2, inputShape: (6, 4)), new Dense(3)),
        // embedding = nn.Embedding(20, 5); gru = nn.GRU(5, 7, batch_first=True); dense = nn.Linear(7, 4); dense(gru(embedding(x))[0][:, -1])
        ["torch_embedding_gru_dense"] = () => new Sequential(new Embedding(20, 5, inputLength: 6), new Gru(7), new Dense(4)),
        // simple_rnn = nn.RNN(3, 6, nonlinearity='relu', batch_first=True); dense = nn.Linear(6, 2); dense(simple_rnn(x)[0])
        ["torch_rnn_relu_sequence_dense"] = () => new Sequential(new SimpleRnn(6, RnnActivation.Relu, returnSequences: true, inputShape: (6, 3)), new Dense(2)),
        // rnn = nn.LSTM(3, 5, num_layers=2, batch_first=True, dropout=0.25); fc = nn.Linear(5, 1); fc(rnn(x)[0][:, -1])
        ["torch_rnn_fc_renamed"] = () => new Sequential(new Lstm(5, numLayers: 2, dropout: 0.25f, inputShape: (6, 3)), new Dense(1)),

        ["from_rnn_lstm_dense"] = () => new Sequential(new Lstm(8, inputShape: (6, 3)), new Dense(2)),
        ["from_rnn_gru_2layer_bidir_dense"] = () => new Sequential(new Gru(6, bidirectional: true, numLayers: 2, inputShape: (6, 4)), new Dense(3)),
        ["from_rnn_embedding_lstm_bidir_dense"] = () => new Sequential(new Embedding(12, 4, inputLength: 6), new Lstm(5, bidirectional: true), new Dense(3)),
        ["from_rnn_simple_rnn_2layer_sequence_sigmoid"] = () =>
            new Sequential(new SimpleRnn(5, returnSequences: true, numLayers: 2, inputShape: (6, 3)), new Dense(2, Activation.Sigmoid)),
        ["from_rnn_lstm_go_backwards_sequence"] = () => new Sequential(new Lstm(4, returnSequences: true, goBackwards: true, inputShape: (6, 3)), new Dense(2)),
        ["from_rnn_gru_go_backwards_dense"] = () => new Sequential(new Gru(5, goBackwards: true, inputShape: (6, 3)), new Dense(1)),
    };

    public static TheoryData<string> FromPyTorch() => [.. Models.Keys.Where(k => k.StartsWith("torch_", StringComparison.Ordinal))];

    public static TheoryData<string> FromRnn() => [.. Models.Keys.Where(k => k.StartsWith("from_rnn_", StringComparison.Ordinal))];

    [Fact]
    public void InteropFixtures_AreExactlyTheCasesTestedHere()
    {
        var outputs = Directory.GetFiles(FixtureDirectory, "*.outputs.safetensors").Select(f => Path.GetFileName(f)[..^".outputs.safetensors".Length]);
        Assert.Equal(Models.Keys.Order(StringComparer.Ordinal), outputs.Order(StringComparer.Ordinal));
        foreach (var name in Models.Keys)
        {
            var metadata = Outputs(name).Metadata;
            Assert.Equal(name.StartsWith("torch_", StringComparison.Ordinal) ? "pytorch_to_rnn" : "rnn_to_pytorch", metadata["direction"]);
            Assert.Equal(name + ".safetensors", metadata["weights"]);
            Assert.True(File.Exists(WeightsPath(name)), $"{name}: no weights file.");
        }
    }

    [Theory]
    [MemberData(nameof(FromPyTorch))]
    public void PyTorchStateDict_LoadsStrictly_AndPredictsPyTorchsOutputs(string name)
    {
        var model = Models[name]();
        model.LoadWeights(WeightsPath(name), strict: true, rename: RenameFor(name));
        AssertPredictsPyTorchsOutputs(name, model);
    }

    [Fact]
    public void PyTorchStateDict_WithOtherModuleNames_FailsStrictLoadNamingThem_UntilRenamed()
    {
        const string name = "torch_rnn_fc_renamed";
        var model = Models[name]();
        var before = model.GetWeights();
        var error = Assert.Throws<ArgumentException>(() => model.LoadWeights(WeightsPath(name)));
        Assert.Contains("rnn.weight_ih_l0", error.Message, StringComparison.Ordinal);
        Assert.Contains("fc.weight", error.Message, StringComparison.Ordinal);
        Assert.Contains("lstm.weight_ih_l0", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.GetWeights());

        model.LoadWeights(WeightsPath(name), strict: true, rename: RenameFor(name));
        AssertPredictsPyTorchsOutputs(name, model);
    }

    [Theory]
    [MemberData(nameof(FromRnn))]
    public void RnnWeights_LoadedByPyTorch_GivePyTorchsOutputsHere(string name)
    {
        var model = Models[name]();
        model.LoadWeights(WeightsPath(name), strict: true);
        AssertPredictsPyTorchsOutputs(name, model);
    }

    [Theory]
    [MemberData(nameof(FromRnn))]
    [MemberData(nameof(FromPyTorch))]
    public void GetStateDict_HasPyTorchsNamesAndShapes_InItsOrder(string name)
    {
        var model = Models[name]();
        var rename = RenameFor(name) ?? (n => n);
        var torch = JsonDocument.Parse(Outputs(name).Metadata["state_dict"]).RootElement.EnumerateArray()
            .Select(e => $"{rename(e.GetProperty("name").GetString()!)} [{string.Join(", ", e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()))}]");
        Assert.Equal(torch, model.GetStateDict().Select(t => $"{t.Name} [{string.Join(", ", t.Shape)}]"));
    }

    [Theory]
    [MemberData(nameof(FromPyTorch))]
    public void PyTorchWeights_WereTrained_NotLeftAtInitialization(string name)
    {
        var metadata = Outputs(name).Metadata;
        Assert.StartsWith("torch.optim.Adam", metadata["training"], StringComparison.Ordinal);
        Assert.True(
            float.Parse(metadata["train_loss_last"], CultureInfo.InvariantCulture)
            < float.Parse(metadata["train_loss_first"], CultureInfo.InvariantCulture),
            $"{name}: training did not lower the loss.");
    }

    /// <summary>The fixture's PyTorch submodules <c>rnn</c> and <c>fc</c> are our layers <c>lstm</c> and <c>dense</c>.</summary>
    private static Func<string, string?>? RenameFor(string name) => name != "torch_rnn_fc_renamed"
        ? null
        : n => n.StartsWith("rnn.", StringComparison.Ordinal) ? "lstm." + n["rnn.".Length..]
            : n.StartsWith("fc.", StringComparison.Ordinal) ? "dense." + n["fc.".Length..]
            : n;

    private static void AssertPredictsPyTorchsOutputs(string name, Sequential model)
    {
        var file = Outputs(name);
        var input = file["input"];
        var expected = file["output"];
        var predicted = model.Predict(TestUtil.ToTensor(input.Data, [.. input.Shape]));
        Assert.Equal(expected.Shape, TestUtil.Shape(predicted));
        var actual = TestUtil.Span(predicted);
        for (var i = 0; i < expected.Data.Length; i++)
        {
            Assert.True(
                MathF.Abs(actual[i] - expected.Data[i]) <= Tolerance,
                $"{name}: prediction[{i}] = {actual[i]} but PyTorch gave {expected.Data[i]} (model: {file.Metadata["pytorch"]}).");
        }
    }

    private static string WeightsPath(string name) => Path.Combine(FixtureDirectory, name + ".safetensors");

    private static SafeTensorsFile Outputs(string name) => SafeTensors.Read(Path.Combine(FixtureDirectory, name + ".outputs.safetensors"));
}
