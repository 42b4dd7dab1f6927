using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Rnn.Losses;

/// <summary>
/// A loss: the number training minimizes, and its gradient with respect to the predictions. Semantics are
/// Keras's: a loss is computed for every sample-step (a row of the last axis), then averaged over the
/// sample-steps that count.
/// </summary>
/// <remarks>
/// <para>
/// Shapes: predictions <c>[batch, k]</c> or <c>[batch, time, k]</c>. Targets have the predictions' shape
/// (for k = 1 also without the trailing 1), except for <see cref="Losses.SparseCategoricalCrossEntropy"/>,
/// whose targets are class indices of shape <c>[batch]</c> / <c>[batch, time]</c> (or with a trailing 1).
/// </para>
/// <para>
/// Reduction: with <c>n</c> counted sample-steps and <c>ℓ_s</c> the loss of sample-step <c>s</c>, the loss is
/// <c>L = (1/n) Σ_s ℓ_s</c>. For the element-wise losses (<see cref="Losses.MeanSquaredError"/>,
/// <see cref="Losses.MeanAbsoluteError"/>, <see cref="Losses.Huber"/>, <see cref="Losses.BinaryCrossEntropy"/>,
/// <see cref="Losses.MeanSquaredLogarithmicError"/>, <see cref="Losses.MeanAbsolutePercentageError"/>,
/// <see cref="Losses.LogCosh"/>, <see cref="Losses.Poisson"/>, <see cref="Losses.Hinge"/>, <see cref="Losses.SquaredHinge"/>),
/// <c>ℓ_s</c> is a mean over the k values of the last axis; for the categorical cross-entropies and
/// <see cref="Losses.KLDivergence"/> it is a sum over the k classes; <see cref="Losses.CosineSimilarity"/> is one
/// number per row. Without a mask every sample-step counts (<c>n = batch·time</c>), so the element-wise losses are
/// the mean over all elements. With sample or
/// class weights (<see cref="Sequential"/>.<c>Fit</c>), <c>L = (1/n) Σ_s w_s ℓ_s</c>, with n still the number of counted
/// sample-steps, as Keras's <c>sum_over_batch_size</c> reduction.
/// </para>
/// <para>
/// Losses are immutable and stateless: one instance may serve several models and threads.
/// </para>
/// </remarks>
public abstract class Loss
{
    /// <summary>Creates a loss with its Keras name.</summary>
    /// <param name="name">The Keras name, e.g. <c>mean_squared_error</c>.</param>
    private protected Loss(string name)
    {
        Name = name;
        Owner = $"Loss '{name}'";
    }

    /// <summary>
    /// Mean squared error, <c>ℓ = mean_k (prediction - target)²</c>; Keras's <c>mean_squared_error</c> (<c>"mse"</c>).
    /// </summary>
    public static MeanSquaredError MeanSquaredError { get; } = new();

    /// <summary>
    /// Mean absolute error, <c>ℓ = mean_k |prediction - target|</c>; Keras's <c>mean_absolute_error</c> (<c>"mae"</c>).
    /// </summary>
    public static MeanAbsoluteError MeanAbsoluteError { get; } = new();

    /// <summary>
    /// Mean squared logarithmic error, <c>ℓ = mean_k (log(max(p, ε) + 1) - log(max(y, ε) + 1))²</c>; Keras's
    /// <c>mean_squared_logarithmic_error</c> (<c>"msle"</c>).
    /// </summary>
    public static MeanSquaredLogarithmicError MeanSquaredLogarithmicError { get; } = new();

    /// <summary>
    /// Mean absolute percentage error, <c>ℓ = 100 · mean_k |y - p| / max(|y|, ε)</c>; Keras's
    /// <c>mean_absolute_percentage_error</c> (<c>"mape"</c>).
    /// </summary>
    public static MeanAbsolutePercentageError MeanAbsolutePercentageError { get; } = new();

    /// <summary>Log-cosh, <c>ℓ = mean_k log(cosh(p - y))</c>, computed stably; Keras's <c>log_cosh</c>.</summary>
    public static LogCosh LogCosh { get; } = new();

