using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Rnn.Layers;

/// <summary>
/// Normalizes each sample-step over its features, then scales and shifts it (Keras's <c>LayerNormalization</c>, PyTorch's
/// <c>nn.LayerNorm(features)</c>):
/// <c>μ = (1/F) Σ_f x_f</c>, <c>σ² = (1/F) Σ_f (x_f − μ)²</c>, <c>x̂_f = (x_f − μ) / √(σ² + ε)</c>,
/// <c>y_f = γ_f · x̂_f + β_f</c>, on the last axis of <c>[batch, features]</c> or <c>[batch, time, features]</c> (where
/// it passes a mask through). γ is the parameter <c>weight</c> [F] (starts at 1; Keras's <c>gamma</c>), β the parameter
/// <c>bias</c> [F] (starts at 0; Keras's <c>beta</c>), so a PyTorch state dict loads by name.
/// </summary>
/// <remarks>
/// ε defaults to Keras's 0.001; PyTorch's <c>nn.LayerNorm</c> uses 1e-5: pass <c>epsilon: 1e-5f</c> for a model
/// trained there. The mean and variance of a row are computed in double precision, so that rows with a large mean
/// lose no accuracy.
/// </remarks>
public sealed class LayerNormalization : Layer
{
    private Parameter? _weight;
    private Parameter? _bias;
    private float[] _normalized = [];
    private float[] _inverseDeviation = [];
    private float[] _gradient = [];
    private Tensor<float>? _output;

    /// <summary>Creates the layer.</summary>
    /// <param name="epsilon">ε, added to the variance (Keras's default 0.001; PyTorch's 1e-5).</param>
    /// <param name="center">Whether to add β (Keras's <c>center</c>; PyTorch's <c>bias</c>).</param>
    /// <param name="scale">Whether to multiply by γ (Keras's <c>scale</c>; without both, PyTorch's <c>elementwise_affine=False</c>).</param>
    /// <param name="inputShape">The input shape without batch, e.g. <c>[features]</c> or <c>[time, features]</c> (time may be -1); builds the layer when added to a model.</param>
    /// <param name="name">The layer's name, <c>layer_normalization</c> by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is not positive and finite.</exception>
    public LayerNormalization(float epsilon = 1e-3f, bool center = true, bool scale = true, int[]? inputShape = null, string? name = null)
        : base(name, "layer_normalization", inputShape is null ? null : [.. inputShape], 0)
    {
        if (!(epsilon > 0f) || float.IsInfinity(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"Layer '{Name}' expects a positive, finite epsilon but received {epsilon.ToString(CultureInfo.InvariantCulture)}.");
        }

        Epsilon = epsilon;
        Center = center;
        Scale = scale;
    }

    /// <summary>ε, added to the variance.</summary>
    public float Epsilon { get; }

    /// <summary>Whether β is added.</summary>
    public bool Center { get; }

    /// <summary>Whether the output is multiplied by γ.</summary>
    public bool Scale { get; }

    internal override Dictionary<string, string> GetConfig() => LayerConfig.Of(
        ("epsilon", LayerConfig.Format(Epsilon)),
        ("center", LayerConfig.Format(Center)),
        ("scale", LayerConfig.Format(Scale)));

