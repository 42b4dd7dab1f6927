using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rnn.Kernels;

/// <summary>
/// The Gru cell's elementwise math for one batch row and a range of hidden units, fused into one pass
/// (PyTorch gate order r, z, n; reset applied after the recurrent product, as PyTorch and cuDNN do):
/// <code>
/// r = σ(x_r + b_ir + u_r + b_hr)     z = σ(x_z + b_iz + u_z + b_hz)
/// n = tanh(x_n + b_in + r ⊙ (u_n + b_hn))
/// h' = n + z ⊙ (h - n)               (= (1 - z) ⊙ n + z ⊙ h, in PyTorch's operation order)
/// </code>
/// where <c>x = W_ih x_t</c> and <c>u = W_hh h</c> arrive in two separate rows, because b_hn must stay
/// inside the reset product.
/// </summary>
internal static class GruGates
{
    /// <summary>One step forward for units [<paramref name="start"/>, <paramref name="end"/>) of <paramref name="rows"/> batch rows.</summary>
    /// <param name="inputPart">[rows, 3H] W_ih x_t (in); r, z, n (out) when <paramref name="storeActivations"/>.</param>
    /// <param name="hiddenPart">[rows, 3H] W_hh h_{t-1} (in); its n block becomes u_n + b_hn (out) when <paramref name="storeActivations"/>.</param>
    /// <param name="inputBias">[3H] b_ih.</param>
    /// <param name="hiddenBias">[3H] b_hh.</param>
    /// <param name="hPrev">[rows, H] h_{t-1}.</param>
    /// <param name="h">[rows, H] h_t (out).</param>
    /// <param name="rows">Batch rows.</param>
    /// <param name="hidden">H.</param>
    /// <param name="start">First unit.</param>
    /// <param name="end">One past the last unit.</param>
    /// <param name="storeActivations">Whether backward will need the activations.</param>
    /// <param name="width">Widest SIMD width to use.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(
        Span<float> inputPart, Span<float> hiddenPart, ReadOnlySpan<float> inputBias, ReadOnlySpan<float> hiddenBias,
        ReadOnlySpan<float> hPrev, Span<float> h, int rows, int hidden, int start, int end, bool storeActivations, SimdWidth width)
    {
        Debug.Assert(inputPart.Length >= rows * 3 * hidden && hiddenPart.Length >= rows * 3 * hidden && hPrev.Length >= rows * hidden && h.Length >= rows * hidden);
        var kernel = new ForwardKernel
        {
            X = ref MemoryMarshal.GetReference(inputPart),
            U = ref MemoryMarshal.GetReference(hiddenPart),
            BiasX = ref MemoryMarshal.GetReference(inputBias),
            BiasU = ref MemoryMarshal.GetReference(hiddenBias),
            HPrev = ref MemoryMarshal.GetReference(hPrev),
            H = ref MemoryMarshal.GetReference(h),
            Hidden = hidden,
            Store = storeActivations,
        };
        UnitLoop.RunRows(ref kernel, rows, start, end, width);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(
        Span<float> inputPart, Span<float> hiddenPart, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> outputGradient,
        Span<float> dh, int hidden, int start, int end, SimdWidth width)
    {
        var kernel = new BackwardKernel
        {
            X = ref MemoryMarshal.GetReference(inputPart),
            U = ref MemoryMarshal.GetReference(hiddenPart),
            HPrev = ref MemoryMarshal.GetReference(hPrev),
            DOut = ref MemoryMarshal.GetReference(outputGradient),
            HasDOut = !outputGradient.IsEmpty,
            Dh = ref MemoryMarshal.GetReference(dh),
            Hidden = hidden,
        };
        UnitLoop.Run(ref kernel, start, end, width);
    }

    private ref struct ForwardKernel : IRowKernel
    {
        public ref float X;
        public ref float U;
        public ref float BiasX;
        public ref float BiasU;
        public ref float HPrev;
        public ref float H;
        public nint Hidden;
        public bool Store;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Run<TOps, TV, TRows>(nint row, nint j)
            where TOps : ISimdOps<TV>
            where TV : struct
            where TRows : IRowAccess<TV>
        {
            var n1 = Hidden;
            var n2 = 2 * Hidden;
            var gs = 3 * Hidden;
            var at = (row * gs) + j;
            var hj = (row * n1) + j;
            var r = SimdMath.Sigmoid<TOps, TV>(TOps.Add(
                TOps.Add(TRows.Load(ref X, at, gs), TRows.LoadShared(ref BiasX, j)),
                TOps.Add(TRows.Load(ref U, at, gs), TRows.LoadShared(ref BiasU, j))));
            var z = SimdMath.Sigmoid<TOps, TV>(TOps.Add(
                TOps.Add(TRows.Load(ref X, n1 + at, gs), TRows.LoadShared(ref BiasX, n1 + j)),
                TOps.Add(TRows.Load(ref U, n1 + at, gs), TRows.LoadShared(ref BiasU, n1 + j))));
            var un = TOps.Add(TRows.Load(ref U, n2 + at, gs), TRows.LoadShared(ref BiasU, n2 + j));
            var n = SimdMath.Tanh<TOps, TV>(TOps.MultiplyAdd(r, un, TOps.Add(TRows.Load(ref X, n2 + at, gs), TRows.LoadShared(ref BiasX, n2 + j))));
            TRows.Store(TOps.MultiplyAdd(z, TOps.Subtract(TRows.Load(ref HPrev, hj, n1), n), n), ref H, hj, n1);
            if (Store)
            {
                TRows.Store(r, ref X, at, gs);
                TRows.Store(z, ref X, n1 + at, gs);
                TRows.Store(n, ref X, n2 + at, gs);
                TRows.Store(un, ref U, n2 + at, gs);
            }
        }
    }

    private ref struct BackwardKernel : IUnitKernel
    {
        public ref float X;
        public ref float U;
        public ref float HPrev;
        public ref float DOut;
        public bool HasDOut;
        public ref float Dh;
        public nint Hidden;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Run<TOps, TV>(nint j)
            where TOps : ISimdOps<TV>
            where TV : struct
        {
            var n2 = 2 * Hidden;
            var one = TOps.Broadcast(1f);
            var r = TOps.Load(ref X, j);
            var z = TOps.Load(ref X, Hidden + j);
            var n = TOps.Load(ref X, n2 + j);
            var un = TOps.Load(ref U, n2 + j);
            var dh = TOps.Load(ref Dh, j);
            if (HasDOut)
            {
                dh = TOps.Add(dh, TOps.Load(ref DOut, j));
            }

            // h' = n + z (h - n):  dn = dh (1 - z),  dz = dh (h - n),  dh_prev gets dh z directly.
            var dnPre = TOps.Multiply(TOps.Multiply(dh, TOps.Subtract(one, z)), TOps.Subtract(one, TOps.Multiply(n, n)));
            var dzPre = TOps.Multiply(TOps.Multiply(dh, TOps.Subtract(TOps.Load(ref HPrev, j), n)), TOps.Multiply(z, TOps.Subtract(one, z)));
            var drPre = TOps.Multiply(TOps.Multiply(dnPre, un), TOps.Multiply(r, TOps.Subtract(one, r)));
            TOps.Store(drPre, ref X, j);
            TOps.Store(dzPre, ref X, Hidden + j);
            TOps.Store(dnPre, ref X, n2 + j);
            TOps.Store(drPre, ref U, j);
            TOps.Store(dzPre, ref U, Hidden + j);
            TOps.Store(TOps.Multiply(dnPre, r), ref U, n2 + j);
            TOps.Store(TOps.Multiply(dh, z), ref Dh, j);
        }
    }
}