    /// <summary>
    /// Kullback–Leibler divergence, <c>ℓ = Σ_k y log(y / p)</c> with y and p clipped to [ε, 1]; Keras's
    /// <c>kl_divergence</c> (<c>"kld"</c>).
    /// </summary>
    public static KLDivergence KLDivergence { get; } = new();

    /// <summary>Poisson loss, <c>ℓ = mean_k (p - y log(p + ε))</c>; Keras's <c>poisson</c>.</summary>
    public static Poisson Poisson { get; } = new();

    /// <summary>
    /// Negative cosine similarity over the last axis, <c>ℓ = -(y · p) / (max(‖y‖, ε) max(‖p‖, ε))</c>; Keras's
    /// <c>cosine_similarity</c>.
    /// </summary>
    public static CosineSimilarity CosineSimilarity { get; } = new();

    /// <summary>Hinge loss, <c>ℓ = mean_k max(1 - y p, 0)</c> with 0/1 labels read as -1/1; Keras's <c>hinge</c>.</summary>
    public static Hinge Hinge { get; } = new();

    /// <summary>Squared hinge loss, <c>ℓ = mean_k max(1 - y p, 0)²</c> with 0/1 labels read as -1/1; Keras's <c>squared_hinge</c>.</summary>
    public static SquaredHinge SquaredHinge { get; } = new();

    /// <summary>
    /// The loss's Keras name (<c>mean_squared_error</c>, <c>mean_absolute_error</c>, <c>huber_loss</c>,
    /// <c>binary_crossentropy</c>, <c>categorical_crossentropy</c>, <c>sparse_categorical_crossentropy</c>,
    /// <c>mean_squared_logarithmic_error</c>, <c>mean_absolute_percentage_error</c>, <c>log_cosh</c>, <c>kl_divergence</c>,
    /// <c>poisson</c>, <c>cosine_similarity</c>, <c>hinge</c>, <c>squared_hinge</c>):
    /// the key of the loss in training history, and with <see cref="GetConfig"/> what <see cref="FromConfig"/>
    /// rebuilds it from.
    /// </summary>
    public string Name { get; }

    /// <summary>Whether targets are class indices, one per sample-step, rather than one value per prediction.</summary>
    internal virtual bool TargetsAreClassIndices => false;

    /// <summary>
    /// Whether the loss reads a batch whose counted targets are all 0 or 1 as labels -1 and 1 (Keras's hinge losses,
    /// which convert <c>y</c> to <c>2y - 1</c> when the whole batch is binary): then <see cref="Compute(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, ReadOnlySpan{byte}, ReadOnlySpan{float})"/>
    /// scans the batch once and tells <see cref="RowLoss"/>.
    /// </summary>
    private protected virtual bool ConvertsBinaryTargets => false;

    /// <summary>"Loss 'name'", the start of every error message (made once: the checks run on every batch).</summary>
    private protected string Owner { get; }

    /// <summary>Huber loss with threshold <paramref name="delta"/>; Keras's <c>huber_loss</c>.</summary>
    /// <param name="delta">Where the loss turns from quadratic to linear; positive.</param>
    /// <returns>A <see cref="Losses.Huber"/> loss.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is not positive and finite.</exception>
    public static Huber Huber(float delta = 1f) => new(delta);

    /// <summary>Binary cross-entropy, one independent yes/no per value; Keras's <c>binary_crossentropy</c>.</summary>
    /// <param name="fromLogits">Whether predictions are logits (a sigmoid is applied inside the loss, stably) rather than probabilities.</param>
    /// <returns>A <see cref="Losses.BinaryCrossEntropy"/> loss.</returns>
    public static BinaryCrossEntropy BinaryCrossEntropy(bool fromLogits = false) => new(fromLogits);

    /// <summary>Categorical cross-entropy against one-hot or probability targets; Keras's <c>categorical_crossentropy</c>.</summary>
    /// <param name="fromLogits">Whether predictions are logits (a softmax is applied inside the loss, stably) rather than probabilities.</param>
    /// <returns>A <see cref="Losses.CategoricalCrossEntropy"/> loss.</returns>
    public static CategoricalCrossEntropy CategoricalCrossEntropy(bool fromLogits = false) => new(fromLogits);

