using System.Globalization;
using System.Numerics.Tensors;
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
/// reproduces, with exactly the state dict names and shapes PyTorch's module has. Models with <c>nn.LayerNorm</c> also
/// reproduce PyTorch's gradients (input and every parameter) through a training forward and backward.
/// </summary>
public class PyTorchInteropTests
{
    /// <summary>Measured: at most 9e-8 (float32 rounding in a different summation order); 1.3e-7 with a LayerNorm.</summary>
    private const float Tolerance = 1e-6f;

    /// <summary>Absolute, largest element, on gradients up to 11 in size; measured: at most 9.5e-7.</summary>
    private const float GradientTolerance = 5e-6f;

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
        // lstm = nn.LSTM(3, 8, batch_first=True); layer_normalization = nn.LayerNorm(8, eps=1e-05); dense = nn.Linear(8, 2); dense(layer_normalization(lstm(x)[0]))
        ["torch_lstm_sequence_layernorm_dense"] = () =>
            new Sequential(new Lstm(8, returnSequences: true, inputShape: (6, 3)), new LayerNormalization(epsilon: 1e-5f), new Dense(2)),
        // gru = nn.GRU(4, 6, batch_first=True); layer_normalization = nn.LayerNorm(6, eps=1e-05, bias=False); dense = nn.Linear(6, 3); dense(layer_normalization(gru(x)[0][:, -1]))
        ["torch_gru_layernorm_nobias_dense"] = () => new Sequential(new Gru(6, inputShape: (6, 4)), new LayerNormalization(epsilon: 1e-5f, center: false), new Dense(3)),
        // lstm = nn.LSTM(3, 5, batch_first=True, bidirectional=True); layer_normalization = nn.LayerNorm(10, eps=1e-05, elementwise_affine=False);
        // dense = nn.Linear(10, 2); h_n = lstm(x)[1][0]; dense(layer_normalization(cat(h_n[-2], h_n[-1])))
        ["torch_lstm_bidir_layernorm_noaffine_dense"] = () =>
            new Sequential(new Lstm(5, bidirectional: true, inputShape: (6, 3)), new LayerNormalization(epsilon: 1e-5f, center: false, scale: false), new Dense(2)),

