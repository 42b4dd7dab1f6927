using System.Globalization;
using Rnn.Serialization;
using TorchSharp;
using static TorchSharp.torch;
using TorchParameter = TorchSharp.Modules.Parameter;

namespace GoldenGenerator;

/// <summary>
/// One optimizer golden file (<c>Fixtures/optim/&lt;name&gt;.safetensors</c>, see Fixtures/README.md): an
/// optimizer of <c>torch.optim</c> with its options, optionally gradient clipping before each step and a
/// learning-rate scheduler stepped after each step. Hyperparameters are float32 values, given to PyTorch
/// widened to double, so that PyTorch and our float32 API run on the same numbers.
/// </summary>
internal sealed record OptimizerCase(string Name, string Optimizer, float Lr)
{
    public float Momentum { get; init; }

    public float Dampening { get; init; }

    public bool Nesterov { get; init; }

    public float WeightDecay { get; init; }

    public float Beta1 { get; init; } = 0.9f;

    public float Beta2 { get; init; } = 0.999f;

    public float Eps { get; init; } = 1e-8f;

    public bool AmsGrad { get; init; }

    public float Alpha { get; init; } = 0.99f;

    public bool Centered { get; init; }

    public float LrDecay { get; init; }

    public float InitialAccumulatorValue { get; init; }

    public float MomentumDecay { get; init; } = 0.004f;

    public float Rho { get; init; } = 0.9f;

    /// <summary>NAdam's and RAdam's <c>decoupled_weight_decay</c>.</summary>
    public bool DecoupledWeightDecay { get; init; }

    /// <summary>
    /// Whether the run is <see cref="TorchOptimTranscript"/> rather than TorchSharp's own optimizer: RAdam
    /// (TorchSharp's is wrong once the rectification starts) and decoupled weight decay (TorchSharp has none).
    /// </summary>
    public bool Transcribed => Optimizer == "RAdam" || DecoupledWeightDecay;

    /// <summary><c>clip_grad_norm</c> (all parameters), <c>clip_grad_norm_per_parameter</c>, <c>clip_grad_value</c>, or null.</summary>
    public string? Clip { get; init; }

    /// <summary><c>max_norm</c> or <c>clip_value</c>.</summary>
    public float ClipLimit { get; init; }

    /// <summary>
    /// <c>StepLR</c>, <c>ExponentialLR</c>, <c>CosineAnnealingLR</c>, <c>LinearLR</c>, <c>PolynomialLR</c>,
    /// <c>MultiStepLR</c>, <c>CosineAnnealingWarmRestarts</c>, <c>OneCycleLR</c>, or null.
    /// </summary>
    public string? Scheduler { get; init; }

    /// <summary>
    /// Whether the scheduler is <see cref="CosineAnnealingWarmRestartsTranscript"/> rather than TorchSharp's:
    /// TorchSharp 0.107 has no <c>CosineAnnealingWarmRestarts</c>.
    /// </summary>
    public bool SchedulerTranscribed => Scheduler == "CosineAnnealingWarmRestarts";

    /// <summary>Optimizer steps recorded: 10, more for the schedulers whose shape needs more steps to show.</summary>
    public int Steps { get; init; } = 10;

    public int StepSize { get; init; }

    public float Gamma { get; init; }

    public int TMax { get; init; }

    /// <summary>CosineAnnealingLR's and CosineAnnealingWarmRestarts' <c>eta_min</c> as a fraction of <see cref="Lr"/> (Keras's <c>alpha</c>).</summary>
    public float EtaMinFraction { get; init; }

    /// <summary>LinearLR's <c>start_factor</c>.</summary>
    public float StartFactor { get; init; }

    /// <summary>LinearLR's <c>end_factor</c>.</summary>
    public float EndFactor { get; init; }

    /// <summary>LinearLR's and PolynomialLR's <c>total_iters</c>.</summary>
    public int TotalIters { get; init; }

    /// <summary>PolynomialLR's <c>power</c>.</summary>
    public float Power { get; init; }

    /// <summary>MultiStepLR's <c>milestones</c>: distinct, because TorchSharp 0.107 multiplies by γ once at a repeated one (PyTorch by γ^count).</summary>
    public int[] Milestones { get; init; } = [];

    /// <summary>CosineAnnealingWarmRestarts' <c>T_0</c>.</summary>
    public int T0 { get; init; }

    /// <summary>CosineAnnealingWarmRestarts' <c>T_mult</c>.</summary>
    public int TMult { get; init; }

