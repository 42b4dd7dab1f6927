using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Rnn.Losses;

namespace Rnn.Metrics;

/// <summary>
/// A number that reports how well a model does, accumulated over the batches of an epoch: <see cref="Update(Tensor{float}, Tensor{float})"/>
/// once per batch, <see cref="Result"/> at any time, <see cref="Reset"/> between epochs. Semantics are Keras's.
/// </summary>
/// <remarks>
/// <para>
/// Shapes are those of the losses: predictions <c>[batch, k]</c> or <c>[batch, time, k]</c>; targets of the
/// predictions' shape (for k = 1 also without the trailing 1), or class indices <c>[batch]</c> /
/// <c>[batch, time]</c> (or with a trailing 1) for <see cref="SparseCategoricalAccuracy"/> and
/// <see cref="SparseTopKCategoricalAccuracy"/>.
/// </para>
/// <para>
/// Every sample-step (a row of the last axis) gets a value v, for example 1 if its class is right and 0 if
/// not, and <see cref="Result"/> is the mean of v over all sample-steps counted since <see cref="Reset"/>. Sums
/// and counts accumulate in double precision, so the result over several batches equals the metric computed
/// on all of them at once, whatever the batch sizes. A mask excludes sample-steps from both. <see cref="RootMeanSquaredError"/>
/// is the square root of such a mean. <see cref="Precision"/> and
/// <see cref="Recall"/> are ratios of counts instead (true positives over predicted or actual positives), accumulated
/// the same way; <see cref="FBetaScore"/> and <see cref="F1Score"/> combine such counts per class;
/// <see cref="Auc"/> counts at many thresholds and measures the area under the curve they make.
/// </para>
/// <para>
/// With sample weights w (Keras's <c>sample_weight</c>; a model passes them to the metrics compiled as
/// <c>weightedMetrics</c>), <see cref="Result"/> is the weighted mean <c>Σ w·v / Σ w</c>; 0 while <c>Σ w</c> is 0.
/// </para>
/// <para>A metric holds state: use one instance per model, from one thread at a time.</para>
/// </remarks>
public abstract class Metric
{
    private readonly string _owner;
    private double _total;
    private double _weight;

    /// <summary>Creates a metric.</summary>
    /// <param name="name">The name given by the caller, or null for <paramref name="defaultName"/>.</param>
    /// <param name="defaultName">The metric kind's Keras name.</param>
    private protected Metric(string? name, string defaultName)
    {
        Kind = defaultName;
        name ??= defaultName;
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException($"A metric name must not be empty or white space but received '{name}'.", nameof(name));
        }

