using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rnn.Kernels;

/// <summary>
/// Elementwise activations over spans, and the derivatives backward passes need, built on
/// <see cref="SimdMath"/> and driven by <see cref="UnitLoop"/> (full Vector512 blocks, then 256, 128 and
/// scalar steps). Destination may be the source (in place) but must not otherwise overlap it. Accuracy is
/// that of the <see cref="SimdMath"/> function each one applies; every width gives the same bits where the
/// hardware has FMA.
/// </summary>
internal static class Activations
{
    /// <summary>y = e^x (see <see cref="SimdMath.Exp{TOps, TV}"/> for error bounds and edge values).</summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> y) => Exp(x, y, UnitLoop.Best);

    /// <summary>y = e^x with vectors no wider than <paramref name="width"/>.</summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> y, SimdWidth width) => Map<ExpOp>(x, y, width);

    /// <summary>y = σ(x) = 1 / (1 + e^-x) (see <see cref="SimdMath.Sigmoid{TOps, TV}"/>).</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => Sigmoid(x, y, UnitLoop.Best);

    /// <summary>y = σ(x) with vectors no wider than <paramref name="width"/>.</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y, SimdWidth width) => Map<SigmoidOp>(x, y, width);

    /// <summary>y = tanh(x) (see <see cref="SimdMath.Tanh{TOps, TV}"/>).</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => Tanh(x, y, UnitLoop.Best);

    /// <summary>y = tanh(x) with vectors no wider than <paramref name="width"/>.</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y, SimdWidth width) => Map<TanhOp>(x, y, width);

    /// <summary>y = max(0, x), exact; NaN stays NaN and relu(-0) = -0 (equal to 0).</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => Relu(x, y, UnitLoop.Best);

    /// <summary>y = max(0, x) with vectors no wider than <paramref name="width"/>.</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y, SimdWidth width) => Map<ReluOp>(x, y, width);

    /// <summary>dx = dy · σ'(x) = dy · y · (1 - y), from the forward output y = σ(x).</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => SigmoidBackward(y, dy, dx, UnitLoop.Best);

    /// <summary><see cref="SigmoidBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> with vectors no wider than <paramref name="width"/>.</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, SimdWidth width) => Map<SigmoidBackwardOp>(y, dy, dx, width);

    /// <summary>dx = dy · tanh'(x) = dy · (1 - y)(1 + y), from the forward output y = tanh(x).</summary>
    /// <remarks>(1 - y)(1 + y) rather than 1 - y²: 1 - y is exact for y ≥ 0.5, so saturated units keep their small gradients.</remarks>
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => TanhBackward(y, dy, dx, UnitLoop.Best);

    /// <summary><see cref="TanhBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> with vectors no wider than <paramref name="width"/>.</summary>
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, SimdWidth width) => Map<TanhBackwardOp>(y, dy, dx, width);

    /// <summary>dx = y &gt; 0 ? dy : 0, from the forward output y = relu(x) (PyTorch's convention: gradient 0 at 0).</summary>
    public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => ReluBackward(y, dy, dx, UnitLoop.Best);

    /// <summary><see cref="ReluBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> with vectors no wider than <paramref name="width"/>.</summary>
    public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, SimdWidth width) => Map<ReluBackwardOp>(y, dy, dx, width);

    // x: [n], y: [n].
    private static unsafe void Map<TOp>(ReadOnlySpan<float> x, Span<float> y, SimdWidth width)
        where TOp : IUnaryOp
    {
        Debug.Assert(x.Length == y.Length);
        Debug.Assert(x.IsEmpty || !x.Overlaps(y) || Unsafe.AreSame(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y)));
        fixed (float* px = x, py = y)
        {
            var kernel = new UnaryKernel<TOp> { X = px, Y = py };
            UnitLoop.Run(ref kernel, 0, x.Length, width);
        }
    }

    // a: [n], b: [n], y: [n].
    private static unsafe void Map<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, SimdWidth width)
        where TOp : IBinaryOp
    {
        Debug.Assert(a.Length == y.Length && b.Length == y.Length);
        fixed (float* pa = a, pb = b, py = y)
        {
            var kernel = new BinaryKernel<TOp> { A = pa, B = pb, Y = py };
            UnitLoop.Run(ref kernel, 0, y.Length, width);
        }
    }

    /// <summary>One elementwise function of one operand.</summary>
    private interface IUnaryOp
    {
        static abstract TV Invoke<TOps, TV>(TV x)
            where TOps : ISimdOps<TV>
            where TV : struct;
    }

    /// <summary>One elementwise function of two operands.</summary>
    private interface IBinaryOp
    {
        static abstract TV Invoke<TOps, TV>(TV a, TV b)
            where TOps : ISimdOps<TV>
            where TV : struct;
    }

    // Pointers rather than refs: UnitLoop takes the kernel as a plain struct, and the spans are pinned by
    // the caller for the duration of the loop.
    private unsafe struct UnaryKernel<TOp> : IUnitKernel
        where TOp : IUnaryOp
    {
        public float* X;
        public float* Y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Run<TOps, TV>(nint j)
            where TOps : ISimdOps<TV>
            where TV : struct
            => TOps.Store(TOp.Invoke<TOps, TV>(TOps.Load(ref *X, j)), ref *Y, j);
    }

    private unsafe struct BinaryKernel<TOp> : IUnitKernel
        where TOp : IBinaryOp
    {
        public float* A;
        public float* B;
        public float* Y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Run<TOps, TV>(nint j)
            where TOps : ISimdOps<TV>
            where TV : struct
            => TOps.Store(TOp.Invoke<TOps, TV>(TOps.Load(ref *A, j), TOps.Load(ref *B, j)), ref *Y, j);
    }

    private readonly struct ExpOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TOps, TV>(TV x)
            where TOps : ISimdOps<TV>
            where TV : struct
            => SimdMath.Exp<TOps, TV>(x);
    }

    private readonly struct SigmoidOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TOps, TV>(TV x)
            where TOps : ISimdOps<TV>
            where TV : struct
            => SimdMath.Sigmoid<TOps, TV>(x);
    }

    private readonly struct TanhOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TOps, TV>(TV x)
            where TOps : ISimdOps<TV>
            where TV : struct
            => SimdMath.Tanh<TOps, TV>(x);
    }

    private readonly struct ReluOp : IUnaryOp
    {
        // Zero first: Max returns its second operand when either is NaN (x86 maxps), so NaN propagates.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TOps, TV>(TV x)
            where TOps : ISimdOps<TV>
            where TV : struct
            => TOps.Max(default, x);
    }

    private readonly struct SigmoidBackwardOp : IBinaryOp
    {
        // a = y, b = dy.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TOps, TV>(TV a, TV b)
            where TOps : ISimdOps<TV>
            where TV : struct
            => TOps.Multiply(b, TOps.Multiply(a, TOps.Subtract(TOps.Broadcast(1f), a)));
    }

    private readonly struct TanhBackwardOp : IBinaryOp
    {
        // a = y, b = dy.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TOps, TV>(TV a, TV b)
            where TOps : ISimdOps<TV>
            where TV : struct
        {
            var one = TOps.Broadcast(1f);
            return TOps.Multiply(b, TOps.Multiply(TOps.Subtract(one, a), TOps.Add(one, a)));
        }
    }

    private readonly struct ReluBackwardOp : IBinaryOp
    {
        // a = y, b = dy.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Invoke<TOps, TV>(TV a, TV b)
            where TOps : ISimdOps<TV>
            where TV : struct
            => TOps.SelectPositive(a, b, default);
    }
}
