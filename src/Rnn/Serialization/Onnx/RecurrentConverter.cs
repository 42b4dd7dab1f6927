using Rnn.Data;
using Rnn.Layers;

namespace Rnn.Serialization.Onnx;

/// <summary>
/// Turns an <see cref="Lstm"/>, <see cref="Gru"/> or <see cref="SimpleRnn"/> into ONNX <c>LSTM</c>, <c>GRU</c>
/// or <c>RNN</c> nodes, one per stacked layer.
/// </summary>
/// <remarks>
/// <para>
/// Weights: ONNX's <c>W</c> [D, G·H, in], <c>R</c> [D, G·H, H] and <c>B</c> [D, 2·G·H] stack the directions
/// (forward, then reverse) of PyTorch's <c>weight_ih_l{k}{s}</c>, <c>weight_hh_l{k}{s}</c> and
/// <c>[bias_ih_l{k}{s}, bias_hh_l{k}{s}]</c>, with the gate blocks reordered from PyTorch's to ONNX's:
/// LSTM i, f, g, o → i, o, f, c; GRU r, z, n → z, r, h, with <c>linear_before_reset = 1</c>, which is
/// PyTorch's n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)). Without biases, <c>B</c> is left out (zero).
/// </para>
/// <para>
/// Layout: ONNX Runtime rejects <c>layout = 1</c> (batch-major) for these operators, so the input is
/// transposed to time-major [T, B, F] once per layer, and the output back to [B, T, D·H] (or [B, D·H]
/// from <c>Y_h</c> when the layer returns only its last step).
/// </para>
/// <para>
/// Merge modes: a bidirectional layer that sums, averages or multiplies its directions (see
/// <see cref="Recurrent.MergeMode"/>) splits the last node's <c>Y</c> [T, 2, B, H] (or <c>Y_h</c> [2, B, H]) on the
/// direction axis with <c>Split</c>, then <c>Add</c> (Sum), <c>Add</c> and <c>Mul</c> by 0.5 (Average) or <c>Mul</c>
/// (Multiply), and <c>Squeeze</c>s that axis: [T, B, H] (or [B, H]). Between stacked layers the directions stay
/// concatenated.
/// </para>
/// <para>
/// Go-backwards: the layer runs on the time-reversed input (<c>Slice</c> with step −1) and its output
/// sequence stays in that order. Masks: see <see cref="OnnxExportOptions.Padding"/>.
/// </para>
/// </remarks>
internal static class RecurrentConverter
{
    /// <summary>Adds the layer's nodes; returns its output and, when <paramref name="states"/> are given, its final states.</summary>
    /// <param name="builder">The graph.</param>
    /// <param name="layer">The layer.</param>
    /// <param name="input">Its input value, [batch, time, features].</param>
    /// <param name="mask">The real-step counts, or null.</param>
    /// <param name="padding">Where the padding lies, when there is a mask.</param>
    /// <param name="states">Graph inputs holding h0 (and c0 for an Lstm), [L·D, batch, H]; null to start from zeros.</param>
    public static (string Output, string? FinalHidden, string? FinalCell) Convert(
        OnnxGraphBuilder builder, Recurrent layer, string input, MaskLengths? mask, Padding? padding, (string Hidden, string? Cell)? states = null)
    {
        var prefix = layer.Name;
        var directions = layer.Directions;
        var x = builder.Node("Transpose", prefix, [input], AttributeProto.Ints("perm", 1, 0, 2));

        // With a mask, the operators need the real steps first (sequence_lens = n means "steps 0..n-1"). A
        // layer that sees its padding at the start (pre-padding, or post-padding read backwards) moves the
        // real steps to the front — full reverse, then ReverseSequence reverses the first n steps back — and
        // its output sequence back afterwards (the same two in the opposite order), so padding steps output
        // zeros where this library's layers do. Go-backwards's own full reverse and the first one cancel.
        var seesLeftPadding = mask is not null && ((padding == Padding.Pre) != layer.GoBackwards);
        if (layer.GoBackwards != seesLeftPadding)
        {
            x = ReverseTime(builder, prefix, x);
        }

        if (seesLeftPadding)
        {
            x = ReverseSequence(builder, prefix, x, mask!);
        }

        string? lastHidden = null;
        var isLstm = layer.Kind == CellKind.Lstm;
        List<string> finalHidden = [];
        List<string> finalCell = [];
        for (var k = 0; k < layer.NumLayers; k++)
        {
            var last = k == layer.NumLayers - 1;
            var wantSequence = !last || layer.ReturnSequences;
            string[] initial = [];
            if (states is { } given)
            {
                // This stacked layer's directions: rows [k·D, (k+1)·D) of the [L·D, batch, H] states.
                string Rows(string value) => builder.Node("Slice", prefix, [value, builder.Int64s(k * directions), builder.Int64s((k + 1) * directions), builder.Int64s(0)]);
                initial = isLstm ? [Rows(given.Hidden), Rows(given.Cell!)] : [Rows(given.Hidden)];
            }

            var outputs = builder.Node(
                OperatorName(layer.Kind),
                k == 0 ? prefix : $"{prefix}/l{k}",
                [x, .. Weights(builder, layer, k), mask?.Int32 ?? string.Empty, .. initial],
                [wantSequence ? "Y" : null, (last && !layer.ReturnSequences) || states is not null ? "Y_h" : null, states is not null && isLstm ? "Y_c" : null],
                Attributes(layer));
            if (states is not null)
            {
                finalHidden.Add(outputs[1]);
                if (isLstm)
                {
                    finalCell.Add(outputs[2]);
                }
            }
            if (wantSequence && last && layer.MergeMode != BidirectionalMerge.Concat)
            {
                // Y [T, 2, B, H] → [T, B, H].
                x = MergeDirections(builder, layer, outputs[0], axis: 1);
            }
            else if (wantSequence)
            {
                // Y [T, D, B, H] → [T, B, D·H].
                x = directions == 1
                    ? builder.Node("Squeeze", prefix, [outputs[0], builder.Int64s(1)])
                    : builder.Node("Reshape", prefix, [builder.Node("Transpose", prefix, [outputs[0]], AttributeProto.Ints("perm", 0, 2, 1, 3)), builder.Int64s(0, 0, -1)]);
            }
            else
            {
                lastHidden = outputs[1];
            }
        }

        // The states, stacked layer by stacked layer: [L·D, B, H] (a Concat even of one, so the graph output is a value of its own).
        var hn = states is null ? null : builder.Node("Concat", prefix, [.. finalHidden], AttributeProto.Int("axis", 0));
        var cn = states is null || !isLstm ? null : builder.Node("Concat", prefix, [.. finalCell], AttributeProto.Int("axis", 0));
        if (!layer.ReturnSequences && layer.MergeMode != BidirectionalMerge.Concat)
        {
            // Y_h [2, B, H] → [B, H].
            return (MergeDirections(builder, layer, lastHidden!, axis: 0), hn, cn);
        }

        if (!layer.ReturnSequences)
        {
            // Y_h [D, B, H] → [B, D·H].
            return (directions == 1
                ? builder.Node("Squeeze", prefix, [lastHidden!, builder.Int64s(0)])
                : builder.Node("Reshape", prefix, [builder.Node("Transpose", prefix, [lastHidden!], AttributeProto.Ints("perm", 1, 0, 2)), builder.Int64s(0, -1)]), hn, cn);
        }

        if (seesLeftPadding)
        {
            x = ReverseTime(builder, prefix, ReverseSequence(builder, prefix, x, mask!));
        }

        return (builder.Node("Transpose", prefix, [x], AttributeProto.Ints("perm", 1, 0, 2)), hn, cn);
    }

