using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Text;
using Rnn.Data;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Metrics;
using Rnn.Models;
using Rnn.Optimizers;

namespace Rnn;

/// <summary>
/// A model that is a plain stack of layers, each feeding the next (Keras's <c>Sequential</c>):
/// <code>
/// var model = new Sequential(
///     new Lstm(20, inputShape: (10, 1)),
///     new Dense(1));
/// model.Compile(new Adam(learningRate: 1e-2f), Loss.MeanSquaredError);
/// var history = model.Fit(x, y, epochs: 20, batchSize: 32, validationSplit: 0.2f);
/// Tensor&lt;float&gt; prediction = model.Predict(xNew);
/// </code>
/// Data is batch first: x [samples, ...] and y [samples, ...]. With a seed, initialization, dropout and
/// shuffling are reproducible: the same seed gives bitwise the same weights and history.
/// <para>
/// A model runs one call at a time (its layers reuse their buffers between calls): a call from a second thread while
/// <c>Fit</c>, <c>Predict</c> or another call runs throws <see cref="InvalidOperationException"/> rather than mixing
/// their numbers. Give each thread its own model (<see cref="Clone"/>), or take a lock. Callbacks may
/// call the model from inside <c>Fit</c>'s own thread.
/// </para>
/// </summary>
public sealed partial class Sequential
{
    private readonly List<Layer> _layers = [];
    private readonly List<ExecutionPlan> _plans = [];
    private readonly RandomSource _random;
    private readonly Dictionary<string, float> _batchLogs = [];
    private Parameter[] _parameters = [];
    private Parameter[] _trainable = [];
    private Parameter[]? _trainableFrom;
    private bool[] _trainableLayers = [];
    private int _firstTrainableLayer;
    private int[]? _epochOrder;
    private int[]? _inputShape;
    private Metric[] _metrics = [];
    private Metric[] _weightedMetrics = [];
    private string[] _weightedNames = [];

    /// <summary>Creates a model from layers (more can be added with <see cref="Add"/>).</summary>
    /// <param name="layers">The layers, input first.</param>
    public Sequential(params Layer[] layers)
        : this(layers, seed: null)
    {
    }

