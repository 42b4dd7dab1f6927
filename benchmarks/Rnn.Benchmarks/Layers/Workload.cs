using System.Numerics.Tensors;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Optimizers;

namespace Rnn.Benchmarks.Layers;

/// <summary>
/// The four workloads of PERFORMANCE.md: input [B, T, I] through one recurrent layer of H units that
/// returns the whole sequence.
/// </summary>
public sealed record Workload(string Name, int Batch, int Time, int Input, int Hidden)
{
    public static readonly Workload Seed = new("seed", 32, 10, 1, 20);
    public static readonly Workload Stream = new("stream", 1, 100, 64, 256);
    public static readonly Workload Medium = new("medium", 64, 100, 32, 128);
    public static readonly Workload Large = new("large", 64, 100, 256, 512);

    public static IReadOnlyList<Workload> All { get; } = [Seed, Stream, Medium, Large];

    public static Workload Named(string name) => All.Single(w => w.Name == name);

    /// <summary>Gates of a cell: 4 Lstm, 3 Gru, 1 SimpleRnn.</summary>
    public static int Gates(string cell) => cell switch { "lstm" => 4, "gru" => 3, _ => 1 };

    /// <summary>The layer under test, returning its whole output sequence, in a one-layer model with a fixed seed.</summary>
    public Sequential CreateModel(string cell) => new(
        [
            cell switch
            {
                "lstm" => new Lstm(Hidden, returnSequences: true, inputShape: (null, Input)),
                "gru" => new Gru(Hidden, returnSequences: true, inputShape: (null, Input)),
                _ => new SimpleRnn(Hidden, returnSequences: true, inputShape: (null, Input)),
            },
        ],
        seed: 1);

    /// <summary>
    /// What Rnn's side of a benchmark needs: the model compiled with Adam and MSE, inputs X [B, T, I], targets
    /// Y [B, T, H] (fixed seeds) and an output tensor for <c>Predict</c>.
    /// </summary>
    public (Sequential Model, Tensor<float> X, Tensor<float> Y, Tensor<float> Output) CreateCase(string cell)
    {
        var model = CreateModel(cell);
        model.Compile(new Adam(), Loss.MeanSquaredError);
        return (
            model,
            Tensor.Create(RandomValues(Batch * Time * Input, 1), [Batch, Time, Input]),
            Tensor.Create(RandomValues(Batch * Time * Hidden, 2), [Batch, Time, Hidden]),
            Tensor.Create(new float[Batch * Time * Hidden], [Batch, Time, Hidden]));
    }

    /// <summary>Values uniform in [-1, 1) from a fixed seed.</summary>
    public static float[] RandomValues(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }

    /// <summary>Multiply-adds × 2 of one forward pass: 2·G·H·(I + H)·B·T.</summary>
    public double ForwardFlops(string cell) => 2.0 * Gates(cell) * Hidden * (Input + Hidden) * Batch * Time;
}
