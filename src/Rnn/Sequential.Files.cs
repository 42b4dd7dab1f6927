using System.Globalization;
using System.Text.Json;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Metrics;
using Rnn.Optimizers;
using Rnn.Serialization;

namespace Rnn;

/// <summary>Saving and loading: model files and PyTorch state dicts, both safetensors.</summary>
public sealed partial class Sequential
{
    /// <summary>The <c>__metadata__</c> key of the architecture JSON in a model file.</summary>
    public const string ModelMetadataKey = "rnn.model";

    private const string FormatKey = "format";
    private const string FormatValue = "rnn.sequential/1";
    private const string CompileKey = "rnn.compile";
    private const string TrainingKey = "rnn.training";
    private const string OptimizerPrefix = "optimizer.";

    /// <summary>The metadata key of a training backup: the epoch it was saved after.</summary>
    private const string BackupKey = "rnn.backup_epoch";

    /// <summary>The prefix of a training backup's own tensors (not weights, not optimizer state).</summary>
    private const string TrainingPrefix = "training.";

    /// <summary>A training backup's tensor of the running Fit's sample (or batch) order, which each epoch shuffles further.</summary>
    private const string OrderTensor = TrainingPrefix + "order";

    /// <summary>
    /// A new model with this one's layers (types, names, settings, frozen flags) and a copy of its weights, not compiled:
    /// Keras's <c>clone_model</c> followed by <c>set_weights</c>. Its predictions are bitwise this model's, and the two
    /// share nothing afterwards, so each thread of a server can predict with its own clone at the same time. A stateful
    /// layer's carried state is not copied (the clone starts from zeros).
    /// </summary>
    /// <param name="customLayers">Factories by full type name for the <see cref="CustomLayer"/>s of the model, as for <see cref="Load(string, IReadOnlyDictionary{string, CustomLayerFactory}?)"/>; null when there are none.</param>
    /// <returns>The clone, built.</returns>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    /// <exception cref="ArgumentException">A custom layer has no factory in <paramref name="customLayers"/>.</exception>
    public Sequential Clone(IReadOnlyDictionary<string, CustomLayerFactory>? customLayers = null)
    {
        using var call = EnterCall(nameof(Clone));
        RequireBuilt("Clone");
        if (_layers.FirstOrDefault(l => l is CustomLayer && customLayers?.ContainsKey(l.TypeName) != true) is { } custom)
        {
            throw new ArgumentException(
                $"Layer '{custom.Name}' is a custom layer ({custom.TypeName}): pass its factory, Clone(new Dictionary<string, CustomLayerFactory> {{ [\"{custom.TypeName}\"] = (name, settings) => ... }}).",
                nameof(customLayers));
        }

        var clone = new Sequential([], Seed, Name);
        clone.Restore([.. _layers.Select(l => Rebuild(l.TypeName, l.Name, l.GetConfig(), l.Trainable, customLayers))], _inputShape, GetStateDict());
        return clone;
    }

    /// <summary>A layer made again from its type, name and settings (<see cref="Layer.GetConfig"/>), frozen or not.</summary>
    private static Layer Rebuild(
        string type, string name, IReadOnlyDictionary<string, string> config, bool trainable, IReadOnlyDictionary<string, CustomLayerFactory>? customLayers)
    {
        var layer = LayerFactory.Create(type, name, config, customLayers);
        layer.Trainable = trainable;
        return layer;
    }

    /// <summary>
    /// Takes rebuilt layers as they are (not through <see cref="Add"/>, whose renaming and seeding they already went through
    /// when first added), builds them for <paramref name="inputShape"/> and loads <paramref name="weights"/> into them.
    /// </summary>
    private void Restore(List<Layer> layers, ReadOnlySpan<int> inputShape, IEnumerable<NamedTensor> weights)
    {
        _layers.AddRange(layers);
        Build(inputShape);
        LoadStateDict(weights);
    }

