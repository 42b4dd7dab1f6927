using Rnn.Kernels;

namespace Rnn.Tests.Kernels;

public class SimdMathTests
{
    [Fact]
    public void Exp_Scalar_MatchesMathExp()
    {
        for (var x = -80f; x < 80f; x += 0.37f)
        {
            var expected = Math.Exp(x);
            var actual = SimdMath.Exp<SimdScalar, float>(x);
            Assert.True(Math.Abs(actual - expected) <= 3e-7 * expected, $"exp({x}) = {actual}, expected {expected}");
        }
    }
}
