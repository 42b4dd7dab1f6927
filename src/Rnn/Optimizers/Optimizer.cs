using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Rnn.Kernels;
using Rnn.Layers;

namespace Rnn.Optimizers;

/// <summary>
/// Updates parameters from their accumulated gradients with PyTorch's update rules (<c>torch.optim</c>).
/// <see cref="Step"/> applies one update to every parameter given and marks each as modified; it does not
/// zero the gradients (the training loop does, before each backward pass, like PyTorch's <c>zero_grad</c>).
/// </summary>
/// <remarks>
/// <para>One <see cref="Step"/>, in order:</para>
/// <list type="number">
/// <item>The learning rate of the step, <see cref="CurrentLearningRate"/>:
/// <c>Schedule.Rate(Iterations, LearningRate)</c>, or <see cref="LearningRate"/> without a schedule.</item>
/// <item>Gradient clipping, in place, when one of <see cref="ClipValue"/>, <see cref="ClipNorm"/> or
/// <see cref="GlobalClipNorm"/> is set (as <c>torch.nn.utils.clip_grad_value_</c> /
/// <c>clip_grad_norm_</c> before <c>optimizer.step()</c>).</item>
/// <item>Each parameter's update by the optimizer's rule, from its gradient and its own state (moment
/// estimates, created at its first update, and its own update count, as PyTorch keeps per parameter).</item>
/// <item><see cref="Iterations"/> grows by one.</item>
/// </list>
/// <para>
/// Arithmetic is float32 in the operation order of PyTorch's single-tensor (<c>foreach=False</c>)
/// implementations, so trajectories agree with PyTorch's to about an ulp (libtorch's x86 square root is
/// not correctly rounded; ours is). Scalars derived from hyperparameters (bias corrections, step sizes)
/// are computed in double precision as PyTorch computes them in Python floats. The hyperparameters
/// themselves are float32: PyTorch given the same float32 values (for example <c>lr=0.0010000000474974513</c>
/// for <c>0.001f</c>) runs the same arithmetic.
/// </para>
/// <para>
/// A step allocates nothing once every parameter has its state (and temporaries as long as the largest
/// parameter exist). An optimizer is not thread-safe; one optimizer serves one set of parameters, each
/// given once per step, in a fixed order from call to call (the order <see cref="GetState"/> indexes).
/// </para>
/// </remarks>
public abstract class Optimizer
{
    /// <summary>The key of <see cref="Iterations"/> in <see cref="GetState"/>.</summary>
    public const string IterationsKey = "iterations";

    /// <summary>The per-parameter key of the parameter's own update count in <see cref="GetState"/>: <c>"{index}.step"</c>.</summary>
    public const string StepKey = "step";

    /// <summary>Temporaries of one parameter's update: <see cref="ScratchCount"/> spans as long as the parameter.</summary>
    internal const int ScratchCount = 3;

    /// <summary>The largest count <see cref="SetState"/> accepts (2⁶²), far from where a long would overflow.</summary>
    private const float MaxCount = 1L << 62;

    private readonly Dictionary<Parameter, ParameterState> _states = new(ReferenceEqualityComparer.Instance);
    private float[] _scratch = [];
    private AdamKernel.Job? _adamJob;
    private float _learningRate;
    private float? _clipValue;
    private float? _clipNorm;
    private float? _globalClipNorm;

    /// <summary>Creates an optimizer with a base learning rate.</summary>
    /// <param name="name">The Keras name: <c>sgd</c>, <c>adam</c>, ...</param>
    /// <param name="learningRate">The step size, &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">The learning rate is not a positive finite number.</exception>
    private protected Optimizer(string name, float learningRate)
    {
        Name = name;
        LearningRate = learningRate;
    }

    /// <summary>
    /// The optimizer's Keras name (<c>sgd</c>, <c>adam</c>, <c>adamw</c>, <c>rmsprop</c>, <c>adagrad</c>,
    /// <c>nadam</c>, <c>radam</c>, <c>adamax</c>, <c>adadelta</c>):
    /// with <see cref="GetConfig"/>, what <see cref="FromConfig"/> rebuilds it from.
    /// </summary>
    public string Name { get; }