    /// <summary>Categorical cross-entropy against class-index targets; Keras's <c>sparse_categorical_crossentropy</c>.</summary>
    /// <param name="fromLogits">Whether predictions are logits (a softmax is applied inside the loss, stably) rather than probabilities.</param>
    /// <returns>A <see cref="Losses.SparseCategoricalCrossEntropy"/> loss.</returns>
    public static SparseCategoricalCrossEntropy SparseCategoricalCrossEntropy(bool fromLogits = false) => new(fromLogits);

    /// <summary>
    /// Rebuilds a loss from its <see cref="Name"/> and <see cref="GetConfig"/>, as a model file stores it:
    /// <c>Loss.FromConfig(loss.Name, loss.GetConfig())</c> equals <c>loss</c>. Also accepts Keras's short names
    /// <c>mse</c>, <c>mae</c>, <c>huber</c>, <c>msle</c>, <c>mape</c>, <c>kld</c> and <c>logcosh</c>.
    /// </summary>
    /// <param name="name">The Keras name of the loss.</param>
    /// <param name="config">Its settings as from <see cref="GetConfig"/>; null or missing keys take the defaults.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentException">The name is unknown, or the config has an unknown key or a malformed value.</exception>
    public static Loss FromConfig(string name, IReadOnlyDictionary<string, string>? config = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        config ??= new Dictionary<string, string>();
        if (WithoutSettings(name) is { } loss)
        {
            CheckKeys(name, config);
            return loss;
        }

        switch (name)
        {
            case "huber_loss" or "huber":
                CheckKeys(name, config, "delta");
                return new Huber(ReadFloat(name, config, "delta", 1f));
            case "binary_crossentropy":
                CheckKeys(name, config, "from_logits");
                return new BinaryCrossEntropy(ReadBool(name, config, "from_logits"));
            case "categorical_crossentropy":
                CheckKeys(name, config, "from_logits");
                return new CategoricalCrossEntropy(ReadBool(name, config, "from_logits"));
            case "sparse_categorical_crossentropy":
                CheckKeys(name, config, "from_logits");
                return new SparseCategoricalCrossEntropy(ReadBool(name, config, "from_logits"));
            default:
                throw new ArgumentException(
                    $"Unknown loss '{name}'. Known losses: mean_squared_error (mse), mean_absolute_error (mae), huber_loss (huber), binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy, "
                    + "mean_squared_logarithmic_error (msle), mean_absolute_percentage_error (mape), log_cosh (logcosh), kl_divergence (kld), poisson, cosine_similarity, hinge, squared_hinge.",
                    nameof(name));
        }
    }

    /// <summary>
    /// The loss's settings by Keras name, with invariant-culture values (<c>{"from_logits": "true"}</c>,
    /// <c>{"delta": "1.5"}</c>); empty for losses without settings.
    /// </summary>
    /// <returns>A new dictionary.</returns>
    public virtual IReadOnlyDictionary<string, string> GetConfig() => new Dictionary<string, string>();

    /// <summary>
    /// The mean loss over all sample-steps of a batch, and optionally its gradient.
    /// </summary>
    /// <param name="prediction">[batch, k] or [batch, time, k].</param>
    /// <param name="target">The predictions' shape (see <see cref="Loss"/> for the accepted shapes).</param>
    /// <param name="gradient">
    /// When given: [the predictions' shape], overwritten with dL/dprediction of the returned mean loss
    /// (so already divided by the number of sample-steps). Must not overlap the predictions or targets.
    /// </param>
    /// <returns>The mean loss L.</returns>
    /// <exception cref="ArgumentException">
    /// The shapes do not fit, the batch is empty, or a target is invalid for the loss: not finite, outside
    /// [0, 1] for binary cross-entropy, not an integer class index in [0, k) for sparse categorical cross-entropy.
    /// </exception>
    public float Compute(Tensor<float> prediction, Tensor<float> target, Tensor<float>? gradient = null)
        => Compute(prediction, target, default, hasMask: false, gradient);

