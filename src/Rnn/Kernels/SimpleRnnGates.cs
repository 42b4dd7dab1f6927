using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rnn.Kernels;

/// <summary>
/// The SimpleRnn cell's elementwise math for one batch row and a range of hidden units:
/// <c>h' = act(a + b)</c> with act = tanh or relu, where <c>a = W_ih x + W_hh h</c> arrives in the row and
/// <c>b = b_ih + b_hh</c>.
/// </summary>
internal static class SimpleRnnGates
{
    /// <summary>One step forward for units [<paramref name="start"/>, <paramref name="end"/>) of <paramref name="rows"/> batch rows.</summary>
    /// <param name="preActivation">[rows, H] a.</param>
    /// <param name="bias">[H] b_ih + b_hh.</param>
    /// <param name="h">[rows, H] h_t (out).</param>
    /// <param name="rows">Batch rows.</param>
    /// <param name="hidden">H.</param>
    /// <param name="relu">relu instead of tanh.</param>
    /// <param name="start">First unit.</param>
    /// <param name="end">One past the last unit.</param>
    /// <param name="width">Widest SIMD width to use.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> preActivation, ReadOnlySpan<float> bias, Span<float> h, int rows, int hidden, bool relu, int start, int end, SimdWidth width)
    {
        Debug.Assert(preActivation.Length >= rows * hidden && h.Length >= rows * hidden);
        var kernel = new ForwardKernel
        {
            A = ref MemoryMarshal.GetReference(preActivation),
            Bias = ref MemoryMarshal.GetReference(bias),
            H = ref MemoryMarshal.GetReference(h),
            Hidden = hidden,
            Relu = relu,
        };
        UnitLoop.RunRows(ref kernel, rows, start, end, width);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(Span<float> gradient, ReadOnlySpan<float> h, ReadOnlySpan<float> outputGradient, Span<float> dh, bool relu, int start, int end, SimdWidth width)
    {
        var kernel = new BackwardKernel
        {
            DA = ref MemoryMarshal.GetReference(gradient),
            H = ref MemoryMarshal.GetReference(h),
            DOut = ref MemoryMarshal.GetReference(outputGradient),
            HasDOut = !outputGradient.IsEmpty,
            Dh = ref MemoryMarshal.GetReference(dh),
            Relu = relu,
        };
        UnitLoop.Run(ref kernel, start, end, width);
    }

    private ref struct ForwardKernel : IRowKernel
    {
        public ref float A;
        public ref float Bias;
        public ref float H;
        public nint Hidden;
        public bool Relu;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Run<TOps, TV, TRows>(nint row, nint j)
            where TOps : ISimdOps<TV>
            where TV : struct
            where TRows : IRowAccess<TV>
        {
            var at = (row * Hidden) + j;
            var a = TOps.Add(TRows.Load(ref A, at, Hidden), TRows.LoadShared(ref Bias, j));
            // Max(0, a) with a second: the native max returns its second operand for NaN, which must propagate.
            TRows.Store(Relu ? TOps.Max(default, a) : SimdMath.Tanh<TOps, TV>(a), ref H, at, Hidden);
        }
    }

    private ref struct BackwardKernel : IUnitKernel
    {
        public ref float DA;
        public ref float H;
        public ref float DOut;
        public bool HasDOut;
        public ref float Dh;
        public bool Relu;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Run<TOps, TV>(nint j)
            where TOps : ISimdOps<TV>
            where TV : struct
        {
            var dh = TOps.Load(ref Dh, j);
            if (HasDOut)
            {
                dh = TOps.Add(dh, TOps.Load(ref DOut, j));
            }

            var h = TOps.Load(ref H, j);
            var da = Relu
                ? TOps.SelectPositive(h, dh, default)
                : TOps.Multiply(dh, TOps.Subtract(TOps.Broadcast(1f), TOps.Multiply(h, h)));
            TOps.Store(da, ref DA, j);
            TOps.Store(default, ref Dh, j);
        }
    }
}
