using System.Globalization;
using Rnn;
using Rnn.Initializers;
using Rnn.Layers;

namespace GoldenGenerator;

/// <summary>What a model passes from its recurrent layer to its <c>Dense</c> / <c>nn.Linear</c> head.</summary>
internal enum Readout
{
    /// <summary>Every step: <c>returnSequences: true</c> ↔ <c>output</c> (the head applies per step).</summary>
    Sequence,

    /// <summary>The last step of a unidirectional layer: <c>returnSequences: false</c> ↔ <c>output[:, -1]</c>.</summary>
    LastStep,

    /// <summary>Each direction's final state: <c>returnSequences: false</c>, bidirectional ↔ <c>cat(h_n[-2], h_n[-1])</c>.</summary>
    FinalStates,
}

/// <summary>
/// A <c>LayerNormalization</c> ↔ <c>nn.LayerNorm(features)</c> between the recurrent layer's readout and the head.
/// PyTorch has no β without γ (its <c>bias</c> needs <c>elementwise_affine</c>), so <see cref="Center"/> requires
/// <see cref="Scale"/>.
/// </summary>
/// <param name="Epsilon">ε as a Python user writes it (PyTorch's <c>eps</c>; ours gets it rounded to float, as libtorch's float32 kernel does).</param>
/// <param name="Center">β: ours <c>center</c>, PyTorch's <c>bias</c>.</param>
/// <param name="Scale">γ: ours <c>scale</c>; without both, PyTorch's <c>elementwise_affine=False</c>.</param>
internal sealed record InteropLayerNorm(double Epsilon, bool Center = true, bool Scale = true);

