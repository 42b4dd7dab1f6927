using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Rnn.Initializers;
using Rnn.Kernels;

namespace Rnn.Layers;

/// <summary>
/// Fully connected layer, <c>y = act(x · Wᵀ + b)</c>, with PyTorch's <c>nn.Linear</c> layout: <c>weight</c>
/// [units, in] and <c>bias</c> [units]. Applies to the last axis, so it works on [batch, features] and, per
/// time step, on [batch, time, features] (where it passes a mask through).
/// </summary>
public sealed class Dense : Layer
{
    private Parameter? _weight;
    private Parameter? _bias;
    private Tensor<float>? _input;
    private Tensor<float>? _output;
    private float[] _preActivation = [];
    private float[] _gradient = [];

    /// <summary>Creates a Dense layer.</summary>
    /// <param name="units">Output features.</param>
    /// <param name="activation">The nonlinearity applied to the output; <see cref="Activation.Linear"/> (none) by default.</param>
    /// <param name="useBias">Whether to add a bias.</param>
    /// <param name="inputShape">The input shape without batch, e.g. <c>[features]</c> or <c>[time, features]</c> (time may be -1); builds the layer when added to a model.</param>
    /// <param name="initialization">Keras's (Glorot-uniform weight, zero bias) or PyTorch's (uniform ±1/√in) initialization.</param>
    /// <param name="seed">Seed for initialization; null to take one from the model or at random.</param>
    /// <param name="name">The layer's name, <c>dense</c> by default.</param>
    public Dense(int units, Activation activation = Activation.Linear, bool useBias = true, int[]? inputShape = null,
        WeightInitialization initialization = WeightInitialization.Keras, int? seed = null, string? name = null)
        : base(name, "dense", inputShape is null ? null : [.. inputShape], seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(units, 1);
        if (!Enum.IsDefined(activation))
        {
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }

        Units = units;
        Activation = activation;
        UseBias = useBias;
        Initialization = initialization;
    }

    /// <summary>Output features.</summary>
    public int Units { get; }

    /// <summary>The nonlinearity applied to the output.</summary>
    public Activation Activation { get; }

    /// <summary>Whether the layer has a bias.</summary>
    public bool UseBias { get; }

    /// <summary>How the weights are initialized when the layer is built.</summary>
    public WeightInitialization Initialization { get; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void ForwardCore(Tensor<float> input, Tensor<float> output, ReadOnlySpan<byte> mask, bool training)
    {
        var inFeatures = InputShape![^1];
        var x = input.AsFlatSpan();
        var y = output.AsFlatSpan();
        var rows = x.Length / inFeatures;
        var z = y;
        if (training && Activation != Activation.Linear)
        {
            // Keep the pre-activation for the backward pass (relu, elu, softplus and silu need it).
            Buffers.Grow(ref _preActivation, y.Length);
            z = _preActivation.AsSpan(0, y.Length);
        }

        Gemm.MultiplyABt(x, inFeatures, _weight!.Data, inFeatures, z, Units, rows, Units, inFeatures, accumulate: false);
        if (_bias is not null)
        {
            for (var r = 0; r < rows; r++)
            {
                TensorPrimitives.Add(z.Slice(r * Units, Units), _bias.Data, z.Slice(r * Units, Units));
            }
        }

        ActivationFunctions.Forward(Activation, z, y, Units);
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal override void BackwardCore(Tensor<float> outputGradient, Tensor<float>? inputGradient)
    {
        var inFeatures = InputShape![^1];
        var x = _input!.AsFlatSpan();
        var dy = outputGradient.AsFlatSpan();
        var rows = dy.Length / Units;
        ReadOnlySpan<float> dz = dy;
        if (Activation != Activation.Linear)
        {
            Buffers.Grow(ref _gradient, dy.Length);
            var buffer = _gradient.AsSpan(0, dy.Length);
            ActivationFunctions.Backward(Activation, _preActivation.AsSpan(0, dy.Length), _output!.AsFlatSpan(), dy, buffer, Units);
            dz = buffer;
        }

        // dW += dZᵀ · X,  db += Σ_rows dZ,  dX = dZ · W
        if (Trainable)
        {
            Gemm.MultiplyAtB(dz, Units, x, inFeatures, _weight!.Grad, inFeatures, Units, inFeatures, rows, accumulate: true);
            for (var r = 0; _bias is not null && r < rows; r++)
            {
                TensorPrimitives.Add(_bias.Grad, dz.Slice(r * Units, Units), _bias.Grad);
            }
        }

        if (inputGradient is not null)
        {
            Gemm.MultiplyAB(dz, Units, _weight!.Data, inFeatures, inputGradient.AsFlatSpan(), inFeatures, rows, inFeatures, Units, accumulate: false);
        }
    }

    private protected override void ValidateInputShape(ReadOnlySpan<int> inputShape) => ValidateFeatureShape(inputShape);

    private protected override void ValidateInput(Tensor<float> input) => CheckFeatureCount(input);

    private protected override bool IsVariableDimension(int index) => index == 0 && InputShape?.Count == 2;

    private protected override void BuildCore(ReadOnlySpan<int> inputShape, RandomSource random)
    {
        var inFeatures = inputShape[^1];
        _weight = AddParameter("weight", Units, inFeatures);
        _bias = UseBias ? AddParameter("bias", Units) : null;
        if (Initialization == WeightInitialization.PyTorch)
        {
            var limit = 1.0 / Math.Sqrt(inFeatures);
            Init.Uniform(_weight.Data, limit, random);
            if (_bias is not null)
            {
                Init.Uniform(_bias.Data, limit, random);
            }
        }
        else
        {
            Init.GlorotUniform(_weight.Data, inFeatures, Units, random);
        }

        _weight.MarkModified();
        _bias?.MarkModified();
    }

    private protected override int[] ComputeOutputShapeCore(ReadOnlySpan<int> inputShape) => [.. inputShape[..^1], Units];


    internal override long CountParameters(ReadOnlySpan<int> inputShape) => ((long)Units * inputShape[^1]) + (UseBias ? Units : 0);

    internal override Dictionary<string, string> GetConfig() => LayerConfig.Of(
        ("units", LayerConfig.Format(Units)),
        ("activation", ActivationFunctions.Name(Activation)),
        ("use_bias", LayerConfig.Format(UseBias)),
        ("initialization", Initialization.ToString()),
        ("seed", LayerConfig.Format(Seed)));

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Dense '{Name}' ({Units}, {ActivationFunctions.Name(Activation)})");
}
