using System.Globalization;
using System.Numerics.Tensors;

namespace Rnn.Data;

/// <summary>
/// Maps each feature's training range onto <see cref="FeatureRange"/> (default [0, 1]):
/// <c>y = x · scale + min</c> with <c>scale = (rangeMax − rangeMin) / (dataMax − dataMin)</c> and
/// <c>min = rangeMin − dataMin · scale</c>, as scikit-learn's <c>sklearn.preprocessing.MinMaxScaler</c>
/// (<c>sklearn/preprocessing/_data.py</c>).
/// </summary>
/// <remarks>
/// <para>
/// Values outside the training range map outside <see cref="FeatureRange"/> unless <see cref="Clip"/> is set (as
/// scikit-learn's <c>clip</c>). A feature that is constant in the training data (a range below ten float32 epsilons,
/// scikit-learn's <c>_handle_zeros_in_scale</c> test) gets a divisor of 1, so it maps to <c>rangeMin</c> rather than
/// dividing by zero. Fitting on a NaN or infinity is an error (scikit-learn would ignore NaN).
/// </para>
/// <para>
/// Save <see cref="DataMin"/>, <see cref="DataMax"/>, <see cref="FeatureRange"/> and <see cref="Clip"/>, and recreate
/// the scaler with <see cref="MinMaxScaler(IReadOnlyList{float}, IReadOnlyList{float}, ValueTuple{float, float}?, bool)"/>;
/// it then transforms bit for bit as the original. <see cref="Scale"/> and <see cref="Min"/> are derived from them.
/// </para>
/// </remarks>
public sealed class MinMaxScaler : FeatureScaler
{
    // numpy.finfo(np.float32).eps = 2^-23; scikit-learn treats ranges below 10 of these as zero.
    private const double ConstantRange = 10 * 1.1920928955078125e-7;

    private double[] _scale = [];
    private double[] _min = [];
    private IReadOnlyList<float> _dataMin = [];
    private IReadOnlyList<float> _dataMax = [];
    private IReadOnlyList<float> _scaleValues = [];
    private IReadOnlyList<float> _minValues = [];

    /// <summary>Creates an unfitted scaler; call <see cref="FeatureScaler.Fit(Tensor{float})"/> on the training data.</summary>
    /// <param name="featureRange">The range to map the training data onto; null for (0, 1). Min must be below max.</param>
    /// <param name="clip">Whether to clamp transformed values into <paramref name="featureRange"/>.</param>
    /// <exception cref="ArgumentException">The range is empty, reversed or not finite.</exception>
    public MinMaxScaler((float Min, float Max)? featureRange = null, bool clip = false)
    {
        FeatureRange = CheckRange(featureRange);
        Clip = clip;
    }

