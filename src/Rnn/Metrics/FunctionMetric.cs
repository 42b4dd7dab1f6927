namespace Rnn.Metrics;

/// <summary>
/// A metric's value for one sample-step: <paramref name="prediction"/> is the model's output there (k values) and
/// <paramref name="target"/> its target (k values, or one class index when the targets are class indices).
/// </summary>
/// <param name="prediction">The k predicted values of one sample-step.</param>
/// <param name="target">Its target: k values, or one class index.</param>
/// <returns>The value to average.</returns>
public delegate double MetricFunction(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target);

/// <summary>
/// A metric made of your own function of one sample-step, averaged over all the sample-steps seen since the last reset:
/// <c>result = Σ w_r · f(p_r, y_r) / Σ w_r</c> over the counted rows <c>r</c> (batch × time), with <c>w_r = 1</c> unless
/// the metric is weighted. This is what Keras does with a function in <c>metrics=[fn]</c> (its <c>MeanMetricWrapper</c>),
/// with the function taking one row at a time instead of the whole batch.
/// </summary>
/// <remarks>
/// <para>
/// Targets may be one value per prediction or, when the predictions have more than one value per sample-step, one class
/// index per sample-step (<c>[batch]</c>, <c>[batch, 1]</c>, or the same with time): then <c>target</c> holds one value.
/// </para>
/// <para>
/// A model file keeps the metric's name but not its code: pass the function again to
/// <see cref="Sequential.Load(string, IReadOnlyDictionary{string, Layers.CustomLayerFactory}?, IReadOnlyDictionary{string, MetricFunction}?)"/>
/// under that name (Keras's <c>custom_objects</c>).
/// </para>
/// </remarks>
public sealed class FunctionMetric : Metric
{
    /// <summary>The <see cref="Metric.Kind"/> of every function metric, as model files store it.</summary>
    public const string FunctionKind = "function";

    private readonly MetricFunction _function;

    /// <summary>Creates the metric.</summary>
    /// <param name="name">The name in training history and model files, e.g. <c>"mean_error"</c>.</param>
    /// <param name="function">The value of one sample-step.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> or <paramref name="function"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or white space.</exception>
    public FunctionMetric(string name, MetricFunction function)
        : base(name ?? throw new ArgumentNullException(nameof(name)), FunctionKind)
    {
        ArgumentNullException.ThrowIfNull(function);
        _function = function;
    }

    private protected override bool TargetsAreClassIndices(System.Numerics.Tensors.Tensor<float> prediction, System.Numerics.Tensors.Tensor<float> target)
        => prediction.Lengths[^1] > 1 && (target.Rank == prediction.Rank - 1 || (target.Rank == prediction.Rank && target.Lengths[^1] == 1));

    private protected override (double Value, double Count) RowParts(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target)
        => (_function(prediction, target), 1);
}
