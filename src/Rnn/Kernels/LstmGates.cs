using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rnn.Kernels;

/// <summary>
/// The Lstm cell's elementwise math for one batch row and a range of hidden units, fused into one pass
/// over registers (PyTorch gate order i, f, g, o):
/// <code>
/// i = σ(a_i + b_i)   f = σ(a_f + b_f)   g = tanh(a_g + b_g)   o = σ(a_o + b_o)
/// c' = f ⊙ c + i ⊙ g                    h' = o ⊙ tanh(c')
/// </code>
/// where <c>a = W_ih x + W_hh h</c> arrives in the gate row and <c>b = b_ih + b_hh</c>.
/// </summary>
internal static class LstmGates
{
    /// <summary>One step forward for units [<paramref name="start"/>, <paramref name="end"/>) of <paramref name="rows"/> batch rows.</summary>
    /// <param name="gates">[rows, 4H] pre-activations a (in); the activations i, f, g, o (out) when <paramref name="storeActivations"/>.</param>
    /// <param name="bias">[4H] b_ih + b_hh.</param>
    /// <param name="cPrev">[rows, H] c at the previous step.</param>
    /// <param name="c">[rows, H] c at this step (out).</param>
    /// <param name="h">[rows, H] h at this step (out).</param>
    /// <param name="rows">Batch rows.</param>
    /// <param name="hidden">H.</param>
    /// <param name="start">First unit.</param>
    /// <param name="end">One past the last unit.</param>
    /// <param name="storeActivations">Whether backward will need the activations.</param>
    /// <param name="width">Widest SIMD width to use.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(
        Span<float> gates, ReadOnlySpan<float> bias, ReadOnlySpan<float> cPrev, Span<float> c, Span<float> h,
        int rows, int hidden, int start, int end, bool storeActivations, SimdWidth width)
    {
        Debug.Assert(gates.Length >= rows * 4 * hidden && cPrev.Length >= rows * hidden && c.Length >= rows * hidden && h.Length >= rows * hidden);
        var kernel = new ForwardKernel
        {
            Gates = ref MemoryMarshal.GetReference(gates),
            Bias = ref MemoryMarshal.GetReference(bias),
            CPrev = ref MemoryMarshal.GetReference(cPrev),
            C = ref MemoryMarshal.GetReference(c),
            H = ref MemoryMarshal.GetReference(h),
            Hidden = hidden,
            Store = storeActivations,
        };
        UnitLoop.RunRows(ref kernel, rows, start, end, width);
    }

    /// <summary>
    /// One step backward for units [<paramref name="start"/>, <paramref name="end"/>) of one batch row: from
    /// the gradient reaching h_t and c_t to the gradients of the pre-activations and of c_{t-1}.
    /// </summary>
    /// <param name="gates">[4H] activations i, f, g, o (in); dL/da for the four gates (out).</param>
    /// <param name="c">[H] c_t.</param>
    /// <param name="cPrev">[H] c_{t-1}.</param>
    /// <param name="outputGradient">[H] dL/dh_t from the layer's output, or empty when there is none.</param>
    /// <param name="dh">[H] dL/dh_t through the recurrence (in); the part of dL/dh_{t-1} that bypasses W_hh, zero for Lstm (out).</param>
    /// <param name="dc">[H] dL/dc_t (in); dL/dc_{t-1} (out).</param>
    /// <param name="hidden">H.</param>
    /// <param name="start">First unit.</param>
    /// <param name="end">One past the last unit.</param>
    /// <param name="width">Widest SIMD width to use.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(
        Span<float> gates, ReadOnlySpan<float> c, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> outputGradient,
        Span<float> dh, Span<float> dc, int hidden, int start, int end, SimdWidth width)
    {
        var kernel = new BackwardKernel
        {
            Gates = ref MemoryMarshal.GetReference(gates),
            C = ref MemoryMarshal.GetReference(c),
            CPrev = ref MemoryMarshal.GetReference(cPrev),
            DOut = ref MemoryMarshal.GetReference(outputGradient),
            HasDOut = !outputGradient.IsEmpty,
            Dh = ref MemoryMarshal.GetReference(dh),
            Dc = ref MemoryMarshal.GetReference(dc),
            Hidden = hidden,
        };
        UnitLoop.Run(ref kernel, start, end, width);
    }

    private ref struct ForwardKernel : IRowKernel
    {
        public ref float Gates;
        public ref float Bias;
        public ref float CPrev;
        public ref float C;
        public ref float H;
        public nint Hidden;
        public bool Store;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Run<TOps, TV, TRows>(nint row, nint j)
            where TOps : ISimdOps<TV>
            where TV : struct
            where TRows : IRowAccess<TV>
        {
            var n = Hidden;
            var gs = 4 * n;
            var at = (row * gs) + j;
            var cj = (row * n) + j;
            var i = SimdMath.Sigmoid<TOps, TV>(TOps.Add(TRows.Load(ref Gates, at, gs), TRows.LoadShared(ref Bias, j)));
            var f = SimdMath.Sigmoid<TOps, TV>(TOps.Add(TRows.Load(ref Gates, n + at, gs), TRows.LoadShared(ref Bias, n + j)));
            var g = SimdMath.Tanh<TOps, TV>(TOps.Add(TRows.Load(ref Gates, (2 * n) + at, gs), TRows.LoadShared(ref Bias, (2 * n) + j)));
            var o = SimdMath.Sigmoid<TOps, TV>(TOps.Add(TRows.Load(ref Gates, (3 * n) + at, gs), TRows.LoadShared(ref Bias, (3 * n) + j)));
            var c = TOps.MultiplyAdd(f, TRows.Load(ref CPrev, cj, n), TOps.Multiply(i, g));
            TRows.Store(c, ref C, cj, n);
            TRows.Store(TOps.Multiply(o, SimdMath.Tanh<TOps, TV>(c)), ref H, cj, n);
            if (Store)
            {
                TRows.Store(i, ref Gates, at, gs);
                TRows.Store(f, ref Gates, n + at, gs);
                TRows.Store(g, ref Gates, (2 * n) + at, gs);
                TRows.Store(o, ref Gates, (3 * n) + at, gs);
            }
        }
    }

    private ref struct BackwardKernel : IUnitKernel
    {
        public ref float Gates;
        public ref float C;
        public ref float CPrev;
        public ref float DOut;
        public bool HasDOut;
        public ref float Dh;
        public ref float Dc;
        public nint Hidden;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Run<TOps, TV>(nint j)
            where TOps : ISimdOps<TV>
            where TV : struct
        {
            var n = Hidden;
            var one = TOps.Broadcast(1f);
            var i = TOps.Load(ref Gates, j);
            var f = TOps.Load(ref Gates, n + j);
            var g = TOps.Load(ref Gates, (2 * n) + j);
            var o = TOps.Load(ref Gates, (3 * n) + j);
            var tc = SimdMath.Tanh<TOps, TV>(TOps.Load(ref C, j));
            var dh = TOps.Load(ref Dh, j);
            if (HasDOut)
            {
                dh = TOps.Add(dh, TOps.Load(ref DOut, j));
            }

            // dc_t = dc_{t+1 → t} + dh ⊙ o ⊙ (1 - tanh²c)
            var dc = TOps.MultiplyAdd(TOps.Multiply(dh, o), TOps.Subtract(one, TOps.Multiply(tc, tc)), TOps.Load(ref Dc, j));
            var dOGate = TOps.Multiply(TOps.Multiply(dh, tc), TOps.Multiply(o, TOps.Subtract(one, o)));
            var dIGate = TOps.Multiply(TOps.Multiply(dc, g), TOps.Multiply(i, TOps.Subtract(one, i)));
            var dFGate = TOps.Multiply(TOps.Multiply(dc, TOps.Load(ref CPrev, j)), TOps.Multiply(f, TOps.Subtract(one, f)));
            var dGGate = TOps.Multiply(TOps.Multiply(dc, i), TOps.Subtract(one, TOps.Multiply(g, g)));
            TOps.Store(dIGate, ref Gates, j);
            TOps.Store(dFGate, ref Gates, n + j);
            TOps.Store(dGGate, ref Gates, (2 * n) + j);
            TOps.Store(dOGate, ref Gates, (3 * n) + j);
            TOps.Store(TOps.Multiply(dc, f), ref Dc, j);
            TOps.Store(default, ref Dh, j);
        }
    }
}
