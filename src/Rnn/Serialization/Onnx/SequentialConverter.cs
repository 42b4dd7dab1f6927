using System.Reflection;
using Rnn.Layers;

namespace Rnn.Serialization.Onnx;

/// <summary>
/// Builds the ONNX model of a <see cref="Sequential"/>: validates every layer and makes every node and
/// initializer in memory, so that a model that cannot be exported fails before anything is written.
/// </summary>
internal static class SequentialConverter
{
    public static ModelProto Convert(Sequential model, OnnxExportOptions options)
    {
        if (model.Layers.Count == 0)
        {
            throw new InvalidOperationException($"Model '{model.Name}' has no layers; add some before exporting it.");
        }

        if (!model.IsBuilt)
        {
            throw new InvalidOperationException(
                $"Model '{model.Name}' is not built, so its input shape (and its weights) are unknown: declare the first layer's inputShape, call Build, or run it on data before exporting it.");
        }

        var builder = new OnnxGraphBuilder(options.InputName, options.OutputName);
        var shape = model.InputShape!.ToArray();
        var inputDims = InputDims(model.Layers[0], shape);
        var hasTime = inputDims.Length > 1 && inputDims[1].Param == "time";
        var value = options.InputName;
        MaskLengths? mask = null;

        // Where the padding lies in the current value: a go-backwards layer that returns sequences emits them in
        // reversed order (with the reversed mask), which moves the padding to the other end.
        var padding = options.Padding;
        List<ValueInfoProto> stateInputs = [];
        List<ValueInfoProto> stateOutputs = [];
        List<(string Value, string Name)> stateResults = [];
        foreach (var layer in model.Layers)
        {
            var outputShape = layer.ComputeOutputShape(shape);
            var produced = false;
            switch (layer)
            {
                case Dense dense:
                    value = Dense(builder, dense, value, shape.Length + 1);
                    break;
                case Embedding embedding:
                    value = Embedding(builder, embedding, value, out var ids);
                    if (embedding.MaskZero)
                    {
                        mask = new MaskLengths(builder, layer.Name, () => builder.Node(
                            "Cast",
                            $"{layer.Name}/mask",
                            [builder.Node("Not", $"{layer.Name}/mask", [builder.Node("Equal", $"{layer.Name}/mask", [ids, builder.ScalarInt64($"{layer.Name}.padding_id", 0)])])],
                            AttributeProto.Int("to", OnnxDataType.Int32)));
                        produced = true;
                    }

                    hasTime = true;
                    break;
                case Masking masking:
                    (value, mask) = Masking(builder, masking, value);
                    produced = true;
                    break;
                case Layers.Dropout:
                    break;
                case LayerNormalization normalization:
                    value = Normalize(builder, normalization, value);
                    break;
                case ActivationLayer activation:
                    value = Activate(builder, activation.Activation, layer.Name, value);
                    break;
                case RepeatVector repeat:
                    // [batch, features] → [batch, 1, features] → [batch, n, features] by broadcasting.
                    value = builder.Node("Expand", layer.Name, [builder.Node("Unsqueeze", layer.Name, [value, builder.Int64s(1)]), builder.Int64s(1, repeat.Repeats, 1)]);
                    hasTime = false;
                    break;
                case GlobalPooling1D pooling:
                    value = Pool(builder, pooling, value, mask, padding);
                    if (pooling.KeepDims)
                    {
                        value = builder.Node("Unsqueeze", layer.Name, [value, builder.Int64s(1)]);
                    }

                    hasTime = false;
                    break;
                case Recurrent recurrent:
                    if (mask is not null && padding is null)
                    {
                        throw PaddingUnknown(layer, mask, "ONNX's recurrent operators can only honour as per-sequence lengths");
                    }

                    (string Hidden, string? Cell)? states = null;
                    var isLstm = recurrent.Kind == CellKind.Lstm;
                    if (options.StateInputsAndOutputs)
                    {
                        states = (DeclareState(builder, recurrent, "h0", stateInputs), isLstm ? DeclareState(builder, recurrent, "c0", stateInputs) : null);
                    }

                    (value, var finalHidden, var finalCell) = RecurrentConverter.Convert(builder, recurrent, value, mask, padding, states);
                    if (states is not null)
                    {
                        stateResults.Add((finalHidden!, DeclareState(builder, recurrent, "h_n", stateOutputs)));
                        if (isLstm)
                        {
                            stateResults.Add((finalCell!, DeclareState(builder, recurrent, "c_n", stateOutputs)));
                        }
                    }

                    hasTime &= recurrent.ReturnSequences;
                    if (mask is not null && recurrent.ReversesTime)
                    {
                        padding = padding == Data.Padding.Pre ? Data.Padding.Post : Data.Padding.Pre;
                    }

                    break;
                default:
                    throw new NotSupportedException($"Layer '{layer.Name}' ({layer.GetType().Name}) has no ONNX export.");
            }

            if (!produced && mask is not null && !layer.PropagatesMask(outputShape.Length + 1))
            {
                mask = null;
            }

            shape = outputShape;
        }

        builder.Output(value, options.OutputName);
        foreach (var (stateValue, name) in stateResults)
        {
            builder.Output(stateValue, name);
        }

        var outputDims = new OnnxDim[shape.Length + 1];
        outputDims[0] = OnnxDim.Symbolic("batch");
        for (var i = 0; i < shape.Length; i++)
        {
            outputDims[i + 1] = i == 0 && hasTime ? OnnxDim.Symbolic("time") : shape[i] < 0 ? OnnxDim.Symbolic($"dim{i + 1}") : OnnxDim.Fixed(shape[i]);
        }

        var graph = new GraphProto(
            model.Name,
            null,
            builder.Nodes,
            builder.Initializers,
            [new ValueInfoProto(options.InputName, OnnxDataType.Float, inputDims), .. stateInputs],
            [new ValueInfoProto(options.OutputName, OnnxDataType.Float, outputDims), .. stateOutputs]);
        var version = typeof(Sequential).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        return new ModelProto(OnnxExporter.IrVersion, OnnxExporter.OpsetVersion, "Rnn", version.Split('+')[0], options.Description, graph);
    }

