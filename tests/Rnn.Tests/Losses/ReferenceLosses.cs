namespace Rnn.Tests.Losses;

/// <summary>
/// Naive float64 losses written from the textbook formulas, one sample-step (row) at a time, with the
/// gradient by the chain rule written out as a full Jacobian product: the oracles for the float32 losses.
/// Their gradients are checked by central finite differences in <see cref="LossMatchesReferenceTests"/>.
/// </summary>
/// <remarks>
/// Reduction as Keras: the mean of the row losses over the counted rows, each times its weight when there are weights
/// (<c>sum_over_batch_size</c>: the count is still of the counted rows). Clip bounds are Keras's float32
/// constants (ε = 1e-7f and 1 - ε rounded to float32), so clipping matches exactly.
/// </remarks>
public abstract class ReferenceLoss
{
    public const double Epsilon = 1e-7f;

    public const double OneMinusEpsilon = 1f - 1e-7f;

    /// <summary>Whether targets are one class index per row.</summary>
    public virtual bool Sparse => false;

    public double Loss(double[] prediction, double[] target, int rows, int classes, bool[]? mask, double[]? weights = null)
    {
        target = Labels(target, rows, mask);
        var sum = 0.0;
        var count = 0;
        for (var r = 0; r < rows; r++)
        {
            if (mask is null || mask[r])
            {
                sum += (weights?[r] ?? 1.0) * RowLoss(Row(prediction, r, classes), Row(target, r, Sparse ? 1 : classes));
                count++;
            }
        }

        return count == 0 ? 0 : sum / count;
    }

    public double[] Gradient(double[] prediction, double[] target, int rows, int classes, bool[]? mask, double[]? weights = null)
    {
        target = Labels(target, rows, mask);
        var gradient = new double[prediction.Length];
        var count = mask is null ? rows : mask.Count(m => m);
        for (var r = 0; r < rows; r++)
        {
            if (mask is null || mask[r])
            {
                var g = RowGradient(Row(prediction, r, classes), Row(target, r, Sparse ? 1 : classes));
                for (var i = 0; i < classes; i++)
                {
                    gradient[(r * classes) + i] = (weights?[r] ?? 1.0) * g[i] / count;
                }
            }
        }

        return gradient;
    }

    protected abstract double RowLoss(double[] p, double[] y);

    /// <summary>The targets as the row formulas read them; as given, except where a loss looks at the whole batch first.</summary>
    protected virtual double[] Labels(double[] target, int rows, bool[]? mask) => target;

    protected abstract double[] RowGradient(double[] p, double[] y);

    protected static double Clip(double p) => Math.Min(Math.Max(p, Epsilon), OneMinusEpsilon);

    protected static bool InsideClip(double p) => p >= Epsilon && p <= OneMinusEpsilon;

    private static double[] Row(double[] values, int row, int width) => values.AsSpan(row * width, width).ToArray();
}

public sealed class ReferenceMeanSquaredError : ReferenceLoss
{
    protected override double RowLoss(double[] p, double[] y) => p.Select((v, i) => (v - y[i]) * (v - y[i])).Average();

    protected override double[] RowGradient(double[] p, double[] y) => p.Select((v, i) => 2 * (v - y[i]) / p.Length).ToArray();
}

public sealed class ReferenceMeanAbsoluteError : ReferenceLoss
{
    protected override double RowLoss(double[] p, double[] y) => p.Select((v, i) => Math.Abs(v - y[i])).Average();

    protected override double[] RowGradient(double[] p, double[] y) => p.Select((v, i) => Math.Sign(v - y[i]) / (double)p.Length).ToArray();
}

public sealed class ReferenceHuber(double delta) : ReferenceLoss
{
    protected override double RowLoss(double[] p, double[] y)
        => p.Select((v, i) =>
        {
            var e = Math.Abs(v - y[i]);
            return e <= delta ? 0.5 * e * e : delta * (e - (0.5 * delta));
        }).Average();

    protected override double[] RowGradient(double[] p, double[] y)
        => p.Select((v, i) =>
        {
            var e = v - y[i];
            return (Math.Abs(e) <= delta ? e : delta * Math.Sign(e)) / p.Length;
        }).ToArray();
}

public sealed class ReferenceBinaryCrossEntropy(bool fromLogits) : ReferenceLoss
{
    protected override double RowLoss(double[] p, double[] y)
        => p.Select((v, i) =>
        {
            var q = fromLogits ? Sigmoid(v) : Clip(v);
            return -((y[i] * Math.Log(q)) + ((1 - y[i]) * Math.Log(1 - q)));
        }).Average();