    /// <summary>
    /// Combines the two directions of <paramref name="value"/>, stacked on <paramref name="axis"/> (forward, then
    /// reverse), by the layer's merge mode, and removes that axis.
    /// </summary>
    private static string MergeDirections(OnnxGraphBuilder builder, Recurrent layer, string value, int axis)
    {
        var prefix = layer.Name;
        var halves = builder.Node("Split", prefix, [value], ["forward", "reverse"], AttributeProto.Int("axis", axis));
        var merged = layer.MergeMode switch
        {
            BidirectionalMerge.Sum => builder.Node("Add", prefix, [halves[0], halves[1]]),
            BidirectionalMerge.Average => builder.Node("Mul", prefix, [builder.Node("Add", prefix, [halves[0], halves[1]]), builder.Scalar($"{prefix}.half", 0.5f)]),
            BidirectionalMerge.Multiply => builder.Node("Mul", prefix, [halves[0], halves[1]]),
            _ => throw new NotSupportedException($"Layer '{layer.Name}' has merge mode {layer.MergeMode}, which has no ONNX export."),
        };
        return builder.Node("Squeeze", prefix, [merged, builder.Int64s(axis)]);
    }

    /// <summary>PyTorch's gate blocks in ONNX's order: ONNX block j is PyTorch block <c>order[j]</c>.</summary>
    private static int[] GateOrder(CellKind kind) => kind switch
    {
        CellKind.Lstm => [0, 3, 1, 2],
        CellKind.Gru => [1, 0, 2],
        _ => [0],
    };

