using System.Globalization;
using Rnn.Serialization;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.utils.rnn;

namespace GoldenGenerator;

/// <summary>
/// One packed-sequence golden file (<c>Fixtures/packed/&lt;name&gt;.safetensors</c>, see Fixtures/README.md): a
/// right-padded batch of sequences of different lengths, packed with
/// <c>pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)</c>, run through a recurrent
/// module and unpacked with <c>pad_packed_sequence(..., batch_first=True, total_length=T)</c>.
/// </summary>
internal sealed record PackedCase(
    string Name,
    RnnMode Mode,
    int Batch,
    int Time,
    int InputSize,
    int HiddenSize,
    int NumLayers,
    bool Bidirectional,
    int[] Lengths,
    long Seed)
{
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Sample <paramref name="b"/> on its own, unpadded, as a case the float64 reference runs.</summary>
    public GoldenCase Sample(int b) =>
        new($"{Name}[{b}]", Mode, Batch: 1, Time: Lengths[b], InputSize, HiddenSize, NumLayers, Bidirectional, Bias: true, HasInitialState: false, Seed);

    /// <summary>The cases, in a fixed order; the seed is 3000 + the position, so adding a case at the end changes no file.</summary>
    public static IReadOnlyList<PackedCase> All()
    {
        var cases = new List<PackedCase>();
        (RnnMode Mode, string Prefix)[] kinds = [(RnnMode.Lstm, "lstm"), (RnnMode.Gru, "gru"), (RnnMode.RnnTanh, "rnn_tanh")];
        foreach (var (mode, prefix) in kinds)
        {
            // Unsorted lengths, with a full-length and a one-step sequence, so that enforce_sorted=False permutes
            // the batch and every sample ends at a different step.
            cases.Add(new($"{prefix}_1layer", mode, Batch: 4, Time: 7, InputSize: 3, HiddenSize: 5, NumLayers: 1, Bidirectional: false, Lengths: [7, 3, 5, 1], Seed: 0));
            cases.Add(new($"{prefix}_2layer_bidir", mode, Batch: 4, Time: 7, InputSize: 3, HiddenSize: 5, NumLayers: 2, Bidirectional: true, Lengths: [4, 7, 1, 6], Seed: 0));
        }

        return [.. cases.Select((c, i) => c with { Seed = 3000 + i })];
    }
}

/// <summary>
/// Writes the packed-sequence golden files: parameters uniform(-0.5, 0.5), input uniform(-1, 1) at every
/// position (padding too, which PyTorch never reads), then backward from
/// L = Σ output·grad_output + Σ h_n·grad_h_n (+ Σ c_n·grad_c_n), with random upstream gradients at every
/// position of grad_output, padding included: <c>pad_packed_sequence</c>'s backward drops them, so a layer
/// that masks correctly must ignore them too.
/// </summary>
internal static class PackedGolden
{
    private const double ForwardTolerance = 1e-5;
    private const double GradientTolerance = 1e-4;
    private const int SamplesPerGradient = 4;

