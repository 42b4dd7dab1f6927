using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;

namespace Rnn.Serialization;

/// <summary>
/// The contents of a safetensors file as read by <see cref="SafeTensors.Read(string, SafeTensorsReadOptions?)"/>:
/// the <c>__metadata__</c> strings and every tensor converted to float32.
/// </summary>
public sealed class SafeTensorsFile
{
    private readonly Dictionary<string, NamedTensor> _byName;

    internal SafeTensorsFile(List<NamedTensor> tensors, Dictionary<string, string> metadata, Dictionary<string, string> skipped)
    {
        Tensors = tensors.AsReadOnly();
        _byName = new Dictionary<string, NamedTensor>(tensors.Count, StringComparer.Ordinal);
        foreach (var tensor in tensors)
        {
            _byName.Add(tensor.Name, tensor);
        }

        Metadata = new ReadOnlyDictionary<string, string>(metadata);
        SkippedTensors = new ReadOnlyDictionary<string, string>(skipped);
    }

    /// <summary>The header's <c>__metadata__</c> map (string to string); empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors in the order the header lists them.</summary>
    public IReadOnlyList<NamedTensor> Tensors { get; }

    /// <summary>
    /// Tensors left out because their dtype does not convert to float32, by name, with that dtype
    /// (e.g. <c>"I64"</c>); always empty unless <see cref="SafeTensorsReadOptions.SkipUnsupportedDTypes"/> was set.
    /// </summary>
    public IReadOnlyDictionary<string, string> SkippedTensors { get; }

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no tensor of that name.</exception>
    public NamedTensor this[string name] =>
        _byName.TryGetValue(name, out var tensor)
            ? tensor
            : throw new KeyNotFoundException(SkippedTensors.TryGetValue(name, out var dtype)
                ? $"Tensor '{name}' was skipped: its dtype {dtype} does not convert to float32."
                : $"The file has no tensor '{name}' (it has {Tensors.Count}).");

    /// <summary>Looks a tensor up by name.</summary>
    /// <returns><c>true</c> and the tensor when the file has one called <paramref name="name"/>.</returns>
    public bool TryGetTensor(string name, [MaybeNullWhen(false)] out NamedTensor tensor) => _byName.TryGetValue(name, out tensor);

    /// <summary>Whether the file has a (not skipped) tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);
}