    /// <summary>OneCycleLR's <c>total_steps</c>; its <c>max_lr</c> is <see cref="Lr"/>.</summary>
    public int TotalSteps { get; init; }

    /// <summary>OneCycleLR's <c>pct_start</c>.</summary>
    public float PctStart { get; init; }

    /// <summary>OneCycleLR's <c>div_factor</c>.</summary>
    public float DivFactor { get; init; }

    /// <summary>OneCycleLR's <c>final_div_factor</c>.</summary>
    public float FinalDivFactor { get; init; }

    public long Seed { get; init; }

    /// <summary>CosineAnnealingLR's <c>eta_min</c>, in double as our schedule computes it.</summary>
    public double EtaMin => (double)EtaMinFraction * Lr;

    /// <summary>
    /// The cases, in a fixed order; the seed is 2000 + the position, so adding a case at the end changes no
    /// file. Gradient magnitudes vary by step, so that AMSGrad's maximum matters and clipping happens on
    /// some steps but not all.
    /// </summary>
    public static IReadOnlyList<OptimizerCase> All()
    {
        OptimizerCase[] cases =
        [
            new("sgd", "SGD", 0.1f),
            new("sgd_momentum", "SGD", 0.1f) { Momentum = 0.9f },
            new("sgd_nesterov", "SGD", 0.1f) { Momentum = 0.9f, Nesterov = true },
            new("sgd_dampening_weight_decay", "SGD", 0.1f) { Momentum = 0.8f, Dampening = 0.3f, WeightDecay = 0.05f },
            new("adam", "Adam", 0.01f),
            new("adam_amsgrad_weight_decay", "Adam", 0.01f) { Beta1 = 0.8f, Beta2 = 0.99f, Eps = 1e-6f, WeightDecay = 0.1f, AmsGrad = true },
            new("adamw", "AdamW", 0.01f) { WeightDecay = 0.1f },
            new("adamw_amsgrad", "AdamW", 0.01f) { Beta1 = 0.85f, Beta2 = 0.95f, WeightDecay = 0.05f, AmsGrad = true },
            new("rmsprop", "RMSprop", 0.01f),
            new("rmsprop_centered_momentum", "RMSprop", 0.01f) { Alpha = 0.9f, Eps = 1e-6f, Momentum = 0.9f, Centered = true, WeightDecay = 0.05f },
            new("adagrad", "Adagrad", 0.1f) { Eps = 1e-10f },
            new("adagrad_lr_decay_initial_accumulator", "Adagrad", 0.1f) { LrDecay = 0.05f, InitialAccumulatorValue = 0.1f, WeightDecay = 0.02f, Eps = 1e-10f },
            new("sgd_clip_grad_norm", "SGD", 0.1f) { Momentum = 0.9f, Clip = "clip_grad_norm", ClipLimit = 3f },
            new("sgd_clip_grad_norm_per_parameter", "SGD", 0.1f) { Momentum = 0.9f, Clip = "clip_grad_norm_per_parameter", ClipLimit = 2f },
            new("sgd_clip_grad_value", "SGD", 0.1f) { Clip = "clip_grad_value", ClipLimit = 0.5f },
            new("sgd_step_lr", "SGD", 0.1f) { Momentum = 0.9f, Scheduler = "StepLR", StepSize = 3, Gamma = 0.5f },
            new("sgd_exponential_lr", "SGD", 0.1f) { Scheduler = "ExponentialLR", Gamma = 0.8f },
            new("adam_cosine_annealing_lr", "Adam", 0.01f) { Scheduler = "CosineAnnealingLR", TMax = 9, EtaMinFraction = 0.1f },
            new("nadam", "NAdam", 0.01f),
            new("nadam_weight_decay_momentum_decay", "NAdam", 0.01f) { Beta1 = 0.8f, Beta2 = 0.99f, Eps = 1e-6f, WeightDecay = 0.1f, MomentumDecay = 0.01f },
            new("nadam_decoupled_weight_decay", "NAdam", 0.01f) { WeightDecay = 0.1f, DecoupledWeightDecay = true },
            new("radam", "RAdam", 0.01f),
            new("radam_weight_decay", "RAdam", 0.01f) { Beta1 = 0.8f, Beta2 = 0.99f, Eps = 1e-6f, WeightDecay = 0.1f },
            new("radam_decoupled_weight_decay", "RAdam", 0.01f) { WeightDecay = 0.1f, DecoupledWeightDecay = true },
            new("adamax", "Adamax", 0.01f),
            new("adamax_weight_decay", "Adamax", 0.01f) { Beta1 = 0.8f, Beta2 = 0.99f, Eps = 1e-6f, WeightDecay = 0.1f },
            new("adadelta", "Adadelta", 1f) { Eps = 1e-6f },
            new("adadelta_weight_decay", "Adadelta", 0.5f) { Rho = 0.8f, Eps = 1e-5f, WeightDecay = 0.05f },
            new("sgd_linear_lr", "SGD", 0.1f) { Momentum = 0.9f, Scheduler = "LinearLR", StartFactor = 0.25f, EndFactor = 1f, TotalIters = 8, Steps = 16 },
            new("adam_polynomial_lr", "Adam", 0.01f) { Scheduler = "PolynomialLR", TotalIters = 12, Power = 0.9f, Steps = 16 },
            new("sgd_multi_step_lr", "SGD", 0.1f) { Scheduler = "MultiStepLR", Milestones = [2, 5, 11], Gamma = 0.5f, Steps = 16 },
            new("sgd_cosine_annealing_warm_restarts", "SGD", 0.1f) { Momentum = 0.9f, Scheduler = "CosineAnnealingWarmRestarts", T0 = 3, TMult = 2, EtaMinFraction = 0.05f, Steps = 24 },
            new("adam_one_cycle_lr", "Adam", 0.01f) { Scheduler = "OneCycleLR", TotalSteps = 20, PctStart = 0.3f, DivFactor = 25f, FinalDivFactor = 1e4f, Steps = 20 },
        ];
        return [.. cases.Select((c, i) => c with { Seed = 2000 + i })];
    }
}