    /// <summary>
    /// The weights as a PyTorch state dict: every parameter under <c>{layer name}.{PyTorch name}</c> (for example
    /// <c>lstm.weight_ih_l0</c>), in <see cref="Parameters"/> order, sharing the parameters' storage.
    /// </summary>
    /// <returns>The named tensors.</returns>
    public IReadOnlyList<NamedTensor> GetStateDict()
    {
        RequireBuilt("GetStateDict");
        return [.. _layers.SelectMany(layer => layer.Parameters.Select(p => new NamedTensor($"{layer.Name}.{p.Name}", [.. p.Shape], p.Data)))];
    }

    /// <summary>
    /// Sets the weights from a state dict with PyTorch names (<c>{layer name}.{PyTorch name}</c>). Every name and
    /// shape is checked before any weight changes; with <paramref name="strict"/>, missing and unexpected names
    /// are errors too (PyTorch's <c>load_state_dict(strict=True)</c>).
    /// </summary>
    /// <param name="tensors">The tensors.</param>
    /// <param name="strict">Require exactly the model's parameter names.</param>
    /// <param name="rename">Maps each name in <paramref name="tensors"/> to the model's name, or to null to skip it (for modules named differently in PyTorch).</param>
    /// <exception cref="ArgumentException">A shape differs, or (strict) a name is missing or unexpected; the message lists every difference.</exception>
    public void LoadStateDict(IEnumerable<NamedTensor> tensors, bool strict = true, Func<string, string?>? rename = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using var call = EnterCall(nameof(LoadStateDict));
        RequireBuilt("LoadStateDict");
        var byName = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (var tensor in tensors)
        {
            ArgumentNullException.ThrowIfNull(tensor, nameof(tensors));
            var name = rename is null ? tensor.Name : rename(tensor.Name);
            if (name is not null && !IsTrainingState(name))
            {
                byName[name] = tensor;
            }
        }

        var expected = GetStateDict();
        var problems = new List<string>();
        var missing = expected.Where(e => !byName.ContainsKey(e.Name)).Select(e => $"{e.Name} [{string.Join(", ", e.Shape)}]").ToList();
        var unexpected = byName.Keys.Except(expected.Select(e => e.Name), StringComparer.Ordinal).ToList();
        foreach (var target in expected)
        {
            if (byName.TryGetValue(target.Name, out var source) && !source.Shape.SequenceEqual(target.Shape))
            {
                problems.Add($"{target.Name} has shape [{string.Join(", ", source.Shape)}] in the state dict but [{string.Join(", ", target.Shape)}] in the model");
            }
        }

        if (strict && missing.Count > 0)
        {
            problems.Add($"missing from the state dict: {Join(missing)}");
        }

        if (strict && unexpected.Count > 0)
        {
            problems.Add($"not in the model: {Join(unexpected)}");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(
                $"The state dict does not fit model '{Name}' ({string.Join(", ", _layers.Select(l => $"{l.Name}: {l.TypeName}"))}): {string.Join("; ", problems)}.",
                nameof(tensors));
        }

        foreach (var layer in _layers)
        {
            foreach (var parameter in layer.Parameters)
            {
                if (byName.TryGetValue($"{layer.Name}.{parameter.Name}", out var source))
                {
                    parameter.Assign(source.Data);
                }
            }
        }

        static string Join(List<string> names) => names.Count <= 12 ? string.Join(", ", names) : string.Join(", ", names.Take(12)) + $" and {names.Count - 12} more";
    }

    /// <summary>
    /// Writes the weights as a plain safetensors state dict with PyTorch names, which
    /// <c>safetensors.torch.load_file</c> and <c>module.load_state_dict</c> read directly. Atomic: a failure
    /// leaves any previous file untouched.
    /// </summary>
    /// <param name="path">The file to write.</param>
    public void SaveWeights(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var call = EnterCall(nameof(SaveWeights));
        SafeTensors.Write(path, GetStateDict());
    }

