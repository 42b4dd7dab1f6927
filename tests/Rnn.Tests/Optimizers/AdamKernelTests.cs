using Rnn.Kernels;
using Rnn.Optimizers;

namespace Rnn.Tests.Optimizers;

public class AdamKernelTests
{
    public static TheoryData<int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var width in UnitLoop.Supported)
        {
            foreach (var length in new[] { 1, 5, 17, 100, 1000 })
            {
                for (var variant = 0; variant < 4; variant++)
                {
                    data.Add((int)width, length, variant);
                }
            }
        }

        return data;
    }

    /// <summary>
    /// The one-pass kernel, with the scalars Adam derives for it (<c>AdamKernel.Scalars.For</c>), gives the bits of
    /// PyTorch's Adam spelled out one tensor operation at a time (the form the
    /// PyTorch golden tests check), over three steps: plain, coupled weight decay (Adam), decoupled (AdamW), and a
    /// β1 below ½, which takes lerp's other branch.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Step_EqualsTheOperationByOperationUpdate(int simdWidth, int length, int variant)
    {
        var (beta1, weightDecay, decoupled) = variant switch
        {
            0 => (0.9f, 0f, false),
            1 => (0.9f, 0.01f, false),
            2 => (0.9f, 0.1f, true),
            _ => (0.3f, 0f, false),
        };
        const float Lr = 0.01f, Beta2 = 0.999f, Eps = 1e-8f;
        var random = new Random((length * 10) + variant);
        float[] Values(double scale) => [.. Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() - 0.5) * scale))];
        float[] p1 = Values(2), m1 = new float[length], v1 = new float[length];
        float[] p2 = [.. p1], m2 = new float[length], v2 = new float[length];
        for (var step = 1; step <= 3; step++)
        {
            var grad = Values(step);

            // Reference: one TensorPrimitives pass per operation, as Adam.Update does for amsgrad.
            ReadOnlySpan<float> g = grad;
            var temporary = new float[length];
            var denom = new float[length];
            if (weightDecay != 0f)
            {
                if (decoupled)
                {
                    TorchOps.Mul(p1, 1.0 - ((double)Lr * weightDecay));
                }
                else
                {
                    var decayed = new float[length];
                    TorchOps.Add(grad, p1, weightDecay, decayed);
                    g = decayed;
                }
            }

            TorchOps.Lerp(m1, g, 1.0 - beta1, temporary);
            TorchOps.Mul(v1, Beta2);
            TorchOps.AddCMul(v1, g, g, 1.0 - Beta2, v1, temporary);
            var stepSize = Lr / (1 - Math.Pow(beta1, step));
            TorchOps.Sqrt(v1, denom);
            TorchOps.Div(denom, Math.Sqrt(1 - Math.Pow(Beta2, step)));
            TorchOps.Add(denom, Eps);
            TorchOps.AddCDiv(p1, m1, denom, -stepSize, temporary);

            var scalars = AdamKernel.Scalars.For(Lr, beta1, Beta2, Eps, weightDecay, decoupled, step);
            AdamKernel.Step(p2, grad, m2, v2, scalars, (SimdWidth)simdWidth);

            Assert.Equal(m1, m2);
            Assert.Equal(v1, v2);
            Assert.Equal(p1, p2);
        }
    }
}
