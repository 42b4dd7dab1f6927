namespace Rnn.Models;

/// <summary>
/// Multiplies the optimizer's learning rate by <c>factor</c> when a monitored quantity has not improved for
/// <c>patience</c> epochs, waiting <c>cooldown</c> epochs after each reduction and never going below
/// <c>minLearningRate</c> (Keras's <c>ReduceLROnPlateau</c>).
/// </summary>
public sealed class ReduceLROnPlateau : Callback
{
    private readonly Monitor _monitor;
    private int _wait;
    private int _cooldownCounter;

    /// <summary>Creates the callback.</summary>
    /// <param name="monitor">The logged quantity to watch.</param>
    /// <param name="factor">The multiplier, in (0, 1).</param>
    /// <param name="patience">Epochs without improvement before a reduction.</param>
    /// <param name="mode">Whether lower or higher is better.</param>
    /// <param name="minDelta">The least change that counts as an improvement.</param>
    /// <param name="cooldown">Epochs to wait after a reduction before counting again.</param>
    /// <param name="minLearningRate">The lower bound of the learning rate.</param>
    public ReduceLROnPlateau(string monitor = "val_loss", float factor = 0.1f, int patience = 10, MonitorMode mode = MonitorMode.Auto,
        float minDelta = 1e-4f, int cooldown = 0, float minLearningRate = 0f)
    {
        if (!(factor > 0f && factor < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "ReduceLROnPlateau: factor must be in (0, 1).");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(cooldown);
        ArgumentOutOfRangeException.ThrowIfNegative(minLearningRate);
        _monitor = new Monitor(monitor, mode, minDelta, nameof(ReduceLROnPlateau));
        Factor = factor;
        Patience = patience;
        Cooldown = cooldown;
        MinLearningRate = minLearningRate;
    }

    /// <summary>The multiplier applied at each reduction.</summary>
    public float Factor { get; }

    /// <summary>Epochs without improvement before a reduction.</summary>
    public int Patience { get; }

    /// <summary>Epochs to wait after a reduction.</summary>
    public int Cooldown { get; }

    /// <summary>The lower bound of the learning rate.</summary>
    public float MinLearningRate { get; }

    /// <inheritdoc/>
    public override void OnTrainBegin()
    {
        _monitor.Reset();
        _wait = 0;
        _cooldownCounter = 0;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, float> logs)
    {
        var optimizer = RequireModel().Optimizer!;
        var current = _monitor.Read(logs);
        if (_cooldownCounter > 0)
        {
            _cooldownCounter--;
            _wait = 0;
        }

        if (_monitor.Update(current))
        {
            _wait = 0;
        }
        else if (_cooldownCounter <= 0)
        {
            _wait++;
            if (_wait >= Patience)
            {
                var reduced = MathF.Max(optimizer.LearningRate * Factor, MinLearningRate);
                if (reduced < optimizer.LearningRate && reduced > 0f)
                {
                    optimizer.LearningRate = reduced;
                    _cooldownCounter = Cooldown;
                    _wait = 0;
                }
            }
        }
    }
}
