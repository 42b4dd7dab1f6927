using Rnn.Layers;
using Rnn.Optimizers;

namespace Rnn.Tests.Optimizers;

/// <summary>
/// Clipping happens in place, in Step, before the update: by value (Keras clipvalue, clip_grad_value_),
/// by each parameter's norm (Keras clipnorm, clip_grad_norm_ per parameter) or by the joint norm
/// (Keras global_clipnorm, clip_grad_norm_), with PyTorch's factor min(1, c / (‖g‖ + 1e-6)).
/// </summary>
public class GradientClippingTests
{
    [Fact]
    public void ClipValue_ClampsEveryElement_BeforeTheUpdate()
    {
        var (a, b) = (Make([0.3f, -2f, 5f]), Make([-0.7f]));
        var sgd = new Sgd(learningRate: 1f) { ClipValue = 0.5f };

        sgd.Step([a, b]);

        Assert.Equal([0.3f, -0.5f, 0.5f], a.Grad);
        Assert.Equal([-0.5f], b.Grad);
        Assert.Equal([-0.3f, 0.5f, -0.5f], a.Data);
        Assert.Equal([0.5f], b.Data);
    }

    [Fact]
    public void ClipNorm_ScalesEachParameterByItsOwnNorm()
    {
        var (a, b) = (Make([3f, 4f]), Make([0.6f, 0.8f]));
        var sgd = new Sgd(learningRate: 1f) { ClipNorm = 2f };

        sgd.Step([a, b]);

        var coefficient = (1f / (5f + 1e-6f)) * 2f;
        Assert.Equal([3f * coefficient, 4f * coefficient], a.Grad);
        Assert.Equal([0.6f, 0.8f], b.Grad);
    }

    [Fact]
    public void GlobalClipNorm_ScalesAllParametersByOneFactor()
    {
        var (a, b) = (Make([3f, 0f]), Make([0f, 4f]));
        var sgd = new Sgd(learningRate: 1f) { GlobalClipNorm = 1f };

        sgd.Step([a, b]);

        var coefficient = (1f / (5f + 1e-6f)) * 1f;
        Assert.Equal([3f * coefficient, 0f], a.Grad);
        Assert.Equal([0f, 4f * coefficient], b.Grad);
        Assert.Equal(-3f * coefficient, a.Data[0]);
    }

    [Fact]
    public void GlobalClipNorm_LeavesGradientsWithinTheNormUntouched()
    {
        var values = TestUtil.ToFloats(TestUtil.RandomArray(new Random(5), 100, 0.05));
        var a = Make(values);
        var sgd = new Sgd { GlobalClipNorm = 1f };

        sgd.Step([a]);

        Assert.Equal(values, a.Grad);
    }

    [Fact]
    public void GlobalClipNorm_NormIsCorrectlyRounded_ForLongGradients()
    {
        var random = new Random(8);
        var values = TestUtil.ToFloats(TestUtil.RandomArray(random, 100_003));
        var a = Make(values);
        var sgd = new Sgd { GlobalClipNorm = 1f };

        sgd.Step([a]);

        var norm = (float)Math.Sqrt(values.Sum(v => (double)v * v));
        var coefficient = (1f / (norm + 1e-6f)) * 1f;
        Assert.Equal(values.Select(v => v * coefficient), a.Grad);
    }

    [Fact]
    public void ClipNorm_PropagatesNaN_AsPyTorchDoes()
    {
        var a = Make([float.NaN, 1f]);
        var sgd = new Sgd { ClipNorm = 1f };

        sgd.Step([a]);

        Assert.All(a.Grad, g => Assert.True(float.IsNaN(g)));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void ClipSettings_ThrowForValuesThatAreNotPositiveAndFinite(float value)
    {
        var sgd = new Sgd();
        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => sgd.ClipNorm = value);
        Assert.StartsWith($"Optimizer 'sgd' expects ClipNorm to be a positive, finite number (or null for none) but received {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}.", exception.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.ClipValue = value);
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.GlobalClipNorm = value);
    }

    [Fact]
    public void ClipSettings_AtMostOneAtATime()
    {
        var adam = new Adam { ClipNorm = 1f };

        var exception = Assert.Throws<InvalidOperationException>(() => adam.ClipValue = 0.5f);

        Assert.Equal("Optimizer 'adam': cannot set ClipValue while ClipNorm is set; at most one clipping option may be set (set ClipNorm to null first).", exception.Message);
        adam.ClipNorm = null;
        adam.ClipValue = 0.5f;
        Assert.Equal(0.5f, adam.ClipValue);
        adam.ClipValue = 0.25f;
        Assert.Equal(0.25f, adam.ClipValue);
    }

    private static Parameter Make(float[] gradient)
    {
        var parameter = new Parameter("p", gradient.Length);
        gradient.CopyTo(parameter.Grad, 0);
        return parameter;
    }
}
