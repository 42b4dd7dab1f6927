using Rnn.Optimizers;

namespace Rnn.Tests.Optimizers;

/// <summary>
/// The update rules as PyTorch's documentation states them (torch.optim, clip_grad_norm_,
/// clip_grad_value_) and the schedules' formulas, naively in float64: the oracle for option combinations
/// the golden files do not cover. Hyperparameters are read from the optimizer under test.
/// </summary>
public sealed class ReferenceOptimizer
{
    private readonly Optimizer _optimizer;
    private readonly double[][] _m;
    private readonly double[][] _v;
    private readonly double[][] _vMax;
    private readonly double[][] _buffer;
    private readonly double[] _muProduct;
    private long _t;

    public ReferenceOptimizer(Optimizer optimizer, int[] lengths)
    {
        _optimizer = optimizer;
        var initial = optimizer is Adagrad adagrad ? adagrad.InitialAccumulatorValue : 0.0;
        _m = [.. lengths.Select(n => new double[n])];
        _v = [.. lengths.Select(n => Enumerable.Repeat(initial, n).ToArray())];
        _vMax = [.. lengths.Select(n => new double[n])];
        _buffer = [.. lengths.Select(n => new double[n])];
        _muProduct = [.. lengths.Select(_ => 1.0)];
    }

    /// <summary>One step: clips <paramref name="grads"/> in place, then updates <paramref name="parameters"/>.</summary>
    public void Step(double[][] parameters, double[][] grads)
    {
        var lr = LearningRate(_t, _optimizer.LearningRate);
        _t++;
        Clip(grads);
        for (var j = 0; j < parameters.Length; j++)
        {
            Update(j, parameters[j], grads[j], lr);
        }
    }

    private double LearningRate(long k, double baseRate) => _optimizer.Schedule is { } schedule ? ReferenceSchedule.Rate(schedule, k, baseRate) : baseRate;

    private void Clip(double[][] grads)
    {
        if (_optimizer.ClipValue is { } value)
        {
            foreach (var g in grads)
            {
                for (var i = 0; i < g.Length; i++)
                {
                    g[i] = Math.Clamp(g[i], -value, value);
                }
            }
        }
        else if (_optimizer.ClipNorm is { } maxNorm)
        {
            foreach (var g in grads)
            {
                Scale([g], maxNorm);
            }
        }
        else if (_optimizer.GlobalClipNorm is { } maxGlobalNorm)
        {
            Scale(grads, maxGlobalNorm);
        }

        static void Scale(double[][] gs, double maxNorm)
        {
            var norm = Math.Sqrt(gs.Sum(g => g.Sum(x => x * x)));
            var coefficient = Math.Min(1, maxNorm / (norm + 1e-6));
            foreach (var g in gs)
            {
                for (var i = 0; i < g.Length; i++)
                {
                    g[i] *= coefficient;
                }
            }
        }
    }