    /// <summary>Recreates a fitted scaler from saved <see cref="DataMin"/> and <see cref="DataMax"/>.</summary>
    /// <param name="dataMin">Each feature's minimum in the training data.</param>
    /// <param name="dataMax">Each feature's maximum in the training data, not below its minimum.</param>
    /// <param name="featureRange">The range the scaler maps onto; null for (0, 1).</param>
    /// <param name="clip">Whether to clamp transformed values into <paramref name="featureRange"/>.</param>
    /// <exception cref="ArgumentException">The lists are empty or differ in length, a value is not finite, a maximum is below its minimum, or the range is invalid.</exception>
    public MinMaxScaler(IReadOnlyList<float> dataMin, IReadOnlyList<float> dataMax, (float Min, float Max)? featureRange = null, bool clip = false)
        : this(featureRange, clip)
    {
        ArgumentNullException.ThrowIfNull(dataMin);
        ArgumentNullException.ThrowIfNull(dataMax);
        if (dataMin.Count == 0 || dataMin.Count != dataMax.Count)
        {
            throw new ArgumentException(
                $"A MinMaxScaler needs one minimum and one maximum per feature, at least one feature, but received {dataMin.Count} minimums and {dataMax.Count} maximums.",
                nameof(dataMax));
        }

        for (var f = 0; f < dataMin.Count; f++)
        {
            if (!(float.IsFinite(dataMin[f]) && float.IsFinite(dataMax[f]) && dataMin[f] <= dataMax[f]))
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"Feature {f} has minimum {dataMin[f]} and maximum {dataMax[f]}; both must be finite and the minimum not above the maximum."),
                    nameof(dataMax));
            }
        }

        SetParameters([.. dataMin], [.. dataMax]);
    }

    /// <summary>The range the training data is mapped onto.</summary>
    public (float Min, float Max) FeatureRange { get; }

    /// <summary>Whether transformed values are clamped into <see cref="FeatureRange"/>.</summary>
    public bool Clip { get; }

    /// <summary>Each feature's minimum in the training data.</summary>
    /// <exception cref="InvalidOperationException">The scaler is not fitted.</exception>
    public IReadOnlyList<float> DataMin
    {
        get
        {
            ThrowIfNotFitted();
            return _dataMin;
        }
    }

    /// <summary>Each feature's maximum in the training data.</summary>
    /// <exception cref="InvalidOperationException">The scaler is not fitted.</exception>
    public IReadOnlyList<float> DataMax
    {
        get
        {
            ThrowIfNotFitted();
            return _dataMax;
        }
    }

    /// <summary>Each feature's factor, <c>(rangeMax − rangeMin) / (dataMax − dataMin)</c> (scikit-learn <c>scale_</c>); derived.</summary>
    /// <exception cref="InvalidOperationException">The scaler is not fitted.</exception>
    public IReadOnlyList<float> Scale
    {
        get
        {
            ThrowIfNotFitted();
            return _scaleValues;
        }
    }

    /// <summary>Each feature's offset, <c>rangeMin − dataMin · scale</c> (scikit-learn <c>min_</c>); derived.</summary>
    /// <exception cref="InvalidOperationException">The scaler is not fitted.</exception>
    public IReadOnlyList<float> Min
    {
        get
        {
            ThrowIfNotFitted();
            return _minValues;
        }
    }

    private protected override void FitCore(ReadOnlySpan<float> values, int rows, int features)
    {
        var dataMin = values[..features].ToArray();
        var dataMax = values[..features].ToArray();
        for (var r = 1; r < rows; r++)
        {
            var row = values.Slice(r * features, features);
            for (var f = 0; f < features; f++)
            {
                dataMin[f] = Math.Min(dataMin[f], row[f]);
                dataMax[f] = Math.Max(dataMax[f], row[f]);
            }
        }

        SetParameters(dataMin, dataMax);
    }

    private protected override void TransformCore(ReadOnlySpan<float> source, Span<float> destination)
    {
        var features = _scale.Length;
        var (low, high) = FeatureRange;
        for (var i = 0; i < source.Length; i += features)
        {
            for (var f = 0; f < features; f++)
            {
                var value = (float)((source[i + f] * _scale[f]) + _min[f]);
                destination[i + f] = Clip ? Math.Clamp(value, low, high) : value;
            }
        }
    }

    private protected override void InverseTransformCore(ReadOnlySpan<float> source, Span<float> destination)
    {
        var features = _scale.Length;
        for (var i = 0; i < source.Length; i += features)
        {
            for (var f = 0; f < features; f++)
            {
                destination[i + f] = (float)((source[i + f] - _min[f]) / _scale[f]);
            }
        }
    }

    private static (float Min, float Max) CheckRange((float Min, float Max)? featureRange)
    {
        var range = featureRange ?? (0f, 1f);
        if (!(float.IsFinite(range.Min) && float.IsFinite(range.Max) && range.Min < range.Max))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"The feature range's minimum must be below its maximum (both finite) but received ({range.Min}, {range.Max})."),
                nameof(featureRange));
        }

        return range;
    }

    private void SetParameters(float[] dataMin, float[] dataMax)
    {
        var features = dataMin.Length;
        var (low, high) = FeatureRange;
        _scale = new double[features];
        _min = new double[features];
        for (var f = 0; f < features; f++)
        {
            var range = (double)dataMax[f] - dataMin[f];
            _scale[f] = ((double)high - low) / (range < ConstantRange ? 1.0 : range);
            _min[f] = low - (dataMin[f] * _scale[f]);
        }

        _dataMin = ReadOnly(dataMin);
        _dataMax = ReadOnly(dataMax);
        _scaleValues = ReadOnly([.. _scale.Select(v => (float)v)]);
        _minValues = ReadOnly([.. _min.Select(v => (float)v)]);
        SetFitted(features);
    }
}