    /// <summary>
    /// The base learning rate η. Without a <see cref="Schedule"/> it is the step size of every update; with
    /// one, the schedule scales it. Settable at any time (a callback such as ReduceLROnPlateau lowers it).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value that is not a positive finite number.</exception>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value > 0f) || float.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"{Owner} expects a positive, finite learning rate but received {Show(value)}.");
            }

            _learningRate = value;
        }
    }

    /// <summary>
    /// The learning-rate schedule, or null for a constant <see cref="LearningRate"/>. The schedule counts
    /// optimizer steps, as Keras's schedules do (not epochs): step k (0 for the first) uses
    /// <c>Schedule.Rate(k, LearningRate)</c>. That equals a PyTorch scheduler whose <c>scheduler.step()</c>
    /// is called after every <c>optimizer.step()</c>.
    /// </summary>
    public LearningRateSchedule? Schedule { get; set; }

    /// <summary>
    /// The learning rate the next <see cref="Step"/> uses: <c>Schedule.Rate(Iterations, LearningRate)</c>,
    /// or <see cref="LearningRate"/> without a schedule.
    /// </summary>
    public float CurrentLearningRate => Schedule is { } schedule ? schedule.Rate(Iterations, LearningRate) : LearningRate;

    /// <summary>Number of <see cref="Step"/> calls so far (Keras's <c>optimizer.iterations</c>).</summary>
    public long Iterations { get; private set; }

    /// <summary>
    /// When set to v, every gradient element is clipped to [-v, v] before the update (Keras's
    /// <c>clipvalue</c>; PyTorch's <c>torch.nn.utils.clip_grad_value_(parameters, v)</c>).
    /// At most one of <see cref="ClipValue"/>, <see cref="ClipNorm"/> and <see cref="GlobalClipNorm"/> may be
    /// set, as in Keras.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value that is not a positive finite number.</exception>
    /// <exception cref="InvalidOperationException">Set while another clipping option is set.</exception>
    public float? ClipValue
    {
        get => _clipValue;
        set => _clipValue = ValidateClip(value, nameof(ClipValue));
    }

    /// <summary>
    /// When set to c, each parameter's gradient g is scaled by
    /// <c>min(1, c / (‖g‖₂ + 1e-6))</c> before the update: PyTorch's
    /// <c>torch.nn.utils.clip_grad_norm_([p], c)</c> applied to each parameter alone. Keras's <c>clipnorm</c>
    /// scales by <c>c / max(‖g‖₂, c)</c>, which differs only by the 1e-6.
    /// At most one clipping option may be set.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value that is not a positive finite number.</exception>
    /// <exception cref="InvalidOperationException">Set while another clipping option is set.</exception>
    public float? ClipNorm
    {
        get => _clipNorm;
        set => _clipNorm = ValidateClip(value, nameof(ClipNorm));
    }

    /// <summary>
    /// When set to c, all gradients are scaled by one factor <c>min(1, c / (‖g‖ + 1e-6))</c>, where ‖g‖ is
    /// the L2 norm of all parameters' gradients together: PyTorch's
    /// <c>torch.nn.utils.clip_grad_norm_(parameters, c)</c>, with the factor computed in float32 as Python
    /// computes it (<c>(1 / (‖g‖ + 1e-6)) · c</c>) and ‖g‖ summed in double precision and rounded once
    /// (libtorch sums in float32, so its ‖g‖ can differ by an ulp). Keras's <c>global_clipnorm</c> scales by
    /// <c>c / max(‖g‖, c)</c>. At most one clipping option may be set.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value that is not a positive finite number.</exception>
    /// <exception cref="InvalidOperationException">Set while another clipping option is set.</exception>
    public float? GlobalClipNorm
    {
        get => _globalClipNorm;
        set => _globalClipNorm = ValidateClip(value, nameof(GlobalClipNorm));
    }

    /// <summary>"Optimizer 'name'", the start of every error message.</summary>
    private protected string Owner => $"Optimizer '{Name}'";

    /// <summary>
    /// The names of the state each parameter keeps, PyTorch's (<c>exp_avg</c>, <c>momentum_buffer</c>, ...),
    /// each an array as long as the parameter; empty when the optimizer keeps none (plain SGD).
    /// </summary>
    private protected abstract IReadOnlyList<string> StateNames { get; }

    /// <summary>
    /// The scalars each parameter keeps besides its update count (NAdam's <c>mu_product</c>), PyTorch's
    /// names; empty by default. Kept only when <see cref="StateNames"/> is not empty.
    /// </summary>
    private protected virtual IReadOnlyList<ScalarState> ScalarStates => [];

    /// <summary>
    /// Rebuilds an optimizer from its <see cref="Name"/> and <see cref="GetConfig"/>, as a model file stores
    /// it: hyperparameters, clipping and schedule. Missing keys take the defaults. State (moments, counts)
    /// is not config: restore it with <see cref="SetState"/>.
    /// </summary>
    /// <param name="name">The optimizer's name (<c>sgd</c>, <c>adam</c>, <c>adamw</c>, <c>rmsprop</c>, <c>adagrad</c>, <c>nadam</c>, <c>radam</c>, <c>adamax</c>, <c>adadelta</c>).</param>
    /// <param name="config">Its settings as <see cref="GetConfig"/> gives them; null for all defaults.</param>
    /// <returns>A new optimizer.</returns>
    /// <exception cref="ArgumentException">
    /// The name is unknown; the config has an unknown key, a malformed value, a value out of range
    /// (<see cref="ArgumentOutOfRangeException"/>), or more than one clipping option.
    /// </exception>
    public static Optimizer FromConfig(string name, IReadOnlyDictionary<string, string>? config = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var reader = new ConfigReader($"Optimizer '{name}'", config, nameof(config));
        Optimizer optimizer = name switch
        {
            "sgd" => Sgd.FromConfig(reader),
            "adam" => Adam.FromConfig(reader),
            "adamw" => AdamW.FromConfig(reader),
            "rmsprop" => RmsProp.FromConfig(reader),
            "adagrad" => Adagrad.FromConfig(reader),
            "nadam" => NAdam.FromConfig(reader),
            "radam" => RAdam.FromConfig(reader),
            "adamax" => Adamax.FromConfig(reader),
            "adadelta" => Adadelta.FromConfig(reader),
            _ => throw new ArgumentException($"Unknown optimizer '{name}'. Known optimizers: sgd, adam, adamw, rmsprop, adagrad, nadam, radam, adamax, adadelta.", nameof(name)),
        };
        string[] clipKeys = ["clipvalue", "clipnorm", "global_clipnorm"];
        var clipping = clipKeys.Where(k => reader.Text(k) is not null).ToList();
        if (clipping.Count > 1)
        {
            throw new ArgumentException($"Optimizer '{name}' has {string.Join(" and ", clipping)}; at most one clipping option may be set.", nameof(config));
        }

        optimizer.ClipValue = reader.OptionalFloat("clipvalue");
        optimizer.ClipNorm = reader.OptionalFloat("clipnorm");
        optimizer.GlobalClipNorm = reader.OptionalFloat("global_clipnorm");
        var schedule = reader.Text("schedule");
        var scheduleConfig = reader.WithPrefix("schedule.");
        if (schedule is not null)
        {
            optimizer.Schedule = LearningRateSchedule.FromConfig(schedule, scheduleConfig);
        }
        else if (scheduleConfig.Count > 0)
        {
            throw new ArgumentException($"Optimizer '{name}' has schedule settings ({string.Join(", ", scheduleConfig.Keys.Select(k => "schedule." + k))}) but no 'schedule'.", nameof(config));
        }

        reader.ThrowIfUnknownKeys();
        return optimizer;
    }

    /// <summary>
    /// Applies one update to every parameter from its gradient, then marks it modified (see the remarks on
    /// <see cref="Optimizer"/> for the order of clipping, learning rate and update).
    /// </summary>
    /// <param name="parameters">The parameters to update, each once, in a fixed order from call to call.</param>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> or one of them is null.</exception>
    /// <exception cref="InvalidOperationException">The schedule returned a negative or non-finite learning rate.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Step(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        for (var i = 0; i < parameters.Count; i++)
        {
            if (parameters[i] is null)
            {
                throw new ArgumentNullException(nameof(parameters), $"{Owner}: parameter {i} of {parameters.Count} is null.");
            }
        }

        var learningRate = CurrentLearningRate;
        if (!(learningRate >= 0f) || float.IsInfinity(learningRate))
        {
            throw new InvalidOperationException(
                $"{Owner}: schedule '{Schedule?.Name}' gave the learning rate {Show(learningRate)} at step {Iterations}; a schedule must give a finite rate >= 0.");
        }

        ClipGradients(parameters);
        for (var i = 0; i < parameters.Count; i++)
        {
            var parameter = parameters[i];
            var state = StateOf(parameter);
            if (state is not null)
            {
                state.Step++;
            }

            Update(parameter, state, learningRate);
            parameter.MarkModified();
        }

        Iterations++;
    }

    /// <summary>
    /// The optimizer's state for <paramref name="parameters"/>, to save and later restore with
    /// <see cref="SetState"/> so that training resumes exactly. Keys: <c>"iterations"</c> (<see cref="Iterations"/>),
    /// and for each parameter <c>i</c> (its index in <paramref name="parameters"/>) that has been updated,
    /// <c>"{i}.step"</c> (its own update count), its buffers under PyTorch's names, e.g.
    /// <c>"{i}.exp_avg"</c> and <c>"{i}.exp_avg_sq"</c> for Adam, and its scalars as one-element arrays
    /// (NAdam's <c>"{i}.mu_product"</c>, a float32 as in PyTorch). Plain SGD keeps no per-parameter state.
    /// Counts are one-element arrays, as PyTorch keeps its <c>step</c> in a float32 tensor: exact up to
    /// 2²⁴ = 16,777,216 steps. Beyond that they are saved rounded to float32, and a run resumed from them
    /// can differ in the last bits where a count enters the arithmetic (schedules, Adagrad's decay).
    /// </summary>
    /// <param name="parameters">The parameters, in the order <see cref="Step"/> receives them.</param>
    /// <returns>A new dictionary of copies: later steps do not change it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> or one of them is null.</exception>
    public IReadOnlyDictionary<string, float[]> GetState(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal) { [IterationsKey] = [Iterations] };
        var names = StateNames;
        for (var i = 0; i < parameters.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(parameters[i], nameof(parameters));
            if (_states.TryGetValue(parameters[i], out var state))
            {
                result[Key(i, StepKey)] = [state.Step];
                for (var b = 0; b < names.Count; b++)
                {
                    result[Key(i, names[b])] = (float[])state.Buffers[b].Clone();
                }

                for (var s = 0; s < ScalarStates.Count; s++)
                {
                    result[Key(i, ScalarStates[s].Name)] = [state.Scalars[s]];
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Restores state saved by <see cref="GetState"/> (of an optimizer with the same name and settings) for
    /// <paramref name="parameters"/>, given in the same order. A parameter with no entries gets no state (it
    /// starts fresh at its next update, as in PyTorch). Everything is checked before anything changes.
    /// </summary>
    /// <param name="parameters">The parameters, in the order <see cref="Step"/> receives them.</param>
    /// <param name="state">The state, as <see cref="GetState"/> returned it; values are copied.</param>
    /// <exception cref="ArgumentNullException">An argument, a parameter or a value is null.</exception>
    /// <exception cref="ArgumentException">
    /// <c>"iterations"</c> is missing; a key is unknown to this optimizer or names a parameter index out of
    /// range; a parameter has some of its entries but not all; a count is not a non-negative whole number; a
    /// buffer's length differs from its parameter's; or a scalar is not one value in its range.
    /// </exception>
    public void SetState(IReadOnlyList<Parameter> parameters, IReadOnlyDictionary<string, float[]> state)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(state);
        var names = StateNames;
        var scalars = ScalarStates;
        var perParameter = PerParameterNames();
        var entries = new int[parameters.Count];
        long iterations = -1;
        foreach (var (key, value) in state)
        {
            if (value is null)
            {
                throw new ArgumentNullException(nameof(state), $"{Owner}: state '{key}' is null.");
            }

            if (key == IterationsKey)
            {
                iterations = ReadCount(key, value, nameof(state));
                continue;
            }

            var dot = key.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0 || !int.TryParse(key.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                throw new ArgumentException($"{Owner} has no state '{key}'; its keys are '{IterationsKey}' and '{{index}}.{{name}}' per parameter.", nameof(state));
            }

            var name = key[(dot + 1)..];
            if (key != Key(index, name))
            {
                throw new ArgumentException($"{Owner} has no state '{key}'; did you mean '{Key(index, name)}'?", nameof(state));
            }

            if (names.Count == 0 || !perParameter.Contains(name))
            {
                var kept = names.Count == 0 ? "nothing" : string.Join(", ", perParameter);
                throw new ArgumentException(
                    $"{Owner} keeps no per-parameter state '{name}' (key '{key}'); with its settings it keeps: {kept}. Was the state saved by an optimizer with other settings?",
                    nameof(state));
            }

            if (index >= parameters.Count)
            {
                throw new ArgumentException($"{Owner}: state '{key}' is for parameter {index}, but {parameters.Count} parameters were given.", nameof(state));
            }

            ArgumentNullException.ThrowIfNull(parameters[index], nameof(parameters));
            if (name == StepKey)
            {
                ReadCount(key, value, nameof(state));
            }
            else if (scalars.FirstOrDefault(s => s.Name == name) is { Name: not null } scalar)
            {
                ReadScalar(key, value, scalar, nameof(state));
            }
            else if (value.Length != parameters[index].Length)
            {
                throw new ArgumentException(
                    $"{Owner}: state '{key}' has {value.Length} values but parameter {index} ('{parameters[index].Name}') has {parameters[index].Length}.",
                    nameof(state));
            }

            entries[index]++;
        }

        if (iterations < 0)
        {
            throw new ArgumentException($"{Owner}: the state has no '{IterationsKey}'.", nameof(state));
        }

        for (var i = 0; i < parameters.Count; i++)
        {
            if (entries[i] != 0 && entries[i] != perParameter.Count)
            {
                var missing = perParameter.Select(n => Key(i, n)).Where(k => !state.ContainsKey(k));
                throw new ArgumentException($"{Owner}: the state of parameter {i} lacks {string.Join(", ", missing.Select(k => $"'{k}'"))}.", nameof(state));
            }
        }

        Iterations = iterations;
        for (var i = 0; i < parameters.Count; i++)
        {
            var parameter = parameters[i];
            if (entries[i] == 0)
            {
                _states.Remove(parameter);
                continue;
            }

            var restored = NewState(parameter.Length);
            restored.Step = ReadCount(Key(i, StepKey), state[Key(i, StepKey)], nameof(state));
            for (var b = 0; b < names.Count; b++)
            {
                state[Key(i, names[b])].CopyTo(restored.Buffers[b], 0);
            }

            for (var s = 0; s < scalars.Count; s++)
            {
                restored.Scalars[s] = state[Key(i, scalars[s].Name)][0];
            }

            _states[parameter] = restored;
        }
    }

    /// <summary>
    /// The optimizer's settings by Keras-style name, with invariant-culture values: <c>learning_rate</c>,
    /// the optimizer's hyperparameters (e.g. <c>beta_1</c>, <c>epsilon</c>, <c>amsgrad</c>), <c>clipvalue</c> /
    /// <c>clipnorm</c> / <c>global_clipnorm</c> when set, and when there is a schedule, <c>schedule</c> (its
    /// name) and its settings as <c>schedule.{key}</c>.
    /// </summary>
    /// <returns>A new dictionary.</returns>
    public IReadOnlyDictionary<string, string> GetConfig()
    {
        var config = new Dictionary<string, string>(StringComparer.Ordinal) { ["learning_rate"] = ConfigReader.Format(LearningRate) };
        AddConfig(config);
        if (ClipValue is { } clipValue)
        {
            config["clipvalue"] = ConfigReader.Format(clipValue);
        }

        if (ClipNorm is { } clipNorm)
        {
            config["clipnorm"] = ConfigReader.Format(clipNorm);
        }

        if (GlobalClipNorm is { } globalClipNorm)
        {
            config["global_clipnorm"] = ConfigReader.Format(globalClipNorm);
        }

        if (Schedule is { } schedule)
        {
            config["schedule"] = schedule.Name;
            foreach (var (key, value) in schedule.GetConfig())
            {
                config["schedule." + key] = value;
            }
        }

        return config;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}({string.Join(", ", GetConfig().Select(c => $"{c.Key}={c.Value}"))})";

    /// <summary>Formats a number for an error message.</summary>
    private protected static string Show(float value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Throws unless <c>min ≤ value ≤ max</c> (NaN fails).</summary>
    private protected float InRange(float value, float min, float max, string name, string range)
        => value >= min && value <= max ? value : throw OutOfRange(value, name, range);

    /// <summary>Throws unless <c>min ≤ value &lt; max</c>.</summary>
    private protected float InHalfOpenRange(float value, float min, float max, string name, string range)
        => value >= min && value < max ? value : throw OutOfRange(value, name, range);

    /// <summary>Throws unless value &gt; 0 and finite.</summary>
    private protected float Positive(float value, string name)
        => value > 0f && !float.IsInfinity(value) ? value : throw OutOfRange(value, name, "a finite value > 0");

    /// <summary>Throws unless value ≥ 0 and finite.</summary>
    private protected float NonNegative(float value, string name)
        => value >= 0f && !float.IsInfinity(value) ? value : throw OutOfRange(value, name, "a finite value >= 0");

    /// <summary>Adds the optimizer's own hyperparameters to <paramref name="config"/>.</summary>
    private protected abstract void AddConfig(Dictionary<string, string> config);

    /// <summary>Fills a new parameter state's buffers (zeros by default), before the parameter's first update.</summary>
    private protected virtual void Initialize(ParameterState state)
    {
    }

    /// <summary>
    /// Updates one parameter in place from its gradient (after clipping), never writing the gradient.
    /// </summary>
    /// <param name="parameter">The parameter.</param>
    /// <param name="state">Its state, <see cref="ParameterState.Step"/> already counting this update; null when <see cref="StateNames"/> is empty.</param>
    /// <param name="learningRate">The learning rate of this step.</param>
    private protected abstract void Update(Parameter parameter, ParameterState? state, float learningRate);

    /// <summary>The reusable job that runs a large parameter's Adam or AdamW update on several threads.</summary>
    internal AdamKernel.Job AdamJob => _adamJob ??= new AdamKernel.Job();

    /// <summary>
    /// Temporaries for one parameter's update: <see cref="ScratchCount"/> spans of <paramref name="length"/>
    /// floats, shared by all parameters (they hold nothing between updates).
    /// </summary>
    internal Span<float> Scratch(int length, int index)
    {
        if (_scratch.Length < ScratchCount * length)
        {
            _scratch = new float[ScratchCount * length];
        }

        return _scratch.AsSpan(index * length, length);
    }

    /// <summary>
    /// PyTorch's weight decay at the start of an update: with <paramref name="decoupled"/>, <c>param.mul_(1 - lr * weight_decay)</c>
    /// and the gradient as it was; otherwise <c>grad = grad.add(param, alpha=weight_decay)</c>, written to scratch 0.
    /// </summary>
    /// <returns>The gradient the rest of the update uses.</returns>
    internal ReadOnlySpan<float> DecayWeights(Span<float> param, ReadOnlySpan<float> grad, float weightDecay, double lr, bool decoupled = false)
    {
        if (weightDecay == 0f)
        {
            return grad;
        }

        if (decoupled)
        {
            TorchOps.Mul(param, 1.0 - (lr * weightDecay));
            return grad;
        }

        var decayed = Scratch(param.Length, 0);
        TorchOps.Add(grad, param, weightDecay, decayed);
        return decayed;
    }

    /// <summary>
    /// The Adam family's moments: <c>exp_avg.lerp_(grad, 1 - beta1)</c> and
    /// <c>exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)</c>.
    /// </summary>
    internal static void UpdateMoments(Span<float> expAvg, Span<float> expAvgSq, ReadOnlySpan<float> grad, double beta1, double beta2, Span<float> temporary)
    {
        TorchOps.Lerp(expAvg, grad, 1.0 - beta1, temporary);
        TorchOps.Mul(expAvgSq, beta2);
        TorchOps.AddCMul(expAvgSq, grad, grad, 1.0 - beta2, expAvgSq, temporary);
    }

    /// <summary>The per-parameter names this optimizer's state has, in order: step, buffers, scalars.</summary>
    private List<string> PerParameterNames() => [StepKey, .. StateNames, .. ScalarStates.Select(s => s.Name)];

    private static string Key(int index, string name) => $"{index.ToString(CultureInfo.InvariantCulture)}.{name}";

    /// <summary>
    /// PyTorch's clipping factor <c>max_norm / (total_norm + 1e-6)</c> clamped at 1, in float32 as Python
    /// evaluates it: <c>float / Tensor</c> is <c>Tensor.__rtruediv__</c>, a reciprocal and then a product.
    /// </summary>
    private static float ClipCoefficient(float norm, float maxNorm) => MathF.Min((1f / (norm + 1e-6f)) * maxNorm, 1f);

    /// <summary>
    /// Σ x², accumulated in double precision: the squares are exact in double and the sum's error is far
    /// below float32's, so a norm rounded from it is correctly rounded (libtorch's float32 reduction can be
    /// an ulp off, and differently for different lengths).
    /// </summary>
    private static double SumOfSquares(ReadOnlySpan<float> x)
    {
        var i = 0;
        var sum = 0.0;
        if (Vector256.IsHardwareAccelerated && x.Length >= Vector256<float>.Count)
        {
            var accumulator = Vector256<double>.Zero;
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.Create(x.Slice(i, Vector256<float>.Count)));
                accumulator += (lower * lower) + (upper * upper);
            }

            sum = Vector256.Sum(accumulator);
        }
        else if (Vector128.IsHardwareAccelerated && x.Length >= Vector128<float>.Count)
        {
            var accumulator = Vector128<double>.Zero;
            for (; i <= x.Length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var (lower, upper) = Vector128.Widen(Vector128.Create(x.Slice(i, Vector128<float>.Count)));
                accumulator += (lower * lower) + (upper * upper);
            }

            sum = Vector128.Sum(accumulator);
        }

        for (; i < x.Length; i++)
        {
            sum += (double)x[i] * x[i];
        }

        return sum;
    }

    private void ClipGradients(IReadOnlyList<Parameter> parameters)
    {
        if (ClipValue is { } value)
        {
            for (var i = 0; i < parameters.Count; i++)
            {
                TensorPrimitives.Clamp(parameters[i].Grad, -value, value, parameters[i].Grad);
            }
        }
        else if (ClipNorm is { } maxNorm)
        {
            for (var i = 0; i < parameters.Count; i++)
            {
                var grad = parameters[i].Grad;
                var coefficient = ClipCoefficient((float)Math.Sqrt(SumOfSquares(grad)), maxNorm);
                if (!(coefficient >= 1f))
                {
                    TensorPrimitives.Multiply(grad, coefficient, grad);
                }
            }
        }
        else if (GlobalClipNorm is { } maxGlobalNorm)
        {
            var sumOfSquares = 0.0;
            for (var i = 0; i < parameters.Count; i++)
            {
                sumOfSquares += SumOfSquares(parameters[i].Grad);
            }

            var coefficient = ClipCoefficient((float)Math.Sqrt(sumOfSquares), maxGlobalNorm);
            if (!(coefficient >= 1f))
            {
                for (var i = 0; i < parameters.Count; i++)
                {
                    TensorPrimitives.Multiply(parameters[i].Grad, coefficient, parameters[i].Grad);
                }
            }
        }
    }

    private float? ValidateClip(float? value, string property)
    {
        if (value is { } v && (!(v > 0f) || float.IsInfinity(v)))
        {
            throw new ArgumentOutOfRangeException(nameof(value), v, $"{Owner} expects {property} to be a positive, finite number (or null for none) but received {Show(v)}.");
        }

        if (value is not null)
        {
            var others = new (string Name, float? Value)[] { (nameof(ClipValue), _clipValue), (nameof(ClipNorm), _clipNorm), (nameof(GlobalClipNorm), _globalClipNorm) };
            foreach (var (name, other) in others)
            {
                if (name != property && other is not null)
                {
                    throw new InvalidOperationException($"{Owner}: cannot set {property} while {name} is set; at most one clipping option may be set (set {name} to null first).");
                }
            }
        }

        return value;
    }

    private ArgumentOutOfRangeException OutOfRange(float value, string name, string range)
        => new(name, value, $"{Owner} expects {name} {range} but received {Show(value)}.");

    private ParameterState? StateOf(Parameter parameter)
    {
        if (StateNames.Count == 0)
        {
            return null;
        }

        if (!_states.TryGetValue(parameter, out var state))
        {
            state = NewState(parameter.Length);
            Initialize(state);
            _states.Add(parameter, state);
        }

        return state;
    }

    private ParameterState NewState(int length)
    {
        var buffers = new float[StateNames.Count][];
        for (var b = 0; b < buffers.Length; b++)
        {
            buffers[b] = new float[length];
        }

        return new ParameterState(buffers, [.. ScalarStates.Select(s => s.Initial)]);
    }

    private void ReadScalar(string key, float[] value, ScalarState scalar, string parameterName)
    {
        if (value.Length != 1 || !(value[0] >= scalar.Min && value[0] <= scalar.Max))
        {
            throw new ArgumentException(
                $"{Owner}: state '{key}' must be one number in [{Show(scalar.Min)}, {Show(scalar.Max)}] but is [{string.Join(", ", value.Select(Show))}].", parameterName);
        }
    }

    private long ReadCount(string key, float[] value, string parameterName)
    {
        if (value.Length != 1 || !(value[0] >= 0f && value[0] <= MaxCount) || value[0] != MathF.Floor(value[0]))
        {
            throw new ArgumentException(
                $"{Owner}: state '{key}' must be one whole number >= 0 but is [{string.Join(", ", value.Select(Show))}].", parameterName);
        }

        return (long)value[0];
    }

    /// <summary>A per-parameter scalar of an optimizer's state: its PyTorch name, its value before the first update, and its range.</summary>
    /// <param name="Name">The key after <c>"{index}."</c> in <see cref="GetState"/>, e.g. <c>mu_product</c>.</param>
    /// <param name="Initial">Its value when the parameter's state is created.</param>
    /// <param name="Min">The smallest value <see cref="SetState"/> accepts.</param>
    /// <param name="Max">The largest value <see cref="SetState"/> accepts.</param>
    internal readonly record struct ScalarState(string Name, float Initial, float Min, float Max);

    /// <summary>What an optimizer keeps for one parameter.</summary>
    /// <param name="buffers">One array per name in <see cref="StateNames"/>, as long as the parameter.</param>
    /// <param name="scalars">One value per entry of <see cref="ScalarStates"/>.</param>
    internal sealed class ParameterState(float[][] buffers, float[] scalars)
    {
        /// <summary>Updates applied to the parameter, including the current one (PyTorch's per-parameter <c>step</c>).</summary>
        public long Step { get; set; }

        /// <summary>The buffers, in the order of <see cref="StateNames"/>.</summary>
        public float[][] Buffers { get; } = buffers;

        /// <summary>The scalars, in the order of <see cref="ScalarStates"/>, float32 as PyTorch keeps them.</summary>
        public float[] Scalars { get; } = scalars;

        /// <summary>Chooses one thread or several for this parameter's fused update (see <see cref="WorkerTuner"/>).</summary>
        public WorkerTuner Tuner { get; } = new();
    }
}
