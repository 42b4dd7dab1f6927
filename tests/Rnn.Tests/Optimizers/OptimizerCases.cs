using Rnn.Layers;
using Rnn.Optimizers;

namespace Rnn.Tests.Optimizers;

/// <summary>
/// Optimizer configurations covering every option (and both branches of PyTorch's <c>lerp</c>: β₁ and
/// α below 0.5 take the other one), with and without clipping and schedules, and helpers to drive them.
/// </summary>
public static class OptimizerCases
{
    private static readonly Dictionary<string, Func<Optimizer>> Factories = new()
    {
        ["sgd"] = () => new Sgd(0.1f),
        ["sgd_momentum_nesterov_weight_decay"] = () => new Sgd(0.1f, momentum: 0.9f, nesterov: true, weightDecay: 0.01f),
        ["sgd_momentum_dampening"] = () => new Sgd(0.05f, momentum: 0.8f, dampening: 0.5f),
        ["adam"] = () => new Adam(0.01f),
        ["adam_amsgrad_weight_decay_low_beta1"] = () => new Adam(0.01f, beta1: 0.3f, beta2: 0.9f, epsilon: 1e-6f, weightDecay: 0.1f, amsgrad: true),
        ["adamw"] = () => new AdamW(0.01f),
        ["adamw_amsgrad"] = () => new AdamW(0.02f, beta1: 0.8f, weightDecay: 0.2f, amsgrad: true),
        ["rmsprop"] = () => new RmsProp(0.01f),
        ["rmsprop_momentum"] = () => new RmsProp(0.01f, momentum: 0.5f),
        ["rmsprop_centered_low_alpha_weight_decay"] = () => new RmsProp(0.01f, alpha: 0.4f, centered: true, weightDecay: 0.1f),
        ["rmsprop_centered_momentum"] = () => new RmsProp(0.005f, alpha: 0.9f, epsilon: 1e-6f, momentum: 0.9f, centered: true),
        ["adagrad"] = () => new Adagrad(0.1f),
        ["adagrad_every_option"] = () => new Adagrad(0.1f, lrDecay: 0.1f, weightDecay: 0.05f, initialAccumulatorValue: 0.5f, epsilon: 1e-3f),
        ["nadam"] = () => new NAdam(0.01f),
        ["nadam_weight_decay_low_beta1"] = () => new NAdam(0.01f, beta1: 0.3f, beta2: 0.9f, epsilon: 1e-6f, weightDecay: 0.1f, momentumDecay: 0.02f),
        ["nadam_decoupled_weight_decay"] = () => new NAdam(0.02f, beta1: 0.8f, weightDecay: 0.2f, decoupledWeightDecay: true),
        ["radam"] = () => new RAdam(0.01f),
        ["radam_weight_decay_low_beta1"] = () => new RAdam(0.01f, beta1: 0.3f, beta2: 0.9f, epsilon: 1e-6f, weightDecay: 0.1f),
        ["radam_decoupled_weight_decay"] = () => new RAdam(0.02f, beta2: 0.99f, weightDecay: 0.2f, decoupledWeightDecay: true),
        ["adamax"] = () => new Adamax(0.01f),
        ["adamax_weight_decay_low_beta1"] = () => new Adamax(0.01f, beta1: 0.3f, beta2: 0.9f, epsilon: 1e-6f, weightDecay: 0.1f),
        ["adadelta"] = () => new Adadelta(),
        ["adadelta_weight_decay"] = () => new Adadelta(0.5f, rho: 0.8f, epsilon: 1e-5f, weightDecay: 0.05f),
        ["sgd_clip_value_step_decay"] = () => new Sgd(0.1f, momentum: 0.9f) { ClipValue = 0.3f, Schedule = new StepDecay(3, 0.5f) },
        ["adam_global_clip_norm_cosine_decay"] = () => new Adam(0.02f) { GlobalClipNorm = 1.5f, Schedule = new CosineDecay(8, 0.1f) },
        ["rmsprop_clip_norm_exponential_decay"] = () => new RmsProp(0.01f, momentum: 0.3f) { ClipNorm = 1f, Schedule = new ExponentialDecay(4, 0.5f, staircase: false) },
        ["adagrad_global_clip_norm_staircase"] = () => new Adagrad(0.1f, lrDecay: 0.01f) { GlobalClipNorm = 2f, Schedule = new ExponentialDecay(2, 0.7f, staircase: true) },
        ["nadam_clip_value_cosine_decay"] = () => new NAdam(0.02f) { ClipValue = 0.5f, Schedule = new CosineDecay(10, 0.1f) },
        ["radam_global_clip_norm_step_decay"] = () => new RAdam(0.02f) { GlobalClipNorm = 1.5f, Schedule = new StepDecay(4, 0.5f) },
        ["adamax_clip_norm_exponential_decay"] = () => new Adamax(0.02f) { ClipNorm = 1f, Schedule = new ExponentialDecay(4, 0.5f, staircase: false) },
        ["adadelta_clip_value_step_decay"] = () => new Adadelta(1f) { ClipValue = 0.3f, Schedule = new StepDecay(3, 0.5f) },
        ["sgd_momentum_one_cycle"] = () => new Sgd(0.1f, momentum: 0.9f) { Schedule = new OneCycle(20, pctStart: 0.25f) },
        ["adam_cosine_decay_warmup"] = () => new Adam(0.02f) { Schedule = new CosineDecay(12, 0.1f, warmupSteps: 5) },
        ["adamw_cosine_decay_restarts"] = () => new AdamW(0.02f) { Schedule = new CosineDecayRestarts(3, tMul: 2f, mMul: 0.8f, alpha: 0.05f) },
        ["rmsprop_polynomial_decay_cycle"] = () => new RmsProp(0.01f) { Schedule = new PolynomialDecay(6, endFactor: 0.1f, power: 2f, cycle: true) },
        ["nadam_linear_schedule"] = () => new NAdam(0.02f) { Schedule = new LinearSchedule(0.1f, 1f, 8) },
        ["radam_piecewise_constant_decay"] = () => new RAdam(0.02f) { Schedule = new PiecewiseConstantDecay([4, 9], [1f, 0.4f, 0.1f]) },
        ["adamax_multi_step_decay"] = () => new Adamax(0.02f) { Schedule = new MultiStepDecay([3, 7, 7], 0.5f) },
        ["adagrad_inverse_time_decay"] = () => new Adagrad(0.1f) { Schedule = new InverseTimeDecay(4, 0.5f, staircase: true) },
    };

