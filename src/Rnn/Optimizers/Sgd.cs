using System.Numerics.Tensors;
using Rnn.Layers;

namespace Rnn.Optimizers;

/// <summary>Stochastic gradient descent: <c>θ ← θ - η·g</c>.</summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">η, 0.01 by default as in Keras.</param>
    public Sgd(float learningRate = 0.01f)
        : base(learningRate)
    {
    }

    private protected override void Update(Parameter parameter, float learningRate)
        => TensorPrimitives.MultiplyAdd(parameter.Grad, -learningRate, parameter.Data, parameter.Data);
}
