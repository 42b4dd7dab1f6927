using System.Globalization;
using Rnn.Optimizers;

namespace Rnn.Tests.Optimizers;

/// <summary>
/// Every optimizer option, clipping mode and schedule follows the float64 statement of PyTorch's
/// algorithms; steps allocate nothing once state exists; and the ATen operations the optimizers are
/// written in round as stated, at every length (vector blocks and tails).
/// </summary>
public class OptimizerMatchesReferenceTests
{
    /// <summary>float32 against float64 over 20 steps, as a fraction of max(1, largest |θ|); measured worst 7.2e-7.</summary>
    private const double ReferenceTolerance = 2e-6;

    [Theory]
    [MemberData(nameof(OptimizerCases.Names), MemberType = typeof(OptimizerCases))]
    public void Optimizer_MatchesFloat64Reference(string name)
    {
        var random = new Random(name.Length * 7919);
        var optimizer = OptimizerCases.Create(name);
        var parameters = OptimizerCases.CreateParameters(random);
        var gradients = OptimizerCases.Gradients(random, parameters, steps: 20);
        var reference = new ReferenceOptimizer(optimizer, [.. parameters.Select(p => p.Length)]);
        var expected = parameters.Select(p => TestUtil.ToDoubles(p.Data)).ToArray();

        for (var k = 0; k < gradients.Length; k++)
        {
            OptimizerCases.Step(optimizer, parameters, gradients[k]);
            reference.Step(expected, [.. gradients[k].Select(g => TestUtil.ToDoubles(g))]);
            for (var j = 0; j < parameters.Length; j++)
            {
                TestUtil.AssertClose(expected[j], parameters[j].Data, ReferenceTolerance, $"{name}, step {k}, parameter {j}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(OptimizerCases.Names), MemberType = typeof(OptimizerCases))]
    public void Step_AllocatesNothing_AfterTheFirst(string name)
    {
        var random = new Random(3);
        var optimizer = OptimizerCases.Create(name);
        var parameters = OptimizerCases.CreateParameters(random);
        var gradients = OptimizerCases.Gradients(random, parameters, steps: 6);
        OptimizerCases.Step(optimizer, parameters, gradients[0]);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var k = 1; k < gradients.Length; k++)
        {
            OptimizerCases.Step(optimizer, parameters, gradients[k]);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void TorchOps_RoundAsLibTorchKernels_AtEveryLength()
    {
        var random = new Random(11);
        for (var n = 1; n <= 70; n++)
        {
            var self = TestUtil.ToFloats(TestUtil.RandomArray(random, n));
            var other = TestUtil.ToFloats(TestUtil.RandomArray(random, n));
            var positive = self.Select(x => MathF.Abs(x) + 0.25f).ToArray();
            var result = new float[n];
            var temporary = new float[n];
            const double Alpha = 0.0123456789;
            const double Value = -0.001234567;

            TorchOps.Add(self, other, Alpha, result);
            AssertEach(n, "add(alpha)", result, i => MathF.FusedMultiplyAdd(other[i], (float)Alpha, self[i]));

            foreach (var weight in new[] { 0.1, 0.7 })
            {
                var lerp = (float[])self.Clone();
                TorchOps.Lerp(lerp, other, weight, temporary);
                var w = (float)weight;
                AssertEach(n, $"lerp({weight})", lerp, i => w < 0.5f
                    ? MathF.FusedMultiplyAdd(w, other[i] - self[i], self[i])
                    : MathF.FusedMultiplyAdd(w - 1, other[i] - self[i], other[i]));
            }

            TorchOps.AddCMul(self, other, positive, Value, result, temporary);
            AssertEach(n, "addcmul", result, i => MathF.FusedMultiplyAdd((float)Value * other[i], positive[i], self[i]));

            var addcdiv = (float[])self.Clone();
            TorchOps.AddCDiv(addcdiv, other, positive, Value, temporary);
            AssertEach(n, "addcdiv", addcdiv, i => self[i] + ((float)Value * other[i] / positive[i]));

            var divided = (float[])positive.Clone();
            TorchOps.Div(divided, 0.987654321);
            AssertEach(n, "div", divided, i => positive[i] / (float)0.987654321);

            TorchOps.Sqrt(positive, result);
            AssertEach(n, "sqrt", result, i => MathF.Sqrt(positive[i]));
        }
    }

    private static void AssertEach(int n, string what, float[] actual, Func<int, float> expected)
    {
        for (var i = 0; i < n; i++)
        {
            var e = expected(i);
            Assert.True(
                BitConverter.SingleToInt32Bits(e) == BitConverter.SingleToInt32Bits(actual[i]),
                string.Create(CultureInfo.InvariantCulture, $"{what}, length {n}, element {i}: expected {e:R}, got {actual[i]:R}."));
        }
    }
}
