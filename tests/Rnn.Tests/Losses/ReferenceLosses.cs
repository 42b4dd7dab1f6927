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
