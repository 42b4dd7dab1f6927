using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Rnn.Layers;

namespace Rnn.Models;

/// <summary>
/// The buffers one batch shape needs through a model: the gathered batch, every layer's output and
/// input gradient, and the masks. Built once per distinct input shape and reused, so that steady-state
/// training and prediction allocate nothing.
/// </summary>
internal sealed class ExecutionPlan
{
    private readonly byte[][] _masks;

    public ExecutionPlan(IReadOnlyList<Layer> layers, int[] inputShape, int[]? targetRowShape)
    {
        InputShape = inputShape;
        Input = TensorExtensions.Zeros(inputShape);
        Outputs = new Tensor<float>[layers.Count];
        InputGradients = new Tensor<float>?[layers.Count];
        var shape = inputShape;
        var steps = StepCount(shape);
        for (var i = 0; i < layers.Count; i++)
        {
            var inner = shape[1..];
            InputGradients[i] = i == 0 ? null : TensorExtensions.Zeros(shape);
            shape = [shape[0], .. layers[i].ComputeOutputShape(inner)];
            Outputs[i] = TensorExtensions.Zeros(shape);
            steps = Math.Max(steps, StepCount(shape));
        }

        OutputShape = shape;
        OutputGradient = TensorExtensions.Zeros(shape);
        Target = targetRowShape is null ? null : TensorExtensions.Zeros([inputShape[0], .. targetRowShape]);
        _masks = [new byte[steps], new byte[steps]];
    }

    /// <summary>Full input shape, batch first.</summary>
    public int[] InputShape { get; }

    /// <summary>Full output shape, batch first.</summary>
    public int[] OutputShape { get; }

    /// <summary>The batch input buffer.</summary>
    public Tensor<float> Input { get; }

    /// <summary>The batch target buffer (null for prediction-only plans).</summary>
    public Tensor<float>? Target { get; }

    /// <summary>Each layer's output.</summary>
    public Tensor<float>[] Outputs { get; }

    /// <summary>dL/d(layer input) for every layer but the first.</summary>
    public Tensor<float>?[] InputGradients { get; }

    /// <summary>dL/d(model output).</summary>
    public Tensor<float> OutputGradient { get; }

    /// <summary>The model's output of the last forward pass.</summary>
    public Tensor<float> Output => Outputs[^1];

    /// <summary>Whether the last forward pass left a mask on the model's output.</summary>
    public bool OutputMasked { get; private set; }

    /// <summary>The mask on the model's output, when <see cref="OutputMasked"/>.</summary>
    public ReadOnlySpan<byte> OutputMask => OutputMasked ? _masks[_current] : default;

    private int _current;

    public bool Matches(ReadOnlySpan<nint> inputLengths, ReadOnlySpan<nint> targetLengths)
    {
        if (inputLengths.Length != InputShape.Length)
        {
            return false;
        }

        for (var i = 0; i < InputShape.Length; i++)
        {
            if (inputLengths[i] != InputShape[i])
            {
                return false;
            }
        }

        if (Target is null)
        {
            return targetLengths.IsEmpty;
        }

        return targetLengths.SequenceEqual(Target.Lengths);
    }

    /// <summary>Runs every layer on <see cref="Input"/>, passing masks along.</summary>
    public void Forward(IReadOnlyList<Layer> layers, bool training) => Forward(layers, training, null, null);

    /// <summary>
    /// Inference straight from the caller's input into the caller's output tensor (both of this plan's shapes),
    /// skipping the copies into <see cref="Input"/> and out of <see cref="Output"/>.
    /// </summary>
    public void Forward(IReadOnlyList<Layer> layers, Tensor<float> input, Tensor<float> output)
        => Forward(layers, training: false, null, null, input, output);

    /// <summary>
    /// Runs every layer on <see cref="Input"/>, passing masks along; recurrent layer i starts from
    /// <paramref name="hidden"/>[i] (and <paramref name="cells"/>[i]) and leaves its final state there, when given, and a
    /// pooling layer keeps its running sum or maximum there (and its step counts in <paramref name="cells"/>[i]).
    /// </summary>
    public void Forward(IReadOnlyList<Layer> layers, bool training, float[]?[]? hidden, float[]?[]? cells)
        => Forward(layers, training, hidden, cells, Input, null);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Forward(IReadOnlyList<Layer> layers, bool training, float[]?[]? hidden, float[]?[]? cells, Tensor<float> input, Tensor<float>? lastOutput)
    {
        var current = input;
        var masked = false;
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var output = i == layers.Count - 1 && lastOutput is not null ? lastOutput : Outputs[i];
            var next = 1 - _current;
            var steps = StepCount(current.Lengths);
            var produced = layer.ComputeMask(current, _masks[next].AsSpan(0, steps));
            var mask = masked ? _masks[_current].AsSpan(0, steps) : default;
            if (hidden?[i] is { } h && layer is Recurrent recurrent)
            {
                var c = cells![i];
                recurrent.Run(current, h, c, mask, training, output.AsFlatSpan(), h, c);
            }
            else if (hidden?[i] is { } running && layer is GlobalPooling1D pooling)
            {
                pooling.Stream(current, mask, output, running, cells![i]);
            }
            else
            {
                layer.ForwardCore(current, output, mask, training);
            }
            if (produced)
            {
                _current = next;
                masked = true;
            }
            else if (masked && !layer.PropagatesMask(output.Rank))
            {
                masked = false;
            }
            else if (masked && layer.ReversesTime)
            {
                // A go-backwards layer's output runs backwards in time: its mask does too.
                var batch = (int)output.Lengths[0];
                var time = (int)output.Lengths[1];
                var source = _masks[_current];
                var target = _masks[next];
                for (var b = 0; b < batch; b++)
                {
                    for (var t = 0; t < time; t++)
                    {
                        target[(b * time) + t] = source[(b * time) + time - 1 - t];
                    }
                }

                _current = next;
            }

            current = output;
        }

        OutputMasked = masked && current.Rank >= 3;
    }

    /// <summary>Batch × time: the length of a [batch, time] mask for a tensor of this shape.</summary>
    private static int StepCount(ReadOnlySpan<int> shape) => shape.Length >= 2 ? shape[0] * shape[1] : shape[0];

    private static int StepCount(ReadOnlySpan<nint> shape) => (int)(shape.Length >= 2 ? shape[0] * shape[1] : shape[0]);

    /// <summary>
    /// Backpropagates <see cref="OutputGradient"/> through layers <paramref name="first"/> and after; the input gradient of
    /// layer <paramref name="first"/> is not computed, as no layer before it has parameters to train.
    /// </summary>
    /// <param name="layers">The model's layers.</param>
    /// <param name="first">The first layer with trainable parameters (<c>layers.Count</c> when there is none).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Backward(IReadOnlyList<Layer> layers, int first)
    {
        var gradient = OutputGradient;
        for (var i = layers.Count - 1; i >= first; i--)
        {
            var inputGradient = i == first ? null : InputGradients[i];
            layers[i].BackwardCore(gradient, inputGradient);
            gradient = inputGradient!;
        }
    }
}
