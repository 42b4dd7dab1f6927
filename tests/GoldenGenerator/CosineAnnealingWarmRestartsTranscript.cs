using TorchSharp;

namespace GoldenGenerator;

/// <summary>
/// PyTorch's <c>CosineAnnealingWarmRestarts</c> (<c>torch/optim/lr_scheduler.py</c>: its constructor's initial
/// step and <c>step()</c> without an epoch), transcribed line by line onto a TorchSharp optimizer's learning
/// rate, because TorchSharp 0.107 has no port of it. <c>T_cur</c> and <c>T_i</c> are whole numbers and the rate
/// is computed from the base rate in double, as in Python.
/// </summary>
internal sealed class CosineAnnealingWarmRestartsTranscript
{
    private readonly OptimizerCase _c;
    private readonly torch.optim.Optimizer _optimizer;
    private readonly double _baseLr;
    private long _tCur;
    private long _tI;

    /// <summary>The constructor's initial step: <c>T_i = T_0</c>, <c>T_cur = 0</c>, and the rate of epoch 0 (the base rate).</summary>
    public CosineAnnealingWarmRestartsTranscript(OptimizerCase c, torch.optim.Optimizer optimizer)
    {
        if (c.Scheduler != "CosineAnnealingWarmRestarts" || c.T0 <= 0 || c.TMult < 1)
        {
            throw new InvalidOperationException($"{c.Name}: the transcript is CosineAnnealingWarmRestarts with T_0 > 0 and T_mult >= 1.");
        }

        _c = c;
        _optimizer = optimizer;
        _baseLr = optimizer.ParamGroups.First().LearningRate;
        _tI = c.T0;
        _tCur = 0;
        SetLearningRate();
    }

    /// <summary><c>step()</c>: <c>T_cur += 1</c>; at the end of a cycle <c>T_cur %= T_i</c> and <c>T_i *= T_mult</c>; then <c>get_lr()</c>.</summary>
    public void Step()
    {
        _tCur++;
        if (_tCur >= _tI)
        {
            _tCur %= _tI;
            _tI *= _c.TMult;
        }

        SetLearningRate();
    }

    private void SetLearningRate()
    {
        var etaMin = _c.EtaMin;
        _optimizer.ParamGroups.First().LearningRate = etaMin + ((_baseLr - etaMin) * (1 + Math.Cos(Math.PI * _tCur / _tI)) / 2);
    }
}
