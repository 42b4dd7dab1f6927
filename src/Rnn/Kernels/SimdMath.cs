using System.Runtime.CompilerServices;

namespace Rnn.Kernels;

/// <summary>
/// Float exp, sigmoid and tanh written once over <see cref="ISimdOps{TV}"/>, so fused gate kernels can
/// apply them to values still in registers. TensorPrimitives' versions work on spans only (and go
/// through double-precision exp), so they cannot be fused into a gate kernel.
/// </summary>
internal static class SimdMath
{
    // exp: Cody–Waite range reduction x = n·ln2 + r, |r| ≤ ln2/2, then Cephes expf's minimax
    // polynomial e^r ≈ 1 + r + r²·P(r), and scaling by 2^n in the exponent field
    // (S. L. Moshier, Cephes Math Library, expf.c).
    private const float ExpHigh = 88.3762626647949f;
    private const float ExpLow = -87.3365447504019f;
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f;
    private const float P1 = 1.3981999507e-3f;
    private const float P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f;
    private const float P4 = 1.6666665459e-1f;
    private const float P5 = 5.0000001201e-1f;

    // tanh: Eigen's rational approximation x·P(x²)/Q(x²) on [-7.9053, 7.9053], where float tanh
    // rounds to ±1 (Eigen, GenericPacketMathFunctions.h, generic_fast_tanh_float).
    private const float TanhClamp = 7.90531110763549805f;
    private const float Alpha1 = 4.89352455891786e-03f;
    private const float Alpha3 = 6.37261928875436e-04f;
    private const float Alpha5 = 1.48572235717979e-05f;
    private const float Alpha7 = 5.12229709037114e-08f;
    private const float Alpha9 = -8.60467152213735e-11f;
    private const float Alpha11 = 2.00018790482477e-13f;
    private const float Alpha13 = -2.76076847742355e-16f;
    private const float Beta0 = 4.89352518554385e-03f;
    private const float Beta2 = 2.26843463243900e-03f;
    private const float Beta4 = 1.18534705686654e-04f;
    private const float Beta6 = 1.19825839466702e-06f;

    /// <summary>e^x, relative error about 2e-7 over the float range (saturating outside it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp<TOps, TV>(TV x)
        where TOps : ISimdOps<TV>
        where TV : struct
    {
        x = TOps.Min(TOps.Max(x, TOps.Broadcast(ExpLow)), TOps.Broadcast(ExpHigh));
        var n = TOps.Round(TOps.Multiply(x, TOps.Broadcast(Log2E)));
        var r = TOps.MultiplyAdd(n, TOps.Broadcast(-Ln2Hi), x);
        r = TOps.MultiplyAdd(n, TOps.Broadcast(-Ln2Lo), r);
        var p = TOps.MultiplyAdd(TOps.Broadcast(P0), r, TOps.Broadcast(P1));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(P2));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(P3));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(P4));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(P5));
        var r2 = TOps.Multiply(r, r);
        p = TOps.MultiplyAdd(p, r2, TOps.Add(r, TOps.Broadcast(1f)));
        // n is in [-126, 127] after the clamp, so 2^n is a normal float.
        return TOps.ScaleByPowerOfTwo(p, n);
    }

    /// <summary>σ(x) = 1 / (1 + e^-x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Sigmoid<TOps, TV>(TV x)
        where TOps : ISimdOps<TV>
        where TV : struct
    {
        var one = TOps.Broadcast(1f);
        return TOps.Divide(one, TOps.Add(one, Exp<TOps, TV>(TOps.Subtract(default, x))));
    }

    /// <summary>tanh(x), within a few ulp of the correctly rounded value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Tanh<TOps, TV>(TV x)
        where TOps : ISimdOps<TV>
        where TV : struct
    {
        x = TOps.Min(TOps.Max(x, TOps.Broadcast(-TanhClamp)), TOps.Broadcast(TanhClamp));
        var x2 = TOps.Multiply(x, x);
        var p = TOps.MultiplyAdd(x2, TOps.Broadcast(Alpha13), TOps.Broadcast(Alpha11));
        p = TOps.MultiplyAdd(x2, p, TOps.Broadcast(Alpha9));
        p = TOps.MultiplyAdd(x2, p, TOps.Broadcast(Alpha7));
        p = TOps.MultiplyAdd(x2, p, TOps.Broadcast(Alpha5));
        p = TOps.MultiplyAdd(x2, p, TOps.Broadcast(Alpha3));
        p = TOps.MultiplyAdd(x2, p, TOps.Broadcast(Alpha1));
        p = TOps.Multiply(x, p);
        var q = TOps.MultiplyAdd(x2, TOps.Broadcast(Beta6), TOps.Broadcast(Beta4));
        q = TOps.MultiplyAdd(x2, q, TOps.Broadcast(Beta2));
        q = TOps.MultiplyAdd(x2, q, TOps.Broadcast(Beta0));
        return TOps.Divide(p, q);
    }
}
