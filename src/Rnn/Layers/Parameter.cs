using System.Numerics.Tensors;

namespace Rnn.Layers;

/// <summary>
/// A trainable tensor of a layer, with the buffer its gradient accumulates into. Backward passes add
/// (<c>+=</c>) to <see cref="Gradient"/>; an optimizer, or the caller, zeroes it with
/// <see cref="ZeroGradient"/>.
/// </summary>
/// <remarks>
/// Layers cache derived forms of their weights (for example, GEMM-packed copies). Code that changes
/// <see cref="Value"/> in place must call <see cref="MarkModified"/> afterwards; the library's
/// optimizers, initializers and loaders do.
/// </remarks>
public sealed class Parameter
{
    internal Parameter(string name, params int[] shape)
    {
        Name = name;
        Shape = shape;
        var count = 1;
        var lengths = new nint[shape.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            count = checked(count * shape[i]);
            lengths[i] = shape[i];
        }

        Data = new float[count];
        Grad = new float[count];
        Value = Tensor.Create(Data, lengths);
        Gradient = Tensor.Create(Grad, lengths);
    }

    /// <summary>The name within its layer, PyTorch's (for example <c>weight_ih_l0</c> or <c>bias_hh_l1_reverse</c>).</summary>
    public string Name { get; }

    /// <summary>The shape, PyTorch's (for example <c>[4H, input]</c> for an Lstm's <c>weight_ih_l0</c>).</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The values. After changing them in place, call <see cref="MarkModified"/>.</summary>
    public Tensor<float> Value { get; }

    /// <summary>The accumulated gradient of the loss with respect to <see cref="Value"/>, same shape.</summary>
    public Tensor<float> Gradient { get; }

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>Increments whenever <see cref="MarkModified"/> is called; caches compare it with the version they saw.</summary>
    public int Version { get; private set; }

    /// <summary>The values as a flat row-major array (the storage behind <see cref="Value"/>).</summary>
    internal float[] Data { get; }

    /// <summary>The gradient as a flat row-major array (the storage behind <see cref="Gradient"/>).</summary>
    internal float[] Grad { get; }

    /// <summary>Tells the owning layer that <see cref="Value"/> changed, so that derived caches are rebuilt.</summary>
    public void MarkModified() => Version++;

    /// <summary>Sets every element of <see cref="Gradient"/> to zero.</summary>
    public void ZeroGradient() => Array.Clear(Grad);

    /// <summary>Copies <paramref name="values"/> (row-major, <see cref="Length"/> elements) into <see cref="Value"/>.</summary>
    /// <exception cref="ArgumentException">The number of values differs from <see cref="Length"/>.</exception>
    public void Assign(ReadOnlySpan<float> values)
    {
        if (values.Length != Data.Length)
        {
            throw new ArgumentException(
                $"Parameter '{Name}' has shape {TensorExtensions.ShapeString(Shape.ToArray())} ({Data.Length} values) but received {values.Length} values.",
                nameof(values));
        }

        values.CopyTo(Data);
        MarkModified();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {TensorExtensions.ShapeString(Shape.ToArray())}";
}
