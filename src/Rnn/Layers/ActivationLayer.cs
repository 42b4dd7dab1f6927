using System.Numerics.Tensors;

namespace Rnn.Layers;

/// <summary>
/// Applies an <see cref="Layers.Activation"/> to its input (softmax over the last axis); any shape, passes a
/// mask through. Keras's <c>Activation</c> layer.
/// </summary>
public sealed class ActivationLayer : Layer
{
    private Tensor<float>? _input;
    private Tensor<float>? _output;

    /// <summary>Creates the layer.</summary>
    /// <param name="activation">The function to apply.</param>
    /// <param name="name">The layer's name, the activation's (for example <c>relu</c>) by default.</param>
    public ActivationLayer(Activation activation, string? name = null)
        : base(name, Enum.IsDefined(activation) ? ActivationFunctions.Name(activation) : "activation", null, 0)
    {
        if (!Enum.IsDefined(activation))
        {
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }

        Activation = activation;
    }

    /// <summary>The function applied.</summary>
    public Activation Activation { get; }

    internal override Dictionary<string, string> GetConfig() => LayerConfig.Of(("activation", ActivationFunctions.Name(Activation)));

    internal override void ForwardCore(Tensor<float> input, Tensor<float> output, ReadOnlySpan<byte> mask, bool training)
    {
        ActivationFunctions.Forward(Activation, input.AsFlatSpan(), output.AsFlatSpan(), (int)input.Lengths[^1]);
        _input = training ? input : null;
        _output = training ? output : null;
    }

    internal override int[] CheckBackward(Tensor<float> outputGradient)
    {
        if (_input is null || _output is null)
        {
            throw NoTrainingForward();
        }

        CheckShape(outputGradient, _output.Shape(), "output gradient", "the output of the last Forward");
        return _input.Shape();
    }

    internal override void BackwardCore(Tensor<float> outputGradient, Tensor<float>? inputGradient)
    {
        if (inputGradient is not null)
        {
            ActivationFunctions.Backward(Activation, _input!.AsFlatSpan(), _output!.AsFlatSpan(), outputGradient.AsFlatSpan(), inputGradient.AsFlatSpan(), (int)outputGradient.Lengths[^1]);
        }
    }

    internal override bool PropagatesMask(int outputRank) => true;

    private protected override void ValidateInputShape(ReadOnlySpan<int> inputShape)
    {
    }

    private protected override bool IsVariableDimension(int index) => true;

    private protected override void BuildCore(ReadOnlySpan<int> inputShape, RandomSource random)
    {
    }

    private protected override int[] ComputeOutputShapeCore(ReadOnlySpan<int> inputShape) => inputShape.ToArray();
}