    /// <summary>
    /// The mean loss over the sample-steps a mask selects, and optionally its gradient (Keras's masked loss).
    /// Masked-out sample-steps contribute nothing: not to the sum, not to the count, and their gradient is 0;
    /// their targets are not validated (padding may hold any value). When every sample-step is masked out the
    /// loss and gradient are 0.
    /// </summary>
    /// <param name="prediction">[batch, k] or [batch, time, k].</param>
    /// <param name="target">The predictions' shape (see <see cref="Loss"/> for the accepted shapes).</param>
    /// <param name="mask">
    /// [batch, time] (one flag per sample-step) or [batch] (one flag per sample, for all its steps);
    /// nonzero = counts, 0 = ignored.
    /// </param>
    /// <param name="gradient">When given: [the predictions' shape], overwritten with dL/dprediction of the returned mean.</param>
    /// <returns>The mean loss over the counted sample-steps.</returns>
    /// <exception cref="ArgumentException">As <see cref="Compute(Tensor{float}, Tensor{float}, Tensor{float})"/>, or the mask's length is neither batch nor batch·time.</exception>
    public float Compute(Tensor<float> prediction, Tensor<float> target, ReadOnlySpan<byte> mask, Tensor<float>? gradient = null)
        => Compute(prediction, target, mask, hasMask: true, gradient);

    /// <summary>The mean loss over the steps a [batch] or [batch, time] boolean mask marks true; see the byte-mask overload.</summary>
    /// <param name="prediction">The predictions.</param>
    /// <param name="target">The targets.</param>
    /// <param name="mask">true where a sample or step counts, shaped as a recurrent layer's mask.</param>
    /// <param name="gradient">When given, receives dL/dprediction.</param>
    /// <returns>The mean loss over the counted steps.</returns>
    public float Compute(Tensor<float> prediction, Tensor<float> target, Tensor<bool> mask, Tensor<float>? gradient = null)
    {
        ArgumentNullException.ThrowIfNull(mask);
        return Compute(prediction, target, System.Runtime.InteropServices.MemoryMarshal.AsBytes(mask.GetSpan(stackalloc nint[mask.Rank], checked((int)mask.FlattenedLength))), gradient);
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var config = GetConfig();
        return config.Count == 0 ? Name : $"{Name}({string.Join(", ", config.Select(c => $"{c.Key}={c.Value}"))})";
    }

    /// <summary>
    /// The loss on flat buffers, allocation-free: the core the public overloads and the training loop call.
    /// The caller has checked the shapes; targets are validated here (only in counted rows).
    /// </summary>
    /// <param name="prediction">[rows, classes], rows = batch·time.</param>
    /// <param name="target">[rows, classes], or [rows] class indices when <see cref="TargetsAreClassIndices"/>.</param>
    /// <param name="gradient">
    /// [rows, classes] overwritten with dL/dprediction of the returned mean, or empty for none; must not overlap
    /// the predictions (some losses use it as scratch before the end of a row).
    /// </param>
    /// <param name="rows">Number of sample-steps.</param>
    /// <param name="classes">Size of the last axis.</param>
    /// <param name="mask">[rows] nonzero where a row counts, or empty when all count.</param>
    /// <returns>The mean loss over the counted rows; 0 when none counts.</returns>
    /// <exception cref="ArgumentException">A target in a counted row is invalid for the loss.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal float Compute(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, int rows, int classes, ReadOnlySpan<byte> mask)
        => Compute(prediction, target, gradient, rows, classes, mask, default);

