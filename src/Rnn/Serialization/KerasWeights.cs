using Rnn.Layers;

namespace Rnn.Serialization;

/// <summary>
/// Converts between Keras's weight layout (the arrays <c>layer.get_weights()</c> returns, in that order) and
/// this library's PyTorch layout. The conversions, for H units and G gates:
/// <list type="table">
/// <item><term>Dense</term><description><c>[kernel [in, units], bias [units]]</c> ↔ <c>weight = kernelᵀ</c>, <c>bias</c>.</description></item>
/// <item><term>SimpleRNN</term><description><c>[kernel [in, H], recurrent_kernel [H, H], bias [H]]</c> ↔ <c>weight_ih = kernelᵀ</c>, <c>weight_hh = recurrent_kernelᵀ</c>, <c>bias_ih = bias</c>, <c>bias_hh = 0</c>.</description></item>
/// <item><term>LSTM</term><description><c>[kernel [in, 4H], recurrent_kernel [H, 4H], bias [4H]]</c>, gates i, f, c, o (the same order as PyTorch's i, f, g, o) ↔ transposes, <c>bias_ih = bias</c>, <c>bias_hh = 0</c>.</description></item>
/// <item><term>GRU</term><description>(<c>reset_after=True</c>, Keras's default) <c>[kernel [in, 3H], recurrent_kernel [H, 3H], bias [2, 3H]]</c>, gates z, r, h ↔ PyTorch's r, z, n: each block moved, transposed; <c>bias[0]</c> → <c>bias_ih</c>, <c>bias[1]</c> → <c>bias_hh</c>.</description></item>
/// <item><term>Embedding</term><description><c>[embeddings [n, d]]</c> ↔ <c>weight</c>, unchanged.</description></item>
/// </list>
/// A bidirectional layer takes Keras's <c>Bidirectional</c> order (forward layer's arrays, then backward's); a
/// layer with <c>numLayers</c> &gt; 1 takes the arrays of the equivalent stack of Keras layers, first layer first.
/// Exporting to Keras adds <c>bias_ih + bias_hh</c> into Keras's single bias for LSTM and SimpleRNN. Keras's GRU
/// with <c>reset_after=False</c> computes something else and cannot be converted.
/// </summary>
public static class KerasWeights
{
    /// <summary>Sets a built layer's parameters from Keras's <c>get_weights()</c> arrays.</summary>
    /// <param name="layer">A built <see cref="Dense"/>, <see cref="SimpleRnn"/>, <see cref="Lstm"/>, <see cref="Gru"/>, <see cref="Embedding"/> or <see cref="LayerNormalization"/>.</param>
    /// <param name="weights">The arrays, flattened row-major, in Keras's order.</param>
    /// <exception cref="ArgumentException">The number of arrays or an array's length does not fit the layer; nothing changes.</exception>
    /// <exception cref="NotSupportedException">The layer kind has no Keras counterpart with weights.</exception>
    public static void Load(Layer layer, IReadOnlyList<float[]> weights)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(weights);
        var plan = Plan(layer);
        if (weights.Count != plan.Count)
        {
            throw new ArgumentException(
                $"Layer '{layer.Name}' ({layer.TypeName}) takes {plan.Count} Keras arrays ({string.Join(", ", plan.Select(p => $"{p.KerasName} [{string.Join(", ", p.KerasShape)}]"))}) but received {weights.Count}.",
                nameof(weights));
        }

        for (var i = 0; i < plan.Count; i++)
        {
            var length = plan[i].KerasShape.Aggregate(1, (a, b) => a * b);
            if (weights[i] is null || weights[i].Length != length)
            {
                throw new ArgumentException(
                    $"Layer '{layer.Name}' ({layer.TypeName}): Keras array {i} ({plan[i].KerasName}) must have shape [{string.Join(", ", plan[i].KerasShape)}] = {length} values but has {weights[i]?.Length ?? 0}.",
                    nameof(weights));
            }
        }