    protected override double[] RowGradient(double[] p, double[] y)
        => p.Select((v, i) =>
        {
            if (fromLogits)
            {
                // dℓ/dq · dq/dx with q = σ(x), dq/dx = q (1 - q).
                var q = Sigmoid(v);
                return ((-y[i] / q) + ((1 - y[i]) / (1 - q))) * q * (1 - q) / p.Length;
            }

            return InsideClip(v) ? ((-y[i] / v) + ((1 - y[i]) / (1 - v))) / p.Length : 0;
        }).ToArray();

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}

public sealed class ReferenceCategoricalCrossEntropy(bool fromLogits) : ReferenceLoss
{
    protected override double RowLoss(double[] p, double[] y)
    {
        var q = Distribution(p);
        var loss = 0.0;
        for (var i = 0; i < p.Length; i++)
        {
            loss -= y[i] * Math.Log(fromLogits ? q[i] : Clip(q[i]));
        }

        return loss;
    }

    protected override double[] RowGradient(double[] p, double[] y)
    {
        // dℓ/dp_j = Σ_i dℓ/dq_i · ∂q_i/∂p_j, with the Jacobian of softmax or of the rescaling p / Σp.
        var k = p.Length;
        var q = Distribution(p);
        var sum = p.Sum();
        var gradient = new double[k];
        for (var i = 0; i < k; i++)
        {
            var dq = fromLogits ? -y[i] / q[i] : InsideClip(q[i]) ? -y[i] / q[i] : 0;
            for (var j = 0; j < k; j++)
            {
                var jacobian = fromLogits
                    ? q[i] * ((i == j ? 1 : 0) - q[j])
                    : ((i == j ? sum : 0) - p[i]) / (sum * sum);
                gradient[j] += dq * jacobian;
            }
        }

        return gradient;
    }

    private double[] Distribution(double[] p)
    {
        if (fromLogits)
        {
            var exps = p.Select(Math.Exp).ToArray();
            return exps.Select(e => e / exps.Sum()).ToArray();
        }

        return p.Select(v => v / p.Sum()).ToArray();
    }
}

public sealed class ReferenceSparseCategoricalCrossEntropy(bool fromLogits) : ReferenceLoss
{
    private readonly ReferenceCategoricalCrossEntropy _dense = new(fromLogits);

    public override bool Sparse => true;

    protected override double RowLoss(double[] p, double[] y) => _dense.Loss(p, OneHot(y[0], p.Length), 1, p.Length, null);

    protected override double[] RowGradient(double[] p, double[] y) => _dense.Gradient(p, OneHot(y[0], p.Length), 1, p.Length, null);

    private static double[] OneHot(double label, int classes)
    {
        var oneHot = new double[classes];
        oneHot[(int)label] = 1;
        return oneHot;
    }
}

/// <summary>Keras: <c>mean(square(log(maximum(y_pred, ε) + 1) - log(maximum(y_true, ε) + 1)), axis=-1)</c>.</summary>
public sealed class ReferenceMeanSquaredLogarithmicError : ReferenceLoss
{
    protected override double RowLoss(double[] p, double[] y) => p.Select((v, i) => Math.Pow(Difference(v, y[i]), 2)).Average();

    // d/dp (a - b)² = 2 (a - b) · d/dp log(max(p, ε) + 1) = 2 (a - b) / (p + 1) above ε, 0 below (the max is constant there).
    protected override double[] RowGradient(double[] p, double[] y)
        => p.Select((v, i) => v >= Epsilon ? 2 * Difference(v, y[i]) / (v + 1) / p.Length : 0).ToArray();

    private static double Difference(double p, double y) => Math.Log(Math.Max(p, Epsilon) + 1) - Math.Log(Math.Max(y, Epsilon) + 1);
}

/// <summary>Keras: <c>100 * mean(abs((y_true - y_pred) / maximum(abs(y_true), ε)), axis=-1)</c>.</summary>
public sealed class ReferenceMeanAbsolutePercentageError : ReferenceLoss
{
    protected override double RowLoss(double[] p, double[] y) => 100 * p.Select((v, i) => Math.Abs((y[i] - v) / Math.Max(Math.Abs(y[i]), Epsilon))).Average();

    protected override double[] RowGradient(double[] p, double[] y)
        => p.Select((v, i) => 100 * Math.Sign(v - y[i]) / Math.Max(Math.Abs(y[i]), Epsilon) / p.Length).ToArray();
}