    /// <summary>Reads a safetensors state dict (ours or PyTorch's) into the model; see <see cref="LoadStateDict"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="strict">Require exactly the model's parameter names.</param>
    /// <param name="rename">Maps each name in the file to the model's name, or to null to skip it.</param>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file.</exception>
    /// <exception cref="ArgumentException">The weights do not fit the model; the message lists every difference.</exception>
    public void LoadWeights(string path, bool strict = true, Func<string, string?>? rename = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        LoadStateDict(SafeTensors.Read(path).Tensors, strict, rename);
    }

    /// <summary>
    /// Writes the whole model to one safetensors file: the weights under PyTorch names (so the file is also a
    /// state dict for PyTorch), the architecture and compile settings as JSON in its <c>__metadata__</c>, and,
    /// with <paramref name="includeOptimizer"/>, the optimizer's state and the random sources' states, so that
    /// a loaded model resumes training exactly as this one would continue. Atomic: a failure leaves any
    /// previous file untouched and nothing half-written at <paramref name="path"/>.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="includeOptimizer">Also save what resuming training needs (adds <c>optimizer.*</c> tensors; load those files into PyTorch with <c>strict=False</c>).</param>
    /// <exception cref="InvalidOperationException">The model is not built, or <paramref name="includeOptimizer"/> without a compiled model.</exception>
    public void Save(string path, bool includeOptimizer = false) => Save(path, includeOptimizer, null);

    /// <summary>Reads a model written by <see cref="Save(string, bool)"/>: architecture, weights and, if saved, compile settings and training state.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The model, built (and compiled when the file says how).</returns>
    /// <exception cref="InvalidDataException">The file is not a valid model file; the message says what is wrong.</exception>
    public static Sequential Load(string path) => Load(path, customLayers: null);

    /// <summary>
    /// Reads a model written by <see cref="Save(string, bool)"/> whose layers include <see cref="CustomLayer"/>s (Keras's
    /// <c>custom_objects</c>): each is recreated by the factory given for its full type name, from its name and saved
    /// settings, then its weights are loaded.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="customLayers">Factories by full type name (<c>typeof(MyLayer).FullName</c>); null when there are no custom layers.</param>
    /// <returns>The model, built (and compiled when the file says how).</returns>
    /// <exception cref="InvalidDataException">The file is not a valid model file, or names a layer type no factory makes; the message says what is wrong.</exception>
    public static Sequential Load(string path, IReadOnlyDictionary<string, CustomLayerFactory>? customLayers) => Load(path, customLayers, customMetrics: null);

    /// <summary>
    /// Reads a model written by <see cref="Save(string, bool)"/> whose layers include <see cref="CustomLayer"/>s or whose
    /// compiled metrics include <see cref="FunctionMetric"/>s (Keras's <c>custom_objects</c>): each custom layer is recreated
    /// by the factory given for its full type name, and each function metric gets the function given for its name.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="customLayers">Factories by full type name (<c>typeof(MyLayer).FullName</c>); null when there are no custom layers.</param>
    /// <param name="customMetrics">The functions of the file's <see cref="FunctionMetric"/>s by metric name; null when there are none.</param>
    /// <returns>The model, built (and compiled when the file says how).</returns>
    /// <exception cref="InvalidDataException">
    /// The file is not a valid model file, names a layer type no factory makes, or has a function metric no function is given
    /// for; the message says what is wrong.
    /// </exception>
    public static Sequential Load(
        string path, IReadOnlyDictionary<string, CustomLayerFactory>? customLayers, IReadOnlyDictionary<string, MetricFunction>? customMetrics)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = SafeTensors.Read(path);
        if (!file.Metadata.TryGetValue(ModelMetadataKey, out var modelJson))
        {
            throw new InvalidDataException(
                $"'{path}' has no model architecture ('{ModelMetadataKey}' in its __metadata__): it is a plain state dict. Create the model in code, then call LoadWeights.");
        }

        var config = Deserialize(modelJson, ModelFileJsonContext.Default.ModelConfigJson, path, ModelMetadataKey);
        if (config.Layers is not { Count: > 0 } layersConfig || layersConfig.Any(l => l is null))
        {
            throw new InvalidDataException($"'{path}' describes a model with no layers, or with an empty layer entry.");
        }