    public static void WriteAll(string fixtures)
    {
        var directory = Directory.CreateDirectory(Path.Combine(fixtures, "packed")).FullName;
        foreach (var c in PackedCase.All())
        {
            var path = Path.Combine(directory, c.Name + ".safetensors");
            var tensors = Run(c);
            SafeTensors.Write(path, tensors, Metadata(c));
            TorchGolden.CheckReadableByPyBridge(path, tensors);
            var (forwardError, gradientError) = Verify(c, path);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"packed/{c.Name,-22} {tensors.Count,2} tensors; per sample, |forward - float64 reference| <= {forwardError:E1}, gradient vs finite differences <= {gradientError:E1}; exact zeros at padding; PyBridge reads it back identically"));
        }
    }

    private static Dictionary<string, string> Metadata(PackedCase c) => new()
    {
        ["mode"] = c.Mode switch
        {
            RnnMode.Lstm => "LSTM",
            RnnMode.Gru => "GRU",
            RnnMode.RnnTanh => "RNN_TANH",
            _ => "RNN_RELU",
        },
        ["input_size"] = Invariant(c.InputSize),
        ["hidden_size"] = Invariant(c.HiddenSize),
        ["num_layers"] = Invariant(c.NumLayers),
        ["bidirectional"] = c.Bidirectional ? "true" : "false",
        ["bias"] = "true",
        ["batch_first"] = "true",
        ["batch"] = Invariant(c.Batch),
        ["time"] = Invariant(c.Time),
        ["lengths"] = string.Join(",", c.Lengths.Select(Invariant)),
        ["enforce_sorted"] = "false",
        ["grad_output_padding"] = "random",
        ["seed"] = Invariant(c.Seed),
        ["generator"] = TorchGolden.GeneratorDescription,
    };

    private static List<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> Run(PackedCase c)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(c.Seed);
        var module = Create(c);
        var parameters = module.named_parameters().ToList();
        using (torch.no_grad())
        {
            foreach (var (_, p) in parameters)
            {
                p.copy_(torch.rand(p.shape) - 0.5);
            }
        }

        var input = Uniform([c.Batch, c.Time, c.InputSize]).requires_grad_(true);
        var lengths = torch.tensor(c.Lengths.Select(l => (long)l).ToArray());
        var packed = pack_padded_sequence(input, lengths, batch_first: true, enforce_sorted: false);
        PackedSequence packedOutput;
        Tensor hN;
        Tensor? cN = null;
        if (module is TorchSharp.Modules.LSTM lstm)
        {
            (packedOutput, hN, cN) = lstm.call(packed, null);
        }
        else if (module is TorchSharp.Modules.GRU gru)
        {
            (packedOutput, hN) = gru.call(packed, null);
        }
        else
        {
            (packedOutput, hN) = ((TorchSharp.Modules.RNN)module).call(packed, null);
        }

        var (output, _) = pad_packed_sequence(packedOutput, batch_first: true, total_length: c.Time);
        var gradOutput = Uniform(output.shape);
        var gradHN = Uniform(hN.shape);
        var gradCN = cN is null ? null : Uniform(cN.shape);
        var loss = (output * gradOutput).sum() + (hN * gradHN).sum();
        if (cN is not null)
        {
            loss += (cN * gradCN!).sum();
        }

        loss.backward();

        var tensors = new List<(string, int[], ReadOnlyMemory<float>)>();
        void Add(string name, Tensor? t)
        {
            if (t is not null)
            {
                tensors.Add((name, [.. t.shape.Select(d => (int)d)], t.detach().contiguous().data<float>().ToArray()));
            }
        }

        foreach (var (name, p) in parameters)
        {
            Add(name, p);
        }

        Add("input", input);
        Add("lengths", lengths.to(ScalarType.Float32));
        Add("output", output);
        Add("h_n", hN);
        Add("c_n", cN);
        Add("grad_output", gradOutput);
        Add("grad_h_n", gradHN);
        Add("grad_c_n", gradCN);
        Add("grad.input", input.grad);
        foreach (var (name, p) in parameters)
        {
            Add("grad." + name, p.grad);
        }

        return tensors;
    }

    /// <summary>
    /// Reads the file back with our reader and checks it against the float64 reference run on each sample alone,
    /// unpadded: output, h_n and c_n agree, output and grad.input are exactly zero at padding, and sampled
    /// gradient entries agree with central finite differences of the summed per-sample loss.
    /// </summary>
    private static (double ForwardError, double GradientError) Verify(PackedCase c, string path)
    {
        var t = SafeTensors.Read(path).Tensors.ToDictionary(x => x.Name, x => Array.ConvertAll(x.Data, v => (double)v));
        int hidden = c.HiddenSize, width = c.Directions * hidden, states = c.NumLayers * c.Directions;
        var forwardError = 0.0;
        for (var b = 0; b < c.Batch; b++)
        {
            var sample = Slice(c, t, b);
            var (output, hN, cN) = ReferenceRnn.Forward(c.Sample(b), sample);
            var length = c.Lengths[b];
            for (var step = 0; step < c.Time; step++)
            {
                for (var j = 0; j < width; j++)
                {
                    var actual = t["output"][(((b * c.Time) + step) * width) + j];
                    if (step >= length && actual != 0)
                    {
                        throw new InvalidOperationException($"{c.Name}: output[{b}, {step}] is padding but holds {actual}.");
                    }

                    if (step < length)
                    {
                        forwardError = Math.Max(forwardError, Math.Abs(actual - output[(step * width) + j]));
                    }
                }

                for (var k = 0; k < c.InputSize; k++)
                {
                    var gradient = t["grad.input"][(((b * c.Time) + step) * c.InputSize) + k];
                    if (step >= length && gradient != 0)
                    {
                        throw new InvalidOperationException($"{c.Name}: grad.input[{b}, {step}] is padding but holds {gradient}.");
                    }
                }
            }

            for (var s = 0; s < states; s++)
            {
                for (var j = 0; j < hidden; j++)
                {
                    var at = (((s * c.Batch) + b) * hidden) + j;
                    forwardError = Math.Max(forwardError, Math.Abs(t["h_n"][at] - hN[(s * hidden) + j]));
                    if (cN is not null)
                    {
                        forwardError = Math.Max(forwardError, Math.Abs(t["c_n"][at] - cN[(s * hidden) + j]));
                    }
                }
            }
        }

        if (forwardError > ForwardTolerance)
        {
            throw new InvalidOperationException($"{c.Name}: PyTorch's packed forward differs from the float64 reference by {forwardError}.");
        }

        var random = new Random((int)c.Seed);
        var gradientError = 0.0;
        foreach (var gradName in t.Keys.Where(k => k.StartsWith("grad.", StringComparison.Ordinal)).ToList())
        {
            var target = t[gradName["grad.".Length..]];
            for (var s = 0; s < SamplesPerGradient; s++)
            {
                var index = random.Next(target.Length);
                var saved = target[index];
                var eps = 1e-6 * Math.Max(1, Math.Abs(saved));
                target[index] = saved + eps;
                var plus = Loss(c, t);
                target[index] = saved - eps;
                var minus = Loss(c, t);
                target[index] = saved;
                var numeric = (plus - minus) / (2 * eps);
                var error = Math.Abs(numeric - t[gradName][index]) / Math.Max(1, Math.Abs(numeric));
                if (error > GradientTolerance)
                {
                    throw new InvalidOperationException($"{c.Name}: {gradName}[{index}] is {t[gradName][index]}, finite differences give {numeric}.");
                }

                gradientError = Math.Max(gradientError, error);
            }
        }

        return (forwardError, gradientError);
    }

    /// <summary>The file's loss as the sum of every sample's loss over its real steps only.</summary>
    private static double Loss(PackedCase c, Dictionary<string, double[]> t)
    {
        var loss = 0.0;
        for (var b = 0; b < c.Batch; b++)
        {
            loss += ReferenceRnn.Loss(c.Sample(b), Slice(c, t, b));
        }

        return loss;
    }

    /// <summary>Sample <paramref name="b"/>'s tensors, unpadded: parameters, input and upstream gradients of its real steps.</summary>
    private static Dictionary<string, double[]> Slice(PackedCase c, Dictionary<string, double[]> t, int b)
    {
        int length = c.Lengths[b], hidden = c.HiddenSize, width = c.Directions * hidden, states = c.NumLayers * c.Directions;
        var sample = t.Where(x => x.Key.StartsWith("weight_", StringComparison.Ordinal) || x.Key.StartsWith("bias_", StringComparison.Ordinal))
            .ToDictionary(x => x.Key, x => x.Value);
        sample["input"] = t["input"].AsSpan(b * c.Time * c.InputSize, length * c.InputSize).ToArray();
        sample["grad_output"] = t["grad_output"].AsSpan(b * c.Time * width, length * width).ToArray();
        foreach (var state in new[] { "grad_h_n", "grad_c_n" }.Where(t.ContainsKey))
        {
            var values = new double[states * hidden];
            for (var s = 0; s < states; s++)
            {
                t[state].AsSpan(((s * c.Batch) + b) * hidden, hidden).CopyTo(values.AsSpan(s * hidden));
            }

            sample[state] = values;
        }

        return sample;
    }

    private static Tensor Uniform(long[] shape) => ((torch.rand(shape) * 2) - 1).detach();

    private static nn.Module Create(PackedCase c) => c.Mode switch
    {
        RnnMode.Lstm => nn.LSTM(c.InputSize, c.HiddenSize, c.NumLayers, batchFirst: true, bidirectional: c.Bidirectional),
        RnnMode.Gru => nn.GRU(c.InputSize, c.HiddenSize, c.NumLayers, batchFirst: true, bidirectional: c.Bidirectional),
        RnnMode.RnnTanh => nn.RNN(c.InputSize, c.HiddenSize, c.NumLayers, nn.NonLinearities.Tanh, batchFirst: true, bidirectional: c.Bidirectional),
        _ => nn.RNN(c.InputSize, c.HiddenSize, c.NumLayers, nn.NonLinearities.ReLU, batchFirst: true, bidirectional: c.Bidirectional),
    };

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