    /// <summary>
    /// Declares the graph input or output <c>{layer}.{what}</c> for one of a recurrent layer's states, [L·D, batch, H] in
    /// PyTorch's layout: reserves its name (so no node takes it) and adds it to <paramref name="declared"/>.
    /// </summary>
    /// <returns>The name.</returns>
    private static string DeclareState(OnnxGraphBuilder builder, Recurrent layer, string what, List<ValueInfoProto> declared)
    {
        var name = $"{layer.Name}.{what}";
        builder.Reserve(name);
        declared.Add(new ValueInfoProto(name, OnnxDataType.Float, [OnnxDim.Fixed(layer.NumLayers * layer.Directions), OnnxDim.Symbolic("batch"), OnnxDim.Fixed(layer.Units)]));
        return name;
    }

    private static NotSupportedException PaddingUnknown(Layer layer, MaskLengths mask, string why) => new(
        $"Layer '{layer.Name}' reads the mask of '{mask.Producer}', which {why}, so the exporter must know where the padding lies: set OnnxExportOptions.Padding to Padding.Post (padding after each sequence) or Padding.Pre (before it), as the batches are padded.");

    /// <summary>
    /// ONNX's <c>LayerNormalization</c> (opset 17) over the last axis; its scale input is required, so a layer without γ
    /// gets ones.
    /// </summary>
    private static string Normalize(OnnxGraphBuilder builder, LayerNormalization layer, string x)
    {
        var features = layer.InputShape![^1];
        var parameters = layer.Parameters;
        var scale = layer.Scale ? builder.Float($"{layer.Name}.weight", [features], parameters[0].Data) : builder.Float($"{layer.Name}.ones", [features], Enumerable.Repeat(1f, features).ToArray());
        string[] inputs = layer.Center ? [x, scale, builder.Float($"{layer.Name}.bias", [features], parameters[^1].Data)] : [x, scale];
        return builder.Node("LayerNormalization", layer.Name, inputs, AttributeProto.Int("axis", -1), AttributeProto.Float("epsilon", layer.Epsilon));
    }