        ["from_rnn_lstm_dense"] = () => new Sequential(new Lstm(8, inputShape: (6, 3)), new Dense(2)),
        ["from_rnn_gru_2layer_bidir_dense"] = () => new Sequential(new Gru(6, bidirectional: true, numLayers: 2, inputShape: (6, 4)), new Dense(3)),
        ["from_rnn_embedding_lstm_bidir_dense"] = () => new Sequential(new Embedding(12, 4, inputLength: 6), new Lstm(5, bidirectional: true), new Dense(3)),
        ["from_rnn_simple_rnn_2layer_sequence_sigmoid"] = () =>
            new Sequential(new SimpleRnn(5, returnSequences: true, numLayers: 2, inputShape: (6, 3)), new Dense(2, Activation.Sigmoid)),
        ["from_rnn_lstm_go_backwards_sequence"] = () => new Sequential(new Lstm(4, returnSequences: true, goBackwards: true, inputShape: (6, 3)), new Dense(2)),
        ["from_rnn_gru_go_backwards_dense"] = () => new Sequential(new Gru(5, goBackwards: true, inputShape: (6, 3)), new Dense(1)),
        // gru = nn.GRU(3, 5, batch_first=True); layer_normalization = nn.LayerNorm(5, eps=1e-05, bias=False); dense = nn.Linear(5, 2); dense(layer_normalization(gru(x)[0]))
        ["from_rnn_gru_sequence_layernorm_nobias_dense"] = () =>
            new Sequential(new Gru(5, returnSequences: true, inputShape: (6, 3)), new LayerNormalization(epsilon: 1e-5f, center: false), new Dense(2)),
    };

    public static TheoryData<string> FromPyTorch() => [.. Models.Keys.Where(k => k.StartsWith("torch_", StringComparison.Ordinal))];

    public static TheoryData<string> FromRnn() => [.. Models.Keys.Where(k => k.StartsWith("from_rnn_", StringComparison.Ordinal))];

    public static TheoryData<string> WithLayerNorm() => [.. Models.Keys.Where(k => k.Contains("_layernorm", StringComparison.Ordinal))];

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

    [Theory]
    [MemberData(nameof(WithLayerNorm))]
    public void LayerNormModel_FromPyTorchsStateDict_GivesPyTorchsOutputsAndGradients(string name)
    {
        var model = Models[name]();
        model.LoadWeights(WeightsPath(name), strict: true);
        AssertPredictsPyTorchsOutputs(name, model);

        // The training path: each layer's Forward(training: true), then Backward from PyTorch's grad_output, which is
        // dL/doutput for L = Σ output·grad_output, the loss PyTorch's backward ran from.
        var file = Outputs(name);
        var activation = ToTensor(file["input"]);
        foreach (var layer in model.Layers)
        {
            activation = layer.Forward(activation, training: true);
        }

        AssertClose(name, file["output"], activation, Tolerance);
        var gradient = ToTensor(file["grad_output"]);
        foreach (var layer in model.Layers.Reverse())
        {
            gradient = layer.Backward(gradient);
        }

        AssertClose(name, file["grad.input"], gradient, GradientTolerance);
        var parameters = model.Layers.SelectMany(layer => layer.Parameters.Select(p => (Name: $"grad.{layer.Name}.{p.Name}", p.Gradient))).ToList();
        Assert.Equal(
            file.Tensors.Select(t => t.Name).Where(n => n.StartsWith("grad.", StringComparison.Ordinal) && n != "grad.input").Order(StringComparer.Ordinal),
            parameters.Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var (gradientName, parameterGradient) in parameters)
        {
            AssertClose(name, file[gradientName], parameterGradient, GradientTolerance);
        }
    }

    [Fact]
    public void LayerNormModel_WithKerasDefaultEpsilon_DoesNotPredictPyTorchsOutputs()
    {
        // nn.LayerNorm's eps is 1e-5, our default Keras's 1e-3: a PyTorch model loads by name but must be declared with its ε.
        const string name = "torch_lstm_sequence_layernorm_dense";
        var model = new Sequential(new Lstm(8, returnSequences: true, inputShape: (6, 3)), new LayerNormalization(), new Dense(2));
        model.LoadWeights(WeightsPath(name), strict: true);
        var file = Outputs(name);
        var predicted = TestUtil.Span(model.Predict(ToTensor(file["input"])));
        var expected = file["output"].Data;
        var worst = 0f;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = MathF.Max(worst, MathF.Abs(predicted[i] - expected[i]));
        }

        Assert.True(worst > 100 * Tolerance, $"With epsilon 1e-3 the prediction is within {worst} of PyTorch's (eps=1e-5).");
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

    private static void AssertClose(string name, NamedTensor expected, Tensor<float> actual, float tolerance)
    {
        Assert.Equal(expected.Shape, TestUtil.Shape(actual));
        var values = TestUtil.Span(actual);
        var worst = 0f;
        var at = 0;
        for (var i = 0; i < expected.Data.Length; i++)
        {
            var error = MathF.Abs(values[i] - expected.Data[i]);
            if (!(error <= worst))
            {
                worst = error;
                at = i;
            }
        }

        Assert.True(worst <= tolerance, $"{name}: {expected.Name}[{at}] = {values[at]} but PyTorch has {expected.Data[at]} (|error| {worst:G3} > {tolerance:G3}).");
    }

    private static Tensor<float> ToTensor(NamedTensor t) => TestUtil.ToTensor((float[])t.Data.Clone(), [.. t.Shape]);

    private static string WeightsPath(string name) => Path.Combine(FixtureDirectory, name + ".safetensors");

    private static SafeTensorsFile Outputs(string name) => SafeTensors.Read(Path.Combine(FixtureDirectory, name + ".outputs.safetensors"));
}
