using System.Globalization;
using System.Text;
using System.Text.Json;
using Rnn;
using Rnn.Serialization;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;
using NumericsTensor = System.Numerics.Tensors.Tensor;

namespace GoldenGenerator;

/// <summary>
/// Writes the interop fixtures: for each <see cref="InteropCase"/>, a weights file and
/// <c>&lt;case&gt;.outputs.safetensors</c> with test inputs and PyTorch's outputs on them.
/// PyTorch → Rnn: the mirror module, trained a few Adam steps from PyTorch's initialization, saved by
/// TorchSharp.PyBridge's <c>save_safetensors</c>. Rnn → PyTorch: our model, initialized from its seed and
/// saved by <see cref="Sequential.SaveWeights"/>, loaded by PyBridge's <c>load_safetensors</c> with
/// <c>strict</c>. Either way, our model then loads the weights file and must predict PyTorch's outputs (and, for a
/// case with <see cref="InteropCase.Gradients"/>, backpropagate PyTorch's gradients).
/// </summary>
internal static class InteropGolden
{
    private const int TrainSamples = 32;
    private const int TrainSteps = 25;
    private const double LearningRate = 0.01;
    private const int TestSamples = 5;
    private const double OutputTolerance = 1e-5;
    private const double GradientTolerance = 1e-4;