/// <summary>
/// Runs the optimizer cases through TorchSharp's <c>torch.optim</c> (ports of PyTorch's optimizers, on
/// libtorch), writes one file per case, and checks each trajectory against a float64 implementation of
/// the algorithms as PyTorch documents them.
/// </summary>
internal static class OptimizerGolden
{
    private const double ReferenceTolerance = 1e-5;

    /// <summary>The two parameters of every case: a matrix whose length is a multiple of 16 and a vector whose length is not.</summary>
    private static readonly int[][] Shapes = [[6, 8], [35]];

    /// <summary>Writes <paramref name="c"/> to <paramref name="directory"/> and returns the largest deviation from the float64 reference.</summary>
    public static double Write(OptimizerCase c, string directory)
    {
        var path = Path.Combine(directory, c.Name + ".safetensors");
        var tensors = Run(c);
        SafeTensors.Write(path, tensors, Metadata(c));
        TorchGolden.CheckReadableByPyBridge(path, tensors);
        return CheckAgainstReference(c, path);
    }

    private static List<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> Run(OptimizerCase c)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(c.Seed);
        var initial = Shapes.Select(s => Uniform(s)).ToArray();
        var steps = c.Steps;
        var scales = (torch.rand(steps) * 1.8) + 0.2;
        var grads = Shapes.Select(s => Uniform([steps, .. s]) * scales.view([steps, .. s.Select(_ => 1L)])).ToArray();
        var parameters = initial.Select(t => new TorchParameter(t.clone())).ToArray();
        var transcript = c.Transcribed ? new TorchOptimTranscript(c, parameters) : null;
        var optimizer = c.Transcribed ? null : CreateOptimizer(c, parameters);
        var scheduler = optimizer is null || c.SchedulerTranscribed ? null : CreateScheduler(c, optimizer);
        var restarts = c.SchedulerTranscribed ? new CosineAnnealingWarmRestartsTranscript(c, optimizer!) : null;

