using Rnn.Serialization;

namespace GoldenGenerator;

/// <summary>
/// Checks a written golden file, read back with our own reader, against the float64 reference:
/// forward outputs must agree to float32 accuracy, and sampled gradient entries must agree with
/// central finite differences of the reference loss.
/// </summary>
internal static class Verification
{
    private const double ForwardTolerance = 1e-5;
    private const double GradientTolerance = 1e-4;
    private const int SamplesPerGradient = 4;

    public static (double ForwardError, double GradientError) Check(GoldenCase c, string path)
    {
        var file = SafeTensors.Read(path);
        var t = file.Tensors.ToDictionary(x => x.Name, x => Array.ConvertAll(x.Data, v => (double)v));

        var (output, hN, cN) = ReferenceRnn.Forward(c, t);
        var forwardError = Math.Max(MaxAbsDiff(output, t["output"]), MaxAbsDiff(hN, t["h_n"]));
        if (cN is not null)
        {
            forwardError = Math.Max(forwardError, MaxAbsDiff(cN, t["c_n"]));
        }

        if (forwardError > ForwardTolerance)
        {
            throw new InvalidOperationException($"{c.Name}: PyTorch's forward differs from the float64 reference by {forwardError}.");
        }

        var random = new Random((int)c.Seed);
        var gradientError = 0.0;
        foreach (var gradName in t.Keys.Where(k => k.StartsWith("grad.", StringComparison.Ordinal)).ToList())
        {
            var target = t[gradName["grad.".Length..]];
            for (var s = 0; s < SamplesPerGradient; s++)
            {
                var index = random.Next(target.Length);
                var saved = target[index];
                var eps = 1e-6 * Math.Max(1, Math.Abs(saved));
                target[index] = saved + eps;
                var plus = ReferenceRnn.Loss(c, t);
                target[index] = saved - eps;
                var minus = ReferenceRnn.Loss(c, t);
                target[index] = saved;
                var numeric = (plus - minus) / (2 * eps);
                var error = Math.Abs(numeric - t[gradName][index]) / Math.Max(1, Math.Abs(numeric));
                if (error > GradientTolerance)
                {
                    throw new InvalidOperationException($"{c.Name}: {gradName}[{index}] is {t[gradName][index]}, finite differences give {numeric}.");
                }

                gradientError = Math.Max(gradientError, error);
            }
        }

        return (forwardError, gradientError);
    }

    private static double MaxAbsDiff(double[] a, double[] b)
    {
        if (a.Length != b.Length)
        {
            throw new InvalidOperationException($"length {a.Length} vs {b.Length}");
        }

        var max = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }
}