    /// <summary>The loss on flat buffers with a weight per row: <c>(1/n) Σ_s w_s ℓ_s</c> over the counted rows.</summary>
    /// <param name="prediction">[rows, classes].</param>
    /// <param name="target">[rows, classes], or [rows] class indices.</param>
    /// <param name="gradient">[rows, classes] overwritten with dL/dprediction, or empty.</param>
    /// <param name="rows">Number of sample-steps.</param>
    /// <param name="classes">Size of the last axis.</param>
    /// <param name="mask">[rows] nonzero where a row counts, or empty when all count.</param>
    /// <param name="weights">[rows] finite, non-negative weights, or empty for all 1 (the same bits as no weights).</param>
    /// <returns>The weighted mean over the counted rows; 0 when none counts.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal float Compute(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, int rows, int classes, ReadOnlySpan<byte> mask, ReadOnlySpan<float> weights)
    {
        var targetWidth = TargetsAreClassIndices ? 1 : classes;
        Debug.Assert(rows > 0 && classes > 0);
        Debug.Assert(prediction.Length == rows * classes && target.Length == rows * targetWidth);
        Debug.Assert(gradient.IsEmpty || gradient.Length == rows * classes);
        Debug.Assert(mask.IsEmpty || mask.Length == rows);
        Debug.Assert(weights.IsEmpty || weights.Length == rows);

        var count = mask.IsEmpty ? rows : rows - mask.Count((byte)0);
        if (count == 0)
        {
            gradient.Clear();
            return 0f;
        }

        var scale = 1f / count;
        var binaryTargets = ConvertsBinaryTargets && AllZeroOrOne(target, rows, mask);
        var total = 0.0;
        for (var r = 0; r < rows; r++)
        {
            var gradientRow = gradient.IsEmpty ? default : gradient.Slice(r * classes, classes);
            if (!mask.IsEmpty && mask[r] == 0)
            {
                gradientRow.Clear();
                continue;
            }

            // Without weights every row weighs 1: multiplying by 1 is exact, so the bits are those of no weights at all.
            var weight = weights.IsEmpty ? 1f : weights[r];
            total += weight * RowLoss(prediction.Slice(r * classes, classes), target.Slice(r * targetWidth, targetWidth), gradientRow, scale * weight, r * targetWidth, binaryTargets);
        }

        return (float)(total / count);
    }