    private void Update(int j, double[] theta, double[] g, double lr)
    {
        var (m, v, vMax, b) = (_m[j], _v[j], _vMax[j], _buffer[j]);
        var (mu, muNext) = _optimizer is NAdam n ? (Mu(n, _t), Mu(n, _t + 1)) : (0, 0);
        _muProduct[j] *= mu;
        for (var i = 0; i < theta.Length; i++)
        {
            var grad = g[i];
            switch (_optimizer)
            {
                case Sgd sgd:
                    grad += sgd.WeightDecay * theta[i];
                    if (sgd.Momentum != 0)
                    {
                        b[i] = _t == 1 ? grad : (sgd.Momentum * b[i]) + ((1 - sgd.Dampening) * grad);
                        grad = sgd.Nesterov ? grad + (sgd.Momentum * b[i]) : b[i];
                    }

                    theta[i] -= lr * grad;
                    break;
                case Adam adam:
                    grad += adam.WeightDecay * theta[i];
                    theta[i] -= AdamStep(i, m, v, vMax, grad, lr, adam.Beta1, adam.Beta2, adam.Epsilon, adam.AmsGrad);
                    break;
                case AdamW adamW:
                    theta[i] *= 1 - (lr * adamW.WeightDecay);
                    theta[i] -= AdamStep(i, m, v, vMax, grad, lr, adamW.Beta1, adamW.Beta2, adamW.Epsilon, adamW.AmsGrad);
                    break;
                case RmsProp rms:
                    grad += rms.WeightDecay * theta[i];
                    v[i] = (rms.Alpha * v[i]) + ((1 - rms.Alpha) * grad * grad);
                    var variance = v[i];
                    if (rms.Centered)
                    {
                        m[i] = (rms.Alpha * m[i]) + ((1 - rms.Alpha) * grad);
                        variance -= m[i] * m[i];
                    }

                    var normalized = grad / (Math.Sqrt(variance) + rms.Epsilon);
                    if (rms.Momentum > 0)
                    {
                        b[i] = (rms.Momentum * b[i]) + normalized;
                        normalized = b[i];
                    }

                    theta[i] -= lr * normalized;
                    break;
                case Adagrad adagrad:
                    grad += adagrad.WeightDecay * theta[i];
                    v[i] += grad * grad;
                    theta[i] -= lr / (1 + ((_t - 1) * adagrad.LrDecay)) * grad / (Math.Sqrt(v[i]) + adagrad.Epsilon);
                    break;
                case NAdam nadam:
                    grad = Decay(theta, i, grad, lr, nadam.WeightDecay, nadam.DecoupledWeightDecay);
                    m[i] = (nadam.Beta1 * m[i]) + ((1 - nadam.Beta1) * grad);
                    v[i] = (nadam.Beta2 * v[i]) + ((1 - nadam.Beta2) * grad * grad);
                    var nesterov = (muNext * m[i] / (1 - (_muProduct[j] * muNext))) + ((1 - mu) * grad / (1 - _muProduct[j]));
                    theta[i] -= lr * nesterov / (Math.Sqrt(v[i] / (1 - Math.Pow(nadam.Beta2, _t))) + nadam.Epsilon);
                    break;
                case RAdam radam:
                    grad = Decay(theta, i, grad, lr, radam.WeightDecay, radam.DecoupledWeightDecay);
                    m[i] = (radam.Beta1 * m[i]) + ((1 - radam.Beta1) * grad);
                    v[i] = (radam.Beta2 * v[i]) + ((1 - radam.Beta2) * grad * grad);
                    var corrected = m[i] / (1 - Math.Pow(radam.Beta1, _t));
                    var rhoInf = (2 / (1 - (double)radam.Beta2)) - 1;
                    var rhoT = rhoInf - (2 * _t * Math.Pow(radam.Beta2, _t) / (1 - Math.Pow(radam.Beta2, _t)));
                    var rectified = rhoT > 5
                        ? Math.Sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) * Math.Sqrt(1 - Math.Pow(radam.Beta2, _t)) / (Math.Sqrt(v[i]) + radam.Epsilon)
                        : 1;
                    theta[i] -= lr * corrected * rectified;
                    break;
                case Adamax adamax:
                    grad += adamax.WeightDecay * theta[i];
                    m[i] = (adamax.Beta1 * m[i]) + ((1 - adamax.Beta1) * grad);
                    v[i] = Math.Max(adamax.Beta2 * v[i], Math.Abs(grad) + adamax.Epsilon);
                    theta[i] -= lr * m[i] / ((1 - Math.Pow(adamax.Beta1, _t)) * v[i]);
                    break;
                case Adadelta adadelta:
                    grad += adadelta.WeightDecay * theta[i];
                    v[i] = (adadelta.Rho * v[i]) + ((1 - adadelta.Rho) * grad * grad);
                    var delta = Math.Sqrt(b[i] + adadelta.Epsilon) / Math.Sqrt(v[i] + adadelta.Epsilon) * grad;
                    b[i] = (adadelta.Rho * b[i]) + ((1 - adadelta.Rho) * delta * delta);
                    theta[i] -= lr * delta;
                    break;
                default:
                    throw new NotSupportedException(_optimizer.Name);
            }
        }
    }

    /// <summary>NAdam's momentum of step t: μₜ = β₁·(1 - ½·0.96^(t·ψ)).</summary>
    private static double Mu(NAdam nadam, long t) => nadam.Beta1 * (1 - (0.5 * Math.Pow(0.96, t * (double)nadam.MomentumDecay)));

    /// <summary>Weight decay λ: decoupled, θ shrinks by 1 - η·λ and g is unchanged; otherwise g + λ·θ.</summary>
    private static double Decay(double[] theta, int i, double grad, double lr, double weightDecay, bool decoupled)
    {
        if (decoupled)
        {
            theta[i] *= 1 - (lr * weightDecay);
            return grad;
        }

        return grad + (weightDecay * theta[i]);
    }

    private double AdamStep(int i, double[] m, double[] v, double[] vMax, double grad, double lr, double beta1, double beta2, double eps, bool amsgrad)
    {
        m[i] = (beta1 * m[i]) + ((1 - beta1) * grad);
        v[i] = (beta2 * v[i]) + ((1 - beta2) * grad * grad);
        vMax[i] = Math.Max(vMax[i], v[i]);
        var mHat = m[i] / (1 - Math.Pow(beta1, _t));
        var vHat = (amsgrad ? vMax[i] : v[i]) / (1 - Math.Pow(beta2, _t));
        return lr * mHat / (Math.Sqrt(vHat) + eps);
    }
}