/// <summary>Keras: <c>mean(log(cosh(y_pred - y_true)), axis=-1)</c>, here straight from the definition (fine for moderate errors).</summary>
public sealed class ReferenceLogCosh : ReferenceLoss
{
    protected override double RowLoss(double[] p, double[] y) => p.Select((v, i) => Math.Log(Math.Cosh(v - y[i]))).Average();

    // d/dx log(cosh x) = sinh x / cosh x.
    protected override double[] RowGradient(double[] p, double[] y) => p.Select((v, i) => Math.Sinh(v - y[i]) / Math.Cosh(v - y[i]) / p.Length).ToArray();
}

/// <summary>Keras: <c>sum(y * log(y / p), axis=-1)</c> with <c>y = clip(y_true, ε, 1)</c> and <c>p = clip(y_pred, ε, 1)</c>.</summary>
public sealed class ReferenceKLDivergence : ReferenceLoss
{
    protected override double RowLoss(double[] p, double[] y) => p.Select((v, i) => Clip1(y[i]) * Math.Log(Clip1(y[i]) / Clip1(v))).Sum();

    protected override double[] RowGradient(double[] p, double[] y) => p.Select((v, i) => v >= Epsilon && v <= 1 ? -Clip1(y[i]) / v : 0).ToArray();

    private static double Clip1(double v) => Math.Min(Math.Max(v, Epsilon), 1);
}

/// <summary>Keras: <c>mean(y_pred - y_true * log(y_pred + ε), axis=-1)</c>.</summary>
public sealed class ReferencePoisson : ReferenceLoss
{
    protected override double RowLoss(double[] p, double[] y) => p.Select((v, i) => v - (y[i] * Math.Log(v + Epsilon))).Average();

    protected override double[] RowGradient(double[] p, double[] y) => p.Select((v, i) => (1 - (y[i] / (v + Epsilon))) / p.Length).ToArray();
}

/// <summary>
/// Keras: <c>-sum(normalize(y_true) * normalize(y_pred), axis=-1)</c> with <c>normalize(x) = x * min(1 / sqrt(sum(x²)), 1 / ε)</c>;
/// the gradient as the Jacobian product of the normalization.
/// </summary>
public sealed class ReferenceCosineSimilarity : ReferenceLoss
{
    protected override double RowLoss(double[] p, double[] y) => -TestUtil.Dot(Normalize(p), Normalize(y));

    protected override double[] RowGradient(double[] p, double[] y)
    {
        // ∂p̂_i/∂p_j = (δ_ij - p̂_i p̂_j) / ‖p‖ above the floor, δ_ij / ε below it.
        var k = p.Length;
        var norm = Math.Sqrt(TestUtil.Dot(p, p));
        var floored = norm <= Epsilon;
        var pHat = Normalize(p);
        var yHat = Normalize(y);
        var gradient = new double[k];
        for (var j = 0; j < k; j++)
        {
            for (var i = 0; i < k; i++)
            {
                var jacobian = floored ? (i == j ? 1 / Epsilon : 0) : ((i == j ? 1 : 0) - (pHat[i] * pHat[j])) / norm;
                gradient[j] -= yHat[i] * jacobian;
            }
        }

        return gradient;
    }

    private static double[] Normalize(double[] x)
    {
        var inverse = Math.Min(1 / Math.Sqrt(TestUtil.Dot(x, x)), 1 / Epsilon);
        return x.Select(v => v * inverse).ToArray();
    }
}

/// <summary>
/// Keras: <c>mean(maximum(1 - y_true * y_pred, 0), axis=-1)</c>, squared inside the mean for <c>squared_hinge</c>, after
/// <c>convert_binary_labels_to_hinge</c>: when all targets are 0 or 1 they become <c>2y - 1</c> (here: all counted targets).
/// </summary>
public sealed class ReferenceHinge(bool squared) : ReferenceLoss
{
    protected override double RowLoss(double[] p, double[] y)
        => p.Select((v, i) => Math.Pow(Math.Max(1 - (y[i] * v), 0), squared ? 2 : 1)).Average();

    protected override double[] RowGradient(double[] p, double[] y)
        => p.Select((v, i) =>
        {
            var margin = 1 - (y[i] * v);
            return margin <= 0 ? 0 : (squared ? 2 * margin : 1) * -y[i] / p.Length;
        }).ToArray();

    protected override double[] Labels(double[] target, int rows, bool[]? mask)
    {
        var width = target.Length / rows;
        var binary = Enumerable.Range(0, target.Length).Where(i => mask is null || mask[i / width]).All(i => target[i] is 0 or 1);
        return binary ? target.Select(v => (2 * v) - 1).ToArray() : target;
    }
}
