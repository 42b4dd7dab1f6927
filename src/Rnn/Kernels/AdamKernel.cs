using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rnn.Kernels;

/// <summary>
/// One Adam (or AdamW) update of a parameter in a single pass over its arrays. It performs, element by element,
/// exactly the float operations of PyTorch's single-tensor Adam as <c>Optimizers.Adam</c> spells them out with
/// TensorPrimitives (one pass per operation), so the bits are the same; reading each array once instead of about
/// a dozen times is what makes it faster (the update was a sixth of a streaming LSTM training step).
/// </summary>
/// <remarks>
/// Per element, with the scalars already rounded to float as the op-by-op form rounds them:
/// <code>
/// g = decay ? fma(p, wd, g) : g          (coupled weight decay: grad.add(param, alpha=wd))
/// p = p · (1 − lr·wd)                    (decoupled, AdamW: param.mul_)
/// m = lerp(m, g, 1 − β1)                 (t = g − m; |w| &lt; ½ ? fma(t, w, m) : fma(t, w − 1, g))
/// v = fma(g · (1 − β2), g, v · β2)       (exp_avg_sq.mul_(β2).addcmul_(g, g, value=1 − β2))
/// p = p + (m · (−step)) / (√v / √bc2 + ε)
/// </code>
/// </remarks>
internal static class AdamKernel
{
    /// <summary>Updates <paramref name="param"/>, <paramref name="expAvg"/> and <paramref name="expAvgSq"/> in place.</summary>
    /// <param name="param">The parameter p.</param>
    /// <param name="grad">Its gradient g.</param>
    /// <param name="expAvg">First moment m.</param>
    /// <param name="expAvgSq">Second moment v.</param>
    /// <param name="scalars">The step's scalars.</param>
    /// <param name="width">Widest SIMD width to use.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Step(Span<float> param, ReadOnlySpan<float> grad, Span<float> expAvg, Span<float> expAvgSq, in Scalars scalars, SimdWidth width)
    {
        Debug.Assert(grad.Length == param.Length && expAvg.Length == param.Length && expAvgSq.Length == param.Length);
        var kernel = new Kernel
        {
            P = ref MemoryMarshal.GetReference(param),
            G = ref MemoryMarshal.GetReference(grad),
            M = ref MemoryMarshal.GetReference(expAvg),
            V = ref MemoryMarshal.GetReference(expAvgSq),
            S = scalars,
        };
        UnitLoop.Run(ref kernel, 0, param.Length, width);
    }

    /// <summary>
    /// <see cref="Step"/> on the worker pool's threads for large parameters: the update streams about 28 bytes per
    /// element through memory, and two cores stream more than one (a 256 × 1024 W_hh with its moments is 4 MB).
    /// One job per optimizer, reused, so a step allocates nothing. Each element is updated by the same operations
    /// whatever the split, so the bits do not depend on the number of threads.
    /// </summary>
    internal sealed class Job : IWorkerJob
    {
        /// <summary>Below this many elements one thread updates (a fork costs about a microsecond; 64k elements take about 30).</summary>
        internal const int ParallelElements = 64 * 1024;

        private float[] _param = [];
        private float[] _grad = [];
        private float[] _expAvg = [];
        private float[] _expAvgSq = [];
        private Scalars _scalars;
        private SimdWidth _width;

        /// <summary>
        /// Updates the arrays as <see cref="Step"/> does, on up to <paramref name="workers"/> threads of the shared pool (or one,
        /// when <paramref name="tuner"/> has measured that one is faster).
        /// </summary>
        public void Run(WorkerTuner tuner, float[] param, float[] grad, float[] expAvg, float[] expAvgSq, in Scalars scalars, SimdWidth width, int workers)
        {
            if (workers <= 1 || param.Length < ParallelElements)
            {
                Step(param, grad, expAvg, expAvgSq, scalars, width);
                return;
            }

            (_param, _grad, _expAvg, _expAvgSq, _scalars, _width) = (param, grad, expAvg, expAvgSq, scalars, width);
            try
            {
                tuner.Run(WorkerPool.Shared, this, workers, param.Length, steps: 1);
            }
            finally
            {
                (_param, _grad, _expAvg, _expAvgSq) = ([], [], [], []);
            }
        }