        var trajectory = Shapes.Select(_ => new List<Tensor>()).ToArray();
        var clipped = Shapes.Select(_ => new List<Tensor>()).ToArray();
        var learningRates = new List<float>();
        var totalNorms = new List<float>();
        for (var k = 0; k < steps; k++)
        {
            if (transcript is not null)
            {
                transcript.ZeroGrad();
            }
            else
            {
                optimizer!.zero_grad();
            }

            var loss = (parameters[0] * grads[0][k]).sum() + (parameters[1] * grads[1][k]).sum();
            loss.backward();
            switch (c.Clip)
            {
                case "clip_grad_norm":
                    totalNorms.Add((float)nn.utils.clip_grad_norm_(parameters, c.ClipLimit));
                    break;
                case "clip_grad_norm_per_parameter":
                    foreach (var p in parameters)
                    {
                        nn.utils.clip_grad_norm_([p], c.ClipLimit);
                    }

                    break;
                case "clip_grad_value":
                    nn.utils.clip_grad_value_(parameters, c.ClipLimit);
                    break;
            }

            for (var j = 0; j < parameters.Length; j++)
            {
                clipped[j].Add(parameters[j].grad!.detach().clone());
            }

            if (transcript is not null)
            {
                learningRates.Add(c.Lr);
                transcript.Step();
            }
            else
            {
                learningRates.Add((float)optimizer!.ParamGroups.First().LearningRate);
                optimizer.step();
            }

            scheduler?.step();
            restarts?.Step();
            for (var j = 0; j < parameters.Length; j++)
            {
                trajectory[j].Add(parameters[j].detach().clone());
            }
        }

        var tensors = new List<(string, int[], ReadOnlyMemory<float>)>();
        void Add(string name, Tensor t) => tensors.Add((name, [.. t.shape.Select(d => (int)d)], t.detach().contiguous().data<float>().ToArray()));
        for (var j = 0; j < parameters.Length; j++)
        {
            Add($"initial.{j}", initial[j]);
            Add($"grad.{j}", grads[j]);
            if (c.Clip is not null)
            {
                Add($"clipped_grad.{j}", torch.stack(clipped[j]));
            }

            Add($"param.{j}", torch.stack(trajectory[j]));
        }

        if (c.Scheduler is not null)
        {
            Add("lr", torch.tensor(learningRates.ToArray()));
        }

        if (c.Clip == "clip_grad_norm")
        {
            Add("total_norm", torch.tensor(totalNorms.ToArray()));
        }