    internal override long CountParameters(ReadOnlySpan<int> inputShape) => (Center ? inputShape[^1] : 0) + (Scale ? inputShape[^1] : 0);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void ForwardCore(Tensor<float> input, Tensor<float> output, ReadOnlySpan<byte> mask, bool training)
    {
        var features = InputShape![^1];
        var x = input.AsFlatSpan();
        var y = output.AsFlatSpan();
        var rows = x.Length / features;
        Buffers.Grow(ref _normalized, x.Length);
        Buffers.Grow(ref _inverseDeviation, rows);
        for (var r = 0; r < rows; r++)
        {
            var row = x.Slice(r * features, features);
            var normalized = _normalized.AsSpan(r * features, features);
            var mean = 0.0;
            foreach (var value in row)
            {
                mean += value;
            }

            mean /= features;
            var variance = 0.0;
            foreach (var value in row)
            {
                var centered = value - mean;
                variance += centered * centered;
            }

            var inverse = 1.0 / Math.Sqrt((variance / features) + Epsilon);
            for (var f = 0; f < features; f++)
            {
                normalized[f] = (float)((row[f] - mean) * inverse);
            }

            _inverseDeviation[r] = (float)inverse;
            var target = y.Slice(r * features, features);
            if (_weight is not null)
            {
                TensorPrimitives.Multiply(normalized, _weight.Data, target);
            }
            else
            {
                normalized.CopyTo(target);
            }

            if (_bias is not null)
            {
                TensorPrimitives.Add(target, _bias.Data, target);
            }
        }

        _output = training ? output : null;
    }

    internal override int[] CheckBackward(Tensor<float> outputGradient)
    {
        if (_output is null)
        {
            throw NoTrainingForward();
        }

        var shape = _output.Shape();
        CheckShape(outputGradient, shape, "output gradient", "the output of the last Forward");
        return shape;
    }

    /// <summary>
    /// dγ += Σ_rows dy ⊙ x̂, dβ += Σ_rows dy, and with g = dy ⊙ γ:
    /// <c>dx = (g − mean(g) − x̂ · mean(g ⊙ x̂)) / √(σ² + ε)</c>, row by row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void BackwardCore(Tensor<float> outputGradient, Tensor<float>? inputGradient)
    {
        var features = InputShape![^1];
        var dy = outputGradient.AsFlatSpan();
        var rows = dy.Length / features;
        Buffers.Grow(ref _gradient, features);
        var g = _gradient.AsSpan(0, features);
        for (var r = 0; r < rows; r++)
        {
            var dyRow = dy.Slice(r * features, features);
            var normalized = _normalized.AsSpan(r * features, features);
            if (Trainable)
            {
                if (_weight is not null)
                {
                    TensorPrimitives.FusedMultiplyAdd(dyRow, normalized, _weight.Grad, _weight.Grad);
                }

                if (_bias is not null)
                {
                    TensorPrimitives.Add(_bias.Grad, dyRow, _bias.Grad);
                }
            }

            if (inputGradient is null)
            {
                continue;
            }

            if (_weight is not null)
            {
                TensorPrimitives.Multiply(dyRow, _weight.Data, g);
            }
            else
            {
                dyRow.CopyTo(g);
            }

            var meanG = 0.0;
            var meanGx = 0.0;
            for (var f = 0; f < features; f++)
            {
                meanG += g[f];
                meanGx += (double)g[f] * normalized[f];
            }

            meanG /= features;
            meanGx /= features;
            var inverse = (double)_inverseDeviation[r];
            var dx = inputGradient.AsFlatSpan().Slice(r * features, features);
            for (var f = 0; f < features; f++)
            {
                dx[f] = (float)((g[f] - meanG - (normalized[f] * meanGx)) * inverse);
            }
        }
    }

    private protected override void ValidateInputShape(ReadOnlySpan<int> inputShape) => ValidateFeatureShape(inputShape);

    private protected override void ValidateInput(Tensor<float> input) => CheckFeatureCount(input);

    private protected override bool IsVariableDimension(int index) => index == 0 && InputShape?.Count == 2;

    private protected override void BuildCore(ReadOnlySpan<int> inputShape, RandomSource random)
    {
        var features = inputShape[^1];
        if (Scale)
        {
            _weight = AddParameter("weight", features);
            _weight.Data.AsSpan().Fill(1f);
            _weight.MarkModified();
        }

        if (Center)
        {
            _bias = AddParameter("bias", features);
            _bias.MarkModified();
        }
    }

    private protected override int[] ComputeOutputShapeCore(ReadOnlySpan<int> inputShape) => [.. inputShape];
}
