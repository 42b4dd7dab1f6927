using Rnn.Layers;

namespace Rnn.Optimizers;

/// <summary>
/// Updates parameters from their accumulated gradients. <see cref="Step"/> applies one update to every
/// parameter given and marks each as modified; it does not zero the gradients (the training loop does,
/// before each backward pass, like PyTorch's <c>zero_grad</c>).
/// </summary>
public abstract class Optimizer
{
    private float _learningRate;

    /// <summary>Creates an optimizer with a base learning rate.</summary>
    /// <param name="learningRate">The step size, &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">The learning rate is not a positive finite number.</exception>
    protected Optimizer(float learningRate)
    {
        LearningRate = learningRate;
    }

    /// <summary>The learning rate: the step size of the next update.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a value that is not a positive finite number.</exception>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value > 0f) || float.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"{GetType().Name}: the learning rate must be a positive finite number.");
            }

            _learningRate = value;
        }
    }

    /// <summary>Number of <see cref="Step"/> calls so far.</summary>
    public long Iterations { get; private set; }

    /// <summary>Applies one update to every parameter from its gradient, then marks it modified.</summary>
    /// <param name="parameters">The parameters to update, in a fixed order from call to call.</param>
    public void Step(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Iterations++;
        foreach (var parameter in parameters)
        {
            Update(parameter, LearningRate);
            parameter.MarkModified();
        }
    }

    /// <summary>Updates one parameter in place from its gradient.</summary>
    /// <param name="parameter">The parameter.</param>
    /// <param name="learningRate">The learning rate of this step.</param>
    private protected abstract void Update(Parameter parameter, float learningRate);
}