        return tensors;
    }

    private static Dictionary<string, string> Metadata(OptimizerCase c)
    {
        var m = new Dictionary<string, string>
        {
            ["optimizer"] = c.Optimizer,
            ["steps"] = Invariant(c.Steps),
            ["seed"] = Invariant(c.Seed),
            ["generator"] = TorchGolden.GeneratorDescription,
            ["lr"] = Invariant(c.Lr),
        };
        switch (c.Optimizer)
        {
            case "SGD":
                m["momentum"] = Invariant(c.Momentum);
                m["dampening"] = Invariant(c.Dampening);
                m["nesterov"] = Bool(c.Nesterov);
                m["weight_decay"] = Invariant(c.WeightDecay);
                break;
            case "Adam" or "AdamW":
                m["beta1"] = Invariant(c.Beta1);
                m["beta2"] = Invariant(c.Beta2);
                m["eps"] = Invariant(c.Eps);
                m["weight_decay"] = Invariant(c.WeightDecay);
                m["amsgrad"] = Bool(c.AmsGrad);
                break;
            case "RMSprop":
                m["alpha"] = Invariant(c.Alpha);
                m["eps"] = Invariant(c.Eps);
                m["weight_decay"] = Invariant(c.WeightDecay);
                m["momentum"] = Invariant(c.Momentum);
                m["centered"] = Bool(c.Centered);
                break;
            case "NAdam" or "RAdam" or "Adamax":
                m["beta1"] = Invariant(c.Beta1);
                m["beta2"] = Invariant(c.Beta2);
                m["eps"] = Invariant(c.Eps);
                m["weight_decay"] = Invariant(c.WeightDecay);
                if (c.Optimizer == "NAdam")
                {
                    m["momentum_decay"] = Invariant(c.MomentumDecay);
                }

                if (c.Optimizer != "Adamax")
                {
                    m["decoupled_weight_decay"] = Bool(c.DecoupledWeightDecay);
                }

                break;
            case "Adadelta":
                m["rho"] = Invariant(c.Rho);
                m["eps"] = Invariant(c.Eps);
                m["weight_decay"] = Invariant(c.WeightDecay);
                break;
            case "Adagrad":
                m["lr_decay"] = Invariant(c.LrDecay);
                m["weight_decay"] = Invariant(c.WeightDecay);
                m["initial_accumulator_value"] = Invariant(c.InitialAccumulatorValue);
                m["eps"] = Invariant(c.Eps);
                break;
            default:
                throw new InvalidOperationException($"{c.Name}: unknown optimizer {c.Optimizer}.");
        }

        if (c.Transcribed)
        {
            m["implementation"] = "transcript";
        }

        if (c.Clip is not null)
        {
            m["clip"] = c.Clip;
            m[c.Clip == "clip_grad_value" ? "clip_value" : "max_norm"] = Invariant(c.ClipLimit);
        }

        switch (c.Scheduler)
        {
            case "StepLR":
                m["scheduler"] = c.Scheduler;
                m["step_size"] = Invariant(c.StepSize);
                m["gamma"] = Invariant(c.Gamma);
                break;
            case "ExponentialLR":
                m["scheduler"] = c.Scheduler;
                m["gamma"] = Invariant(c.Gamma);
                break;
            case "CosineAnnealingLR":
                m["scheduler"] = c.Scheduler;
                m["T_max"] = Invariant(c.TMax);
                m["eta_min_fraction"] = Invariant(c.EtaMinFraction);
                break;
            case "LinearLR":
                m["scheduler"] = c.Scheduler;
                m["start_factor"] = Invariant(c.StartFactor);
                m["end_factor"] = Invariant(c.EndFactor);
                m["total_iters"] = Invariant(c.TotalIters);
                break;
            case "PolynomialLR":
                m["scheduler"] = c.Scheduler;
                m["total_iters"] = Invariant(c.TotalIters);
                m["power"] = Invariant(c.Power);
                break;
            case "MultiStepLR":
                m["scheduler"] = c.Scheduler;
                m["milestones"] = string.Join(",", c.Milestones.Select(x => Invariant(x)));
                m["gamma"] = Invariant(c.Gamma);
                break;
            case "CosineAnnealingWarmRestarts":
                m["scheduler"] = c.Scheduler;
                m["scheduler_implementation"] = "transcript";
                m["T_0"] = Invariant(c.T0);
                m["T_mult"] = Invariant(c.TMult);
                m["eta_min_fraction"] = Invariant(c.EtaMinFraction);
                break;
            case "OneCycleLR":
                m["scheduler"] = c.Scheduler;
                m["total_steps"] = Invariant(c.TotalSteps);
                m["pct_start"] = Invariant(c.PctStart);
                m["div_factor"] = Invariant(c.DivFactor);
                m["final_div_factor"] = Invariant(c.FinalDivFactor);
                m["anneal_strategy"] = "cos";
                m["cycle_momentum"] = "false";
                m["three_phase"] = "false";
                break;
        }

        return m;
    }

    private static optim.Optimizer CreateOptimizer(OptimizerCase c, TorchParameter[] p) => c.Optimizer switch
    {
        "SGD" => optim.SGD(p, learningRate: c.Lr, momentum: c.Momentum, dampening: c.Dampening, weight_decay: c.WeightDecay, nesterov: c.Nesterov),
        "Adam" => optim.Adam(p, lr: c.Lr, beta1: c.Beta1, beta2: c.Beta2, eps: c.Eps, weight_decay: c.WeightDecay, amsgrad: c.AmsGrad),
        "AdamW" => optim.AdamW(p, lr: c.Lr, beta1: c.Beta1, beta2: c.Beta2, eps: c.Eps, weight_decay: c.WeightDecay, amsgrad: c.AmsGrad),
        "RMSprop" => optim.RMSProp(p, lr: c.Lr, alpha: c.Alpha, eps: c.Eps, weight_decay: c.WeightDecay, momentum: c.Momentum, centered: c.Centered),
        "Adagrad" => optim.Adagrad(p, lr: c.Lr, lr_decay: c.LrDecay, weight_decay: c.WeightDecay, initial_accumulator_value: c.InitialAccumulatorValue, eps: c.Eps),
        "NAdam" => optim.NAdam(p, lr: c.Lr, beta1: c.Beta1, beta2: c.Beta2, eps: c.Eps, weight_decay: c.WeightDecay, momentum_decay: c.MomentumDecay),
        "RAdam" => optim.RAdam(p, lr: c.Lr, beta1: c.Beta1, beta2: c.Beta2, eps: c.Eps, weight_decay: c.WeightDecay),
        "Adamax" => optim.Adamax(p, lr: c.Lr, beta1: c.Beta1, beta2: c.Beta2, eps: c.Eps, weight_decay: c.WeightDecay),
        "Adadelta" => optim.Adadelta(p, lr: c.Lr, rho: c.Rho, eps: c.Eps, weight_decay: c.WeightDecay),
        _ => throw new InvalidOperationException($"{c.Name}: unknown optimizer {c.Optimizer}."),
    };

    private static optim.lr_scheduler.LRScheduler? CreateScheduler(OptimizerCase c, optim.Optimizer optimizer) => c.Scheduler switch
    {
        null => null,
        "StepLR" => optim.lr_scheduler.StepLR(optimizer, c.StepSize, c.Gamma),
        "ExponentialLR" => optim.lr_scheduler.ExponentialLR(optimizer, c.Gamma),
        "CosineAnnealingLR" => optim.lr_scheduler.CosineAnnealingLR(optimizer, c.TMax, c.EtaMin),
        "LinearLR" => optim.lr_scheduler.LinearLR(optimizer, start_factor: c.StartFactor, end_factor: c.EndFactor, total_iters: c.TotalIters),
        "PolynomialLR" => optim.lr_scheduler.PolynomialLR(optimizer, total_iters: c.TotalIters, power: c.Power),
        "MultiStepLR" => optim.lr_scheduler.MultiStepLR(optimizer, c.Milestones, c.Gamma),
        "OneCycleLR" => optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr: c.Lr, total_steps: c.TotalSteps, pct_start: c.PctStart, cycle_momentum: false, div_factor: c.DivFactor, final_div_factor: c.FinalDivFactor),
        _ => throw new InvalidOperationException($"{c.Name}: unknown scheduler {c.Scheduler}."),
    };

    /// <summary>
    /// Replays the file (read back with our reader) with the float64 reference and returns the largest
    /// |PyTorch - reference| / max(1, |reference|) over parameters, clipped gradients and learning rates.
    /// </summary>
    private static double CheckAgainstReference(OptimizerCase c, string path)
    {
        var file = SafeTensors.Read(path);
        double[] Read(string name) => Array.ConvertAll(file[name].Data, v => (double)v);
        var parameters = Enumerable.Range(0, Shapes.Length).Select(j => Read($"initial.{j}")).ToArray();
        var allGrads = Enumerable.Range(0, Shapes.Length).Select(j => Read($"grad.{j}")).ToArray();
        var reference = new ReferenceOptimizer(c, parameters.Select(p => p.Length).ToArray());
        var worst = 0.0;
        void Compare(string what, ReadOnlySpan<double> expected, ReadOnlySpan<double> actual)
        {
            for (var i = 0; i < expected.Length; i++)
            {
                var error = Math.Abs(actual[i] - expected[i]) / Math.Max(1, Math.Abs(expected[i]));
                if (!(error <= ReferenceTolerance))
                {
                    throw new InvalidOperationException($"{c.Name}: {what}[{i}] is {actual[i]} in PyTorch but {expected[i]} in the float64 reference.");
                }

                worst = Math.Max(worst, error);
            }
        }

        var steps = c.Steps;
        for (var k = 0; k < steps; k++)
        {
            var grads = allGrads.Select(g => g.AsSpan(k * g.Length / steps, g.Length / steps).ToArray()).ToArray();
            reference.Clip(grads);
            var lr = reference.LearningRate(k);
            if (c.Scheduler is not null)
            {
                Compare($"lr (step {k})", [lr], [file["lr"].Data[k]]);
            }

            for (var j = 0; j < parameters.Length; j++)
            {
                if (c.Clip is not null)
                {
                    Compare($"clipped_grad.{j} (step {k})", grads[j], Read($"clipped_grad.{j}").AsSpan(k * grads[j].Length, grads[j].Length));
                }

                reference.Update(j, parameters[j], grads[j], lr);
                Compare($"param.{j} (step {k})", parameters[j], Read($"param.{j}").AsSpan(k * parameters[j].Length, parameters[j].Length));
            }

            reference.EndStep();
        }

        return worst;
    }

    private static Tensor Uniform(long[] shape) => ((torch.rand(shape) * 2) - 1).detach();

    private static Tensor Uniform(int[] shape) => Uniform(shape.Select(d => (long)d).ToArray());

    private static string Invariant(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Bool(bool value) => value ? "true" : "false";

    /// <summary>The algorithms of PyTorch's documentation (torch.optim), clipping and schedulers, in float64.</summary>
    private sealed class ReferenceOptimizer(OptimizerCase c, int[] lengths)
    {
        private readonly double[][] _m = [.. lengths.Select(n => new double[n])];
        private readonly double[][] _v = [.. lengths.Select(n => Enumerable.Repeat((double)c.InitialAccumulatorValue, n).ToArray())];
        private readonly double[][] _vMax = [.. lengths.Select(n => new double[n])];
        private readonly double[][] _buffer = [.. lengths.Select(n => new double[n])];
        private readonly double[] _muProduct = [.. lengths.Select(_ => 1.0)];
        private int _t = 1;

        public void Clip(double[][] grads)
        {
            switch (c.Clip)
            {
                case "clip_grad_value":
                    foreach (var g in grads)
                    {
                        for (var i = 0; i < g.Length; i++)
                        {
                            g[i] = Math.Clamp(g[i], -c.ClipLimit, c.ClipLimit);
                        }
                    }

                    break;
                case "clip_grad_norm":
                    Scale(grads, Math.Sqrt(grads.Sum(g => g.Sum(x => x * x))));
                    break;
                case "clip_grad_norm_per_parameter":
                    foreach (var g in grads)
                    {
                        Scale([g], Math.Sqrt(g.Sum(x => x * x)));
                    }

                    break;
            }

            void Scale(double[][] gs, double norm)
            {
                var coefficient = Math.Min(1, c.ClipLimit / (norm + 1e-6));
                foreach (var g in gs)
                {
                    for (var i = 0; i < g.Length; i++)
                    {
                        g[i] *= coefficient;
                    }
                }
            }
        }

        public double LearningRate(int k) => c.Scheduler switch
        {
            "StepLR" => c.Lr * Math.Pow(c.Gamma, k / c.StepSize),
            "ExponentialLR" => c.Lr * Math.Pow(c.Gamma, k),
            "CosineAnnealingLR" => c.EtaMin + ((c.Lr - c.EtaMin) * (1 + Math.Cos(Math.PI * k / c.TMax)) / 2),
            "LinearLR" => c.Lr * (c.StartFactor + ((c.EndFactor - (double)c.StartFactor) * Math.Min(k, c.TotalIters) / c.TotalIters)),
            "PolynomialLR" => c.Lr * Math.Pow(1 - ((double)Math.Min(k, c.TotalIters) / c.TotalIters), c.Power),
            "MultiStepLR" => c.Lr * Math.Pow(c.Gamma, c.Milestones.Count(m => m <= k)),
            "CosineAnnealingWarmRestarts" => WarmRestart(k),
            "OneCycleLR" => OneCycle(k),
            _ => c.Lr,
        };

        /// <summary>SGDR as its paper states it: cycle i lasts T_0·T_mult^i steps and anneals from lr to eta_min along a half cosine.</summary>
        private double WarmRestart(int k)
        {
            var (start, length) = (0, c.T0);
            while (k >= start + length)
            {
                (start, length) = (start + length, length * c.TMult);
            }

            return c.EtaMin + ((c.Lr - c.EtaMin) * (1 + Math.Cos(Math.PI * (k - start) / length)) / 2);
        }

        /// <summary>The two-phase 1cycle policy with cosine annealing: lr/div → lr over steps 0..pct·N - 1, then → lr/(div·final_div) at step N - 1.</summary>
        private double OneCycle(int k)
        {
            var (initial, peakStep) = ((double)c.Lr / c.DivFactor, ((double)c.PctStart * c.TotalSteps) - 1);
            var minimum = initial / c.FinalDivFactor;
            static double Anneal(double from, double to, double x) => to + ((from - to) * (1 + Math.Cos(Math.PI * x)) / 2);
            return k <= peakStep ? Anneal(initial, c.Lr, k / peakStep) : Anneal(c.Lr, minimum, (k - peakStep) / (c.TotalSteps - 1 - peakStep));
        }

        public void Update(int j, double[] theta, double[] g, double lr)
        {
            var (m, v, vMax, b) = (_m[j], _v[j], _vMax[j], _buffer[j]);
            var (mu, muNext) = (Mu(_t), Mu(_t + 1));
            _muProduct[j] *= mu;
            var decoupled = c.Optimizer == "AdamW" || c.DecoupledWeightDecay;
            for (var i = 0; i < theta.Length; i++)
            {
                var grad = g[i];
                if (!decoupled)
                {
                    grad += c.WeightDecay * theta[i];
                }
                else if (c.Optimizer is "NAdam" or "RAdam")
                {
                    theta[i] *= 1 - (lr * c.WeightDecay);
                }

                switch (c.Optimizer)
                {
                    case "SGD":
                        if (c.Momentum != 0)
                        {
                            b[i] = _t == 1 ? grad : (c.Momentum * b[i]) + ((1 - c.Dampening) * grad);
                            grad = c.Nesterov ? grad + (c.Momentum * b[i]) : b[i];
                        }

                        theta[i] -= lr * grad;
                        break;
                    case "Adam" or "AdamW":
                        if (c.Optimizer == "AdamW")
                        {
                            theta[i] *= 1 - (lr * c.WeightDecay);
                        }

                        m[i] = (c.Beta1 * m[i]) + ((1 - c.Beta1) * grad);
                        v[i] = (c.Beta2 * v[i]) + ((1 - c.Beta2) * grad * grad);
                        vMax[i] = Math.Max(vMax[i], v[i]);
                        var second = c.AmsGrad ? vMax[i] : v[i];
                        var mHat = m[i] / (1 - Math.Pow(c.Beta1, _t));
                        var vHat = second / (1 - Math.Pow(c.Beta2, _t));
                        theta[i] -= lr * mHat / (Math.Sqrt(vHat) + c.Eps);
                        break;
                    case "RMSprop":
                        v[i] = (c.Alpha * v[i]) + ((1 - c.Alpha) * grad * grad);
                        var mean = v[i];
                        if (c.Centered)
                        {
                            m[i] = (c.Alpha * m[i]) + ((1 - c.Alpha) * grad);
                            mean -= m[i] * m[i];
                        }

                        var normalized = grad / (Math.Sqrt(mean) + c.Eps);
                        if (c.Momentum > 0)
                        {
                            b[i] = (c.Momentum * b[i]) + normalized;
                            normalized = b[i];
                        }

                        theta[i] -= lr * normalized;
                        break;
                    case "Adagrad":
                        v[i] += grad * grad;
                        theta[i] -= lr / (1 + ((_t - 1) * c.LrDecay)) * grad / (Math.Sqrt(v[i]) + c.Eps);
                        break;
                    case "NAdam":
                        m[i] = (c.Beta1 * m[i]) + ((1 - c.Beta1) * grad);
                        v[i] = (c.Beta2 * v[i]) + ((1 - c.Beta2) * grad * grad);
                        var nesterov = (muNext * m[i] / (1 - (_muProduct[j] * muNext))) + ((1 - mu) * grad / (1 - _muProduct[j]));
                        theta[i] -= lr * nesterov / (Math.Sqrt(v[i] / (1 - Math.Pow(c.Beta2, _t))) + c.Eps);
                        break;
                    case "RAdam":
                        m[i] = (c.Beta1 * m[i]) + ((1 - c.Beta1) * grad);
                        v[i] = (c.Beta2 * v[i]) + ((1 - c.Beta2) * grad * grad);
                        var corrected = m[i] / (1 - Math.Pow(c.Beta1, _t));
                        var rhoInf = (2 / (1 - (double)c.Beta2)) - 1;
                        var rhoT = rhoInf - (2 * _t * Math.Pow(c.Beta2, _t) / (1 - Math.Pow(c.Beta2, _t)));
                        if (rhoT > 5)
                        {
                            var adaptive = Math.Sqrt(1 - Math.Pow(c.Beta2, _t)) / (Math.Sqrt(v[i]) + c.Eps);
                            var rect = Math.Sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
                            theta[i] -= lr * corrected * adaptive * rect;
                        }
                        else
                        {
                            theta[i] -= lr * corrected;
                        }

                        break;
                    case "Adamax":
                        m[i] = (c.Beta1 * m[i]) + ((1 - c.Beta1) * grad);
                        v[i] = Math.Max(c.Beta2 * v[i], Math.Abs(grad) + c.Eps);
                        theta[i] -= lr * m[i] / ((1 - Math.Pow(c.Beta1, _t)) * v[i]);
                        break;
                    case "Adadelta":
                        v[i] = (c.Rho * v[i]) + ((1 - c.Rho) * grad * grad);
                        var delta = Math.Sqrt(m[i] + c.Eps) / Math.Sqrt(v[i] + c.Eps) * grad;
                        m[i] = (c.Rho * m[i]) + ((1 - c.Rho) * delta * delta);
                        theta[i] -= lr * delta;
                        break;
                }
            }
        }

        /// <summary>NAdam's momentum μₜ = β₁·(1 - ½·0.96^(t·ψ)).</summary>
        private double Mu(int t) => c.Beta1 * (1 - (0.5 * Math.Pow(0.96, t * (double)c.MomentumDecay)));

        public void EndStep() => _t++;
    }
}
