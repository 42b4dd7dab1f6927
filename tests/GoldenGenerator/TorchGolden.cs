using System.Reflection;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace GoldenGenerator;

/// <summary>
/// Runs one case through real PyTorch (libtorch via TorchSharp): sets every parameter from a seeded
/// uniform(-0.5, 0.5), runs forward on a seeded uniform(-1, 1) input (and initial state), and
/// backward from L = Σ output·grad_output + Σ h_n·grad_h_n (+ Σ c_n·grad_c_n), so the grad_* tensors
/// are exactly the upstream gradients a layer's backward receives.
/// </summary>
internal static class TorchGolden
{
    public static string GeneratorDescription =>
        $"TorchSharp {typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]}, libtorch {torch.__version__}";

    /// <summary>The file's tensors, in the order they are written, and the module (for the PyBridge state-dict fixture).</summary>
    public static List<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> Run(GoldenCase c, string? stateDictPath)
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

        var stateShape = new long[] { c.NumLayers * c.Directions, c.Batch, c.HiddenSize };
        var input = Uniform([c.Batch, c.Time, c.InputSize]).requires_grad_(true);
        var h0 = c.HasInitialState ? Uniform(stateShape).requires_grad_(true) : null;
        var c0 = c.HasInitialState && c.Mode == RnnMode.Lstm ? Uniform(stateShape).requires_grad_(true) : null;

        Tensor output, hN;
        Tensor? cN = null;
        if (module is TorchSharp.Modules.LSTM lstm)
        {
            (output, hN, cN) = lstm.call(input, h0 is null ? null : (h0, c0!));
        }
        else if (module is TorchSharp.Modules.GRU gru)
        {
            (output, hN) = gru.call(input, h0);
        }
        else
        {
            (output, hN) = ((TorchSharp.Modules.RNN)module).call(input, h0);
        }

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
        Add("h0", h0);
        Add("c0", c0);
        Add("output", output);
        Add("h_n", hN);
        Add("c_n", cN);
        Add("grad_output", gradOutput);
        Add("grad_h_n", gradHN);
        Add("grad_c_n", gradCN);
        Add("grad.input", input.grad);
        Add("grad.h0", h0?.grad);
        Add("grad.c0", c0?.grad);
        foreach (var (name, p) in parameters)
        {
            Add("grad." + name, p.grad);
        }

        if (stateDictPath is not null)
        {
            // The parameters as TorchSharp.PyBridge writes them: a safetensors file from a writer that is not ours.
            module.save_safetensors(stateDictPath);
        }

        return tensors;
    }

    /// <summary>Reads <paramref name="path"/> with TorchSharp.PyBridge's reader and checks every tensor is bit-identical to <paramref name="expected"/>.</summary>
    public static void CheckReadableByPyBridge(string path, List<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> expected)
    {
        using var scope = NewDisposeScope();
        var loaded = Safetensors.LoadStateDict(path);
        if (loaded.Count != expected.Count)
        {
            throw new InvalidOperationException($"{path}: PyBridge read {loaded.Count} tensors, expected {expected.Count}.");
        }

        foreach (var (name, shape, data) in expected)
        {
            var t = loaded[name];
            if (!t.shape.SequenceEqual(shape.Select(d => (long)d)) || t.dtype != ScalarType.Float32
                || !t.data<float>().ToArray().AsSpan().SequenceEqual(data.Span))
            {
                throw new InvalidOperationException($"{path}: PyBridge read tensor '{name}' differently from what was written.");
            }
        }
    }

    /// <summary>
    /// Writes, with TorchSharp.PyBridge, a file whose F16, BF16 and F64 tensors were converted by
    /// libtorch from one F32 source, next to libtorch's own conversions back to F32 (the values our
    /// reader must produce), and an I64 tensor that our reader cannot convert.
    /// </summary>
    public static void WriteDTypesFixture(string path)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(7);
        // Random values across several binades, and values that round (1/3), overflow F16 (70000, 65520),
        // are subnormal in F16 (1e-6), tie in BF16 (1 + 2^-8), or are signed zeros.
        var special = torch.tensor(new float[] { 0f, -0f, 1f / 3, -2.5f, 65504f, 65520f, 70000f, 1e-6f, -1e-6f, 1 + (1f / 256), 3.0e38f, -1e-40f });
        var source = torch.cat([(torch.rand(20) - 0.5) * torch.pow(10, torch.rand(20) * 8 - 4), special]);
        var f64 = source.to(ScalarType.Float64) / 3;
        var f16 = source.to(ScalarType.Float16);
        var bf16 = source.to(ScalarType.BFloat16);
        var dict = new Dictionary<string, Tensor>
        {
            ["source_f32"] = source.reshape(4, 8),
            ["f16"] = f16.reshape(4, 8),
            ["f16_as_f32"] = f16.to(ScalarType.Float32).reshape(4, 8),
            ["bf16"] = bf16.reshape(2, 16),
            ["bf16_as_f32"] = bf16.to(ScalarType.Float32).reshape(2, 16),
            ["f64"] = f64.reshape(32),
            ["f64_as_f32"] = f64.to(ScalarType.Float32).reshape(32),
            ["i64"] = torch.arange(6, dtype: ScalarType.Int64).reshape(2, 3),
        };
        Safetensors.SaveStateDict(path, dict);
    }

    private static Tensor Uniform(long[] shape) => ((torch.rand(shape) * 2) - 1).detach();

    private static nn.Module Create(GoldenCase c) => c.Mode switch
    {
        RnnMode.Lstm => nn.LSTM(c.InputSize, c.HiddenSize, c.NumLayers, bias: c.Bias, batchFirst: true, bidirectional: c.Bidirectional),
        RnnMode.Gru => nn.GRU(c.InputSize, c.HiddenSize, c.NumLayers, bias: c.Bias, batchFirst: true, bidirectional: c.Bidirectional),
        RnnMode.RnnTanh => nn.RNN(c.InputSize, c.HiddenSize, c.NumLayers, nn.NonLinearities.Tanh, bias: c.Bias, batchFirst: true, bidirectional: c.Bidirectional),
        _ => nn.RNN(c.InputSize, c.HiddenSize, c.NumLayers, nn.NonLinearities.ReLU, bias: c.Bias, batchFirst: true, bidirectional: c.Bidirectional),
    };
}
