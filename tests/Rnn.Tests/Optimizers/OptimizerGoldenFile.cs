using System.Globalization;
using Rnn.Layers;
using Rnn.Optimizers;
using Rnn.Serialization;

namespace Rnn.Tests.Optimizers;

/// <summary>
/// One optimizer golden file from <c>Fixtures/optim/</c> (see Fixtures/README.md): a <c>torch.optim</c>
/// run of <see cref="Steps"/> steps over two parameters, with the gradients fed to it and the parameters
/// after every step; and the optimizer of ours that the metadata describes.
/// </summary>
public sealed class OptimizerGoldenFile
{
    private OptimizerGoldenFile(string name, IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, (int[] Shape, float[] Data)> tensors)
    {
        Name = name;
        Metadata = metadata;
        Tensors = tensors;
    }

    /// <summary>The directory the files are copied to next to the test assembly.</summary>
    public static string DirectoryPath { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures", "optim");

    /// <summary>The case names of every file present, sorted.</summary>
    public static IReadOnlyList<string> Names =>
        [.. Directory.GetFiles(DirectoryPath, "*.safetensors").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal)];

    /// <summary>The case name, e.g. <c>adam_amsgrad_weight_decay</c>.</summary>
    public string Name { get; }

    /// <summary>The header's <c>__metadata__</c>: the optimizer, its options under PyTorch's names, clipping and scheduler.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor by name: its shape and its float32 values in row-major order.</summary>
    public IReadOnlyDictionary<string, (int[] Shape, float[] Data)> Tensors { get; }

    /// <summary>Optimizer steps recorded.</summary>
    public int Steps => int.Parse(Metadata["steps"], NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>Number of parameters (tensors <c>initial.{j}</c>).</summary>
    public int ParameterCount => Tensors.Keys.Count(k => k.StartsWith("initial.", StringComparison.Ordinal));

    /// <summary>The tensor called <paramref name="tensor"/>.</summary>
    public (int[] Shape, float[] Data) this[string tensor] =>
        Tensors.TryGetValue(tensor, out var value)
            ? value
            : throw new KeyNotFoundException($"Optimizer golden file '{Name}' has no tensor '{tensor}'.");

    /// <summary>Reads <c>Fixtures/optim/<paramref name="name"/>.safetensors</c> with our safetensors reader.</summary>
    public static OptimizerGoldenFile Load(string name)
    {
        var path = Path.Combine(DirectoryPath, name + ".safetensors");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"There is no optimizer golden file '{name}' in {DirectoryPath}; there are: {string.Join(", ", Names)}.", path);
        }