    /// <summary>
    /// The loss ℓ of one sample-step and, when <paramref name="gradient"/> is not empty, <c>scale · dℓ/dprediction</c>.
    /// </summary>
    /// <param name="prediction">[classes].</param>
    /// <param name="target">[classes], or [1] holding a class index.</param>
    /// <param name="gradient">[classes] to overwrite, or empty.</param>
    /// <param name="scale">1 / (number of counted rows): the factor that turns dℓ into d(mean loss).</param>
    /// <param name="targetIndex">Flat index of <c>target[0]</c> in the whole target buffer, for error messages.</param>
    /// <param name="binaryTargets">
    /// Whether every counted target of the batch is 0 or 1; always false unless <see cref="ConvertsBinaryTargets"/>.
    /// </param>
    /// <returns>ℓ.</returns>
    private protected abstract double RowLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex, bool binaryTargets);

    /// <summary>
    /// The <see cref="RowLoss"/> of an element-wise loss that averages over the last axis: checks the targets, then
    /// <c>ℓ = (1/k) Σ_i f(p_i, y_i)</c> and <c>scale · dℓ/dp</c>.
    /// </summary>
    /// <typeparam name="TLoss">The formula f.</typeparam>
    /// <param name="prediction">[k].</param>
    /// <param name="target">[k].</param>
    /// <param name="gradient">[k] to overwrite, or empty.</param>
    /// <param name="scale">As <see cref="RowLoss"/>'s.</param>
    /// <param name="targetIndex">The flat index of <c>target[0]</c>, for messages.</param>
    /// <returns>ℓ.</returns>
    private protected double ElementMean<TLoss>(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex)
        where TLoss : IElementLoss
    {
        CheckFinite(target, targetIndex);
        return ElementLoss.Mean<TLoss>(prediction, target, gradient, scale);
    }

    /// <summary>Throws unless every value of <paramref name="values"/> is finite.</summary>
    /// <param name="values">Targets.</param>
    /// <param name="index">The flat index of <c>values[0]</c> in the targets.</param>
    private protected void CheckFinite(ReadOnlySpan<float> values, int index)
    {
        for (var i = 0; i < values.Length; i++)
        {
            CheckFinite(values[i], index + i);
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is finite.</summary>
    /// <param name="value">A target value.</param>
    /// <param name="index">Its flat index in the targets.</param>
    private protected void CheckFinite(float value, int index)
    {
        if (!float.IsFinite(value))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{Owner} expects finite targets but received {value} at flat index {index} of the targets."));
        }
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the loss, what it expects of a target and what came.</summary>
    /// <param name="expected">What a target must be, e.g. "targets in [0, 1]".</param>
    /// <param name="value">The offending target.</param>
    /// <param name="index">Its flat index in the targets.</param>
    [DoesNotReturn]
    private protected void ThrowInvalidTarget(string expected, float value, int index)
        => throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"{Owner} expects {expected} but received {value} at flat index {index} of the targets."));

    /// <summary>Whether every target of the counted rows is exactly 0 or 1 (Keras's test over <c>y_true</c> in its hinge losses).</summary>
    /// <param name="target">[rows, width].</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="mask">[rows] nonzero where a row counts, or empty when all count.</param>
    private static bool AllZeroOrOne(ReadOnlySpan<float> target, int rows, ReadOnlySpan<byte> mask)
    {
        var width = target.Length / rows;
        for (var r = 0; r < rows; r++)
        {
            if (!mask.IsEmpty && mask[r] == 0)
            {
                continue;
            }

            foreach (var y in target.Slice(r * width, width))
            {
                if (y is not (0f or 1f))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>The shared instance of the loss without settings that <paramref name="name"/> (or a Keras short name) names, or null.</summary>
    private static Loss? WithoutSettings(string name) => name switch
    {
        "mean_squared_error" or "mse" => MeanSquaredError,
        "mean_absolute_error" or "mae" => MeanAbsoluteError,
        "mean_squared_logarithmic_error" or "msle" => MeanSquaredLogarithmicError,
        "mean_absolute_percentage_error" or "mape" => MeanAbsolutePercentageError,
        "log_cosh" or "logcosh" => LogCosh,
        "kl_divergence" or "kld" => KLDivergence,
        "poisson" => Poisson,
        "cosine_similarity" => CosineSimilarity,
        "hinge" => Hinge,
        "squared_hinge" => SquaredHinge,
        _ => null,
    };

    private static void CheckKeys(string name, IReadOnlyDictionary<string, string> config, params string[] known)
    {
        foreach (var key in config.Keys)
        {
            if (!known.Contains(key, StringComparer.Ordinal))
            {
                var settings = known.Length == 0 ? "it has no settings" : $"its settings are: {string.Join(", ", known)}";
                throw new ArgumentException($"Loss '{name}' has no setting '{key}'; {settings}.", nameof(config));
            }
        }
    }

    private static float ReadFloat(string name, IReadOnlyDictionary<string, string> config, string key, float defaultValue)
    {
        if (!config.TryGetValue(key, out var text))
        {
            return defaultValue;
        }

        return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"Loss '{name}' expects setting '{key}' to be a number but received '{text}'.", nameof(config));
    }

    private static bool ReadBool(string name, IReadOnlyDictionary<string, string> config, string key)
    {
        if (!config.TryGetValue(key, out var text))
        {
            return false;
        }

        return bool.TryParse(text, out var value)
            ? value
            : throw new ArgumentException($"Loss '{name}' expects setting '{key}' to be 'true' or 'false' but received '{text}'.", nameof(config));
    }

    /// <summary>
    /// The public overloads' work, with optional weights per sample-step (<see cref="Sequential"/> passes them; they are
    /// checked there): shapes are checked, a [batch] mask is spread over the steps.
    /// </summary>
    internal float Compute(Tensor<float> prediction, Tensor<float> target, ReadOnlySpan<byte> mask, bool hasMask, Tensor<float>? gradient, ReadOnlySpan<float> weights = default)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        var shape = LossShape.Of(Owner, prediction, target, TargetsAreClassIndices);
        Span<float> gradientSpan = default;
        if (gradient is not null)
        {
            LossShape.CheckGradient(Owner, prediction, gradient);
            gradientSpan = gradient.AsFlatSpan();
        }

        byte[]? rented = null;
        try
        {
            var rowMask = hasMask ? shape.RowMask(Owner, mask, ref rented) : default;
            return Compute(prediction.AsFlatSpan(), target.AsFlatSpan(), gradientSpan, shape.Rows, shape.Classes, rowMask, weights);
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