        if (config.InputShape is not { Length: > 0 } inputShape)
        {
            throw new InvalidDataException($"'{path}' has no input shape; only built models are saved.");
        }

        var layers = layersConfig.Select(l => Rebuild(l.Type ?? string.Empty, l.Name ?? string.Empty, l.Config ?? [], l.Trainable ?? true, customLayers)).ToList();
        var model = new Sequential([], config.Seed, string.IsNullOrWhiteSpace(config.Name) ? "sequential" : config.Name);
        try
        {
            // Check the size the architecture claims against the weights the file holds before building, so that a
            // damaged configuration cannot make the loader allocate more than the file itself.
            var stored = file.Tensors.Where(t => !IsTrainingState(t.Name)).Sum(t => (long)t.Data.Length);
            long claimed = 0;
            var shape = inputShape;
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var layer in layers)
            {
                if (!names.Add(layer.Name))
                {
                    throw new ArgumentException($"two layers are named '{layer.Name}'");
                }

                claimed = Math.Min(long.MaxValue / 2, claimed + layer.CountParameters(shape));
                shape = layer.ComputeOutputShape(shape);
            }

            // Custom layers make their own weights (counted as none here): the file must hold at least the others', and
            // loading the state dict below checks every tensor by name and shape.
            var custom = layers.Any(l => l is CustomLayer);
            if (custom ? claimed > stored : claimed != stored)
            {
                throw new ArgumentException($"its architecture has {(custom ? "at least " : string.Empty)}{claimed} weights but the file holds {stored}");
            }

