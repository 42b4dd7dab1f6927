using System.Numerics.Tensors;

namespace Rnn.Data;

/// <summary>
/// A feature-wise scaler in scikit-learn's style: <see cref="Fit(Tensor{float})"/> learns one set of parameters per
/// feature from the training data, <see cref="Transform(Tensor{float})"/> applies them to any data with the same
/// features, and <see cref="InverseTransform(Tensor{float})"/> undoes them (for example to read predictions in the
/// original units).
/// </summary>
/// <remarks>
/// <para>
/// The last axis holds the features, whatever the rank: <c>[rows, features]</c>, <c>[batch, time, features]</c> (every
/// batch and time step is a row), or <c>[features]</c> (one row). Flat <c>float[]</c> values are rows of
/// <see cref="FeatureCount"/> values back to back; a univariate series is a <c>float[]</c> with one feature.
/// </para>
/// <para>
/// Fit on the training data only, then transform the training, validation and test data with the same scaler:
/// statistics that include validation or test rows leak them into training. For time series, fit on the raw training
/// part before windowing (see <see cref="TimeSeries.TrainTestSplit(System.Numerics.Tensors.Tensor{float}, float, int)"/>).
/// </para>
/// </remarks>
public abstract class FeatureScaler
{
    private int _featureCount;

    /// <summary>Creates an unfitted scaler.</summary>
    private protected FeatureScaler()
    {
    }

    /// <summary>Whether the scaler has parameters, from <see cref="Fit(Tensor{float})"/> or from saved parameters.</summary>
    public bool IsFitted => _featureCount > 0;

    /// <summary>The number of features the scaler was fitted on.</summary>
    /// <exception cref="InvalidOperationException">The scaler is not fitted.</exception>
    public int FeatureCount
    {
        get
        {
            ThrowIfNotFitted();
            return _featureCount;
        }
    }

    /// <summary>Learns the per-feature parameters from <paramref name="data"/>, replacing any learned before.</summary>
    /// <param name="data">Training data, features on the last axis (dense).</param>
    /// <exception cref="ArgumentException">The data has no rows or features, or holds a NaN or infinity.</exception>
    public void Fit(Tensor<float> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Fit(data.AsFlatSpan(), FeaturesOf(data), data.ShapeString(), nameof(data));
    }

    /// <summary>Learns the per-feature parameters from <paramref name="data"/> <c>[rows, features]</c>.</summary>
    /// <param name="data">Training data.</param>
    /// <exception cref="ArgumentException">The data has no rows or features, or holds a NaN or infinity.</exception>
    public void Fit(float[,] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Fit(Array2D.AsSpan(data), data.GetLength(1), $"[{data.GetLength(0)}, {data.GetLength(1)}]", nameof(data));
    }

    /// <summary>Learns the per-feature parameters from flat rows of <paramref name="features"/> values.</summary>
    /// <param name="values">Training data, row-major: <c>rows × features</c> values.</param>
    /// <param name="features">Values per row; 1 (the default) for a univariate series.</param>
    /// <exception cref="ArgumentException">The length is not a positive multiple of <paramref name="features"/>, or the data holds a NaN or infinity.</exception>
    public void Fit(float[] values, int features = 1)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        if (values.Length % features != 0)
        {
            throw new ArgumentException(
                $"{GetType().Name}.Fit received {values.Length} values, which is not a whole number of rows of {features} features.", nameof(values));
        }