        /// <summary>Elements [start, end) of worker <paramref name="worker"/>: equal shares, cut at multiples of 16 floats (whole cache lines).</summary>
        public void Execute(int worker, int workers)
        {
            var (start, end) = WorkerPool.EqualPart(_param.Length, worker, workers, multiple: 16);
            Step(
                _param.AsSpan(start, end - start), _grad.AsSpan(start, end - start), _expAvg.AsSpan(start, end - start), _expAvgSq.AsSpan(start, end - start),
                _scalars, _width);
        }
    }

    /// <summary>The scalars of one step, each rounded to float where the op-by-op form rounds it.</summary>
    internal readonly record struct Scalars(
        bool CoupledDecay, float WeightDecay, bool DecoupledDecay, float DecayFactor,
        float LerpWeight, float Beta2, float OneMinusBeta2, float BiasCorrection2Sqrt, float Epsilon, float NegativeStepSize)
    {
        /// <summary>The scalars of step <paramref name="step"/> (1 for the first update), computed in double as PyTorch does.</summary>
        /// <param name="lr">Learning rate of this step.</param>
        /// <param name="beta1">β1.</param>
        /// <param name="beta2">β2.</param>
        /// <param name="epsilon">ε.</param>
        /// <param name="weightDecay">λ, or 0.</param>
        /// <param name="decoupled">AdamW's decay of the parameter rather than Adam's L2 term in the gradient.</param>
        /// <param name="step">Updates made so far, this one included.</param>
        public static Scalars For(float lr, float beta1, float beta2, float epsilon, float weightDecay, bool decoupled, long step)
        {
            double t = step;
            return new Scalars(
                CoupledDecay: weightDecay != 0f && !decoupled,
                WeightDecay: weightDecay,
                DecoupledDecay: weightDecay != 0f && decoupled,
                DecayFactor: (float)(1.0 - ((double)lr * weightDecay)),
                LerpWeight: (float)(1.0 - beta1),
                Beta2: beta2,
                OneMinusBeta2: (float)(1.0 - beta2),
                BiasCorrection2Sqrt: (float)Math.Sqrt(1 - Math.Pow(beta2, t)),
                Epsilon: epsilon,
                NegativeStepSize: (float)-(lr / (1 - Math.Pow(beta1, t))));
        }
    }

    private ref struct Kernel : IUnitKernel
    {
        public ref float P;
        public ref float G;
        public ref float M;
        public ref float V;
        public Scalars S;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Run<TOps, TV>(nint j)
            where TOps : ISimdOps<TV>
            where TV : struct
        {
            var p = TOps.Load(ref P, j);
            var g = TOps.Load(ref G, j);
            if (S.CoupledDecay)
            {
                g = TOps.FusedMultiplyAdd(p, TOps.Broadcast(S.WeightDecay), g);
            }

            if (S.DecoupledDecay)
            {
                p = TOps.Multiply(p, TOps.Broadcast(S.DecayFactor));
            }

            var m = TOps.Load(ref M, j);
            var t = TOps.Subtract(g, m);
            m = MathF.Abs(S.LerpWeight) < 0.5f
                ? TOps.FusedMultiplyAdd(t, TOps.Broadcast(S.LerpWeight), m)
                : TOps.FusedMultiplyAdd(t, TOps.Broadcast(S.LerpWeight - 1f), g);
            var v = TOps.Multiply(TOps.Load(ref V, j), TOps.Broadcast(S.Beta2));
            v = TOps.FusedMultiplyAdd(TOps.Multiply(g, TOps.Broadcast(S.OneMinusBeta2)), g, v);
            var denominator = TOps.Add(TOps.Divide(TOps.Sqrt(v), TOps.Broadcast(S.BiasCorrection2Sqrt)), TOps.Broadcast(S.Epsilon));
            p = TOps.Add(p, TOps.Divide(TOps.Multiply(m, TOps.Broadcast(S.NegativeStepSize)), denominator));
            TOps.Store(m, ref M, j);
            TOps.Store(v, ref V, j);
            TOps.Store(p, ref P, j);
        }
    }
}