            model.Restore(layers, inputShape, file.Tensors);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{path}' is inconsistent: {e.Message}", e);
        }

        if (file.Metadata.TryGetValue(CompileKey, out var compileJson))
        {
            var compile = Deserialize(compileJson, ModelFileJsonContext.Default.CompileConfigJson, path, CompileKey);
            if (compile.Optimizer?.Name is null || compile.Loss?.Name is null)
            {
                throw new InvalidDataException($"'{path}' has compile settings without an optimizer or a loss.");
            }

            try
            {
                model.Compile(
                    Optimizer.FromConfig(compile.Optimizer.Name, compile.Optimizer.Config),
                    Loss.FromConfig(compile.Loss.Name, compile.Loss.Config),
                    compile.MetricConfigs is { } configs ? [.. configs.Select(c => MetricOf(c, customMetrics))] : [.. (compile.Metrics ?? []).Select(Metric.FromName)],
                    [.. (compile.WeightedMetrics ?? []).Select(c => MetricOf(c, customMetrics))]);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"'{path}' has compile settings this version cannot use: {e.Message}", e);
            }
        }

        if (file.Metadata.TryGetValue(TrainingKey, out var trainingJson))
        {
            model.RestoreTrainingState(file, Deserialize(trainingJson, ModelFileJsonContext.Default.TrainingStateJson, path, TrainingKey), path);
        }

        return model;
    }

    /// <summary>Save with a hook over the tensors written, so tests can inject a failure in the middle of writing.</summary>
    internal void Save(
        string path,
        bool includeOptimizer,
        Func<IEnumerable<(string Name, int[] Shape, ReadOnlyMemory<float> Data)>, IEnumerable<(string Name, int[] Shape, ReadOnlyMemory<float> Data)>>? intercept,
        int? backupEpoch = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var call = EnterCall(nameof(Save));
        RequireBuilt("Save");
        if (includeOptimizer && (Optimizer is null || Loss is null))
        {
            throw new InvalidOperationException($"Model '{Name}' is not compiled, so it has no optimizer state to save; call Save(path) or Compile first.");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatKey] = FormatValue,
            [ModelMetadataKey] = JsonSerializer.Serialize(
                new ModelConfigJson(Name, Seed, _inputShape, [.. _layers.Select(l => new LayerConfigJson(l.TypeName, l.Name, l.GetConfig(), l.Trainable ? null : false))]),
                ModelFileJsonContext.Default.ModelConfigJson),
        };
        if (Optimizer is not null && Loss is not null)
        {
            metadata[CompileKey] = JsonSerializer.Serialize(
                new CompileConfigJson(
                    new ComponentConfigJson(Optimizer.Name, new Dictionary<string, string>(Optimizer.GetConfig())),
                    new ComponentConfigJson(Loss.Name, new Dictionary<string, string>(Loss.GetConfig())),
                    [.. _metrics.Select(m => m.Name)],
                    [.. _metrics.Select(ConfigOf)],
                    _weightedMetrics.Length == 0 ? null : [.. _weightedMetrics.Select(ConfigOf)]),
                ModelFileJsonContext.Default.CompileConfigJson);
        }

        IEnumerable<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> tensors = GetStateDict().Select(t => (t.Name, t.Shape.ToArray(), (ReadOnlyMemory<float>)t.Data));
        if (includeOptimizer)
        {
            var layerRandoms = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var layer in _layers)
            {
                if (layer.TrainingRandom is { } random)
                {
                    layerRandoms[layer.Name] = random.State.ToString(CultureInfo.InvariantCulture);
                }
            }

            metadata[TrainingKey] = JsonSerializer.Serialize(
                new TrainingStateJson(_random.State.ToString(CultureInfo.InvariantCulture), layerRandoms),
                ModelFileJsonContext.Default.TrainingStateJson);
            var state = Optimizer!.GetState(_parameters);
            tensors = tensors.Concat(state.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => (OptimizerPrefix + s.Key, new[] { s.Value.Length }, (ReadOnlyMemory<float>)s.Value)));
        }

        if (backupEpoch is { } epoch)
        {
            metadata[BackupKey] = epoch.ToString(CultureInfo.InvariantCulture);
            if (_epochOrder is { } order)
            {
                // Exact in float32 up to 2^24 samples; beyond, the order comes back rounded and RestoreBackup refuses it.
                tensors = tensors.Append((OrderTensor, [order.Length], order.Select(i => (float)i).ToArray()));
            }
        }

        SafeTensors.Write(path, intercept is null ? tensors : intercept(tensors), metadata);
    }

    private static ComponentConfigJson ConfigOf(Metric metric) => new(metric.Kind, new Dictionary<string, string>(metric.GetConfig()));

    private static Metric MetricOf(ComponentConfigJson? config, IReadOnlyDictionary<string, MetricFunction>? customMetrics)
    {
        if (config?.Name is not { } kind)
        {
            throw new ArgumentException("A metric entry has no kind.");
        }

        if (kind != FunctionMetric.FunctionKind)
        {
            return Metric.FromConfig(kind, config.Config);
        }

        // A function metric's only setting is its name; its code comes from the caller.
        var name = config.Config?.GetValueOrDefault("name") ?? throw new ArgumentException("A function metric entry has no name.");
        return customMetrics?.GetValueOrDefault(name) is { } function
            ? new FunctionMetric(name, function)
            : throw new ArgumentException(
                $"Metric '{name}' is a FunctionMetric, whose function a file cannot hold: pass it to Sequential.Load(path, customLayers, customMetrics) as customMetrics[\"{name}\"].");
    }

    private static T Deserialize<T>(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string path, string key)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type) ?? throw new InvalidDataException($"'{path}' has an empty '{key}' entry in its __metadata__.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' has an invalid '{key}' entry in its __metadata__: {e.Message}", e);
        }
    }

    /// <summary>Saves what resuming needs after epoch <paramref name="epoch"/> (weights, optimizer and random states), marked as a backup of that epoch.</summary>
    internal void SaveBackup(string path, int epoch) => Save(path, includeOptimizer: true, intercept: null, backupEpoch: epoch);

    /// <summary>
    /// Restores this model's weights, optimizer state and random states from a <see cref="SaveBackup"/> file, all or
    /// nothing, and returns the epoch it was saved after.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a backup, or does not fit this model or its optimizer; nothing changed.</exception>
    internal int RestoreBackup(string path)
    {
        var file = SafeTensors.Read(path);
        if (!file.Metadata.TryGetValue(BackupKey, out var epochText) || !int.TryParse(epochText, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)
            || !file.Metadata.TryGetValue(TrainingKey, out var trainingJson))
        {
            throw new InvalidDataException($"'{path}' is not a training backup (it has no '{BackupKey}' epoch or no training state).");
        }

        var training = Deserialize(trainingJson, ModelFileJsonContext.Default.TrainingStateJson, path, TrainingKey);
        var order = file.Tensors.FirstOrDefault(t => t.Name == OrderTensor)?.Data;
        if (_epochOrder is not null && (order is null || !IsPermutation(order, _epochOrder.Length)))
        {
            throw new InvalidDataException(
                $"'{path}' cannot resume model '{Name}': it was saved while training on {(order is null ? "no data" : $"{order.Length}")} samples or batches, and this Fit has {_epochOrder.Length}; resume with the same data.");
        }

        var weights = GetWeights();
        var optimizerState = Optimizer!.GetState(_parameters);
        var randomState = _random.State;
        var layerRandomStates = _layers.Select(l => l.TrainingRandom?.State).ToArray();
        try
        {
            LoadStateDict(file.Tensors);
            RestoreTrainingState(file, training, path);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException)
        {
            SetWeights(weights);
            Optimizer.SetState(_parameters, optimizerState);
            _random.State = randomState;
            for (var i = 0; i < _layers.Count; i++)
            {
                if (_layers[i].TrainingRandom is { } random)
                {
                    random.State = layerRandomStates[i]!.Value;
                }
            }
            throw new InvalidDataException($"'{path}' cannot resume model '{Name}': {e.Message}", e);
        }

        for (var i = 0; order is not null && i < order.Length; i++)
        {
            _epochOrder![i] = (int)order[i];
        }

        return epoch;
    }

    /// <summary>Whether a tensor of a model file holds training state (the optimizer's, a backup's order) rather than weights.</summary>
    private static bool IsTrainingState(string name)
        => name.StartsWith(OptimizerPrefix, StringComparison.Ordinal) || name.StartsWith(TrainingPrefix, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="values"/> are the whole numbers 0 to <paramref name="count"/> − 1, each once.</summary>
    private static bool IsPermutation(float[] values, int count)
    {
        if (values.Length != count)
        {
            return false;
        }

        var seen = new bool[count];
        foreach (var value in values)
        {
            if (!(value >= 0 && value < count && value == MathF.Floor(value)) || seen[(int)value])
            {
                return false;
            }

            seen[(int)value] = true;
        }

        return true;
    }

    private void RestoreTrainingState(SafeTensorsFile file, TrainingStateJson training, string path)
    {
        if (Optimizer is null)
        {
            throw new InvalidDataException($"'{path}' has a training state but no compile settings.");
        }

        var state = file.Tensors
            .Where(t => t.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
            .ToDictionary(t => t.Name[OptimizerPrefix.Length..], t => t.Data, StringComparer.Ordinal);
        try
        {
            Optimizer.SetState(_parameters, state);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{path}' has an optimizer state that does not fit its model: {e.Message}", e);
        }

        _random.State = ParseState(training.ShuffleRandom, "the shuffle");
        foreach (var layer in _layers)
        {
            if (layer.TrainingRandom is { } random && training.LayerRandoms is { } randoms && randoms.TryGetValue(layer.Name, out var text))
            {
                random.State = ParseState(text, $"layer '{layer.Name}'");
            }
        }

        ulong ParseState(string? text, string owner)
            => ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new InvalidDataException($"'{path}' has an invalid random state for {owner}: '{text}'.");
    }

    private void RequireBuilt(string operation)
    {
        if (!IsBuilt)
        {
            if (_layers.Count > 0 && _layers[0].InputShape is { } declared)
            {
                Build([.. declared]);
                return;
            }

            throw new InvalidOperationException(
                $"Model '{Name}' is not built, so it has no weights for {operation}: declare the first layer's inputShape, call Build, or train it first.");
        }
    }
}
