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
    // (S. L. Moshier, Cephes Math Library, expf.c). The clamp bounds are chosen for what the exponent-field
    // scale does at the ends: at ExpHigh, n = 128 builds +∞ (so large x overflows to +∞ as float exp does),
    // at ExpLow, n = -127 builds +0 (so very negative x flushes to 0 rather than sticking at 2^-126).
    private const float ExpHigh = 88.7228394f;
    private const float ExpLow = -88f;
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f;
    private const float P1 = 1.3981999507e-3f;
    private const float P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f;
    private const float P4 = 1.6666665459e-1f;
    private const float P5 = 5.0000001201e-1f;

    // tanh: Eigen's rational approximation x·P(x²)/Q(x²) (Eigen, GenericPacketMathFunctions.h,
    // generic_fast_tanh_float). Below TanhSaturation the rational stays within [-1, 1] (beyond it, it
    // overshoots 1 by up to 2 ulp, which would make 1 - tanh² negative); from there on the result is ±1,
    // within 2.7e-7 of tanh and exactly float tanh from |x| ≥ 9.01.
    private const float TanhSaturation = 7.90531110763549805f;
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

    /// <summary>e^x.</summary>
    /// <remarks>
    /// Measured against float64 <see cref="Math.Exp(double)"/> on a dense grid (see SimdMathTests), with or
    /// without FMA: relative error ≤ 1.2e-7 (1 ulp) where e^x is a normal float, x ∈ [-87.33, 88.37]. Edges:
    /// x ≥ 88.3763 (including +∞) gives +∞, slightly before float's own overflow at 88.7228 (the exponent field
    /// cannot hold 2^128 for the last half-binade); between -87.68 and -87.34 results are subnormal (absolute
    /// error ≤ 2^-149), and x &lt; -87.6835 (including -∞) flushes to +0 (absolute error ≤ 8.4e-39). e^±0 = 1.
    /// NaN gives NaN.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp<TOps, TV>(TV x)
        where TOps : ISimdOps<TV>
        where TV : struct
    {
        // The bound is the first operand of Max/Min: x86's minps/maxps return the second operand when either
        // is NaN, so a NaN x passes through (on Arm, fmin/fmax propagate NaN anyway).
        x = TOps.Min(TOps.Broadcast(ExpHigh), TOps.Max(TOps.Broadcast(ExpLow), x));
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

        // n ∈ [-127, 128]: 2^n is built in the exponent field, where -127 is +0 and 128 is +∞ (see above).
        // A NaN n (from a NaN x) scales by some finite power of two, leaving the NaN in p.
        return TOps.ScaleByPowerOfTwo(p, n);
    }

    /// <summary>σ(x) = 1 / (1 + e^-x).</summary>
    /// <remarks>
    /// Measured against float64 (see SimdMathTests): absolute error ≤ 9e-8 everywhere; relative error ≤ 2e-7
    /// where σ(x) is a normal float (x ≥ -87.3). σ(+∞) = 1, σ(-∞) = 0, σ(x) ∈ [0, 1] always; x ≤ -88.38
    /// gives 0 (the exact value is below 4e-39). NaN gives NaN.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Sigmoid<TOps, TV>(TV x)
        where TOps : ISimdOps<TV>
        where TV : struct
    {
        var one = TOps.Broadcast(1f);
        return TOps.Divide(one, TOps.Add(one, Exp<TOps, TV>(TOps.Subtract(default, x))));
    }

    /// <summary>tanh(x).</summary>
    /// <remarks>
    /// Measured against float64 <see cref="Math.Tanh(double)"/> (see SimdMathTests): absolute and relative
    /// error ≤ 3e-7 with FMA, ≤ 4e-7 without (about 5 ulp near ±1, 2 ulp near 0, exact for subnormal x);
    /// never beyond ±1, and exactly ±1 for |x| ≥ 7.9053 (including ±∞). tanh(±0) = ±0. NaN gives NaN.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Tanh<TOps, TV>(TV x)
        where TOps : ISimdOps<TV>
        where TV : struct
    {
        var x2 = TOps.Multiply(x, x);
        var p = TOps.MultiplyAdd(x2, TOps.Broadcast(Alpha13), TOps.Broadcast(Alpha11));
        p = TOps.MultiplyAdd(x2, p, TOps.Broadcast(Alpha9));
        p = TOps.MultiplyAdd(x2, p, TOps.Broadcast(Alpha7));
        p = TOps.MultiplyAdd(x2, p, TOps.Broadcast(Alpha5));
        p = TOps.MultiplyAdd(x2, p, TOps.Broadcast(Alpha3));
        p = TOps.MultiplyAdd(x2, p, TOps.Broadcast(Alpha1));
        var q = TOps.MultiplyAdd(x2, TOps.Broadcast(Beta6), TOps.Broadcast(Beta4));
        q = TOps.MultiplyAdd(x2, q, TOps.Broadcast(Beta2));
        q = TOps.MultiplyAdd(x2, q, TOps.Broadcast(Beta0));

        // x · (P/Q) rather than (x·P)/Q: P/Q is near 1 for small x, so a subnormal x is returned exactly
        // instead of losing bits in x·α1 ≈ 0.005·x.
        var y = TOps.Multiply(x, TOps.Divide(p, q));

        // Past the saturation point the rational is discarded (for huge x it is ∞/∞ = NaN). A NaN x makes
        // the condition false and keeps y, which is NaN.
        return TOps.SelectPositive(TOps.Subtract(TOps.Abs(x), TOps.Broadcast(TanhSaturation)), TOps.CopySign(TOps.Broadcast(1f), x), y);
    }
}