    /// <summary>
    /// Global pooling over time: <c>ReduceMean</c> or <c>ReduceMax</c> on axis 1. With a mask, the real steps are rebuilt
    /// from the lengths and the side of the padding (step t is real when t &lt; length, or t ≥ time − length for padding
    /// before the sequence): the mean is <c>ReduceSum</c>(x · real) / max(count, 1), the maximum <c>ReduceMax</c> of
    /// <c>Where</c>(real, x, −∞), and a sequence with no real step gives 0, as the layer does.
    /// </summary>
    private static string Pool(OnnxGraphBuilder builder, GlobalPooling1D pooling, string x, MaskLengths? mask, Data.Padding? padding)
    {
        var prefix = pooling.Name;
        var average = pooling is GlobalAveragePooling1D;
        if (mask is null)
        {
            return builder.Node(average ? "ReduceMean" : "ReduceMax", prefix, [x], AttributeProto.Ints("axes", 1), AttributeProto.Int("keepdims", 0));
        }

        if (padding is null)
        {
            throw PaddingUnknown(pooling, mask, "ONNX can only rebuild from per-sequence lengths");
        }

        var time = builder.Node("Gather", prefix, [builder.Node("Shape", prefix, [x]), builder.ScalarInt64($"{prefix}.time_axis", 1)], AttributeProto.Int("axis", 0));
        var steps = builder.Node("Range", prefix, [builder.ScalarInt64($"{prefix}.first_step", 0), time, builder.ScalarInt64($"{prefix}.step", 1)]);
        var lengths = builder.Node("Unsqueeze", prefix, [mask.Int64, builder.Int64s(1)]);
        var real = padding == Data.Padding.Post
            ? builder.Node("Less", prefix, [steps, lengths])
            : builder.Node("GreaterOrEqual", prefix, [steps, builder.Node("Sub", prefix, [time, lengths])]);
        var real3 = builder.Node("Unsqueeze", prefix, [real, builder.Int64s(2)]);
        var weights = builder.Node("Cast", prefix, [real3], AttributeProto.Int("to", OnnxDataType.Float));
        var count = builder.Node("ReduceSum", prefix, [weights, builder.Int64s(1)], AttributeProto.Int("keepdims", 0));
        if (average)
        {
            var sum = builder.Node("ReduceSum", prefix, [builder.Node("Mul", prefix, [x, weights]), builder.Int64s(1)], AttributeProto.Int("keepdims", 0));
            return builder.Node("Div", prefix, [sum, builder.Node("Max", prefix, [count, builder.Scalar($"{prefix}.one", 1f)])]);
        }

        var masked = builder.Node("Where", prefix, [real3, x, builder.Scalar($"{prefix}.minus_infinity", float.NegativeInfinity)]);
        var max = builder.Node("ReduceMax", prefix, [masked], AttributeProto.Ints("axes", 1), AttributeProto.Int("keepdims", 0));
        return builder.Node("Where", prefix, [builder.Node("Greater", prefix, [count, builder.Scalar($"{prefix}.zero", 0f)]), max, builder.Scalar($"{prefix}.empty", 0f)]);
    }

    /// <summary>
    /// [batch, time, features] for sequence models and [batch, time] for token ids, with batch and time
    /// symbolic; [batch, features] for models that start with a Dense on vectors. Other sizes are fixed
    /// when known.
    /// </summary>
    private static OnnxDim[] InputDims(Layer first, int[] shape)
    {
        var dims = new OnnxDim[shape.Length + 1];
        dims[0] = OnnxDim.Symbolic("batch");
        var timeAxis = first is Embedding || shape.Length >= 2;
        for (var i = 0; i < shape.Length; i++)
        {
            dims[i + 1] = i == 0 && timeAxis ? OnnxDim.Symbolic("time") : shape[i] < 0 ? OnnxDim.Symbolic($"dim{i + 1}") : OnnxDim.Fixed(shape[i]);
        }

        return dims;
    }