    /// <summary>The case names.</summary>
    public static TheoryData<string> Names() => [.. Factories.Keys];

    /// <summary>A new optimizer of the case <paramref name="name"/>.</summary>
    public static Optimizer Create(string name) => Factories[name]();

    /// <summary>Parameters of lengths 1, 7, 16 (a full vector) and 37 (vectors and a tail), uniform(-1, 1).</summary>
    public static Parameter[] CreateParameters(Random random)
    {
        int[][] shapes = [[1], [7], [4, 4], [37]];
        return [.. shapes.Select((shape, j) =>
        {
            var parameter = new Parameter($"p{j}", shape);
            parameter.Assign(TestUtil.ToFloats(TestUtil.RandomArray(random, parameter.Length)));
            return parameter;
        })];
    }

    /// <summary>Copies of <paramref name="parameters"/>: same names, shapes and values; gradients zero.</summary>
    public static Parameter[] Copy(Parameter[] parameters)
        => [.. parameters.Select(p =>
        {
            var copy = new Parameter(p.Name, [.. p.Shape]);
            copy.Assign(p.Data);
            return copy;
        })];

    /// <summary>
    /// Gradients for <paramref name="steps"/> steps: uniform(-1, 1) times a per-step scale in [0.1, 3]
    /// (so that clipping bites on some steps only), one array per step and parameter.
    /// </summary>
    public static float[][][] Gradients(Random random, Parameter[] parameters, int steps)
        => [.. Enumerable.Range(0, steps).Select(_ =>
        {
            var scale = 0.1 + (2.9 * random.NextDouble());
            return parameters.Select(p => TestUtil.ToFloats(TestUtil.RandomArray(random, p.Length, scale))).ToArray();
        })];

    /// <summary>Writes <paramref name="gradients"/> into the parameters' gradient buffers and takes one step.</summary>
    public static void Step(Optimizer optimizer, Parameter[] parameters, float[][] gradients)
    {
        for (var j = 0; j < parameters.Length; j++)
        {
            gradients[j].CopyTo(parameters[j].Grad, 0);
        }

        optimizer.Step(parameters);
    }
}
