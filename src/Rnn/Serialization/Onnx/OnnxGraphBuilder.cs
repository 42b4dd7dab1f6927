using System.Globalization;

namespace Rnn.Serialization.Onnx;

/// <summary>
/// Collects the nodes and initializers of a graph in topological order, giving every value, node and
/// initializer a unique name (<c>{layer}/{what}</c>, with a numeric suffix on a clash).
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly List<NodeProto> _nodes = [];
    private readonly List<TensorProto> _initializers = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _int64Constants = new(StringComparer.Ordinal);

    /// <summary>Creates a builder whose graph input and output already own their names.</summary>
    public OnnxGraphBuilder(string inputName, string outputName)
    {
        _names.Add(inputName);
        _names.Add(outputName);
    }

    public IReadOnlyList<NodeProto> Nodes => _nodes;

    /// <summary>Claims <paramref name="name"/> for a graph input or output, so that no node or initializer takes it.</summary>
    /// <exception cref="InvalidOperationException">The name is taken.</exception>
    public void Reserve(string name)
    {
        if (!_names.Add(name))
        {
            throw new InvalidOperationException($"The ONNX graph already has a value named '{name}'; choose other input and output names.");
        }
    }

    public IReadOnlyList<TensorProto> Initializers => _initializers;

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Node(string opType, string prefix, string[] inputs, params AttributeProto[] attributes)
        => Node(opType, prefix, inputs, [opType], attributes)[0];

    /// <summary>
    /// Adds a node whose outputs are named after <paramref name="outputs"/> (a null entry skips an optional
    /// output), and returns the output names (empty for skipped ones).
    /// </summary>
    public string[] Node(string opType, string prefix, string[] inputs, string?[] outputs, params AttributeProto[] attributes)
    {
        var names = outputs.Select(o => o is null ? string.Empty : Unique($"{prefix}/{o}")).ToArray();
        // Trailing skipped inputs and outputs are left out rather than named "".
        var count = names.Length;
        while (count > 0 && names[count - 1].Length == 0)
        {
            count--;
        }

        var inputCount = inputs.Length;
        while (inputCount > 0 && inputs[inputCount - 1].Length == 0)
        {
            inputCount--;
        }

        _nodes.Add(new NodeProto(opType, Unique($"{prefix}/{opType}_node"), inputs[..inputCount], names[..count], attributes));
        return names;
    }

    /// <summary>Adds a float32 initializer over <paramref name="values"/> (not copied) and returns its name.</summary>
    public string Float(string name, long[] dims, ReadOnlyMemory<float> values)
    {
        var unique = Unique(name);
        _initializers.Add(TensorProto.Float(unique, dims, values));
        return unique;
    }

    /// <summary>A 1-D int64 constant (shapes, axes, slice bounds), shared by every node that needs the same values.</summary>
    public string Int64s(params long[] values)
    {
        var key = string.Join(",", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        if (!_int64Constants.TryGetValue(key, out var name))
        {
            name = Unique($"const/int64_[{key}]");
            _initializers.Add(TensorProto.Int64(name, [values.Length], values));
            _int64Constants.Add(key, name);
        }

        return name;
    }

    /// <summary>A scalar float constant.</summary>
    public string Scalar(string name, float value)
    {
        var unique = Unique(name);
        _initializers.Add(TensorProto.Float(unique, [], new[] { value }));
        return unique;
    }

    /// <summary>A scalar int64 constant.</summary>
    public string ScalarInt64(string name, long value)
    {
        var unique = Unique(name);
        _initializers.Add(TensorProto.Int64(unique, [], [value]));
        return unique;
    }

    /// <summary>
    /// Makes the value <paramref name="value"/> available as <paramref name="outputName"/>: renames it when the
    /// last node produced it, else adds an Identity node (a model whose layers add no node).
    /// </summary>
    public void Output(string value, string outputName)
    {
        // The model's final value feeds no other node, so renaming it where it is produced is safe.
        foreach (var node in _nodes)
        {
            if (node.Outputs.AsSpan().IndexOf(value) is var index and >= 0)
            {
                node.Outputs[index] = outputName;
                return;
            }
        }

        _nodes.Add(new NodeProto("Identity", Unique("output/Identity_node"), [value], [outputName], []));
    }

    private string Unique(string name)
    {
        var candidate = name;
        for (var n = 1; !_names.Add(candidate); n++)
        {
            candidate = string.Create(CultureInfo.InvariantCulture, $"{name}_{n}");
        }

        return candidate;
    }
}