    private static string OperatorName(CellKind kind) => kind switch
    {
        CellKind.Lstm => "LSTM",
        CellKind.Gru => "GRU",
        _ => "RNN",
    };

    private static AttributeProto[] Attributes(Recurrent layer)
    {
        List<AttributeProto> attributes =
        [
            AttributeProto.Int("hidden_size", layer.Units),
            AttributeProto.String("direction", layer.Bidirectional ? "bidirectional" : "forward"),
        ];
        switch (layer.Kind)
        {
            case CellKind.Gru:
                attributes.Add(AttributeProto.Int("linear_before_reset", 1));
                break;
            case CellKind.RnnRelu:
                attributes.Add(AttributeProto.Strings("activations", [.. Enumerable.Repeat("Relu", layer.Directions)]));
                break;
            case CellKind.RnnTanh:
                attributes.Add(AttributeProto.Strings("activations", [.. Enumerable.Repeat("Tanh", layer.Directions)]));
                break;
            default:
                break;
        }

        return [.. attributes];
    }

    /// <summary>The W, R and B inputs of stacked layer <paramref name="k"/> (B empty when the layer has no bias).</summary>
    private static string[] Weights(OnnxGraphBuilder builder, Recurrent layer, int k)
    {
        var order = GateOrder(layer.Kind);
        var hidden = layer.Units;
        var gates = order.Length;
        var directions = layer.Directions;
        var inputSize = k == 0 ? layer.InputFeatures : hidden * directions;
        var w = new float[directions * gates * hidden * inputSize];
        var r = new float[directions * gates * hidden * hidden];
        var b = layer.UseBias ? new float[directions * 2 * gates * hidden] : null;
        for (var d = 0; d < directions; d++)
        {
            var suffix = $"_l{k}{(d == 1 ? "_reverse" : string.Empty)}";
            var wBlock = gates * hidden * inputSize;
            var rBlock = gates * hidden * hidden;
            Reorder(layer.GetParameter("weight_ih" + suffix).Data, order, hidden * inputSize, w.AsSpan(d * wBlock, wBlock));
            Reorder(layer.GetParameter("weight_hh" + suffix).Data, order, hidden * hidden, r.AsSpan(d * rBlock, rBlock));
            if (b is not null)
            {
                var bBlock = 2 * gates * hidden;
                Reorder(layer.GetParameter("bias_ih" + suffix).Data, order, hidden, b.AsSpan(d * bBlock, gates * hidden));
                Reorder(layer.GetParameter("bias_hh" + suffix).Data, order, hidden, b.AsSpan((d * bBlock) + (gates * hidden), gates * hidden));
            }
        }

        var name = $"{layer.Name}.l{k}";
        return
        [
            builder.Float($"{name}.W", [directions, gates * hidden, inputSize], w),
            builder.Float($"{name}.R", [directions, gates * hidden, hidden], r),
            b is null ? string.Empty : builder.Float($"{name}.B", [directions, 2 * gates * hidden], b),
        ];
    }

    /// <summary>Copies gate blocks of <paramref name="block"/> values each, ONNX block j from PyTorch block order[j].</summary>
    private static void Reorder(ReadOnlySpan<float> source, int[] order, int block, Span<float> destination)
    {
        for (var j = 0; j < order.Length; j++)
        {
            source.Slice(order[j] * block, block).CopyTo(destination.Slice(j * block, block));
        }
    }

    /// <summary>Reverses axis 0 (time) of a time-major tensor.</summary>
    private static string ReverseTime(OnnxGraphBuilder builder, string prefix, string x)
        => builder.Node("Slice", prefix, [x, builder.Int64s(-1), builder.Int64s(long.MinValue), builder.Int64s(0), builder.Int64s(-1)]);

    /// <summary>Reverses the first n steps of each sequence of a time-major tensor, n its real-step count.</summary>
    private static string ReverseSequence(OnnxGraphBuilder builder, string prefix, string x, MaskLengths mask)
        => builder.Node("ReverseSequence", prefix, [x, mask.Int64], AttributeProto.Int("batch_axis", 1), AttributeProto.Int("time_axis", 0));
}