/// <summary>
/// One interop fixture (<c>Fixtures/interop/</c>, see Fixtures/README.md): a small model, described once and
/// built twice, as a <see cref="Sequential"/> of this library and as the PyTorch module that mirrors it
/// (<see cref="MirrorModule"/>): [Embedding →] recurrent layer [→ LayerNormalization] → Dense, with the same names
/// on both sides unless <see cref="RecurrentName"/> and <see cref="DenseName"/> give PyTorch's names.
/// </summary>
internal sealed record InteropCase(
    string Name,
    bool FromRnn,
    RnnMode Mode,
    int Features,
    int Hidden,
    Readout Readout,
    int Outputs)
{
    /// <summary>With an embedding, <see cref="Features"/> is the vocabulary size and this the vector length.</summary>
    public int? EmbeddingDim { get; init; }

    public int NumLayers { get; init; } = 1;

    public bool Bidirectional { get; init; }

    public float Dropout { get; init; }

    public bool GoBackwards { get; init; }

    /// <summary>Dense's activation: linear or sigmoid (<c>torch.sigmoid</c> on the <c>nn.Linear</c> output).</summary>
    public bool SigmoidOutput { get; init; }

    /// <summary>A layer normalization between the recurrent layer and the head, if any.</summary>
    public InteropLayerNorm? LayerNorm { get; init; }

    /// <summary>
    /// Whether the outputs file also holds PyTorch's gradients on the test inputs (<c>grad_output</c>, <c>grad.input</c>,
    /// <c>grad.{parameter}</c>); not for an embedding, whose token ids have none.
    /// </summary>
    public bool Gradients { get; init; }

    /// <summary>Which initialization our layers use (Rnn → PyTorch cases only).</summary>
    public WeightInitialization Initialization { get; init; } = WeightInitialization.PyTorch;

    /// <summary>The submodule names in PyTorch; our layers always have their default names.</summary>
    public string? RecurrentName { get; init; }

    public string DenseName { get; init; } = "dense";

    public int Time { get; init; } = 6;

    public long Seed { get; init; }

    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Our layer's default name, the PyTorch submodule's name unless renamed.</summary>
    public string RnnRecurrentName => Mode switch
    {
        RnnMode.Lstm => "lstm",
        RnnMode.Gru => "gru",
        _ => "simple_rnn",
    };

    public string TorchRecurrentName => RecurrentName ?? RnnRecurrentName;

    public bool Renamed => TorchRecurrentName != RnnRecurrentName || DenseName != "dense";

    /// <summary>
    /// PyTorch → Rnn cases (seed 4000 + position) and Rnn → PyTorch cases (seed 5000 + position), in a fixed
    /// order, so that adding a case at the end changes no file.
    /// </summary>
    public static IReadOnlyList<InteropCase> All()
    {
        InteropCase[] fromTorch =
        [
            new("torch_lstm_dense", false, RnnMode.Lstm, Features: 3, Hidden: 8, Readout.LastStep, Outputs: 2),
            new("torch_gru_2layer_bidir_dense", false, RnnMode.Gru, Features: 4, Hidden: 6, Readout.FinalStates, Outputs: 3) { NumLayers = 2, Bidirectional = true },
            new("torch_embedding_gru_dense", false, RnnMode.Gru, Features: 20, Hidden: 7, Readout.LastStep, Outputs: 4) { EmbeddingDim = 5 },
            new("torch_rnn_relu_sequence_dense", false, RnnMode.RnnRelu, Features: 3, Hidden: 6, Readout.Sequence, Outputs: 2),
            new("torch_rnn_fc_renamed", false, RnnMode.Lstm, Features: 3, Hidden: 5, Readout.LastStep, Outputs: 1)
            {
                NumLayers = 2, Dropout = 0.25f, RecurrentName = "rnn", DenseName = "fc",
            },
            new("torch_lstm_sequence_layernorm_dense", false, RnnMode.Lstm, Features: 3, Hidden: 8, Readout.Sequence, Outputs: 2)
            {
                LayerNorm = new(1e-5), Gradients = true,
            },
            new("torch_gru_layernorm_nobias_dense", false, RnnMode.Gru, Features: 4, Hidden: 6, Readout.LastStep, Outputs: 3)
            {
                LayerNorm = new(1e-5, Center: false), Gradients = true,
            },
            new("torch_lstm_bidir_layernorm_noaffine_dense", false, RnnMode.Lstm, Features: 3, Hidden: 5, Readout.FinalStates, Outputs: 2)
            {
                Bidirectional = true, LayerNorm = new(1e-5, Center: false, Scale: false), Gradients = true,
            },
        ];
        InteropCase[] fromRnn =
        [
            new("from_rnn_lstm_dense", true, RnnMode.Lstm, Features: 3, Hidden: 8, Readout.LastStep, Outputs: 2) { Initialization = WeightInitialization.Keras },
            new("from_rnn_gru_2layer_bidir_dense", true, RnnMode.Gru, Features: 4, Hidden: 6, Readout.FinalStates, Outputs: 3) { NumLayers = 2, Bidirectional = true },
            new("from_rnn_embedding_lstm_bidir_dense", true, RnnMode.Lstm, Features: 12, Hidden: 5, Readout.FinalStates, Outputs: 3) { EmbeddingDim = 4, Bidirectional = true },
            new("from_rnn_simple_rnn_2layer_sequence_sigmoid", true, RnnMode.RnnTanh, Features: 3, Hidden: 5, Readout.Sequence, Outputs: 2) { NumLayers = 2, SigmoidOutput = true },
            new("from_rnn_lstm_go_backwards_sequence", true, RnnMode.Lstm, Features: 3, Hidden: 4, Readout.Sequence, Outputs: 2) { GoBackwards = true },
            new("from_rnn_gru_go_backwards_dense", true, RnnMode.Gru, Features: 3, Hidden: 5, Readout.LastStep, Outputs: 1)
            {
                GoBackwards = true, Initialization = WeightInitialization.Keras,
            },
            new("from_rnn_gru_sequence_layernorm_nobias_dense", true, RnnMode.Gru, Features: 3, Hidden: 5, Readout.Sequence, Outputs: 2)
            {
                LayerNorm = new(1e-5, Center: false), Gradients = true,
            },
        ];
        return [.. fromTorch.Select((c, i) => c with { Seed = 4000 + i }), .. fromRnn.Select((c, i) => c with { Seed = 5000 + i })];
    }

    /// <summary>The <see cref="Sequential"/> this case describes, seeded, with default layer names (built: its first layer declares its input).</summary>
    public Sequential CreateRnnModel()
    {
        var layers = new List<Layer>();
        (int? Time, int Features)? inputShape = (Time, Features);
        if (EmbeddingDim is { } dim)
        {
            layers.Add(new Embedding(Features, dim, inputLength: Time, initialization: Initialization));
            inputShape = null;
        }

        var returnSequences = Readout == Readout.Sequence;
        layers.Add(Mode switch
        {
            RnnMode.Lstm => new Lstm(Hidden, returnSequences, goBackwards: GoBackwards, bidirectional: Bidirectional, numLayers: NumLayers, dropout: Dropout, initialization: Initialization, inputShape: inputShape),
            RnnMode.Gru => new Gru(Hidden, returnSequences, goBackwards: GoBackwards, bidirectional: Bidirectional, numLayers: NumLayers, dropout: Dropout, initialization: Initialization, inputShape: inputShape),
            _ => new SimpleRnn(
                Hidden, Mode == RnnMode.RnnRelu ? RnnActivation.Relu : RnnActivation.Tanh, returnSequences, goBackwards: GoBackwards, bidirectional: Bidirectional,
                numLayers: NumLayers, dropout: Dropout, initialization: Initialization, inputShape: inputShape),
        });
        if (LayerNorm is { } norm)
        {
            layers.Add(new LayerNormalization((float)norm.Epsilon, norm.Center, norm.Scale));
        }

        layers.Add(new Dense(Outputs, SigmoidOutput ? Activation.Sigmoid : Activation.Linear, initialization: Initialization));
        return new Sequential(layers, seed: (int)Seed, name: Name);
    }

    /// <summary>This library's side, as C# (for the fixture's metadata and the README).</summary>
    public string DescribeRnn()
    {
        var options = new List<string>();
        if (Mode is RnnMode.RnnRelu or RnnMode.RnnTanh)
        {
            options.Add(Mode == RnnMode.RnnRelu ? "RnnActivation.Relu" : "RnnActivation.Tanh");
        }

        if (Readout == Readout.Sequence)
        {
            options.Add("returnSequences: true");
        }

        if (GoBackwards)
        {
            options.Add("goBackwards: true");
        }

        if (Bidirectional)
        {
            options.Add("bidirectional: true");
        }

        if (NumLayers > 1)
        {
            options.Add($"numLayers: {NumLayers}");
        }

        if (Dropout > 0)
        {
            options.Add(string.Create(CultureInfo.InvariantCulture, $"dropout: {Dropout}f"));
        }

        var kind = Mode switch
        {
            RnnMode.Lstm => "Lstm",
            RnnMode.Gru => "Gru",
            _ => "SimpleRnn",
        };
        var embedding = EmbeddingDim is { } dim ? $"new Embedding({Features}, {dim}, inputLength: {Time}), " : string.Empty;
        var shape = EmbeddingDim is null ? $", inputShape: ({Time}, {Features})" : string.Empty;
        var norm = LayerNorm is { } n ? $"new LayerNormalization({string.Join(", ", DescribeRnnLayerNorm(n))}), " : string.Empty;
        var dense = SigmoidOutput ? $"new Dense({Outputs}, Activation.Sigmoid)" : $"new Dense({Outputs})";
        return $"new Sequential({embedding}new {kind}({string.Join(", ", [Hidden.ToString(CultureInfo.InvariantCulture), .. options])}{shape}), {norm}{dense})";
    }

    /// <summary>PyTorch's side, as Python (for the fixture's metadata and the README).</summary>
    public string DescribeTorch()
    {
        var recurrentIn = EmbeddingDim ?? Features;
        var kind = Mode switch
        {
            RnnMode.Lstm => "nn.LSTM",
            RnnMode.Gru => "nn.GRU",
            _ => "nn.RNN",
        };
        var options = new List<string> { recurrentIn.ToString(CultureInfo.InvariantCulture), Hidden.ToString(CultureInfo.InvariantCulture) };
        if (NumLayers > 1)
        {
            options.Add($"num_layers={NumLayers}");
        }

        if (Mode == RnnMode.RnnRelu)
        {
            options.Add("nonlinearity='relu'");
        }

        options.Add("batch_first=True");
        if (Bidirectional)
        {
            options.Add("bidirectional=True");
        }

        if (Dropout > 0)
        {
            options.Add(string.Create(CultureInfo.InvariantCulture, $"dropout={Dropout}"));
        }

        var r = TorchRecurrentName;
        var modules = new List<string>();
        var x = "x";
        if (EmbeddingDim is { } dim)
        {
            modules.Add($"embedding = nn.Embedding({Features}, {dim})");
            x = "self.embedding(x)";
        }

        modules.Add($"{r} = {kind}({string.Join(", ", options)})");
        if (LayerNorm is { } norm)
        {
            modules.Add($"layer_normalization = nn.LayerNorm({string.Join(", ", DescribeTorchLayerNorm(norm))})");
        }

        modules.Add($"{DenseName} = nn.Linear({Directions * Hidden}, {Outputs})");
        if (GoBackwards)
        {
            x = $"{x}.flip(1)";
        }

        var call = $"self.{r}({x})";
        var (prelude, features) = Readout switch
        {
            Readout.Sequence => (string.Empty, $"{call}[0]"),
            Readout.LastStep => (string.Empty, $"{call}[0][:, -1]"),
            _ => ($"h_n = {call}[1]{(Mode == RnnMode.Lstm ? "[0]" : string.Empty)}; ", "torch.cat([h_n[-2], h_n[-1]], 1)"),
        };
        if (LayerNorm is not null)
        {
            features = $"self.layer_normalization({features})";
        }

        var head = $"self.{DenseName}({features})";
        return $"{string.Join("; ", modules)}; forward(x): {prelude}return {(SigmoidOutput ? $"torch.sigmoid({head})" : head)}";
    }

    private static IEnumerable<string> DescribeRnnLayerNorm(InteropLayerNorm norm)
    {
        yield return string.Create(CultureInfo.InvariantCulture, $"epsilon: {(float)norm.Epsilon:R}f");
        if (!norm.Center)
        {
            yield return "center: false";
        }

        if (!norm.Scale)
        {
            yield return "scale: false";
        }
    }

    private IEnumerable<string> DescribeTorchLayerNorm(InteropLayerNorm norm)
    {
        yield return (Directions * Hidden).ToString(CultureInfo.InvariantCulture);
        yield return string.Create(CultureInfo.InvariantCulture, $"eps={norm.Epsilon:R}");
        if (!norm.Scale)
        {
            yield return "elementwise_affine=False";
        }
        else if (!norm.Center)
        {
            yield return "bias=False";
        }
    }
}