        for (var i = 0; i < plan.Count; i++)
        {
            plan[i].Load(weights[i]);
        }
    }

    /// <summary>The layer's parameters as the arrays Keras's <c>set_weights()</c> expects, in its order.</summary>
    /// <param name="layer">A built layer (as for <see cref="Load"/>).</param>
    /// <returns>The arrays, flattened row-major.</returns>
    /// <exception cref="NotSupportedException">The layer kind has no Keras counterpart with weights.</exception>
    public static IReadOnlyList<float[]> Export(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return [.. Plan(layer).Select(p => p.Export())];
    }

    /// <summary>The Keras arrays of a layer: their names, shapes, and the conversions both ways.</summary>
    private static List<KerasArray> Plan(Layer layer)
    {
        if (!layer.IsBuilt)
        {
            _ = layer.Parameters;
            if (!layer.IsBuilt)
            {
                throw new InvalidOperationException($"Layer '{layer.Name}' is not built; build it (or its model) before converting weights.");
            }
        }

        switch (layer)
        {
            case Dense dense:
                {
                    var weight = dense.Parameters[0];
                    var (units, input) = (weight.Shape[0], weight.Shape[1]);
                    List<KerasArray> plan = [new("kernel", [input, units], k => weight.Assign(Transpose(k, input, units)), () => Transpose(weight.Data, units, input))];
                    if (dense.UseBias)
                    {
                        var bias = dense.Parameters[1];
                        plan.Add(new("bias", [units], v => bias.Assign(v), () => (float[])bias.Data.Clone()));
                    }

                    return plan;
                }

            case Embedding embedding:
                {
                    var weight = embedding.Parameters[0];
                    return [new("embeddings", [embedding.InputDim, embedding.OutputDim], v => weight.Assign(v), () => (float[])weight.Data.Clone())];
                }

            case LayerNormalization normalization:
                {
                    // Keras's get_weights(): gamma (when scale), then beta (when center); the same layout as ours.
                    return [.. normalization.Parameters.Select(p => new KerasArray(p.Name == "weight" ? "gamma" : "beta", [p.Length], v => p.Assign(v), () => (float[])p.Data.Clone()))];
                }

            case Recurrent recurrent:
                return RecurrentPlan(recurrent);

            default:
                throw new NotSupportedException($"Layer '{layer.Name}' ({layer.TypeName}) has no weights to convert to or from Keras.");
        }
    }

    private static List<KerasArray> RecurrentPlan(Recurrent layer)
    {
        var hidden = layer.Units;
        var gates = layer.Kind switch { CellKind.Lstm => 4, CellKind.Gru => 3, _ => 1 };
        var gh = gates * hidden;

        // Keras's gate blocks in PyTorch's order: GRU z, r, h → r, z, n, i.e. PyTorch block g comes from Keras block order[g].
        int[] order = layer.Kind == CellKind.Gru ? [1, 0, 2] : [.. Enumerable.Range(0, gates)];
        var plan = new List<KerasArray>();
        for (var k = 0; k < layer.NumLayers; k++)
        {
            for (var d = 0; d < layer.Directions; d++)
            {
                var suffix = $"_l{k}{(d == 1 ? "_reverse" : string.Empty)}";
                var weightIh = layer.GetParameter("weight_ih" + suffix);
                var weightHh = layer.GetParameter("weight_hh" + suffix);
                var input = weightIh.Shape[1];
                plan.Add(new(
                    $"kernel{suffix}",
                    [input, gh],
                    kernel => weightIh.Assign(Reorder(Transpose(kernel, input, gh), order, hidden, input)),
                    () => Transpose(Reorder(weightIh.Data, Inverse(order), hidden, input), gh, input)));
                plan.Add(new(
                    $"recurrent_kernel{suffix}",
                    [hidden, gh],
                    kernel => weightHh.Assign(Reorder(Transpose(kernel, hidden, gh), order, hidden, hidden)),
                    () => Transpose(Reorder(weightHh.Data, Inverse(order), hidden, hidden), gh, hidden)));
                if (!layer.UseBias)
                {
                    continue;
                }

                var biasIh = layer.GetParameter("bias_ih" + suffix);
                var biasHh = layer.GetParameter("bias_hh" + suffix);
                if (layer.Kind == CellKind.Gru)
                {
                    plan.Add(new(
                        $"bias{suffix}",
                        [2, gh],
                        bias =>
                        {
                            biasIh.Assign(Reorder(bias.AsSpan(0, gh).ToArray(), order, hidden, 1));
                            biasHh.Assign(Reorder(bias.AsSpan(gh, gh).ToArray(), order, hidden, 1));
                        },
                        () => [.. Reorder(biasIh.Data, Inverse(order), hidden, 1), .. Reorder(biasHh.Data, Inverse(order), hidden, 1)]));
                }
                else
                {
                    plan.Add(new(
                        $"bias{suffix}",
                        [gh],
                        bias =>
                        {
                            biasIh.Assign(bias);
                            biasHh.Assign(new float[gh]);
                        },
                        () => [.. biasIh.Data.Zip(biasHh.Data, (a, b) => a + b)]));
                }
            }
        }

        return plan;
    }

    /// <summary>[rows, columns] → [columns, rows].</summary>
    private static float[] Transpose(ReadOnlySpan<float> source, int rows, int columns)
    {
        var result = new float[source.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                result[(c * rows) + r] = source[(r * columns) + c];
            }
        }

        return result;
    }

    /// <summary>Rows of [G·H, width] grouped in gate blocks of H rows: block g of the result is block order[g] of the source.</summary>
    private static float[] Reorder(float[] source, int[] order, int hidden, int width)
    {
        var block = hidden * width;
        var result = new float[source.Length];
        for (var g = 0; g < order.Length; g++)
        {
            source.AsSpan(order[g] * block, block).CopyTo(result.AsSpan(g * block, block));
        }

        return result;
    }

    private static int[] Inverse(int[] order)
    {
        var inverse = new int[order.Length];
        for (var g = 0; g < order.Length; g++)
        {
            inverse[order[g]] = g;
        }

        return inverse;
    }

    private sealed record KerasArray(string KerasName, int[] KerasShape, Action<float[]> Load, Func<float[]> Export);
}
