namespace GoldenGenerator;

/// <summary>The recurrent layer kinds, named as PyTorch's <c>_VF</c> modes (and the metadata's <c>mode</c>).</summary>
internal enum RnnMode
{
    Lstm,
    Gru,
    RnnTanh,
    RnnRelu,
}

/// <summary>One golden file: a layer configuration, the sizes of its batch, and the seed of everything random.</summary>
internal sealed record GoldenCase(
    string Name,
    RnnMode Mode,
    int Batch,
    int Time,
    int InputSize,
    int HiddenSize,
    int NumLayers,
    bool Bidirectional,
    bool Bias,
    bool HasInitialState,
    long Seed)
{
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Gates per cell: rows of <c>weight_ih</c> are <c>Gates * H</c> (LSTM i,f,g,o; GRU r,z,n).</summary>
    public int Gates => Mode switch
    {
        RnnMode.Lstm => 4,
        RnnMode.Gru => 3,
        _ => 1,
    };

    public string ModeName => Mode switch
    {
        RnnMode.Lstm => "LSTM",
        RnnMode.Gru => "GRU",
        RnnMode.RnnTanh => "RNN_TANH",
        _ => "RNN_RELU",
    };

    /// <summary>The cases of the brief, in a fixed order; the seed is the position in it, so adding a case at the end changes no file.</summary>
    public static IReadOnlyList<GoldenCase> All()
    {
        var cases = new List<GoldenCase>();
        (RnnMode Mode, string Prefix)[] kinds = [(RnnMode.Lstm, "lstm"), (RnnMode.Gru, "gru"), (RnnMode.RnnTanh, "rnn_tanh"), (RnnMode.RnnRelu, "rnn_relu")];
        foreach (var (mode, prefix) in kinds)
        {
            cases.Add(new($"{prefix}_1layer", mode, Batch: 3, Time: 5, InputSize: 4, HiddenSize: 17, NumLayers: 1, Bidirectional: false, Bias: true, HasInitialState: false, Seed: 0));
            cases.Add(new($"{prefix}_2layer_bidir", mode, Batch: 2, Time: 4, InputSize: 3, HiddenSize: 5, NumLayers: 2, Bidirectional: true, Bias: true, HasInitialState: false, Seed: 0));
            cases.Add(new($"{prefix}_initial_state", mode, Batch: 3, Time: 6, InputSize: 5, HiddenSize: 7, NumLayers: 2, Bidirectional: true, Bias: true, HasInitialState: true, Seed: 0));
            cases.Add(new($"{prefix}_nobias", mode, Batch: 2, Time: 3, InputSize: 4, HiddenSize: 6, NumLayers: 1, Bidirectional: false, Bias: false, HasInitialState: false, Seed: 0));
        }

        return [.. cases.Select((c, i) => c with { Seed = 1000 + i })];
    }
}