        Name = name;
        _owner = $"Metric '{name}'";
    }

    /// <summary>
    /// A new <see cref="Metrics.Accuracy"/>: Keras's <c>"accuracy"</c>, which picks binary, categorical or sparse
    /// categorical accuracy from the shapes.
    /// </summary>
    public static Accuracy Accuracy => new();

    /// <summary>A new <see cref="Metrics.BinaryAccuracy"/> with threshold 0.5.</summary>
    public static BinaryAccuracy BinaryAccuracy => new();

    /// <summary>A new <see cref="Metrics.CategoricalAccuracy"/>.</summary>
    public static CategoricalAccuracy CategoricalAccuracy => new();

    /// <summary>A new <see cref="Metrics.SparseCategoricalAccuracy"/>.</summary>
    public static SparseCategoricalAccuracy SparseCategoricalAccuracy => new();

    /// <summary>A new <see cref="Metrics.MeanAbsoluteError"/>.</summary>
    public static MeanAbsoluteError MeanAbsoluteError => new();

    /// <summary>A new <see cref="Metrics.MeanSquaredError"/>.</summary>
    public static MeanSquaredError MeanSquaredError => new();

    /// <summary>A new <see cref="Metrics.RootMeanSquaredError"/>.</summary>
    public static RootMeanSquaredError RootMeanSquaredError => new();

    /// <summary>A new <see cref="Metrics.MeanAbsolutePercentageError"/>.</summary>
    public static MeanAbsolutePercentageError MeanAbsolutePercentageError => new();

    /// <summary>A new <see cref="Metrics.LogCoshError"/>.</summary>
    public static LogCoshError LogCoshError => new();

    /// <summary>A new <see cref="Metrics.CosineSimilarity"/>.</summary>
    public static CosineSimilarity CosineSimilarity => new();

    /// <summary>A new <see cref="Metrics.TopKCategoricalAccuracy"/> with k = 5.</summary>
    public static TopKCategoricalAccuracy TopKCategoricalAccuracy => new();

    /// <summary>A new <see cref="Metrics.SparseTopKCategoricalAccuracy"/> with k = 5.</summary>
    public static SparseTopKCategoricalAccuracy SparseTopKCategoricalAccuracy => new();

    /// <summary>A new <see cref="Metrics.Precision"/> with threshold 0.5 over all columns.</summary>
    public static Precision Precision => new();

    /// <summary>A new <see cref="Metrics.Recall"/> with threshold 0.5 over all columns.</summary>
    public static Recall Recall => new();

    /// <summary>A new <see cref="Metrics.Auc"/>: the area under the ROC curve of probabilities, at 200 thresholds.</summary>
    public static Auc Auc => new();

    /// <summary>The metric's name: its key in training history (Keras's, e.g. <c>accuracy</c> or <c>mae</c>).</summary>
    public string Name { get; }

    /// <summary>The metric's kind, its Keras name whatever <see cref="Name"/> it was given (e.g. <c>binary_accuracy</c>): with <see cref="GetConfig"/>, what <see cref="FromConfig"/> takes.</summary>
    public string Kind { get; }

    /// <summary>
    /// The mean of the per-sample-step values over everything counted since the last <see cref="Reset"/>;
    /// 0 before anything was counted (as Keras).
    /// </summary>
    public float Result => ComputeResult();

    /// <summary>
    /// A new metric from a name as Keras's <c>compile(metrics=[...])</c> accepts it (case-insensitive):
    /// <c>accuracy</c> or <c>acc</c>, <c>binary_accuracy</c>, <c>categorical_accuracy</c>,
    /// <c>sparse_categorical_accuracy</c>, <c>mean_absolute_error</c> or <c>mae</c>, <c>mean_squared_error</c> or
    /// <c>mse</c>, <c>root_mean_squared_error</c>, <c>mean_absolute_percentage_error</c> or <c>mape</c>, <c>log_cosh_error</c> or
    /// <c>logcosh</c>, <c>cosine_similarity</c>, <c>top_k_categorical_accuracy</c>, <c>sparse_top_k_categorical_accuracy</c> (both with
    /// k = 5), <c>precision</c>, <c>recall</c>, <c>auc</c>. As in Keras, the metric's <see cref="Name"/> is the string given, so that
    /// <c>"acc"</c> is reported as <c>acc</c>. <c>f1_score</c> and <c>fbeta_score</c>, which Keras resolves to per-class scores
    /// (<c>average=None</c>), are refused with a message pointing to <see cref="F1Score"/> and <see cref="FBetaScore"/>.
    /// </summary>
    /// <param name="name">The name.</param>
    /// <returns>A new metric.</returns>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static Metric FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToUpperInvariant() switch
        {
            "ACCURACY" or "ACC" => new Accuracy(name),
            "BINARY_ACCURACY" => new BinaryAccuracy(name: name),
            "CATEGORICAL_ACCURACY" => new CategoricalAccuracy(name),
            "SPARSE_CATEGORICAL_ACCURACY" => new SparseCategoricalAccuracy(name),
            "MEAN_ABSOLUTE_ERROR" or "MAE" => new MeanAbsoluteError(name),
            "MEAN_SQUARED_ERROR" or "MSE" => new MeanSquaredError(name),
            "ROOT_MEAN_SQUARED_ERROR" => new RootMeanSquaredError(name),
            "MEAN_ABSOLUTE_PERCENTAGE_ERROR" or "MAPE" => new MeanAbsolutePercentageError(name),
            "LOG_COSH_ERROR" or "LOGCOSH" => new LogCoshError(name),
            "COSINE_SIMILARITY" => new CosineSimilarity(name),
            "TOP_K_CATEGORICAL_ACCURACY" => new TopKCategoricalAccuracy(name: name),
            "SPARSE_TOP_K_CATEGORICAL_ACCURACY" => new SparseTopKCategoricalAccuracy(name: name),
            "PRECISION" => new Precision(name: name),
            "RECALL" => new Recall(name: name),
            "AUC" => new Auc(name: name),
            "F1_SCORE" or "FBETA_SCORE" => throw new ArgumentException(
                $"Metric '{name}' by name is Keras's F-score with average=None, one score per class, which is not offered here (a result is one number). "
                + "Create it with an average instead, for example new F1Score(FScoreAverage.Macro).",
                nameof(name)),
            _ => throw new ArgumentException(
                $"Unknown metric '{name}'. Known metrics: accuracy (acc), binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, mean_absolute_error (mae), mean_squared_error (mse), "
                + "root_mean_squared_error, mean_absolute_percentage_error (mape), log_cosh_error (logcosh), cosine_similarity, top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, precision, recall, auc.",
                nameof(name)),
        };
    }

    /// <summary>
    /// Rebuilds a metric from its <see cref="Kind"/> and <see cref="GetConfig"/>, as a model file stores it:
    /// <c>Metric.FromConfig(m.Kind, m.GetConfig())</c> is a new metric with the same name and settings as <c>m</c>.
    /// </summary>
    /// <param name="kind">The metric's <see cref="Kind"/>.</param>
    /// <param name="config">Its settings as from <see cref="GetConfig"/>; null or missing keys take the defaults.</param>
    /// <returns>A new metric.</returns>
    /// <exception cref="ArgumentException">The kind is unknown, or the config has an unknown key or a malformed value.</exception>
    public static Metric FromConfig(string kind, IReadOnlyDictionary<string, string>? config = null)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var read = new Optimizers.ConfigReader($"Metric '{kind}'", config, nameof(config));
        var name = read.Text("name");
        Metric metric = kind switch
        {
            "accuracy" => new Accuracy(name),
            "binary_accuracy" => new BinaryAccuracy(read.Float("threshold", 0.5f), name),
            "categorical_accuracy" => new CategoricalAccuracy(name),
            "sparse_categorical_accuracy" => new SparseCategoricalAccuracy(name),
            "mean_absolute_error" => new MeanAbsoluteError(name),
            "mean_squared_error" => new MeanSquaredError(name),
            "root_mean_squared_error" => new RootMeanSquaredError(name),
            "mean_absolute_percentage_error" => new MeanAbsolutePercentageError(name),
            "logcosh" => new LogCoshError(name),
            "cosine_similarity" => new CosineSimilarity(name),
            "top_k_categorical_accuracy" => new TopKCategoricalAccuracy(read.OptionalInt("k") ?? 5, name),
            "sparse_top_k_categorical_accuracy" => new SparseTopKCategoricalAccuracy(read.OptionalInt("k") ?? 5, name),
            "precision" => new Precision(read.OptionalFloat("threshold"), read.OptionalInt("class_id"), read.OptionalInt("top_k"), name),
            "recall" => new Recall(read.OptionalFloat("threshold"), read.OptionalInt("class_id"), read.OptionalInt("top_k"), name),
            "auc" => Auc.FromConfig(read, name, nameof(config)),
            "fbeta_score" => new FBetaScore(FBetaScore.ParseAverage(read.Owner, read.Text("average"), nameof(config)), read.Float("beta", 1f), read.OptionalFloat("threshold"), name),
            "f1_score" => new F1Score(FBetaScore.ParseAverage(read.Owner, read.Text("average"), nameof(config)), read.OptionalFloat("threshold"), name),
            FunctionMetric.FunctionKind => throw new ArgumentException(
                $"Metric '{name}' is a FunctionMetric: its function is code, which a config cannot hold. Create it with new FunctionMetric(name, function).", nameof(kind)),
            _ => throw new ArgumentException(
                $"Unknown metric kind '{kind}'. Known kinds: accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, mean_absolute_error, mean_squared_error, "
                + "root_mean_squared_error, mean_absolute_percentage_error, logcosh, cosine_similarity, top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, precision, recall, auc, fbeta_score, f1_score.",
                nameof(kind)),
        };
        read.ThrowIfUnknownKeys();
        return metric;
    }

    /// <summary>The metric's name and settings by Keras name, invariant-culture text (for example <c>{"name": "acc", "threshold": "0"}</c>).</summary>
    /// <returns>A new dictionary.</returns>
    public IReadOnlyDictionary<string, string> GetConfig()
    {
        var config = new Dictionary<string, string>(StringComparer.Ordinal) { ["name"] = Name };
        AddSettings(config);
        return config;
    }

    /// <summary>Adds a batch: every sample-step counts.</summary>
    /// <param name="prediction">[batch, k] or [batch, time, k].</param>
    /// <param name="target">See <see cref="Metric"/> for the accepted shapes.</param>
    /// <exception cref="ArgumentException">The shapes do not fit, or the batch is empty.</exception>
    public void Update(Tensor<float> prediction, Tensor<float> target) => Update(prediction, target, default, hasMask: false);

    /// <summary>Adds the sample-steps of a batch that a mask selects; the others change nothing.</summary>
    /// <param name="prediction">[batch, k] or [batch, time, k].</param>
    /// <param name="target">See <see cref="Metric"/> for the accepted shapes.</param>
    /// <param name="mask">[batch, time] (per sample-step) or [batch] (per sample, for all its steps); nonzero = counts.</param>
    /// <exception cref="ArgumentException">The shapes do not fit, the batch is empty, or the mask's length is neither batch nor batch·time.</exception>
    public void Update(Tensor<float> prediction, Tensor<float> target, ReadOnlySpan<byte> mask) => Update(prediction, target, mask, hasMask: true);

    /// <summary>Adds a batch, each sample-step weighted (Keras's <c>update_state(y_true, y_pred, sample_weight)</c>).</summary>
    /// <param name="prediction">[batch, k] or [batch, time, k].</param>
    /// <param name="target">See <see cref="Metric"/> for the accepted shapes.</param>
    /// <param name="sampleWeight">Finite, non-negative weights: [batch] (one per sample, for all its steps) or [batch, time] (one per sample-step); a weight of 0 leaves its sample-step out.</param>
    /// <exception cref="ArgumentException">The shapes do not fit, the batch is empty, or a weight is negative or not finite.</exception>
    public void Update(Tensor<float> prediction, Tensor<float> target, Tensor<float> sampleWeight)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(sampleWeight);
        var shape = LossShape.Of(_owner, prediction, target, TargetsAreClassIndices(prediction, target));
        var lengths = sampleWeight.Lengths;
        var perSample = lengths.Length == 1 && lengths[0] == shape.Batch;
        var perStep = lengths.Length == 2 && lengths[0] == shape.Batch && lengths[1] == shape.Time && prediction.Rank == 3;
        if (!(perSample || perStep) || !sampleWeight.IsDense)
        {
            throw new ArgumentException(
                $"{_owner} expects sample weights of shape [batch] = [{shape.Batch}]"
                + (prediction.Rank == 3 ? $" or [batch, time] = [{shape.Batch}, {shape.Time}]" : string.Empty)
                + $" (dense) for predictions of shape {prediction.ShapeString()} but received {sampleWeight.ShapeString()}{(sampleWeight.IsDense ? string.Empty : " with strides")}.",
                nameof(sampleWeight));
        }

        var weights = sampleWeight.AsFlatSpan();
        if (SampleWeights.FirstInvalid(weights) is var i and >= 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{_owner} expects finite, non-negative sample weights but received {weights[i]} at flat index {i}."),
                nameof(sampleWeight));
        }


        var rowWeights = perStep ? weights : Repeat(weights, shape.Time);
        Update(prediction.AsFlatSpan(), target.AsFlatSpan(), shape.Rows, shape.Classes, default, rowWeights);
    }

    /// <summary>Adds a batch, counting only the samples or steps a boolean mask marks true.</summary>
    /// <param name="prediction">The predictions.</param>
    /// <param name="target">The targets.</param>
    /// <param name="mask">true where a sample or step counts, shaped as a recurrent layer's mask.</param>
    public void Update(Tensor<float> prediction, Tensor<float> target, Tensor<bool> mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        Update(prediction, target, System.Runtime.InteropServices.MemoryMarshal.AsBytes(mask.GetSpan(stackalloc nint[mask.Rank], checked((int)mask.FlattenedLength))));
    }

    /// <summary>Forgets everything counted so far (call between epochs).</summary>
    public void Reset()
    {
        _total = 0;
        _weight = 0;
        ResetCore();
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name}: {Result}");

    /// <summary>
    /// Adds a batch from flat buffers, allocation-free: the core the public overloads and the training loop call.
    /// The caller has checked the shapes.
    /// </summary>
    /// <param name="prediction">[rows, classes], rows = batch·time.</param>
    /// <param name="target">[rows, classes], or [rows] class indices.</param>
    /// <param name="rows">Number of sample-steps.</param>
    /// <param name="classes">Size of the last axis.</param>
    /// <param name="mask">[rows] nonzero where a row counts, or empty when all count.</param>
    /// <param name="weights">[rows] the weight of each row, or empty for weight 1 each.</param>
    internal void Update(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int rows, int classes, ReadOnlySpan<byte> mask, ReadOnlySpan<float> weights = default)
    {
        Debug.Assert(rows > 0 && classes > 0 && prediction.Length == rows * classes);
        Debug.Assert(target.Length == rows || target.Length == rows * classes);
        Debug.Assert(mask.IsEmpty || mask.Length == rows);
        Debug.Assert(weights.IsEmpty || weights.Length == rows);
        Accumulate(prediction, target, rows, classes, mask, weights);
    }

    /// <summary>
    /// Adds the counted rows of a checked batch to the metric's state: by default the weighted sums of <see cref="RowParts"/>;
    /// a metric with other state (<see cref="Auc"/>'s counts per threshold) overrides it, and <see cref="ComputeResult"/> and
    /// <see cref="ResetCore"/> with it.
    /// </summary>
    /// <param name="prediction">[rows, classes].</param>
    /// <param name="target">[rows, classes], or [rows] class indices.</param>
    /// <param name="rows">Number of sample-steps.</param>
    /// <param name="classes">Size of the last axis.</param>
    /// <param name="mask">[rows] nonzero where a row counts, or empty when all count.</param>
    /// <param name="weights">[rows] the weight of each row, or empty for weight 1 each.</param>
    private protected virtual void Accumulate(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int rows, int classes, ReadOnlySpan<byte> mask, ReadOnlySpan<float> weights)
    {
        var targetWidth = target.Length / rows;
        var total = 0.0;
        var weight = 0.0;
        for (var r = 0; r < rows; r++)
        {
            if (!mask.IsEmpty && mask[r] == 0)
            {
                continue;
            }

            // A zero weight leaves the row out entirely, so that a NaN value (a NaN prediction) cannot spoil the sum.
            var w = weights.IsEmpty ? 1.0 : weights[r];
            if (w == 0)
            {
                continue;
            }

            var (value, count) = RowParts(prediction.Slice(r * classes, classes), target.Slice(r * targetWidth, targetWidth));
            total += w * value;
            weight += w * count;
        }

        _total += total;
        _weight += weight;
    }

    /// <summary>Each of <paramref name="values"/> <paramref name="times"/> times over, in a new array.</summary>
    private static float[] Repeat(ReadOnlySpan<float> values, int times)
    {
        var result = new float[values.Length * times];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = values[i / times];
        }

        return result;
    }

    /// <summary>Whether, for these shapes, targets are class indices (one per sample-step) rather than one value per prediction.</summary>
    /// <param name="prediction">The predictions.</param>
    /// <param name="target">The targets.</param>
    /// <returns>True for class indices.</returns>
    private protected virtual bool TargetsAreClassIndices(Tensor<float> prediction, Tensor<float> target) => false;

    /// <summary>Adds the metric's own settings (beyond its name) to <paramref name="config"/>.</summary>
    /// <param name="config">The configuration being written.</param>
    private protected virtual void AddSettings(Dictionary<string, string> config)
    {
    }

    /// <summary>
    /// What one sample-step adds to the numerator and the denominator of <see cref="Result"/> (each times its weight):
    /// its value v and 1 for the metrics that are means (for example 1 if its class is right, 0 if not); counts for
    /// ratios such as <see cref="Precision"/> (true positives, predicted positives).
    /// </summary>
    /// <param name="prediction">[classes].</param>
    /// <param name="target">[classes], or [1] holding a class index.</param>
    /// <returns>The numerator and denominator parts.</returns>
    private protected virtual (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
        => throw new NotSupportedException($"{GetType().Name} keeps its own state: it overrides Accumulate, which does not call RowParts.");

    /// <summary><see cref="Result"/>: the weighted numerator over the weighted denominator, 0 while that is 0.</summary>
    /// <returns>The result.</returns>
    private protected virtual float ComputeResult() => _weight == 0 ? 0f : (float)(_total / _weight);

    /// <summary>Forgets the state a metric keeps besides the two sums (see <see cref="Accumulate"/>).</summary>
    private protected virtual void ResetCore()
    {
    }

    /// <summary>Adds a batch with an optional mask and optional per-sample-step weights (the training loop's entry).</summary>
    /// <param name="prediction">The predictions.</param>
    /// <param name="target">The targets.</param>
    /// <param name="mask">[batch, time] or [batch] nonzero where a row counts.</param>
    /// <param name="hasMask">Whether <paramref name="mask"/> applies.</param>
    /// <param name="weights">[batch·time] checked weights, or empty for none.</param>
    internal void Update(Tensor<float> prediction, Tensor<float> target, ReadOnlySpan<byte> mask, bool hasMask, ReadOnlySpan<float> weights = default)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        var shape = LossShape.Of(_owner, prediction, target, TargetsAreClassIndices(prediction, target));
        byte[]? rented = null;
        try
        {
            var rowMask = hasMask ? shape.RowMask(_owner, mask, ref rented) : default;
            Update(prediction.AsFlatSpan(), target.AsFlatSpan(), shape.Rows, shape.Classes, rowMask, weights);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
