using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Rnn;

/// <summary>Helpers between <see cref="Tensor{T}"/> and the flat row-major spans the kernels use.</summary>
internal static class TensorExtensions
{
    /// <summary>The elements of a dense tensor as one row-major span (no copy).</summary>
    public static Span<float> AsFlatSpan(this Tensor<float> tensor)
    {
        if (!tensor.IsDense)
        {
            throw new ArgumentException(
                $"Expected a dense (contiguous, row-major) tensor but received one with strides [{string.Join(", ", tensor.Strides.ToArray())}]; copy it with Tensor.Create(...) first.",
                nameof(tensor));
        }

        return MemoryMarshal.CreateSpan(ref tensor.GetPinnableReference(), checked((int)tensor.FlattenedLength));
    }

    /// <summary>The shape as an int array.</summary>
    public static int[] Shape(this Tensor<float> tensor)
    {
        var shape = new int[tensor.Rank];
        for (var i = 0; i < shape.Length; i++)
        {
            shape[i] = checked((int)tensor.Lengths[i]);
        }

        return shape;
    }

    /// <summary>Shape as <c>[2, 3, 4]</c>, for error messages.</summary>
    public static string ShapeString(this Tensor<float> tensor) => ShapeString(tensor.Lengths);

    /// <summary>Shape as <c>[2, 3, 4]</c>, for error messages.</summary>
    public static string ShapeString(ReadOnlySpan<nint> lengths) => "[" + string.Join(", ", lengths.ToArray()) + "]";

    /// <summary>Shape as <c>[2, 3, 4]</c>, for error messages.</summary>
    public static string ShapeString(ReadOnlySpan<int> lengths) => "[" + string.Join(", ", lengths.ToArray()) + "]";

    /// <summary>A new dense tensor over a new zeroed array.</summary>
    public static Tensor<float> Zeros(params ReadOnlySpan<int> shape)
    {
        var lengths = new nint[shape.Length];
        var count = 1;
        for (var i = 0; i < shape.Length; i++)
        {
            lengths[i] = shape[i];
            count = checked(count * shape[i]);
        }

        return Tensor.Create(new float[count], lengths);
    }
}