    /// <summary>
    /// y = act(x · Wᵀ + b): <c>Gemm</c> (transB = 1, PyTorch's [units, in] weight as is) on [batch, in];
    /// <c>MatMul</c> with the transposed weight, then <c>Add</c>, on [batch, time, in].
    /// </summary>
    private static string Dense(OnnxGraphBuilder builder, Dense dense, string x, int rank)
    {
        var weight = dense.Parameters[0];
        var units = dense.Units;
        var inFeatures = weight.Shape[1];
        var bias = dense.UseBias ? builder.Float($"{dense.Name}.bias", [units], dense.Parameters[1].Data) : null;
        string y;
        if (rank == 2)
        {
            var w = builder.Float($"{dense.Name}.weight", [units, inFeatures], weight.Data);
            y = builder.Node("Gemm", dense.Name, bias is null ? [x, w] : [x, w, bias], AttributeProto.Int("transB", 1));
        }
        else
        {
            var transposed = new float[weight.Length];
            for (var o = 0; o < units; o++)
            {
                for (var i = 0; i < inFeatures; i++)
                {
                    transposed[(i * units) + o] = weight.Data[(o * inFeatures) + i];
                }
            }

            var wt = builder.Float($"{dense.Name}.weight_t", [inFeatures, units], transposed);
            y = builder.Node("MatMul", dense.Name, [x, wt]);
            if (bias is not null)
            {
                y = builder.Node("Add", dense.Name, [y, bias]);
            }
        }

        return Activate(builder, dense.Activation, dense.Name, y);
    }

    /// <summary>Token ids arrive as floats: <c>Cast</c> to int64, then <c>Gather</c> rows of the [inputDim, outputDim] weight.</summary>
    private static string Embedding(OnnxGraphBuilder builder, Embedding embedding, string x, out string ids)
    {
        ids = builder.Node("Cast", embedding.Name, [x], AttributeProto.Int("to", OnnxDataType.Int64));
        var weight = embedding.Parameters[0];
        var table = builder.Float($"{embedding.Name}.weight", [embedding.InputDim, embedding.OutputDim], weight.Data);
        return builder.Node("Gather", embedding.Name, [table, ids], AttributeProto.Int("axis", 0));
    }

    /// <summary>
    /// A step is real when any feature differs from the mask value: y = Where(real, x, 0), and the step mask
    /// for the lengths.
    /// </summary>
    private static (string Output, MaskLengths Mask) Masking(OnnxGraphBuilder builder, Masking masking, string x)
    {
        var prefix = masking.Name;
        var differs = builder.Node("Not", prefix, [builder.Node("Equal", prefix, [x, builder.Scalar($"{prefix}.mask_value", masking.MaskValue)])]);
        var real = builder.Node(
            "ReduceMax",
            prefix,
            [builder.Node("Cast", prefix, [differs], AttributeProto.Int("to", OnnxDataType.Int32))],
            AttributeProto.Ints("axes", 2),
            AttributeProto.Int("keepdims", 1));
        var y = builder.Node(
            "Where",
            prefix,
            [builder.Node("Cast", prefix, [real], AttributeProto.Int("to", OnnxDataType.Bool)), x, builder.Scalar($"{prefix}.zero", 0f)]);
        return (y, new MaskLengths(builder, prefix, () => builder.Node("Squeeze", $"{prefix}/mask", [real, builder.Int64s(2)])));
    }

    /// <summary>The activation as ONNX operators (softmax over the last axis; silu as x · Sigmoid(x)).</summary>
    private static string Activate(OnnxGraphBuilder builder, Activation activation, string prefix, string x) => activation switch
    {
        Activation.Linear => x,
        Activation.Relu => builder.Node("Relu", prefix, [x]),
        Activation.Sigmoid => builder.Node("Sigmoid", prefix, [x]),
        Activation.Tanh => builder.Node("Tanh", prefix, [x]),
        Activation.Softmax => builder.Node("Softmax", prefix, [x], AttributeProto.Int("axis", -1)),
        Activation.Elu => builder.Node("Elu", prefix, [x], AttributeProto.Float("alpha", 1f)),
        Activation.Softplus => builder.Node("Softplus", prefix, [x]),
        Activation.Silu => builder.Node("Mul", prefix, [x, builder.Node("Sigmoid", prefix, [x])]),
        _ => throw new NotSupportedException($"Layer '{prefix}' uses activation {activation}, which has no ONNX export."),
    };
}
