using System.Numerics.Tensors;

namespace Rnn.Data;

/// <summary>
/// Standardizes each feature to zero mean and unit variance on the training data: <c>z = (x − mean) / scale</c>,
/// as scikit-learn's <c>sklearn.preprocessing.StandardScaler</c> (<c>sklearn/preprocessing/_data.py</c>).
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Mean"/> is each feature's mean and <see cref="Scale"/> its population standard deviation (divisor n, as
/// <c>numpy.std(x, ddof=0)</c>), both computed in float64. A feature that is constant in the training data, or whose
/// variance is indistinguishable from rounding error, gets scale 1 rather than a division by (nearly) zero: the same
/// test as scikit-learn's <c>_is_constant_feature</c>, <c>var ≤ n·ε·var + (n·mean·ε)²</c> with ε the float64 epsilon
/// (Chan, Golub and LeVeque's error bound for the two-pass variance). Transformed constant features are then 0.
/// </para>
/// <para>
/// Unlike scikit-learn, NaN is not read as "missing" during <see cref="FeatureScaler.Fit(Tensor{float})"/>: fitting
/// on a NaN or infinity is an error. Save <see cref="Mean"/> and <see cref="Scale"/> and recreate the scaler with
/// <see cref="StandardScaler(IReadOnlyList{float}, IReadOnlyList{float})"/>; it then transforms bit for bit as the original.
/// </para>
/// </remarks>
public sealed class StandardScaler : FeatureScaler
{
    // numpy.finfo(np.float64).eps = 2^-52, the gap between 1 and the next double (not double.Epsilon, the smallest subnormal).
    private const double MachineEpsilon = 2.220446049250313e-16;

    private double[] _mean = [];
    private double[] _scale = [];
    private IReadOnlyList<float> _meanValues = [];
    private IReadOnlyList<float> _scaleValues = [];

    /// <summary>Creates an unfitted scaler; call <see cref="FeatureScaler.Fit(Tensor{float})"/> on the training data.</summary>
    public StandardScaler()
    {
    }

    /// <summary>Recreates a fitted scaler from saved <see cref="Mean"/> and <see cref="Scale"/>.</summary>
    /// <param name="mean">Each feature's mean.</param>
    /// <param name="scale">Each feature's scale (standard deviation, or 1 for a constant feature); positive.</param>
    /// <exception cref="ArgumentException">The lists are empty or differ in length, or a value is not finite, or a scale is not positive.</exception>
    public StandardScaler(IReadOnlyList<float> mean, IReadOnlyList<float> scale)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(scale);
        if (mean.Count == 0 || mean.Count != scale.Count)
        {
            throw new ArgumentException(
                $"A StandardScaler needs one mean and one scale per feature, at least one feature, but received {mean.Count} means and {scale.Count} scales.", nameof(scale));
        }

        for (var f = 0; f < mean.Count; f++)
        {
            if (!float.IsFinite(mean[f]))
            {
                throw new ArgumentException($"mean[{f}] is {mean[f]}; every mean must be finite.", nameof(mean));
            }

            if (!(float.IsFinite(scale[f]) && scale[f] > 0f))
            {
                throw new ArgumentException($"scale[{f}] is {scale[f]}; every scale must be finite and positive.", nameof(scale));
            }
        }

        SetParameters([.. mean], [.. scale]);
    }

    /// <summary>Each feature's mean in the training data.</summary>
    /// <exception cref="InvalidOperationException">The scaler is not fitted.</exception>
    public IReadOnlyList<float> Mean
    {
        get
        {
            ThrowIfNotFitted();
            return _meanValues;
        }
    }

    /// <summary>Each feature's divisor: its standard deviation in the training data, or 1 where that is (nearly) zero.</summary>
    /// <exception cref="InvalidOperationException">The scaler is not fitted.</exception>
    public IReadOnlyList<float> Scale
    {
        get
        {
            ThrowIfNotFitted();
            return _scaleValues;
        }
    }

    private protected override void FitCore(ReadOnlySpan<float> values, int rows, int features)
    {
        var sum = new double[features];
        for (var r = 0; r < rows; r++)
        {
            var row = values.Slice(r * features, features);
            for (var f = 0; f < features; f++)
            {
                sum[f] += row[f];
            }
        }

        var mean = new double[features];
        for (var f = 0; f < features; f++)
        {
            mean[f] = sum[f] / rows;
        }

        // Corrected two-pass variance (Chan, Golub and LeVeque, 1983): the second sum removes most of the error the
        // rounded mean leaves in the first.
        var squares = new double[features];
        var deviations = new double[features];
        for (var r = 0; r < rows; r++)
        {
            var row = values.Slice(r * features, features);
            for (var f = 0; f < features; f++)
            {
                var d = row[f] - mean[f];
                squares[f] += d * d;
                deviations[f] += d;
            }
        }

        var meanValues = new float[features];
        var scaleValues = new float[features];
        for (var f = 0; f < features; f++)
        {
            var variance = Math.Max(0.0, (squares[f] - (deviations[f] * deviations[f] / rows)) / rows);
            var bound = (rows * MachineEpsilon * variance) + Math.Pow(rows * mean[f] * MachineEpsilon, 2);
            var scale = variance <= bound ? 1f : (float)Math.Sqrt(variance);
            meanValues[f] = (float)mean[f];
            scaleValues[f] = scale == 0f ? 1f : scale;
        }

        SetParameters(meanValues, scaleValues);
    }

    private protected override void TransformCore(ReadOnlySpan<float> source, Span<float> destination)
    {
        var features = _mean.Length;
        for (var i = 0; i < source.Length; i += features)
        {
            for (var f = 0; f < features; f++)
            {
                destination[i + f] = (float)((source[i + f] - _mean[f]) / _scale[f]);
            }
        }
    }

    private protected override void InverseTransformCore(ReadOnlySpan<float> source, Span<float> destination)
    {
        var features = _mean.Length;
        for (var i = 0; i < source.Length; i += features)
        {
            for (var f = 0; f < features; f++)
            {
                destination[i + f] = (float)((source[i + f] * _scale[f]) + _mean[f]);
            }
        }
    }

    private void SetParameters(float[] mean, float[] scale)
    {
        _meanValues = ReadOnly(mean);
        _scaleValues = ReadOnly(scale);
        _mean = [.. mean.Select(v => (double)v)];
        _scale = [.. scale.Select(v => (double)v)];
        SetFitted(mean.Length);
    }
}
