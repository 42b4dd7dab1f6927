using System.Numerics.Tensors;

namespace Rnn.Optimizers;

/// <summary>
/// The ATen tensor operations that PyTorch's single-tensor (<c>foreach=False</c>) optimizers are written
/// in, over float32 spans, with the rounding of libtorch's vectorized CPU kernels, so that the optimizers
/// here read line by line like <c>torch/optim/*.py</c> and round the same way.
/// </summary>
/// <remarks>
/// <para>
/// Scalars arrive as <see cref="double"/> because in PyTorch they are Python floats: derived scalars
/// such as <c>1 - beta1</c> are computed in double precision and only the kernel casts them to float32.
/// </para>
/// <para>
/// The rounding of each kernel was measured bit for bit against libtorch 2.10's CPU kernels on an
/// AVX-512 machine, also for lengths that end in a partial vector (libtorch computes those with vector
/// code too): <c>add(other, alpha)</c> is <c>fma(other, alpha, self)</c>; <c>lerp</c> is
/// <c>fma(w, end - self, self)</c> for |w| &lt; 0.5 and
/// <c>fma(w - 1, end - self, end)</c> otherwise; <c>addcmul</c> is <c>fma(value·t1, t2, self)</c>;
/// <c>addcdiv</c> is <c>self + (value·t1) / t2</c> with every operation rounded; division by a scalar
/// is a true division by the float32 scalar. One operation cannot be matched: libtorch's x86 builds
/// take <c>sqrt</c> from MKL's vector library (<c>IMPLEMENT_VML_MKL(sqrt, Sqrt)</c> in
/// <c>aten/src/ATen/cpu/vml.h</c>), whose float32 results are not correctly rounded (about a third of them
/// are one ulp away from the IEEE square root); <see cref="Sqrt"/> is IEEE's.
/// </para>
/// </remarks>
internal static class TorchOps
{
    /// <summary><c>destination = self.add(other, alpha=alpha)</c>: <c>fma(other, alpha, self)</c>.</summary>
    public static void Add(ReadOnlySpan<float> self, ReadOnlySpan<float> other, double alpha, Span<float> destination)
        => TensorPrimitives.FusedMultiplyAdd(other, (float)alpha, self, destination);

    /// <summary><c>self.mul_(scalar)</c>.</summary>
    public static void Mul(Span<float> self, double scalar) => TensorPrimitives.Multiply(self, (float)scalar, self);

    /// <summary><c>self.div_(scalar)</c>: a true division by the float32 scalar, as libtorch's CPU kernel does.</summary>
    public static void Div(Span<float> self, double scalar) => TensorPrimitives.Divide(self, (float)scalar, self);

    /// <summary><c>destination = self.div(scalar)</c>: a true division by the float32 scalar.</summary>
    public static void Div(ReadOnlySpan<float> self, double scalar, Span<float> destination) => TensorPrimitives.Divide(self, (float)scalar, destination);

    /// <summary><c>self.div_(other)</c>, elementwise.</summary>
    public static void Div(Span<float> self, ReadOnlySpan<float> other) => TensorPrimitives.Divide(self, other, self);

    /// <summary><c>self.mul_(other)</c>, elementwise.</summary>
    public static void Mul(Span<float> self, ReadOnlySpan<float> other) => TensorPrimitives.Multiply(self, other, self);

    /// <summary>
    /// <c>self = scalar / self</c> as Python evaluates <c>float / Tensor</c> (<c>Tensor.__rtruediv__</c>):
    /// <c>self.reciprocal() * scalar</c>, two roundings.
    /// </summary>
    public static void ReciprocalMul(Span<float> self, double scalar)
    {
        TensorPrimitives.Divide(1f, self, self);
        TensorPrimitives.Multiply(self, (float)scalar, self);
    }

    /// <summary><c>self.add_(scalar)</c>.</summary>
    public static void Add(Span<float> self, double scalar) => TensorPrimitives.Add(self, (float)scalar, self);

    /// <summary><c>destination = self.add(scalar)</c>.</summary>
    public static void Add(ReadOnlySpan<float> self, double scalar, Span<float> destination) => TensorPrimitives.Add(self, (float)scalar, destination);

    /// <summary><c>destination = self.abs()</c>.</summary>
    public static void Abs(ReadOnlySpan<float> self, Span<float> destination) => TensorPrimitives.Abs(self, destination);

    /// <summary><c>destination = self.sqrt()</c>, correctly rounded (see the remarks on <see cref="TorchOps"/>).</summary>
    public static void Sqrt(ReadOnlySpan<float> self, Span<float> destination) => TensorPrimitives.Sqrt(self, destination);

    /// <summary><c>torch.maximum(self, other, out=self)</c> (NaN propagates).</summary>
    public static void Maximum(Span<float> self, ReadOnlySpan<float> other) => TensorPrimitives.Max(self, other, self);

    /// <summary>
    /// <c>self.lerp_(end, weight)</c>: <c>self + weight·(end - self)</c>, computed as libtorch does, from
    /// whichever end is nearer to <paramref name="weight"/>.
    /// </summary>
    /// <param name="self">Updated in place.</param>
    /// <param name="end">The other end.</param>
    /// <param name="weight">w.</param>
    /// <param name="temporary">Scratch, the length of <paramref name="self"/>.</param>
    public static void Lerp(Span<float> self, ReadOnlySpan<float> end, double weight, Span<float> temporary)
    {
        var w = (float)weight;
        TensorPrimitives.Subtract(end, self, temporary);
        if (MathF.Abs(w) < 0.5f)
        {
            TensorPrimitives.FusedMultiplyAdd(temporary, w, self, self);
        }
        else
        {
            TensorPrimitives.FusedMultiplyAdd(temporary, w - 1f, end, self);
        }
    }

    /// <summary><c>destination = self.addcmul(tensor1, tensor2, value=value)</c>: <c>fma(value·t1, t2, self)</c>.</summary>
    /// <param name="self">The addend; may be <paramref name="destination"/>.</param>
    /// <param name="tensor1">t1.</param>
    /// <param name="tensor2">t2.</param>
    /// <param name="value">The scale of the product.</param>
    /// <param name="destination">The result.</param>
    /// <param name="temporary">Scratch, the length of <paramref name="self"/>, overlapping no other argument.</param>
    public static void AddCMul(ReadOnlySpan<float> self, ReadOnlySpan<float> tensor1, ReadOnlySpan<float> tensor2, double value, Span<float> destination, Span<float> temporary)
    {
        TensorPrimitives.Multiply(tensor1, (float)value, temporary);
        TensorPrimitives.FusedMultiplyAdd(temporary, tensor2, self, destination);
    }

    /// <summary><c>self.addcdiv_(tensor1, tensor2, value=value)</c>: <c>self + (value·t1) / t2</c>, each operation rounded.</summary>
    /// <param name="self">Updated in place.</param>
    /// <param name="tensor1">t1.</param>
    /// <param name="tensor2">t2.</param>
    /// <param name="value">The scale of the quotient.</param>
    /// <param name="temporary">Scratch, the length of <paramref name="self"/>, overlapping no other argument.</param>
    public static void AddCDiv(Span<float> self, ReadOnlySpan<float> tensor1, ReadOnlySpan<float> tensor2, double value, Span<float> temporary)
    {
        TensorPrimitives.Multiply(tensor1, (float)value, temporary);
        TensorPrimitives.Divide(temporary, tensor2, temporary);
        TensorPrimitives.Add(self, temporary, self);
    }
}
