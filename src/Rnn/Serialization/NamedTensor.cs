using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Rnn.Serialization;

/// <summary>
/// A named, dense, row-major float32 tensor: one entry of a safetensors file or of a state dict
/// (for example <c>weight_ih_l0</c> with shape <c>[4H, in]</c>).
/// </summary>
/// <remarks>
/// <para>
/// Equality is by value: two tensors are equal when their names, shapes and the bits of every
/// element are equal (so a NaN equals the same NaN). <c>with { Name = "lstm." + t.Name }</c> renames a
/// tensor without copying its data.
/// </para>
/// <para>
/// <see cref="Data"/> is the caller's array, not a copy: changing its elements changes the tensor.
/// Its length always equals the product of <see cref="Shape"/>.
/// </para>
/// </remarks>
public sealed record NamedTensor
{
    private readonly string _name;
    private readonly int[] _shape;

    /// <summary>Creates a tensor over <paramref name="data"/> (not copied).</summary>
    /// <param name="name">The tensor's name; not null.</param>
    /// <param name="shape">The dimensions, outermost first; each non-negative. An empty shape is a scalar.</param>
    /// <param name="data">The elements in row-major order; its length must be the product of <paramref name="shape"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> or <paramref name="data"/> is null.</exception>
    /// <exception cref="ArgumentException">A dimension is negative, or the data length is not the product of the shape.</exception>
    public NamedTensor(string name, ReadOnlySpan<int> shape, float[] data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(data);
        if (ShapeProblem(name, shape, data.Length) is { } problem)
        {
            throw new ArgumentException(problem, nameof(shape));
        }

        _name = name;
        _shape = shape.ToArray();
        Shape = Array.AsReadOnly(_shape);
        Data = data;
    }

    private NamedTensor(string name, int[] shape, float[] data)
    {
        _name = name;
        _shape = shape;
        Shape = Array.AsReadOnly(_shape);
        Data = data;
    }

    /// <summary>The tensor's name, e.g. <c>weight_hh_l0_reverse</c>.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public string Name
    {
        get => _name;
        init => _name = value ?? throw new ArgumentNullException(nameof(value), "A tensor name cannot be null.");
    }

    /// <summary>The dimensions, outermost first (empty for a scalar); read-only.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The elements in row-major order; <c>Data.Length</c> is the product of <see cref="Shape"/>.</summary>
    public float[] Data { get; }

    /// <inheritdoc/>
    public bool Equals(NamedTensor? other) =>
        other is not null
        && _name == other._name
        && _shape.AsSpan().SequenceEqual(other._shape)
        && MemoryMarshal.AsBytes(Data.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(other.Data.AsSpan()));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_name, Data.Length);

    /// <summary>The name and shape, e.g. <c>weight_ih_l0 [68, 4]</c>.</summary>
    public override string ToString() => $"{_name} [{string.Join(", ", Shape)}]";

    /// <summary>For the reader, which has validated the shape and sized the data itself: takes <paramref name="shape"/> without a copy.</summary>
    internal static NamedTensor CreateValidated(string name, int[] shape, float[] data)
    {
        Debug.Assert(ShapeProblem(name, shape, data.Length) is null);
        return new NamedTensor(name, shape, data);
    }

    /// <summary>The shape array itself, for the writer (which only reads it).</summary>
    internal int[] ShapeArray => _shape;

    /// <summary>
    /// What is wrong with <paramref name="shape"/> as the shape of <paramref name="length"/> elements
    /// (a negative dimension, more elements than an array holds, or a different count), or null.
    /// </summary>
    internal static string? ShapeProblem(string name, ReadOnlySpan<int> shape, long length)
    {
        // Each factor is at most int.MaxValue and the running product is kept at most Array.MaxLength,
        // so the product never overflows a long.
        long count = 1;
        foreach (var dim in shape)
        {
            if (dim < 0)
            {
                return $"Tensor '{name}' has shape [{Format(shape)}] with a negative dimension.";
            }

            count *= dim;
            if (count > Array.MaxLength)
            {
                return $"Tensor '{name}' has shape [{Format(shape)}], more elements than an array can hold.";
            }
        }

        return count == length
            ? null
            : $"Tensor '{name}' has shape [{Format(shape)}], which holds {count} elements, but its data has {length}.";
    }

    private static string Format(ReadOnlySpan<int> shape) => string.Join(", ", shape.ToArray());
}