        var file = SafeTensors.Read(path);
        return new OptimizerGoldenFile(name, file.Metadata, file.Tensors.ToDictionary(t => t.Name, t => (t.Shape.ToArray(), t.Data), StringComparer.Ordinal));
    }

    /// <summary>Fresh parameters holding the initial values (<c>initial.{j}</c>), with zero gradients.</summary>
    public Parameter[] CreateParameters()
    {
        var parameters = new Parameter[ParameterCount];
        for (var j = 0; j < parameters.Length; j++)
        {
            var (shape, data) = this[$"initial.{j}"];
            parameters[j] = new Parameter($"p{j}", shape);
            parameters[j].Assign(data);
        }

        return parameters;
    }

    /// <summary>Row <paramref name="step"/> of a tensor <c>[steps, ...]</c> (a gradient, clipped gradient or parameter).</summary>
    public ReadOnlySpan<float> AtStep(string tensor, int step)
    {
        var data = this[tensor].Data;
        var length = data.Length / Steps;
        return data.AsSpan(step * length, length);
    }

    /// <summary>Our optimizer configured as the metadata's <c>torch.optim</c> optimizer, clipping and scheduler.</summary>
    public Optimizer CreateOptimizer()
    {
        Optimizer optimizer = Metadata["optimizer"] switch
        {
            "SGD" => new Sgd(Float("lr"), Float("momentum"), Bool("nesterov"), Float("dampening"), Float("weight_decay")),
            "Adam" => new Adam(Float("lr"), Float("beta1"), Float("beta2"), Float("eps"), Float("weight_decay"), Bool("amsgrad")),
            "AdamW" => new AdamW(Float("lr"), Float("beta1"), Float("beta2"), Float("eps"), Float("weight_decay"), Bool("amsgrad")),
            "RMSprop" => new RmsProp(Float("lr"), Float("alpha"), Float("eps"), Float("momentum"), Bool("centered"), Float("weight_decay")),
            "Adagrad" => new Adagrad(Float("lr"), Float("lr_decay"), Float("weight_decay"), Float("initial_accumulator_value"), Float("eps")),
            "NAdam" => new NAdam(Float("lr"), Float("beta1"), Float("beta2"), Float("eps"), Float("weight_decay"), Float("momentum_decay"), Bool("decoupled_weight_decay")),
            "RAdam" => new RAdam(Float("lr"), Float("beta1"), Float("beta2"), Float("eps"), Float("weight_decay"), Bool("decoupled_weight_decay")),
            "Adamax" => new Adamax(Float("lr"), Float("beta1"), Float("beta2"), Float("eps"), Float("weight_decay")),
            "Adadelta" => new Adadelta(Float("lr"), Float("rho"), Float("eps"), Float("weight_decay")),
            var other => throw new InvalidDataException($"Optimizer golden file '{Name}' has an unknown optimizer '{other}'."),
        };
        switch (Metadata.GetValueOrDefault("clip"))
        {
            case null:
                break;
            case "clip_grad_norm":
                optimizer.GlobalClipNorm = Float("max_norm");
                break;
            case "clip_grad_norm_per_parameter":
                optimizer.ClipNorm = Float("max_norm");
                break;
            case "clip_grad_value":
                optimizer.ClipValue = Float("clip_value");
                break;
            default:
                throw new InvalidDataException($"Optimizer golden file '{Name}' has an unknown clip '{Metadata["clip"]}'.");
        }

        optimizer.Schedule = Metadata.GetValueOrDefault("scheduler") switch
        {
            null => null,
            "StepLR" => new StepDecay(Long("step_size"), Float("gamma")),
            "ExponentialLR" => new ExponentialDecay(decaySteps: 1, Float("gamma")),
            "CosineAnnealingLR" => new CosineDecay(Long("T_max"), Float("eta_min_fraction")),
            "LinearLR" => new LinearSchedule(Float("start_factor"), Float("end_factor"), Long("total_iters")),
            "PolynomialLR" => new PolynomialDecay(Long("total_iters"), power: Float("power")),
            "MultiStepLR" => new MultiStepDecay(Metadata["milestones"].Split(',').Select(m => long.Parse(m, NumberStyles.None, CultureInfo.InvariantCulture)), Float("gamma")),
            "CosineAnnealingWarmRestarts" => new CosineDecayRestarts(Long("T_0"), tMul: Float("T_mult"), alpha: Float("eta_min_fraction")),
            "OneCycleLR" => new OneCycle(Long("total_steps"), Float("pct_start"), Float("div_factor"), Float("final_div_factor")),
            var other => throw new InvalidDataException($"Optimizer golden file '{Name}' has an unknown scheduler '{other}'."),
        };
        return optimizer;
    }

    private float Float(string key) => float.Parse(Metadata[key], NumberStyles.Float, CultureInfo.InvariantCulture);

    private long Long(string key) => long.Parse(Metadata[key], NumberStyles.None, CultureInfo.InvariantCulture);

    private bool Bool(string key) => Metadata[key] switch
    {
        "true" => true,
        "false" => false,
        var other => throw new InvalidDataException($"Optimizer golden file '{Name}' has {key} = '{other}', expected 'true' or 'false'."),
    };
}
