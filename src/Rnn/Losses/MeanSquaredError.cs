using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rnn.Losses;

/// <summary>
/// Mean squared error: per sample-step <c>ℓ = (1/k) Σ_i (p_i - y_i)²</c>, then the mean over sample-steps, so
/// the mean of all squared errors; <c>dℓ/dp_i = 2 (p_i - y_i) / k</c>. Keras's <c>mean_squared_error</c>.
/// </summary>
/// <remarks>Use <see cref="Loss.MeanSquaredError"/> for the shared instance.</remarks>
public sealed class MeanSquaredError : Loss
{
    /// <summary>Creates the loss.</summary>
    public MeanSquaredError()
        : base("mean_squared_error")
    {
    }

    /// <remarks>
    /// Eight errors at a time (Vector256, whatever the machine's widest vector, so the loss has the same bits everywhere):
    /// the gradient is the same float product as one at a time, and the squares are summed in double, in eight
    /// independent sums that are added at the end in a fixed order.
    /// </remarks>
    private protected override double RowLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> gradient, float scale, int targetIndex, bool binaryTargets)
    {
        var length = prediction.Length;
        var factor = 2f * scale / length;
        ref var p = ref MemoryMarshal.GetReference(prediction);
        ref var y = ref MemoryMarshal.GetReference(target);
        ref var g = ref MemoryMarshal.GetReference(gradient);
        var store = !gradient.IsEmpty;
        var factors = Vector256.Create(factor);
        Vector256<double> sumLow = default, sumHigh = default;
        var finite = Vector256<float>.Zero;
        var i = 0;
        for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var t = Vector256.LoadUnsafe(ref y, (nuint)i);
            finite |= t - t; // 0 where finite, NaN where not
            var error = Vector256.LoadUnsafe(ref p, (nuint)i) - t;
            var (low, high) = Vector256.Widen(error);
            sumLow += low * low;
            sumHigh += high * high;
            if (store)
            {
                (factors * error).StoreUnsafe(ref g, (nuint)i);
            }
        }

        if (!Vector256.EqualsAll(finite, Vector256<float>.Zero))
        {
            for (var j = 0; j < i; j++)
            {
                CheckFinite(target[j], targetIndex + j);
            }
        }

        var sum = Total(sumLow) + Total(sumHigh);
        for (; i < length; i++)
        {
            CheckFinite(target[i], targetIndex + i);
            var error = prediction[i] - target[i];
            sum += (double)error * error;
            if (store)
            {
                gradient[i] = factor * error;
            }
        }

        return sum / length;
    }

    /// <summary>The lanes' sum in a fixed order (not Vector256.Sum, whose order may depend on the hardware).</summary>
    private static double Total(Vector256<double> lanes) => (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}