        Fit(values, features, $"[{values.Length / features}, {features}]", nameof(values));
    }

    /// <summary>Scales <paramref name="data"/> with the fitted parameters.</summary>
    /// <param name="data">Data with the fitted features on the last axis (dense).</param>
    /// <returns>A new tensor of the same shape.</returns>
    /// <exception cref="InvalidOperationException">The scaler is not fitted.</exception>
    /// <exception cref="ArgumentException">The feature count differs from the fitted one.</exception>
    public Tensor<float> Transform(Tensor<float> data) => Apply(data, inverse: false);

    /// <summary>Scales <paramref name="data"/> <c>[rows, features]</c> with the fitted parameters.</summary>
    /// <param name="data">Data with the fitted number of columns.</param>
    /// <returns>A new array of the same shape.</returns>
    /// <exception cref="InvalidOperationException">The scaler is not fitted.</exception>
    /// <exception cref="ArgumentException">The feature count differs from the fitted one.</exception>
    public float[,] Transform(float[,] data) => Apply(data, inverse: false);

    /// <summary>Scales flat rows of <see cref="FeatureCount"/> values with the fitted parameters.</summary>
    /// <param name="values">Row-major values, a whole number of rows.</param>
    /// <returns>A new array of the same length.</returns>
    /// <exception cref="InvalidOperationException">The scaler is not fitted.</exception>
    /// <exception cref="ArgumentException">The length is not a whole number of rows.</exception>
    public float[] Transform(float[] values) => Apply(values, inverse: false);

    /// <summary>
    /// Scales flat rows of <see cref="FeatureCount"/> values into <paramref name="destination"/> without allocating;
    /// <paramref name="destination"/> may be <paramref name="source"/> itself (in place).
    /// </summary>
    /// <param name="source">Row-major values, a whole number of rows.</param>
    /// <param name="destination">Receives <c>source.Length</c> values at its start.</param>
    /// <exception cref="InvalidOperationException">The scaler is not fitted.</exception>
    /// <exception cref="ArgumentException">The length is not a whole number of rows, or the destination is shorter than the source.</exception>
    public void Transform(ReadOnlySpan<float> source, Span<float> destination) => Apply(source, destination, inverse: false);

    /// <summary>Undoes <see cref="Transform(Tensor{float})"/>: maps scaled values back to the original units.</summary>
    /// <param name="data">Scaled data with the fitted features on the last axis (dense).</param>
    /// <returns>A new tensor of the same shape.</returns>
    /// <exception cref="InvalidOperationException">The scaler is not fitted.</exception>
    /// <exception cref="ArgumentException">The feature count differs from the fitted one.</exception>
    public Tensor<float> InverseTransform(Tensor<float> data) => Apply(data, inverse: true);

    /// <summary>Undoes <see cref="Transform(float[,])"/>.</summary>
    /// <param name="data">Scaled data with the fitted number of columns.</param>
    /// <returns>A new array of the same shape.</returns>
    /// <exception cref="InvalidOperationException">The scaler is not fitted.</exception>
    /// <exception cref="ArgumentException">The feature count differs from the fitted one.</exception>
    public float[,] InverseTransform(float[,] data) => Apply(data, inverse: true);

    /// <summary>Undoes <see cref="Transform(float[])"/>.</summary>
    /// <param name="values">Scaled row-major values, a whole number of rows.</param>
    /// <returns>A new array of the same length.</returns>
    /// <exception cref="InvalidOperationException">The scaler is not fitted.</exception>
    /// <exception cref="ArgumentException">The length is not a whole number of rows.</exception>
    public float[] InverseTransform(float[] values) => Apply(values, inverse: true);

    /// <summary>Undoes <see cref="Transform(ReadOnlySpan{float}, Span{float})"/> without allocating; may work in place.</summary>
    /// <param name="source">Scaled row-major values, a whole number of rows.</param>
    /// <param name="destination">Receives <c>source.Length</c> values at its start.</param>
    /// <exception cref="InvalidOperationException">The scaler is not fitted.</exception>
    /// <exception cref="ArgumentException">The length is not a whole number of rows, or the destination is shorter than the source.</exception>
    public void InverseTransform(ReadOnlySpan<float> source, Span<float> destination) => Apply(source, destination, inverse: true);

    /// <summary><see cref="Fit(Tensor{float})"/> then <see cref="Transform(Tensor{float})"/> on the same (training) data.</summary>
    /// <param name="data">Training data, features on the last axis (dense).</param>
    /// <returns>The scaled training data.</returns>
    public Tensor<float> FitTransform(Tensor<float> data)
    {
        Fit(data);
        return Transform(data);
    }

    /// <summary><see cref="Fit(float[,])"/> then <see cref="Transform(float[,])"/> on the same (training) data.</summary>
    /// <param name="data">Training data <c>[rows, features]</c>.</param>
    /// <returns>The scaled training data.</returns>
    public float[,] FitTransform(float[,] data)
    {
        Fit(data);
        return Transform(data);
    }

    /// <summary><see cref="Fit(float[], int)"/> then <see cref="Transform(float[])"/> on the same (training) data.</summary>
    /// <param name="values">Training data, row-major.</param>
    /// <param name="features">Values per row; 1 for a univariate series.</param>
    /// <returns>The scaled training data.</returns>
    public float[] FitTransform(float[] values, int features = 1)
    {
        Fit(values, features);
        return Transform(values);
    }

    /// <summary>Learns the parameters of every feature from <paramref name="values"/>, validated: at least one row, all finite.</summary>
    /// <param name="values">Rows of <paramref name="features"/> values.</param>
    /// <param name="rows">The number of rows.</param>
    /// <param name="features">Values per row.</param>
    private protected abstract void FitCore(ReadOnlySpan<float> values, int rows, int features);

    /// <summary>Scales whole rows of <see cref="FeatureCount"/> values; <paramref name="destination"/> may alias <paramref name="source"/> exactly.</summary>
    /// <param name="source">Row-major input.</param>
    /// <param name="destination">Output, the same length.</param>
    private protected abstract void TransformCore(ReadOnlySpan<float> source, Span<float> destination);

    /// <summary>Undoes <see cref="TransformCore"/>; <paramref name="destination"/> may alias <paramref name="source"/> exactly.</summary>
    /// <param name="source">Row-major scaled input.</param>
    /// <param name="destination">Output, the same length.</param>
    private protected abstract void InverseTransformCore(ReadOnlySpan<float> source, Span<float> destination);

    /// <summary>Marks the scaler fitted on <paramref name="features"/> features (from saved parameters).</summary>
    /// <param name="features">The feature count, at least 1.</param>
    private protected void SetFitted(int features) => _featureCount = features;

    /// <summary>Throws unless the scaler is fitted.</summary>
    private protected void ThrowIfNotFitted()
    {
        if (_featureCount == 0)
        {
            throw new InvalidOperationException(
                $"This {GetType().Name} is not fitted yet: call Fit on the training data first, or create it from saved parameters.");
        }
    }

    /// <summary>Copies <paramref name="values"/> into a new read-only list.</summary>
    /// <param name="values">The values.</param>
    /// <returns>A read-only list that cannot be cast back to a writable array.</returns>
    private protected static IReadOnlyList<float> ReadOnly(ReadOnlySpan<float> values) => Array.AsReadOnly(values.ToArray());

    private static int FeaturesOf(Tensor<float> data)
        => data.Rank == 0
            ? throw new ArgumentException("Expected data with the features on the last axis, but received a scalar (rank 0).", nameof(data))
            : checked((int)data.Lengths[^1]);

    private void Fit(ReadOnlySpan<float> values, int features, string shape, string parameterName)
    {
        if (features == 0 || values.Length == 0)
        {
            throw new ArgumentException($"{GetType().Name}.Fit needs at least one row of at least one feature but received shape {shape}.", parameterName);
        }

        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException(
                    $"{GetType().Name}.Fit received {values[i]} at row {i / features}, feature {i % features} (shape {shape}); remove or fill missing values before fitting.",
                    parameterName);
            }
        }

        FitCore(values, values.Length / features, features);
        _featureCount = features;
    }

    private Tensor<float> Apply(Tensor<float> data, bool inverse)
    {
        ArgumentNullException.ThrowIfNull(data);
        ThrowIfNotFitted();
        var features = FeaturesOf(data);
        if (features != _featureCount)
        {
            throw FeatureMismatch(features, data.ShapeString(), nameof(data));
        }

        var result = new float[data.FlattenedLength];
        Run(data.AsFlatSpan(), result, inverse);
        return Tensor.Create(result, data.Lengths);
    }

    private float[,] Apply(float[,] data, bool inverse)
    {
        ArgumentNullException.ThrowIfNull(data);
        ThrowIfNotFitted();
        if (data.GetLength(1) != _featureCount)
        {
            throw FeatureMismatch(data.GetLength(1), $"[{data.GetLength(0)}, {data.GetLength(1)}]", nameof(data));
        }

        var result = new float[data.GetLength(0), data.GetLength(1)];
        Run(Array2D.AsSpan(data), Array2D.AsSpan(result), inverse);
        return result;
    }

    private float[] Apply(float[] values, bool inverse)
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = new float[values.Length];
        Apply(values, result, inverse);
        return result;
    }

    private void Apply(ReadOnlySpan<float> source, Span<float> destination, bool inverse)
    {
        ThrowIfNotFitted();
        if (source.Length % _featureCount != 0)
        {
            throw new ArgumentException(
                $"This {GetType().Name} was fitted on {_featureCount} features, but received {source.Length} values, which is not a whole number of rows of {_featureCount}.",
                nameof(source));
        }

        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values but the source has {source.Length}.", nameof(destination));
        }

        Run(source, destination[..source.Length], inverse);
    }

    private void Run(ReadOnlySpan<float> source, Span<float> destination, bool inverse)
    {
        if (inverse)
        {
            InverseTransformCore(source, destination);
        }
        else
        {
            TransformCore(source, destination);
        }
    }

    private ArgumentException FeatureMismatch(int features, string shape, string parameterName)
        => new($"This {GetType().Name} was fitted on {_featureCount} features but received data with {features} (shape {shape}); the last axis holds the features.", parameterName);
}