    /// <summary>Creates a model from layers, with a seed for reproducible training.</summary>
    /// <param name="layers">The layers, input first.</param>
    /// <param name="seed">
    /// Seeds the initialization of every layer that has no seed of its own, dropout, and shuffling; null for a
    /// random seed.
    /// </param>
    /// <param name="name">The model's name, shown by <see cref="Summary"/>.</param>
    public Sequential(IEnumerable<Layer> layers, int? seed = null, string name = "sequential")
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Seed = seed ?? Random.Shared.Next();
        Name = name;
        _random = new RandomSource(Seed);
        foreach (var layer in layers)
        {
            Add(layer);
        }
    }

    /// <summary>The model's name.</summary>
    public string Name { get; }

    /// <summary>The seed of initialization, dropout and shuffling.</summary>
    public int Seed { get; }

    /// <summary>The layers, input first.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>The layer named <paramref name="name"/> (Keras's <c>get_layer(name)</c>).</summary>
    /// <param name="name">The layer's name, for example <c>lstm</c> or <c>dense_1</c>.</param>
    /// <returns>The layer.</returns>
    /// <exception cref="ArgumentException">No layer has that name; the message lists the names there are.</exception>
    public Layer GetLayer(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _layers.Find(l => l.Name == name)
            ?? throw new ArgumentException($"Model '{Name}' has no layer named '{name}'; its layers are {(_layers.Count == 0 ? "none" : string.Join(", ", _layers.Select(l => $"'{l.Name}'")))}.", nameof(name));
    }

    /// <summary>The input shape without batch, once known (declared by the first layer, or from data).</summary>
    public IReadOnlyList<int>? InputShape => _inputShape ?? (_layers.Count > 0 ? _layers[0].InputShape : null);

    /// <summary>Whether every layer has its parameters.</summary>
    public bool IsBuilt => _inputShape is not null;

    /// <summary>Every parameter, trainable or frozen, layer by layer (empty until built).</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>
    /// The parameters training updates: those of the layers whose <see cref="Layer.Trainable"/> is true, layer by layer
    /// (Keras's <c>trainable_weights</c>). The optimizer sees only these, so gradient clipping by global norm sums over them.
    /// </summary>
    public IReadOnlyList<Parameter> TrainableParameters
    {
        get
        {
            RefreshTrainable();
            return _trainable;
        }
    }

    /// <summary>The optimizer given to <see cref="Compile(Optimizer, Loss, Metric[])"/>.</summary>
    public Optimizer? Optimizer { get; private set; }

    /// <summary>The loss given to <see cref="Compile(Optimizer, Loss, Metric[])"/>.</summary>
    public Loss? Loss { get; private set; }

    /// <summary>The metrics given to <see cref="Compile(Optimizer, Loss, Metric[])"/>, not weighted.</summary>
    public IReadOnlyList<Metric> Metrics => _metrics;

    /// <summary>The metrics given to <see cref="Compile(Optimizer, Loss, IReadOnlyList{Metric}, IReadOnlyList{Metric})"/> as weighted metrics.</summary>
    public IReadOnlyList<Metric> WeightedMetrics => _weightedMetrics;

    /// <summary>Set by a callback to end <c>Fit</c> after the current epoch (Keras's <c>model.stop_training</c>).</summary>
    public bool StopTraining { get; set; }

    /// <summary>Where <c>Fit</c> and <c>Evaluate</c> write progress; the console when null.</summary>
    public TextWriter? Output { get; set; }

    /// <summary>Set by a callback in <see cref="Callback.OnTrainBegin"/> to start training at this epoch (a resumed run).</summary>
    internal int? ResumeEpoch { get; set; }

    /// <summary>Epochs of the current <c>Fit</c>, for callbacks.</summary>
    internal int TrainingEpochs { get; private set; }

    /// <summary>Batches per epoch of the current <c>Fit</c>, for callbacks.</summary>
    internal int TrainingBatches { get; private set; }

    /// <summary>
    /// Appends a layer. Its default name is made unique (<c>dense</c>, <c>dense_1</c>, ...); it gets a seed
    /// derived from the model's unless it has one; and when the model's input shape is known, the layer is
    /// checked against the previous layer's output and built.
    /// </summary>
    /// <param name="layer">The layer.</param>
    /// <exception cref="ArgumentException">The layer is already in the model, its name is taken, it returns several outputs, or it does not accept the previous layer's output.</exception>
    public void Add(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (_layers.Contains(layer))
        {
            throw new ArgumentException($"Layer '{layer.Name}' is already in model '{Name}'; create a new layer to add another of its kind.", nameof(layer));
        }

        if (layer is Recurrent { ReturnState: true })
        {
            throw new ArgumentException(
                $"Layer '{layer.Name}' returns its state as well as its output, but every layer of a Sequential model must have a single output; create it with returnState: false, or use the layer's own Forward for encoder–decoder models.",
                nameof(layer));
        }

        if (_layers.Any(l => l.Name == layer.Name))
        {
            if (!layer.HasDefaultName)
            {
                throw new ArgumentException($"Model '{Name}' already has a layer named '{layer.Name}'; layer names must be unique.", nameof(layer));
            }

            var baseName = layer.Name;
            var n = 1;
            while (_layers.Any(l => l.Name == $"{baseName}_{n}"))
            {
                n++;
            }

            layer.RenameDefault($"{baseName}_{n}");
        }

        var knownInput = _layers.Count == 0 ? layer.InputShape?.ToArray() : _inputShape is null ? null : OutputShapeAfter(_layers.Count, _inputShape);
        if (knownInput is not null && _layers.Count > 0)
        {
            try
            {
                layer.ComputeOutputShape(knownInput);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException(
                    $"Layer '{layer.Name}' cannot follow '{_layers[^1].Name}', whose output has shape [batch, {string.Join(", ", knownInput.Select(Describe))}]: {e.Message}"
                    + (_layers[^1] is Recurrent { ReturnSequences: false } && layer is Recurrent ? $" Create '{_layers[^1].Name}' with returnSequences: true to stack recurrent layers." : string.Empty),
                    nameof(layer),
                    e);
            }
        }

        layer.SetSeedIfUnset(unchecked((Seed * 7919) + _layers.Count + 1));
        _layers.Add(layer);
        _plans.Clear();
        if (_layers.Count == 1 && layer.InputShape is { } declared)
        {
            Build([.. declared]);
        }
        else if (knownInput is not null)
        {
            layer.Build(knownInput);
            _parameters = [.. _layers.SelectMany(l => l.Parameters)];
        }
    }

    /// <summary>
    /// Removes and returns the last layer (Keras's <c>pop</c>), for example to replace a trained model's head: pop it,
    /// freeze the rest (<see cref="Layer.Trainable"/>), <see cref="Add"/> a new head, compile and train.
    /// </summary>
    /// <returns>The removed layer, with its weights.</returns>
    /// <exception cref="InvalidOperationException">The model has no layers.</exception>
    public Layer Pop()
    {
        if (_layers.Count == 0)
        {
            throw new InvalidOperationException($"Model '{Name}' has no layers to pop.");
        }

        var layer = _layers[^1];
        _layers.RemoveAt(_layers.Count - 1);
        _parameters = [.. _layers.SelectMany(l => l.Parameters)];
        _plans.Clear();
        if (_layers.Count == 0)
        {
            _inputShape = null;
        }

        return layer;
    }

    /// <summary>Builds every layer for inputs of shape <paramref name="inputShape"/> (without batch; -1 for a varying time length).</summary>
    /// <param name="inputShape">The input shape without batch.</param>
    /// <exception cref="ArgumentException">A layer does not accept its input.</exception>
    public void Build(params ReadOnlySpan<int> inputShape)
    {
        if (_layers.Count == 0)
        {
            throw new InvalidOperationException($"Model '{Name}' has no layers; add some before building it.");
        }

        var shape = inputShape.ToArray();
        var model = shape;
        foreach (var layer in _layers)
        {
            layer.Build(shape);
            shape = layer.ComputeOutputShape(shape);
        }

        _inputShape = model;
        _parameters = [.. _layers.SelectMany(l => l.Parameters)];
        _plans.Clear();
    }

    /// <summary>Chooses how the model trains: the optimizer, the loss, and metrics to report.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="loss">The loss to minimize.</param>
    /// <param name="metrics">Metrics reported during training and evaluation.</param>
    public void Compile(Optimizer optimizer, Loss loss, params Metric[] metrics) => Compile(optimizer, loss, metrics, []);

    /// <summary>
    /// Chooses how the model trains, with metrics that the sample and class weights weight (Keras's <c>weighted_metrics</c>):
    /// each of those reports <c>Σ w·v / Σ w</c> over the sample-steps, with the weights <c>Fit</c>,
    /// <c>Evaluate</c> and <see cref="TrainOnBatch"/> are given (class weights only in training, as for the loss),
    /// and the plain mean when there are none. A weighted metric is logged under its name, or as
    /// <c>weighted_{name}</c> when an unweighted metric has that name (Keras's rule), so both can be compiled.
    /// </summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="loss">The loss to minimize.</param>
    /// <param name="metrics">Metrics reported without weights.</param>
    /// <param name="weightedMetrics">Metrics reported with the sample and class weights. Use new instances: a metric object holds state.</param>
    /// <exception cref="ArgumentException">Two metrics would be logged under one name, or one instance is given twice.</exception>
    public void Compile(Optimizer optimizer, Loss loss, IReadOnlyList<Metric> metrics, IReadOnlyList<Metric> weightedMetrics)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(weightedMetrics);
        var names = new HashSet<string>(StringComparer.Ordinal) { "loss" };
        var instances = new HashSet<Metric>(ReferenceEqualityComparer.Instance);
        foreach (var metric in metrics)
        {
            ArgumentNullException.ThrowIfNull(metric, nameof(metrics));
            if (!names.Add(metric.Name) || !instances.Add(metric))
            {
                throw new ArgumentException($"Model '{Name}' was given two metrics named '{metric.Name}' (or one named 'loss'); metric names must be unique.", nameof(metrics));
            }
        }

        var unweighted = new HashSet<string>(names, StringComparer.Ordinal);
        var weightedNames = new string[weightedMetrics.Count];
        for (var i = 0; i < weightedMetrics.Count; i++)
        {
            var metric = weightedMetrics[i];
            ArgumentNullException.ThrowIfNull(metric, nameof(weightedMetrics));
            if (!instances.Add(metric))
            {
                throw new ArgumentException(
                    $"Model '{Name}' was given the metric object '{metric.Name}' twice; a metric holds state, so each list needs its own instance (e.g. Metric.FromName(\"{metric.Name}\")).",
                    nameof(weightedMetrics));
            }

            var logged = unweighted.Contains(metric.Name) ? "weighted_" + metric.Name : metric.Name;
            if (!names.Add(logged))
            {
                throw new ArgumentException($"Model '{Name}' was given two weighted metrics logged as '{logged}'; metric names must be unique.", nameof(weightedMetrics));
            }

            weightedNames[i] = logged;
        }

        Optimizer = optimizer;
        Loss = loss;
        _metrics = [.. metrics];
        _weightedMetrics = [.. weightedMetrics];
        _weightedNames = weightedNames;
    }

    /// <summary>
    /// Trains the model for a number of epochs over (x, y) in batches, shuffling each epoch, and returns
    /// what it recorded. Every argument and the whole of the data are checked before any weight changes.
    /// </summary>
    /// <param name="x">Inputs, [samples, ...] (for recurrent models [samples, time, features]).</param>
    /// <param name="y">Targets, [samples, ...] as the loss expects.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Samples per gradient step (the last batch may be smaller).</param>
    /// <param name="validationSplit">Fraction of the samples, taken from the end before shuffling, to hold out for validation (Keras's rule).</param>
    /// <param name="validationData">Separate validation data (instead of <paramref name="validationSplit"/>).</param>
    /// <param name="shuffle">Shuffle the training samples every epoch.</param>
    /// <param name="classWeight">
    /// Weights by class index for the training loss (Keras's <c>class_weight</c>), for imbalanced classes; classes left out
    /// weigh 1. A sample-step's class is its target's: the index (sparse categorical cross-entropy), the largest entry of a
    /// one-hot row (categorical cross-entropy), or the target rounded to 0 or 1 (binary cross-entropy with one output).
    /// Multiplies <paramref name="sampleWeight"/>; not applied to validation.
    /// </param>
    /// <param name="sampleWeight">
    /// Finite, non-negative weights of the training loss (Keras's <c>sample_weight</c>): [samples], or [samples, time] for
    /// a sequence output (one per sample-step). The loss of a batch is <c>(1/n) Σ_s w_s ℓ_s</c> over its n counted
    /// sample-steps. With <paramref name="validationSplit"/>, the held-out samples' weights weight the validation loss.
    /// The metrics compiled as weighted metrics are weighted too (and, in training, by <paramref name="classWeight"/>).
    /// </param>
    /// <param name="validationSampleWeight">Weights of the validation loss for <paramref name="validationData"/>, [samples] or [samples, time] (Keras's third element of <c>validation_data</c>); null for none.</param>
    /// <param name="callbacks">Callbacks (early stopping, checkpoints, logging, custom code).</param>
    /// <param name="verbose">0: silent; 1: a progress bar on a terminal (one line per epoch when redirected); 2: one line per epoch.</param>
    /// <param name="onNonFiniteLoss">What to do when a batch's loss is NaN or infinite.</param>
    /// <param name="initialEpoch">The epoch to start at (Keras's <c>initial_epoch</c>), to continue an earlier run: epochs <paramref name="initialEpoch"/> to <paramref name="epochs"/> − 1 run.</param>
    /// <param name="cancellationToken">Stops training between batches by throwing <see cref="OperationCanceledException"/>.</param>
    /// <returns>The loss and metrics of every epoch.</returns>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">The data or an argument is not valid.</exception>
    /// <exception cref="TrainingDivergedException">A loss was NaN or infinite (see <paramref name="onNonFiniteLoss"/>).</exception>
    public History Fit(
        Tensor<float> x, Tensor<float> y, int epochs = 1, int batchSize = 32, float validationSplit = 0f,
        (Tensor<float> X, Tensor<float> Y)? validationData = null, bool shuffle = true, IReadOnlyDictionary<int, float>? classWeight = null,
        Tensor<float>? sampleWeight = null, Tensor<float>? validationSampleWeight = null, IEnumerable<Callback>? callbacks = null, int verbose = 1,
        NonFiniteLoss onNonFiniteLoss = NonFiniteLoss.Throw, int initialEpoch = 0, CancellationToken cancellationToken = default)
    {
        using var call = EnterCall(nameof(Fit));
        var (optimizer, loss) = RequireCompiled(nameof(Fit));
        CheckFitArguments(epochs, initialEpoch, verbose, onNonFiniteLoss);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);

        if (!(validationSplit >= 0f && validationSplit < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, "validationSplit must be in [0, 1).");
        }

        if (validationSplit > 0f && validationData is not null)
        {
            throw new ArgumentException("Give either validationSplit or validationData, not both.", nameof(validationData));
        }

        var samples = CheckData(x, y, "x", "y");
        var weighting = CheckWeighting(OutputShapeAfter(_layers.Count, x.Shape()[1..]), samples, sampleWeight, classWeight, loss);
        var validationWeighting = new SampleWeighting(sampleWeight, null);
        var trainCount = samples;
        Tensor<float>? validationX = null;
        Tensor<float>? validationY = null;
        var validationStart = 0;
        var validationCount = 0;
        if (validationSplit > 0f)
        {
            trainCount = DataSplit.ValidationSplitRow(samples, validationSplit);
            (validationX, validationY, validationStart, validationCount) = (x, y, trainCount, samples - trainCount);
        }
        else if (validationData is { } data)
        {
            validationCount = CheckData(data.X, data.Y, "validationData.X", "validationData.Y");
            (validationX, validationY) = (data.X, data.Y);
            validationWeighting = CheckWeighting(OutputShapeAfter(_layers.Count, data.X.Shape()[1..]), validationCount, validationSampleWeight, null, loss, nameof(validationSampleWeight));
        }

        if (validationSampleWeight is not null && validationData is null)
        {
            throw new ArgumentException("validationSampleWeight weighs the loss on validationData, which was not given.", nameof(validationSampleWeight));
        }

        CheckStatefulBatches(trainCount, batchSize, "training samples");
        if (validationCount > 0)
        {
            CheckStatefulBatches(validationCount, batchSize, "validation samples");
        }

        // Check every target against the loss before any weight changes.
        ValidateTargets(x, y, 0, trainCount, batchSize, loss);
        if (validationX is not null)
        {
            ValidateTargets(validationX, validationY!, validationStart, validationCount, batchSize, loss);
        }

        return RunEpochs(
            optimizer,
            loss,
            epochs,
            (trainCount + batchSize - 1) / batchSize,
            trainCount,
            shuffle,
            (int[] order, int batch, out int count, out ReadOnlySpan<float> weights) =>
            {
                var start = batch * batchSize;
                count = Math.Min(batchSize, trainCount - start);
                var plan = PlanFor(x, y, count);
                Batching.GatherRows(x, order.AsSpan(start, count), plan.Input.AsFlatSpan());
                Batching.GatherRows(y, order.AsSpan(start, count), plan.Target!.AsFlatSpan());
                weights = RowWeights(plan, weighting, order.AsSpan(start, count), 0, loss);
                return plan;
            },
            null,
            validationX is null ? null : () => EvaluateRange(validationX, validationY!, validationStart, validationCount, batchSize, loss, validationWeighting),
            callbacks,
            verbose,
            onNonFiniteLoss,
            initialEpoch,
            cancellationToken);
    }

    /// <summary>
    /// Trains the model on batches a <see cref="BatchSource"/> makes on demand (Keras's <c>fit</c> on a <c>PyDataset</c>),
    /// for data that is too large to hold at once or is built on the fly. Each epoch asks for every batch once, in a
    /// shuffled order when <paramref name="shuffle"/>; then calls <see cref="BatchSource.OnEpochEnd"/>; then evaluates
    /// <paramref name="validationData"/>. Batches are checked as they come (shapes, targets, weights): a bad one throws,
    /// naming its index, before it changes any weight, but the batches before it have trained.
    /// </summary>
    /// <param name="data">The training batches, with their sample weights if they have any.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="validationData">Batches to evaluate after each epoch (logged with a <c>val_</c> prefix), or null.</param>
    /// <param name="shuffle">Ask for the batches in a new random order each epoch (the samples inside a batch stay as the source made them).</param>
    /// <param name="classWeight">Weights by class index for the training loss, as in <see cref="Fit(Tensor{float}, Tensor{float}, int, int, float, ValueTuple{Tensor{float}, Tensor{float}}?, bool, IReadOnlyDictionary{int, float}?, Tensor{float}?, Tensor{float}?, IEnumerable{Callback}?, int, NonFiniteLoss, int, CancellationToken)"/>; multiplies the batches' sample weights.</param>
    /// <param name="callbacks">Callbacks (early stopping, checkpoints, logging, custom code).</param>
    /// <param name="verbose">0: silent; 1: a progress bar on a terminal (one line per epoch when redirected); 2: one line per epoch.</param>
    /// <param name="onNonFiniteLoss">What to do when a batch's loss is NaN or infinite.</param>
    /// <param name="initialEpoch">The epoch to start at (Keras's <c>initial_epoch</c>), to continue an earlier run.</param>
    /// <param name="cancellationToken">Stops training between batches by throwing <see cref="OperationCanceledException"/>.</param>
    /// <returns>The loss and metrics of every epoch.</returns>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">An argument is not valid, or a batch does not suit the model (the message names the batch).</exception>
    /// <exception cref="TrainingDivergedException">A loss was NaN or infinite (see <paramref name="onNonFiniteLoss"/>).</exception>
    public History Fit(
        BatchSource data, int epochs = 1, BatchSource? validationData = null, bool shuffle = true, IReadOnlyDictionary<int, float>? classWeight = null,
        IEnumerable<Callback>? callbacks = null, int verbose = 1, NonFiniteLoss onNonFiniteLoss = NonFiniteLoss.Throw, int initialEpoch = 0,
        CancellationToken cancellationToken = default)
    {
        using var call = EnterCall(nameof(Fit));
        var (optimizer, loss) = RequireCompiled(nameof(Fit));
        ArgumentNullException.ThrowIfNull(data);
        CheckFitArguments(epochs, initialEpoch, verbose, onNonFiniteLoss);

        var batches = BatchCountOf(data, nameof(data));
        if (validationData is not null)
        {
            BatchCountOf(validationData, nameof(validationData));
        }

        using var prefetch = new BatchPrefetch(data);
        return RunEpochs(
            optimizer,
            loss,
            epochs,
            batches,
            batches,
            shuffle,
            (int[] order, int batch, out int count, out ReadOnlySpan<float> weights) => PlanForSourceBatch(
                prefetch, data, order[batch], batch + 1 < batches ? order[batch + 1] : -1, nameof(data), loss, classWeight, out count, out weights),
            data.OnEpochEnd,
            validationData is null ? null : () => EvaluateSource(validationData, loss),
            callbacks,
            verbose,
            onNonFiniteLoss,
            initialEpoch,
            cancellationToken);
    }

    /// <summary>
    /// The epoch loop both <c>Fit</c>s share: callbacks, progress, an order of <paramref name="orderLength"/> samples (or
    /// batches) shuffled again each epoch when <paramref name="shuffle"/>, one <see cref="TrainStep"/> per batch that
    /// <paramref name="feed"/> fills from it, running means of the loss and metrics, and validation after each epoch.
    /// </summary>
    private History RunEpochs(
        Optimizer optimizer,
        Loss loss,
        int epochs,
        int batches,
        int orderLength,
        bool shuffle,
        BatchFeed feed,
        Action? endEpoch,
        Func<Dictionary<string, float>>? validate,
        IEnumerable<Callback>? callbacks,
        int verbose,
        NonFiniteLoss onNonFiniteLoss,
        int initialEpoch,
        CancellationToken cancellationToken)
    {
        // A backup (BackupAndRestore) saves and restores the order, which belongs to this Fit only.
        var order = Enumerable.Range(0, orderLength).ToArray();
        _epochOrder = order;
        var callbackList = callbacks?.ToList() ?? [];
        try
        {
            var display = new ProgressDisplay(Output ?? Console.Out, verbose, Output is null && !Console.IsOutputRedirected, epochs, batches);
            var history = new History();
            var logs = new Dictionary<string, float>();
            TrainingEpochs = epochs;
            TrainingBatches = batches;
            StopTraining = false;
            ResumeEpoch = null;
            foreach (var callback in callbackList)
            {
                callback.Model = this;
                callback.OnTrainBegin();
            }

            // A callback that restored an interrupted run (BackupAndRestore) says where it stopped.
            var first = Math.Max(initialEpoch, ResumeEpoch ?? 0);
            ResumeEpoch = null;
            for (var epoch = first; epoch < epochs && !StopTraining; epoch++)
            {
                foreach (var callback in callbackList)
                {
                    callback.OnEpochBegin(epoch);
                }

                display.EpochBegin(epoch);
                if (shuffle)
                {
                    _random.Shuffle(order);
                }

                ResetMetrics();
                var lossSum = 0.0;
                var seen = 0;
                var stopped = false;
                for (var batch = 0; batch < batches; batch++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var plan = feed(order, batch, out var count, out var weights);
                    var batchLoss = TrainStep(plan, optimizer, loss, epoch, batch, onNonFiniteLoss, ref stopped, weights);
                    if (stopped)
                    {
                        StopTraining = true;
                        break;
                    }

                    lossSum += (double)batchLoss * count;
                    seen += count;
                    _batchLogs.Clear();
                    _batchLogs["loss"] = (float)(lossSum / seen);
                    LogMetrics(_batchLogs);
                    display.BatchEnd(batch, _batchLogs);
                    foreach (var callback in callbackList)
                    {
                        callback.OnBatchEnd(batch, _batchLogs);
                    }
                }

                if (stopped)
                {
                    break;
                }

                endEpoch?.Invoke();
                logs = new Dictionary<string, float>(_batchLogs);
                if (validate is not null)
                {
                    foreach (var (key, value) in validate())
                    {
                        logs["val_" + key] = value;
                    }
                }

                history.Add(epoch, logs);
                display.EpochEnd(epoch, logs);
                foreach (var callback in callbackList)
                {
                    callback.OnEpochEnd(epoch, logs);
                }
            }

            foreach (var callback in callbackList)
            {
                callback.OnTrainEnd(logs);
            }

            return history;
        }
        finally
        {
            _epochOrder = null;
        }
    }

    /// <summary>
    /// One gradient step on one batch: forward, loss, backward, optimizer update. Allocates nothing once the
    /// batch shape has been seen.
    /// </summary>
    /// <param name="x">Inputs of the batch, [batch, ...].</param>
    /// <param name="y">Targets of the batch, [batch, ...].</param>
    /// <param name="sampleWeight">Weights of the loss, [batch] or [batch, time], as in <c>Fit</c>; null for none.</param>
    /// <param name="classWeight">Weights by class index, as in <c>Fit</c>; null for none.</param>
    /// <returns>The batch's loss (before the update).</returns>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">The batch does not suit the model.</exception>
    /// <exception cref="TrainingDivergedException">The loss is NaN or infinite; no weight changed.</exception>
    public float TrainOnBatch(Tensor<float> x, Tensor<float> y, Tensor<float>? sampleWeight = null, IReadOnlyDictionary<int, float>? classWeight = null)
    {
        using var call = EnterCall(nameof(TrainOnBatch));
        var (optimizer, loss) = RequireCompiled(nameof(TrainOnBatch));
        var rows = CheckData(x, y, "x", "y");
        CheckStatefulBatches(rows, rows, "samples");
        var plan = PlanFor(x, y, rows);
        var weighting = CheckWeighting(plan.OutputShape.AsSpan(1), rows, sampleWeight, classWeight, loss);
        x.AsFlatSpan().CopyTo(plan.Input.AsFlatSpan());
        y.AsFlatSpan().CopyTo(plan.Target!.AsFlatSpan());
        ResetMetrics();
        var stopped = false;
        return TrainStep(plan, optimizer, loss, 0, 0, NonFiniteLoss.Throw, ref stopped, RowWeights(plan, weighting, default, 0, loss));
    }

    /// <summary>Computes the loss and metrics on (x, y) without training.</summary>
    /// <param name="x">Inputs, [samples, ...].</param>
    /// <param name="y">Targets, [samples, ...].</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    /// <param name="verbose">0: silent; 1 or 2: print the results.</param>
    /// <param name="sampleWeight">Weights of the loss, [samples] or [samples, time], as in <c>Fit</c>; null for none. Metrics compiled as weighted metrics are weighted with them, the others not.</param>
    /// <returns><c>loss</c> and each metric by name.</returns>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">The data does not suit the model.</exception>
    public IReadOnlyDictionary<string, float> Evaluate(Tensor<float> x, Tensor<float> y, int batchSize = 32, int verbose = 0, Tensor<float>? sampleWeight = null)
    {
        using var call = EnterCall(nameof(Evaluate));
        var (_, loss) = RequireCompiled(nameof(Evaluate));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        CheckVerbose(verbose);
        var samples = CheckData(x, y, "x", "y");
        var weighting = CheckWeighting(OutputShapeAfter(_layers.Count, x.Shape()[1..]), samples, sampleWeight, null, loss);
        CheckStatefulBatches(samples, batchSize, "samples");
        ValidateTargets(x, y, 0, samples, batchSize, loss);
        var results = EvaluateRange(x, y, 0, samples, batchSize, loss, weighting);
        if (verbose > 0)
        {
            (Output ?? Console.Out).WriteLine(string.Join(" - ", results.Select(r => $"{r.Key}: {ProgressDisplay.FormatValue(r.Value)}")));
        }

        return results;
    }

    /// <summary>Computes the loss and metrics over every batch of <paramref name="data"/> without training (Keras's <c>evaluate</c> on a <c>PyDataset</c>).</summary>
    /// <param name="data">The batches, with their sample weights if they have any.</param>
    /// <param name="verbose">0: silent; 1 or 2: print the results.</param>
    /// <returns><c>loss</c> (the mean over samples) and each metric by name.</returns>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">A batch does not suit the model (the message names it).</exception>
    public IReadOnlyDictionary<string, float> Evaluate(BatchSource data, int verbose = 0)
    {
        using var call = EnterCall(nameof(Evaluate));
        var (_, loss) = RequireCompiled(nameof(Evaluate));
        ArgumentNullException.ThrowIfNull(data);
        CheckVerbose(verbose);
        var results = EvaluateSource(data, loss, nameof(data));
        if (verbose > 0)
        {
            (Output ?? Console.Out).WriteLine(string.Join(" - ", results.Select(r => $"{r.Key}: {ProgressDisplay.FormatValue(r.Value)}")));
        }

        return results;
    }

    /// <summary>Runs the model on any number of samples, in batches.</summary>
    /// <param name="x">Inputs, [samples, ...].</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    /// <returns>Outputs, [samples, ...].</returns>
    /// <exception cref="ArgumentException">The data does not suit the model.</exception>
    public Tensor<float> Predict(Tensor<float> x, int batchSize = 32)
    {
        using var call = EnterCall(nameof(Predict));
        var samples = CheckInputs(x, "x");
        var plan = PlanFor(x, null, Math.Min(batchSize, samples));
        var output = TensorExtensions.Zeros([samples, .. plan.OutputShape[1..]]);
        Predict(x, output, batchSize);
        return output;
    }

    /// <summary>Runs the model on any number of samples, in batches, into a given tensor (no allocation once warmed up).</summary>
    /// <param name="x">Inputs, [samples, ...].</param>
    /// <param name="output">Outputs, [samples, ...] (written).</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    /// <exception cref="ArgumentException">The data or the output's shape does not suit the model.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Predict(Tensor<float> x, Tensor<float> output, int batchSize = 32)
    {
        using var call = EnterCall(nameof(Predict));
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var samples = CheckInputs(x, "x");
        CheckStatefulBatches(samples, batchSize, "samples");
        var destination = output.AsFlatSpan();
        var rowLength = 0;
        for (var start = 0; start < samples; start += batchSize)
        {
            var count = Math.Min(batchSize, samples - start);
            var plan = PlanFor(x, null, count);
            rowLength = plan.Output.AsFlatSpan().Length / count;
            if (start == 0 && (output.Rank != plan.OutputShape.Length || output.Lengths[0] != samples || destination.Length != samples * rowLength))
            {
                throw new ArgumentException(
                    $"Model '{Name}' writes outputs of shape [{samples}, {string.Join(", ", plan.OutputShape[1..])}] but the given output has shape {output.ShapeString()}.",
                    nameof(output));
            }

            if (count == samples && output.Lengths.SequenceEqual(plan.Output.Lengths) && !x.AsFlatSpan().Overlaps(destination))
            {
                // One batch covers everything: run from x into output directly (4 MB fewer copied for LSTM medium).
                plan.Forward(_layers, x, output);
                break;
            }

            var rowSize = plan.Input.AsFlatSpan().Length / count;
            x.AsFlatSpan().Slice(start * rowSize, count * rowSize).CopyTo(plan.Input.AsFlatSpan());
            plan.Forward(_layers, training: false);
            plan.Output.AsFlatSpan().CopyTo(destination.Slice(start * rowLength, count * rowLength));
        }
    }

    /// <summary>
    /// Runs the model on every batch of <paramref name="data"/>, in order, and returns the outputs one after another
    /// (Keras's <c>predict</c> on a <c>PyDataset</c>); targets and weights, if the batches have them, are not used.
    /// </summary>
    /// <param name="data">The batches.</param>
    /// <returns>Outputs, [all samples, ...].</returns>
    /// <exception cref="ArgumentException">A batch does not suit the model, or its outputs differ in shape (apart from the sample count) from the first batch's, so that they cannot be stacked; the message names the batch.</exception>
    public Tensor<float> Predict(BatchSource data)
    {
        using var call = EnterCall(nameof(Predict));
        ArgumentNullException.ThrowIfNull(data);
        var batches = BatchCountOf(data, nameof(data));
        var outputs = new List<float[]>(batches);
        int[]? rowShape = null;
        var samples = 0;
        using var prefetch = new BatchPrefetch(data);
        for (var index = 0; index < batches; index++)
        {
            var item = GetBatch(prefetch, data, index, index + 1 < batches ? index + 1 : -1);
            ExecutionPlan plan;
            int count;
            try
            {
                count = CheckInputs(item.X, "X");
                CheckStatefulBatches(count, count, "samples");
                plan = PlanFor(item.X, null, count);
                var shape = plan.OutputShape[1..];
                rowShape ??= shape;
                if (!shape.AsSpan().SequenceEqual(rowShape))
                {
                    throw new ArgumentException(
                        $"Its outputs have shape [samples, {string.Join(", ", shape)}] but the first batch's had [samples, {string.Join(", ", rowShape)}], so they cannot be stacked; give every batch the same number of steps.");
                }
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Model '{Name}' cannot use batch {index} of data ({data.GetType().Name}): {e.Message}", nameof(data), e);
            }

            item.X.AsFlatSpan().CopyTo(plan.Input.AsFlatSpan());
            plan.Forward(_layers, training: false);
            outputs.Add(plan.Output.AsFlatSpan().ToArray());
            samples += count;
        }

        var result = new float[outputs.Sum(o => (long)o.Length)];
        var offset = 0;
        foreach (var output in outputs)
        {
            output.CopyTo(result, offset);
            offset += output.Length;
        }

        return Tensor.Create(result, [samples, .. rowShape!.Select(d => (nint)d)]);
    }

    /// <summary>
    /// Starts a session that feeds the model one step (or chunk) at a time, carrying recurrent state between
    /// calls; see <see cref="StreamingSession"/>.
    /// </summary>
    /// <param name="batchSize">Sequences processed side by side.</param>
    /// <returns>A session starting from zero states.</returns>
    /// <exception cref="InvalidOperationException">The model is not built (its input shape is unknown).</exception>
    /// <exception cref="NotSupportedException">A layer reads the sequence backwards.</exception>
    public StreamingSession StartStreaming(int batchSize = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (!IsBuilt)
        {
            if (_layers.Count > 0 && _layers[0].InputShape is { } declared)
            {
                Build([.. declared]);
            }
            else
            {
                throw new InvalidOperationException($"Model '{Name}' is not built: declare the first layer's inputShape or call Build before streaming.");
            }
        }

        if (InputShape!.Count != 2 && !(InputShape.Count == 1 && _layers[0] is Embedding))
        {
            throw new NotSupportedException(
                $"Model '{Name}' takes inputs of shape [batch, {string.Join(", ", InputShape.Select(Describe))}]; a stream feeds sequences, [batch, time, features] (or [batch, time] token ids into an Embedding).");
        }

        return new StreamingSession(this, batchSize);
    }

    /// <summary>A copy of every parameter's values, in <see cref="Parameters"/> order (Keras's <c>get_weights</c>).</summary>
    /// <returns>One array per parameter.</returns>
    public float[][] GetWeights() => [.. _parameters.Select(p => (float[])p.Data.Clone())];

    /// <summary>Sets every parameter's values, in <see cref="Parameters"/> order (Keras's <c>set_weights</c>).</summary>
    /// <param name="weights">One array per parameter, each of the parameter's length.</param>
    /// <exception cref="ArgumentException">The number or lengths of the arrays differ from the parameters'.</exception>
    public void SetWeights(IReadOnlyList<float[]> weights)
    {
        using var call = EnterCall(nameof(SetWeights));
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count != _parameters.Length)
        {
            throw new ArgumentException($"Model '{Name}' has {_parameters.Length} parameters but {weights.Count} arrays were given.", nameof(weights));
        }

        for (var i = 0; i < weights.Count; i++)
        {
            if (weights[i] is null || weights[i].Length != _parameters[i].Length)
            {
                throw new ArgumentException(
                    $"Model '{Name}': array {i} has {weights[i]?.Length ?? 0} values but parameter {i} ({_parameters[i]}) has {_parameters[i].Length}.", nameof(weights));
            }
        }

        for (var i = 0; i < weights.Count; i++)
        {
            _parameters[i].Assign(weights[i]);
        }
    }

    /// <summary>A table of the layers, their output shapes and parameter counts (Keras's <c>summary()</c>).</summary>
    /// <returns>The table as text.</returns>
    public string Summary()
    {
        var text = new StringBuilder();
        var line = new string('_', 72);
        text.AppendLine(CultureInfo.InvariantCulture, $"Model: \"{Name}\"").AppendLine(line);
        text.AppendLine(CultureInfo.InvariantCulture, $" {"Layer (type)",-32}{"Output Shape",-24}{"Param #",14}").AppendLine(new string('=', 72));
        var shape = InputShape?.ToArray();
        foreach (var layer in _layers)
        {
            string shapeText;
            if (shape is not null)
            {
                shape = layer.ComputeOutputShape(shape);
                shapeText = "(None, " + string.Join(", ", shape.Select(s => s < 0 ? "None" : s.ToString(CultureInfo.InvariantCulture))) + ")";
            }
            else
            {
                shapeText = "?";
            }

            var count = layer.IsBuilt ? layer.ParameterCount.ToString("N0", CultureInfo.InvariantCulture) : "?";
            text.AppendLine(CultureInfo.InvariantCulture, $" {$"{layer.Name} ({layer.GetType().Name})",-32}{shapeText,-24}{count,14}");
        }

        text.AppendLine(new string('=', 72));
        var total = _parameters.Sum(p => (long)p.Length);
        var trainable = TrainableParameters.Sum(p => (long)p.Length);
        text.AppendLine(CultureInfo.InvariantCulture, $"Total params: {total:N0} ({total * 4 / 1024.0:0.00} KB)");
        text.AppendLine(CultureInfo.InvariantCulture, $"Trainable params: {trainable:N0} ({trainable * 4 / 1024.0:0.00} KB)");
        text.AppendLine(CultureInfo.InvariantCulture, $"Non-trainable params: {total - trainable:N0} ({(total - trainable) * 4 / 1024.0:0.00} KB)");
        if (!IsBuilt)
        {
            text.AppendLine("The model is not built yet: declare the first layer's inputShape, call Build, or pass it data.");
        }

        return text.ToString();
    }

    private static string Describe(int size) => size < 0 ? "any" : size.ToString(CultureInfo.InvariantCulture);

    private static void CheckVerbose(int verbose)
    {
        if (verbose is < 0 or > 2)
        {
            throw new ArgumentOutOfRangeException(nameof(verbose), verbose, "verbose must be 0 (silent), 1 (progress bar) or 2 (one line per epoch).");
        }
    }

    private static void CopyRows(Tensor<float> source, int start, int count, Tensor<float> destination)
    {
        var from = source.AsFlatSpan();
        var rowSize = from.Length / (int)source.Lengths[0];
        from.Slice(start * rowSize, count * rowSize).CopyTo(destination.AsFlatSpan());
    }

    /// <summary>Forgets the carried states of every <see cref="Recurrent.Stateful"/> layer (Keras's <c>reset_states</c>): the next batch starts from zeros.</summary>
    public void ResetStates()
    {
        using var call = EnterCall(nameof(ResetStates));
        foreach (var layer in _layers.OfType<Recurrent>())
        {
            layer.ResetStates();
        }
    }

    /// <summary>
    /// With stateful layers every batch must have the same number of sequences (the states of sequence i carry to
    /// sequence i of the next batch): <paramref name="samples"/> must split into equal batches of
    /// min(<paramref name="batchSize"/>, samples), the size of the states carried so far, if any.
    /// </summary>
    private void CheckStatefulBatches(int samples, int batchSize, string what)
    {
        var batch = Math.Min(batchSize, samples);
        foreach (var candidate in _layers)
        {
            if (candidate is not Recurrent { Stateful: true } layer)
            {
                continue;
            }

            if (samples % batch != 0)
            {
                throw new ArgumentException(
                    $"Model '{Name}' has the stateful layer '{layer.Name}', whose batches must all have the same number of sequences, but {samples} {what} do not split into batches of {batch}; use a batch size that divides the number of samples.",
                    nameof(batchSize));
            }

            layer.CheckCarriedBatch(batch);
        }
    }

    private (Optimizer Optimizer, Loss Loss) RequireCompiled(string operation)
        => Optimizer is not null && Loss is not null
            ? (Optimizer, Loss)
            : throw new InvalidOperationException($"Model '{Name}' must be compiled before {operation}: call Compile(optimizer, loss) first.");

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private float TrainStep(ExecutionPlan plan, Optimizer optimizer, Loss loss, int epoch, int batch, NonFiniteLoss onNonFiniteLoss, ref bool stopped, ReadOnlySpan<float> weights)
    {
        plan.Forward(_layers, training: true);
        var value = loss.Compute(plan.Output, plan.Target!, plan.OutputMask, plan.OutputMasked, plan.OutputGradient, weights);
        if (!float.IsFinite(value))
        {
            switch (onNonFiniteLoss)
            {
                case NonFiniteLoss.Throw:
                    throw new TrainingDivergedException(epoch + 1, batch + 1, value);
                case NonFiniteLoss.Stop:
                    stopped = true;
                    return value;
                default:
                    break;
            }
        }

        UpdateMetrics(plan, weights);
        RefreshTrainable();
        foreach (var parameter in _trainable)
        {
            parameter.ZeroGradient();
        }

        plan.Backward(_layers, _firstTrainableLayer);
        optimizer.Step(_trainable);
        return value;
    }

    /// <summary>
    /// Fills the plan of training batch <paramref name="batch"/> and gives its size and per-sample-step weights; the epoch's
    /// <paramref name="order"/> of samples (or of a source's batches) says which it holds.
    /// </summary>
    private delegate ExecutionPlan BatchFeed(int[] order, int batch, out int count, out ReadOnlySpan<float> weights);

    /// <summary>
    /// Brings <see cref="TrainableParameters"/> and the first layer backward must reach up to date with the layers'
    /// <see cref="Layer.Trainable"/> flags, which callers may flip at any time; allocates only when something changed.
    /// </summary>
    private void RefreshTrainable()
    {
        var changed = _trainableFrom != _parameters || _trainableLayers.Length != _layers.Count;
        for (var i = 0; i < _layers.Count && !changed; i++)
        {
            changed = _trainableLayers[i] != _layers[i].Trainable;
        }

        if (!changed)
        {
            return;
        }

        _trainableLayers = [.. _layers.Select(l => l.Trainable)];
        _trainable = [.. _layers.Where(l => l.Trainable).SelectMany(l => l.Parameters)];
        _trainableFrom = _parameters;

        // Backward stops at the first layer that has something to train: nothing before it needs a gradient.
        var first = _layers.FindIndex(l => l.Trainable && l.Parameters.Count > 0);
        _firstTrainableLayer = first < 0 ? _layers.Count : first;
    }

    /// <summary>Adds the batch in <paramref name="plan"/> to every metric; the weighted ones get <paramref name="weights"/> (per sample-step, or empty).</summary>
    private void UpdateMetrics(ExecutionPlan plan, ReadOnlySpan<float> weights)
    {
        foreach (var metric in _metrics)
        {
            metric.Update(plan.Output, plan.Target!, plan.OutputMask, plan.OutputMasked);
        }

        foreach (var metric in _weightedMetrics)
        {
            metric.Update(plan.Output, plan.Target!, plan.OutputMask, plan.OutputMasked, weights);
        }
    }

    private void ResetMetrics()
    {
        foreach (var metric in _metrics)
        {
            metric.Reset();
        }

        foreach (var metric in _weightedMetrics)
        {
            metric.Reset();
        }
    }

    /// <summary>Writes every metric's result into <paramref name="logs"/> under the name it is logged as.</summary>
    private void LogMetrics(Dictionary<string, float> logs)
    {
        foreach (var metric in _metrics)
        {
            logs[metric.Name] = metric.Result;
        }

        for (var i = 0; i < _weightedMetrics.Length; i++)
        {
            logs[_weightedNames[i]] = _weightedMetrics[i].Result;
        }
    }

    /// <summary>Batch <paramref name="index"/> of <paramref name="source"/>, checked and copied into its plan, with the weight of every sample-step.</summary>
    /// <exception cref="ArgumentException">The batch does not suit the model, its loss or its weights; the message names the batch.</exception>
    private ExecutionPlan PlanForSourceBatch(
        BatchPrefetch prefetch, BatchSource source, int index, int following, string argument, Loss loss, IReadOnlyDictionary<int, float>? classWeight,
        out int count, out ReadOnlySpan<float> weights)
    {
        var item = GetBatch(prefetch, source, index, following);
        ExecutionPlan plan;
        SampleWeighting weighting;
        try
        {
            if (item.Y is null)
            {
                throw new ArgumentException("It has no targets (Y is null); training and evaluation need them.", argument);
            }

            count = CheckData(item.X, item.Y, "X", "Y");
            CheckStatefulBatches(count, count, "samples");
            ValidateTargets(item.X, item.Y, 0, count, count, loss);
            plan = PlanFor(item.X, item.Y, count);
            weighting = CheckWeighting(plan.OutputShape.AsSpan(1), count, item.SampleWeight, classWeight, loss, "SampleWeight");
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"Model '{Name}' cannot use batch {index} of {argument} ({source.GetType().Name}): {e.Message}", argument, e);
        }

        item.X.AsFlatSpan().CopyTo(plan.Input.AsFlatSpan());
        item.Y!.AsFlatSpan().CopyTo(plan.Target!.AsFlatSpan());
        weights = RowWeights(plan, weighting, default, 0, loss);
        return plan;
    }

    /// <summary>The loss and metrics over every batch of <paramref name="source"/>, as <see cref="EvaluateRange"/> over tensors.</summary>
    private Dictionary<string, float> EvaluateSource(BatchSource source, Loss loss, string argument = "validationData")
    {
        ResetMetrics();
        var sum = 0.0;
        var samples = 0L;
        var batches = BatchCountOf(source, argument);
        using var prefetch = new BatchPrefetch(source);
        for (var index = 0; index < batches; index++)
        {
            var plan = PlanForSourceBatch(prefetch, source, index, index + 1 < batches ? index + 1 : -1, argument, loss, null, out var count, out var weights);
            sum += (double)EvaluateBatch(plan, weights, loss) * count;
            samples += count;
        }

        var results = new Dictionary<string, float> { ["loss"] = (float)(sum / samples) };
        LogMetrics(results);
        return results;
    }

    /// <summary>The loss of the batch in <paramref name="plan"/> (forward pass without training), adding it to the metrics.</summary>
    private float EvaluateBatch(ExecutionPlan plan, ReadOnlySpan<float> weights, Loss loss)
    {
        plan.Forward(_layers, training: false);
        var value = loss.Compute(plan.Output, plan.Target!, plan.OutputMask, plan.OutputMasked, null, weights);
        UpdateMetrics(plan, weights);
        return value;
    }

    /// <summary>Checks the arguments both <c>Fit</c>s take.</summary>
    private static void CheckFitArguments(int epochs, int initialEpoch, int verbose, NonFiniteLoss onNonFiniteLoss)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        CheckVerbose(verbose);
        if (!Enum.IsDefined(onNonFiniteLoss))
        {
            throw new ArgumentOutOfRangeException(nameof(onNonFiniteLoss), onNonFiniteLoss, "Unknown NonFiniteLoss value.");
        }

        if (initialEpoch < 0 || initialEpoch > epochs)
        {
            throw new ArgumentOutOfRangeException(nameof(initialEpoch), initialEpoch, $"initialEpoch must be from 0 to epochs ({epochs}): training runs epochs initialEpoch to epochs − 1.");
        }
    }

    private DataBatch GetBatch(BatchPrefetch prefetch, BatchSource source, int index, int following)
        => prefetch.Get(index, following)
            ?? throw new InvalidOperationException($"Model '{Name}': {source.GetType().Name}.GetBatch({index}) returned null; a batch source must return a batch for every index below BatchCount.");

    private int BatchCountOf(BatchSource source, string argument)
    {
        var batches = source.BatchCount;
        return batches >= 1 ? batches
            : throw new ArgumentException($"Model '{Name}' was given a {source.GetType().Name} with {batches} batches as {argument}; a batch source needs at least one batch.", argument);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Dictionary<string, float> EvaluateRange(Tensor<float> x, Tensor<float> y, int start, int count, int batchSize, Loss loss, SampleWeighting weighting)
    {
        ResetMetrics();
        var sum = 0.0;
        for (var offset = 0; offset < count; offset += batchSize)
        {
            var n = Math.Min(batchSize, count - offset);
            var plan = PlanFor(x, y, n);
            CopyRows(x, start + offset, n, plan.Input);
            CopyRows(y, start + offset, n, plan.Target!);
            sum += (double)EvaluateBatch(plan, RowWeights(plan, weighting, default, start + offset, loss), loss) * n;
        }

        var results = new Dictionary<string, float> { ["loss"] = (float)(sum / count) };
        LogMetrics(results);
        return results;
    }

    /// <summary>Runs the loss over every batch of targets so that bad targets are reported before training changes anything.</summary>
    private void ValidateTargets(Tensor<float> x, Tensor<float> y, int start, int count, int batchSize, Loss loss)
    {
        for (var offset = 0; offset < count; offset += batchSize)
        {
            var n = Math.Min(batchSize, count - offset);
            var plan = PlanFor(x, y, n);
            CopyRows(y, start + offset, n, plan.Target!);
            try
            {
                loss.Compute(plan.Output, plan.Target!);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Model '{Name}' cannot train on these targets (samples {start + offset}..{start + offset + n - 1}): {e.Message}", nameof(y), e);
            }
        }
    }

    /// <summary>Checks x and y against each other and the model; builds the model from x if needed; returns the sample count.</summary>
    private int CheckData(Tensor<float> x, Tensor<float> y, string xName, string yName)
    {
        var samples = CheckInputs(x, xName);
        ArgumentNullException.ThrowIfNull(y, yName);
        if (y.Rank < 1 || y.Lengths[0] != samples)
        {
            throw new ArgumentException(
                $"{xName} has {samples} samples (shape {x.ShapeString()}) but {yName} has {(y.Rank < 1 ? 0 : y.Lengths[0])} (shape {y.ShapeString()}); they must have the same number of rows.",
                yName);
        }

        RequireDense(y, yName);

        return samples;
    }

    private int CheckInputs(Tensor<float> x, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (_layers.Count == 0)
        {
            throw new InvalidOperationException($"Model '{Name}' has no layers.");
        }

        if (x.Rank < 2 || x.Lengths[0] < 1 || x.FlattenedLength == 0)
        {
            throw new ArgumentException($"{name} must hold at least one sample, [samples, ...], but has shape {x.ShapeString()}.", name);
        }

        RequireDense(x, name);

        if (!IsBuilt)
        {
            var shape = x.Shape()[1..];
            if (_layers[0].InputShape is { } declared)
            {
                Build([.. declared]);
            }
            else
            {
                var built = (int[])shape.Clone();
                if (built.Length >= 2)
                {
                    built[0] = -1;
                }

                Build(built);
            }
        }

        // The first layer names what is wrong with the input (rank, features, token ids...).
        _layers[0].PrepareForward(x);
        return (int)x.Lengths[0];
    }

    private static void RequireDense(Tensor<float> tensor, string name)
    {
        if (!tensor.IsDense)
        {
            throw new ArgumentException($"{name} must be a dense tensor.", name);
        }
    }

    private ExecutionPlan PlanFor(Tensor<float> x, Tensor<float>? y, int batch)
    {
        Span<nint> inputLengths = stackalloc nint[x.Rank];
        x.Lengths.CopyTo(inputLengths);
        inputLengths[0] = batch;
        Span<nint> targetLengths = stackalloc nint[y?.Rank ?? 0];
        if (y is not null)
        {
            y.Lengths.CopyTo(targetLengths);
            targetLengths[0] = batch;
        }

        foreach (var plan in _plans)
        {
            if (plan.Matches(inputLengths, targetLengths))
            {
                return plan;
            }
        }

        var inputShape = x.Shape();
        inputShape[0] = batch;
        var created = new ExecutionPlan(_layers, inputShape, y is null ? null : y.Shape()[1..]);

        // Keep a few shapes (full batches, the last partial batch, validation, prediction); drop the oldest.
        if (_plans.Count >= 8)
        {
            _plans.RemoveAt(0);
        }

        _plans.Add(created);
        return created;
    }

    private int[] OutputShapeAfter(int count, int[] inputShape)
    {
        var shape = inputShape;
        for (var i = 0; i < count; i++)
        {
            shape = _layers[i].ComputeOutputShape(shape);
        }

        return shape;
    }
}