    public static void WriteAll(string fixtures)
    {
        var directory = Directory.CreateDirectory(Path.Combine(fixtures, "interop")).FullName;
        foreach (var c in InteropCase.All())
        {
            var weightsPath = Path.Combine(directory, c.Name + ".safetensors");
            using var scope = NewDisposeScope();
            torch.manual_seed(c.Seed);
            var module = new MirrorModule(c);
            var metadata = new Dictionary<string, string>
            {
                ["direction"] = c.FromRnn ? "rnn_to_pytorch" : "pytorch_to_rnn",
                ["weights"] = Path.GetFileName(weightsPath),
                ["rnn"] = c.DescribeRnn(),
                ["pytorch"] = c.DescribeTorch(),
            };
            if (c.Renamed)
            {
                metadata["rename"] = $"{c.TorchRecurrentName}.* -> {c.RnnRecurrentName}.*, {c.DenseName}.* -> dense.*";
            }

            if (c.FromRnn)
            {
                var model = c.CreateRnnModel();
                model.SaveWeights(weightsPath);
                module.load_safetensors(weightsPath, strict: true);
                CheckSameWeights(c, model, module);
                metadata["training"] = $"none: a Sequential with seed {c.Seed} and WeightInitialization.{c.Initialization}";
            }
            else
            {
                var (first, last) = Train(c, module);
                module.save_safetensors(weightsPath);
                metadata["training"] = string.Create(CultureInfo.InvariantCulture,
                    $"torch.optim.Adam(lr={LearningRate}), {TrainSteps} full-batch steps of mse_loss on {TrainSamples} random samples, from PyTorch's initialization");
                metadata["train_loss_first"] = first.ToString("R", CultureInfo.InvariantCulture);
                metadata["train_loss_last"] = last.ToString("R", CultureInfo.InvariantCulture);
            }

            module.eval();
            var x = Inputs(c, TestSamples);
            // With autograd on, on purpose: under no_grad, libtorch 2.10 runs nn.LSTM through oneDNN's
            // forward_inference kernel (brgemm:avx512_core), which on AVX-512 machines such as ours gives wrong
            // results for many sizes (measured: up to 0.2 off; see Fixtures/README.md). With autograd on it runs
            // the forward_training kernel, the one the float64 reference checks in the pytorch/ fixtures.
            Tensor output;
            Tensor? gradOutput = null;
            if (c.Gradients)
            {
                if (c.EmbeddingDim is not null || c.Renamed)
                {
                    throw new InvalidOperationException($"{c.Name}: gradients are written for cases without an embedding (token ids have none) and without renamed modules.");
                }

                // Backward of L = Σ output·grad_output, so grad_output is exactly the upstream gradient our model's
                // backward receives; Train left its last step's gradients, hence zero_grad.
                module.zero_grad();
                x.requires_grad_(true);
                output = module.call(x);
                gradOutput = Uniform(output.shape);
                (output * gradOutput).sum().backward();
                output = output.detach();
            }
            else
            {
                output = module.call(x).detach();
            }

            Tensor inference;
            using (torch.no_grad())
            {
                inference = module.call(x);
            }

            metadata["state_dict"] = StateDictJson(module);
            metadata["seed"] = c.Seed.ToString(CultureInfo.InvariantCulture);
            metadata["generator"] = TorchGolden.GeneratorDescription;
            var input = Floats(x.to(ScalarType.Float32));
            var expected = Floats(output);
            var outputsPath = Path.Combine(directory, c.Name + ".outputs.safetensors");
            var tensors = new List<NamedTensor> { new("input", Shape(x), input), new("output", Shape(output), expected) };
            if (gradOutput is not null)
            {
                metadata["gradients"] = "grad_output uniform(-1, 1); backward of L = sum(output * grad_output) in eval mode on input: grad.input, grad.{state_dict name}";
                tensors.Add(new("grad_output", Shape(gradOutput), Floats(gradOutput)));
                tensors.Add(new("grad.input", Shape(x), Floats(x.grad!)));
                foreach (var (name, p) in module.named_parameters())
                {
                    tensors.Add(new("grad." + name, Shape(p), Floats(p.grad!)));
                }
            }

            SafeTensors.Write(outputsPath, tensors, metadata);

            var error = CheckOurPrediction(c, weightsPath, input, Shape(x), expected);
            var gradients = string.Empty;
            if (gradOutput is not null)
            {
                var (trainingError, gradientError) = CheckOurGradients(c, weightsPath, tensors.ToDictionary(t => t.Name, StringComparer.Ordinal));
                gradients = string.Create(CultureInfo.InvariantCulture, $"; training forward <= {trainingError:E1}, every gradient <= {gradientError:E1}");
            }

            var inferenceError = (inference - output).abs().max().item<float>();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"interop/{c.Name,-44} {module.state_dict().Count,2} tensors; |Rnn Predict - PyTorch| <= {error:E1}{gradients} (PyTorch under no_grad: {inferenceError:E1})"));
        }
    }

    /// <summary>Our names for PyTorch's, for cases whose PyTorch submodules are named differently.</summary>
    public static Func<string, string?>? Rename(InteropCase c)
    {
        if (!c.Renamed)
        {
            return null;
        }

        var recurrentPrefix = c.TorchRecurrentName + ".";
        var densePrefix = c.DenseName + ".";
        return name => name.StartsWith(recurrentPrefix, StringComparison.Ordinal) ? $"{c.RnnRecurrentName}.{name[recurrentPrefix.Length..]}"
            : name.StartsWith(densePrefix, StringComparison.Ordinal) ? $"dense.{name[densePrefix.Length..]}"
            : name;
    }

    private static (float First, float Last) Train(InteropCase c, MirrorModule module)
    {
        var x = Inputs(c, TrainSamples);
        var y = Uniform(c.Readout == Readout.Sequence ? [TrainSamples, c.Time, c.Outputs] : [TrainSamples, c.Outputs]);
        var optimizer = torch.optim.Adam(module.parameters(), lr: LearningRate);
        module.train();
        float first = 0, last = 0;
        for (var step = 0; step < TrainSteps; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(module.call(x), y);
            loss.backward();
            optimizer.step();
            last = loss.item<float>();
            if (step == 0)
            {
                first = last;
            }
        }

        return (first, last);
    }

    /// <summary>PyBridge's strict load must have copied our file's values bit for bit into the module.</summary>
    private static void CheckSameWeights(InteropCase c, Sequential model, MirrorModule module)
    {
        var ours = model.GetStateDict().ToDictionary(t => t.Name, t => t, StringComparer.Ordinal);
        var theirs = module.state_dict();
        if (ours.Count != theirs.Count)
        {
            throw new InvalidOperationException($"{c.Name}: our state dict has {ours.Count} tensors, PyTorch's {theirs.Count}.");
        }

        foreach (var (name, tensor) in theirs)
        {
            if (!ours.TryGetValue(name, out var mine) || !mine.Shape.SequenceEqual(tensor.shape.Select(d => (int)d))
                || !Floats(tensor).AsSpan().SequenceEqual(mine.Data))
            {
                throw new InvalidOperationException($"{c.Name}: PyTorch's '{name}' differs from ours after load_safetensors.");
            }
        }
    }

    /// <summary>Loads the weights file into a new model of ours as the tests do, and returns max |Predict - PyTorch|.</summary>
    private static double CheckOurPrediction(InteropCase c, string weightsPath, float[] input, int[] shape, float[] expected)
    {
        var model = c.CreateRnnModel();
        model.LoadWeights(weightsPath, strict: true, rename: Rename(c));
        var predicted = model.Predict(NumericsTensor.Create(input, [.. shape.Select(d => (nint)d)]));
        var actual = new float[expected.Length];
        predicted.FlattenTo(actual);
        var error = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            error = Math.Max(error, Math.Abs(actual[i] - expected[i]));
        }

        if (error > OutputTolerance)
        {
            throw new InvalidOperationException($"{c.Name}: our prediction differs from PyTorch's by {error}.");
        }

        return error;
    }

    /// <summary>
    /// Loads the weights file into a new model of ours as the tests do, runs each layer's training forward and then
    /// backward from <c>grad_output</c>, and returns the largest difference from PyTorch's output and from its gradients.
    /// </summary>
    private static (double Output, double Gradient) CheckOurGradients(InteropCase c, string weightsPath, Dictionary<string, NamedTensor> torch)
    {
        var model = c.CreateRnnModel();
        model.LoadWeights(weightsPath, strict: true);
        var h = AsTensor(torch["input"]);
        foreach (var layer in model.Layers)
        {
            h = layer.Forward(h, training: true);
        }

        var outputError = MaxDifference(h, torch["output"]);
        var g = AsTensor(torch["grad_output"]);
        for (var i = model.Layers.Count - 1; i >= 0; i--)
        {
            g = model.Layers[i].Backward(g);
        }

        var gradientError = MaxDifference(g, torch["grad.input"]);
        var checkedGradients = 1;
        foreach (var layer in model.Layers)
        {
            foreach (var parameter in layer.Parameters)
            {
                var name = $"{layer.Name}.{parameter.Name}";
                gradientError = Math.Max(gradientError, MaxDifference(parameter.Gradient, torch["grad." + name]));
                checkedGradients++;
            }
        }

        if (checkedGradients != torch.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"{c.Name}: PyTorch has gradients for tensors our model does not have.");
        }

        if (outputError > OutputTolerance || gradientError > GradientTolerance)
        {
            throw new InvalidOperationException($"{c.Name}: our training forward differs from PyTorch's by {outputError}, our gradients by {gradientError}.");
        }

        return (outputError, gradientError);
    }

    private static System.Numerics.Tensors.Tensor<float> AsTensor(NamedTensor t) => NumericsTensor.Create((float[])t.Data.Clone(), [.. t.Shape.Select(d => (nint)d)]);

    private static double MaxDifference(System.Numerics.Tensors.Tensor<float> actual, NamedTensor expected)
    {
        if (!actual.Lengths.ToArray().Select(d => (int)d).SequenceEqual(expected.Shape))
        {
            throw new InvalidOperationException($"'{expected.Name}' has shape [{string.Join(", ", expected.Shape)}] in PyTorch but [{string.Join(", ", actual.Lengths.ToArray())}] here.");
        }

        var values = new float[expected.Data.Length];
        actual.FlattenTo(values);
        var error = 0.0;
        for (var i = 0; i < values.Length; i++)
        {
            error = Math.Max(error, Math.Abs(values[i] - expected.Data[i]));
        }

        return error;
    }

    /// <summary><c>state_dict()</c>'s names and shapes in its order: <c>[{"name": "lstm.weight_ih_l0", "shape": [32, 3]}, ...]</c>.</summary>
    private static string StateDictJson(MirrorModule module)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartArray();
            foreach (var (name, tensor) in module.state_dict())
            {
                writer.WriteStartObject();
                writer.WriteString("name", name);
                writer.WriteStartArray("shape");
                foreach (var d in tensor.shape)
                {
                    writer.WriteNumberValue(d);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>[n, T, features] uniform(-1, 1), or [n, T] int64 token ids with an embedding.</summary>
    private static Tensor Inputs(InteropCase c, int samples) => c.EmbeddingDim is null
        ? Uniform([samples, c.Time, c.Features])
        : torch.randint(c.Features, [samples, c.Time], dtype: ScalarType.Int64);

    private static Tensor Uniform(long[] shape) => ((torch.rand(shape) * 2) - 1).detach();

    private static float[] Floats(Tensor t) => t.detach().contiguous().data<float>().ToArray();

    private static int[] Shape(Tensor t) => [.. t.shape.Select(d => (int)d)];
}
