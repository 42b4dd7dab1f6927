using TorchSharp;
using static TorchSharp.torch;
using TorchParameter = TorchSharp.Modules.Parameter;

namespace GoldenGenerator;

/// <summary>
/// PyTorch's Python single-tensor updates (<c>_single_tensor_radam</c>, <c>_single_tensor_nadam</c> in
/// <c>torch/optim/radam.py</c> and <c>nadam.py</c>, not differentiable, not capturable), transcribed line by
/// line onto TorchSharp's tensor operations, which are libtorch's kernels: what Python's <c>torch.optim</c>
/// computes, for the cases TorchSharp 0.107's own ports cannot give. Its <c>RAdam</c> multiplies the
/// rectified step by the learning rate twice (<c>t6 * lr * adaptive_lr * rect</c>, with <c>t6</c> already
/// <c>m̂ · lr</c>), and neither its <c>RAdam</c> nor its <c>NAdam</c> has <c>decoupled_weight_decay</c>.
/// As in Python, <c>step</c> and NAdam's <c>mu_product</c> are float32 scalar tensors, the scalars derived
/// from them are Python floats (double), and <c>float / Tensor</c> is <c>reciprocal() * float</c>.
/// </summary>
internal sealed class TorchOptimTranscript
{
    private readonly OptimizerCase _c;
    private readonly TorchParameter[] _parameters;
    private readonly Tensor[] _steps;
    private readonly Tensor[] _muProducts;
    private readonly Tensor[] _expAvgs;
    private readonly Tensor[] _expAvgSqs;

    public TorchOptimTranscript(OptimizerCase c, TorchParameter[] parameters)
    {
        if (c.Optimizer is not ("RAdam" or "NAdam") || c.Clip is not null || c.Scheduler is not null)
        {
            throw new InvalidOperationException($"{c.Name}: the transcript has RAdam and NAdam, without clipping or schedulers.");
        }

        _c = c;
        _parameters = parameters;
        _steps = [.. parameters.Select(_ => torch.tensor(0f))];
        _muProducts = [.. parameters.Select(_ => torch.tensor(1f))];
        _expAvgs = [.. parameters.Select(p => torch.zeros_like(p))];
        _expAvgSqs = [.. parameters.Select(p => torch.zeros_like(p))];
    }

    public void ZeroGrad()
    {
        foreach (var p in _parameters)
        {
            p.grad?.zero_();
        }
    }

    public void Step()
    {
        using var noGrad = torch.no_grad();
        double lr = _c.Lr, beta1 = _c.Beta1, beta2 = _c.Beta2, eps = _c.Eps, weightDecay = _c.WeightDecay;
        for (var i = 0; i < _parameters.Length; i++)
        {
            Tensor param = _parameters[i];
            var grad = _parameters[i].grad!;
            var (expAvg, expAvgSq) = (_expAvgs[i], _expAvgSqs[i]);
            _steps[i].add_(1);                                                     // step_t += 1
            double step = _steps[i].item<float>();                                 // step = _get_value(step_t)
            if (_c.Optimizer == "NAdam")
            {
                NAdam(param, grad, expAvg, expAvgSq, _muProducts[i], step, lr, beta1, beta2, eps, weightDecay);
                continue;
            }

            if (weightDecay != 0)
            {
                if (_c.DecoupledWeightDecay)
                {
                    param.mul_(1 - (lr * weightDecay));
                }
                else
                {
                    grad = grad.add(param, alpha: weightDecay);
                }
            }

            expAvg.lerp_(grad, torch.tensor(1 - beta1));
            expAvgSq.mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
            var biasCorrection1 = 1 - Math.Pow(beta1, step);
            var biasCorrection2 = 1 - Math.Pow(beta2, step);
            var biasCorrectedExpAvg = expAvg.div(biasCorrection1);
            var rhoInf = (2 / (1 - beta2)) - 1;
            var rhoT = rhoInf - (2 * step * Math.Pow(beta2, step) / biasCorrection2);
            if (rhoT > 5.0)
            {
                var adaptiveLr = expAvgSq.sqrt().add_(eps).reciprocal().mul(Math.Pow(biasCorrection2, 0.5));
                var rect = Math.Pow((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT), 0.5);
                param.add_(biasCorrectedExpAvg.mul(lr).mul(adaptiveLr).mul(rect), alpha: -1.0);
            }
            else
            {
                param.add_(biasCorrectedExpAvg.mul(lr), alpha: -1.0);
            }
        }
    }

    private void NAdam(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor muProduct, double step, double lr, double beta1, double beta2, double eps, double weightDecay)
    {
        var biasCorrection2 = 1 - Math.Pow(beta2, step);
        if (weightDecay != 0)
        {
            if (_c.DecoupledWeightDecay)
            {
                param.mul_(1 - (lr * weightDecay));
            }
            else
            {
                grad = grad.add(param, alpha: weightDecay);
            }
        }

        var mu = beta1 * (1.0 - (0.5 * Math.Pow(0.96, step * _c.MomentumDecay)));
        var muNext = beta1 * (1.0 - (0.5 * Math.Pow(0.96, (step + 1) * _c.MomentumDecay)));
        muProduct.mul_(mu);
        expAvg.lerp_(grad, torch.tensor(1 - beta1));
        expAvgSq.mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
        var denom = expAvgSq.div(biasCorrection2).sqrt();
        double muProductValue = muProduct.item<float>();
        var muProductNext = muProductValue * muNext;
        denom.add_(eps);
        param.addcdiv_(grad, denom, value: -lr * (1.0 - mu) / (1.0 - muProductValue));
        param.addcdiv_(expAvg, denom, value: -lr * muNext / (1.0 - muProductNext));
    }
}
