using Rnn.Layers;
using Rnn.Optimizers;

namespace Rnn.Tests.Optimizers;

/// <summary>
/// Constructors and setters reject out-of-range hyperparameters with messages naming the optimizer, the
/// argument, the accepted range and the value received; Step rejects null parameters.
/// </summary>
public class OptimizerValidationTests
{
    public static TheoryData<Func<Optimizer>, string, string> OutOfRange() => new()
    {
        { () => new Sgd(learningRate: 0f), "value", "Optimizer 'sgd' expects a positive, finite learning rate but received 0." },
        { () => new Adam(learningRate: float.PositiveInfinity), "value", "Optimizer 'adam' expects a positive, finite learning rate but received Infinity." },
        { () => new Sgd(momentum: -0.1f), "momentum", "Optimizer 'sgd' expects momentum in [0, 1] but received -0.1." },
        { () => new Sgd(momentum: 0.9f, dampening: 1.5f), "dampening", "Optimizer 'sgd' expects dampening in [0, 1] but received 1.5." },
        { () => new Sgd(weightDecay: -1f), "weightDecay", "Optimizer 'sgd' expects weightDecay a finite value >= 0 but received -1." },
        { () => new Adam(beta1: 1f), "beta1", "Optimizer 'adam' expects beta1 in [0, 1) but received 1." },
        { () => new Adam(beta2: float.NaN), "beta2", "Optimizer 'adam' expects beta2 in [0, 1) but received NaN." },
        { () => new Adam(epsilon: -1e-8f), "epsilon", "Optimizer 'adam' expects epsilon a finite value >= 0 but received -1E-08." },
        { () => new AdamW(weightDecay: float.PositiveInfinity), "weightDecay", "Optimizer 'adamw' expects weightDecay a finite value >= 0 but received Infinity." },
        { () => new RmsProp(alpha: 1f), "alpha", "Optimizer 'rmsprop' expects alpha in [0, 1) but received 1." },
        { () => new RmsProp(momentum: 2f), "momentum", "Optimizer 'rmsprop' expects momentum in [0, 1] but received 2." },
        { () => new Adagrad(lrDecay: -0.5f), "lrDecay", "Optimizer 'adagrad' expects lrDecay a finite value >= 0 but received -0.5." },
        { () => new Adagrad(initialAccumulatorValue: -0.1f), "initialAccumulatorValue", "Optimizer 'adagrad' expects initialAccumulatorValue a finite value >= 0 but received -0.1." },
        { () => new NAdam(learningRate: -0.002f), "value", "Optimizer 'nadam' expects a positive, finite learning rate but received -0.002." },
        { () => new NAdam(beta1: -0.1f), "beta1", "Optimizer 'nadam' expects beta1 in [0, 1) but received -0.1." },
        { () => new NAdam(beta2: 1f), "beta2", "Optimizer 'nadam' expects beta2 in [0, 1) but received 1." },
        { () => new NAdam(epsilon: 0f), "epsilon", "Optimizer 'nadam' expects epsilon a finite value > 0 but received 0." },
        { () => new NAdam(weightDecay: -0.01f), "weightDecay", "Optimizer 'nadam' expects weightDecay a finite value >= 0 but received -0.01." },
        { () => new NAdam(momentumDecay: -0.004f), "momentumDecay", "Optimizer 'nadam' expects momentumDecay a finite value >= 0 but received -0.004." },
        { () => new RAdam(learningRate: 0f), "value", "Optimizer 'radam' expects a positive, finite learning rate but received 0." },
        { () => new RAdam(beta1: 1.5f), "beta1", "Optimizer 'radam' expects beta1 in [0, 1) but received 1.5." },
        { () => new RAdam(beta2: float.NaN), "beta2", "Optimizer 'radam' expects beta2 in [0, 1) but received NaN." },
        { () => new RAdam(epsilon: -1e-8f), "epsilon", "Optimizer 'radam' expects epsilon a finite value > 0 but received -1E-08." },
        { () => new RAdam(weightDecay: float.PositiveInfinity), "weightDecay", "Optimizer 'radam' expects weightDecay a finite value >= 0 but received Infinity." },
        { () => new Adamax(learningRate: float.NaN), "value", "Optimizer 'adamax' expects a positive, finite learning rate but received NaN." },
        { () => new Adamax(beta1: 1f), "beta1", "Optimizer 'adamax' expects beta1 in [0, 1) but received 1." },
        { () => new Adamax(beta2: -0.5f), "beta2", "Optimizer 'adamax' expects beta2 in [0, 1) but received -0.5." },
        { () => new Adamax(epsilon: 0f), "epsilon", "Optimizer 'adamax' expects epsilon a finite value > 0 but received 0." },
        { () => new Adamax(weightDecay: -1f), "weightDecay", "Optimizer 'adamax' expects weightDecay a finite value >= 0 but received -1." },
        { () => new Adadelta(learningRate: -1f), "value", "Optimizer 'adadelta' expects a positive, finite learning rate but received -1." },
        { () => new Adadelta(rho: 1.1f), "rho", "Optimizer 'adadelta' expects rho in [0, 1] but received 1.1." },
        { () => new Adadelta(rho: -0.1f), "rho", "Optimizer 'adadelta' expects rho in [0, 1] but received -0.1." },
        { () => new Adadelta(epsilon: float.PositiveInfinity), "epsilon", "Optimizer 'adadelta' expects epsilon a finite value > 0 but received Infinity." },
        { () => new Adadelta(weightDecay: -0.05f), "weightDecay", "Optimizer 'adadelta' expects weightDecay a finite value >= 0 but received -0.05." },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Constructor_ThrowsForValueOutOfRange(Func<Optimizer> create, string parameter, string message)
    {
        var exception = Assert.Throws<ArgumentOutOfRangeException>(create);
        Assert.Equal(parameter, exception.ParamName);
        Assert.StartsWith(message, exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0f, 0f)]
    [InlineData(0.9f, 0.1f)]
    public void Sgd_ThrowsForNesterovWithoutMomentumOrWithDampening(float momentum, float dampening)
    {
        var exception = Assert.Throws<ArgumentException>(() => new Sgd(momentum: momentum, nesterov: true, dampening: dampening));
        Assert.Equal("nesterov", exception.ParamName);
        Assert.StartsWith("Optimizer 'sgd': Nesterov momentum needs a momentum > 0 and no dampening", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LearningRate_Setter_Validates()
    {
        var adam = new Adam();
        adam.LearningRate = 0.5f;
        Assert.Equal(0.5f, adam.LearningRate);
        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => adam.LearningRate = -1f);
        Assert.StartsWith("Optimizer 'adam' expects a positive, finite learning rate but received -1.", exception.Message, StringComparison.Ordinal);
        Assert.Equal(0.5f, adam.LearningRate);
    }

    [Fact]
    public void Step_ThrowsForNullParameters()
    {
        var sgd = new Sgd();
        Assert.Throws<ArgumentNullException>(() => sgd.Step(null!));
        var exception = Assert.Throws<ArgumentNullException>(() => sgd.Step([new Parameter("w", 2), null!]));
        Assert.StartsWith("Optimizer 'sgd': parameter 1 of 2 is null.", exception.Message, StringComparison.Ordinal);
        Assert.Equal(0, sgd.Iterations);
    }

    [Fact]
    public void Step_MarksEveryParameterModified_AndCountsIterations()
    {
        var (a, b) = (new Parameter("a", 3), new Parameter("b", 1));
        var adam = new Adam();

        adam.Step([a, b]);
        adam.Step([a, b]);

        Assert.Equal((2, 2), (a.Version, b.Version));
        Assert.Equal(2, adam.Iterations);
    }

    [Fact]
    public void Step_LeavesTheGradientAlone_WithoutClipping()
    {
        var parameter = new Parameter("w", 4);
        float[] gradient = [0.5f, -1f, 2f, 0f];
        gradient.CopyTo(parameter.Grad, 0);
        parameter.Assign([1f, 2f, 3f, 4f]);

        new Adam(weightDecay: 0.1f).Step([parameter]);
        new AdamW().Step([parameter]);
        new RmsProp(weightDecay: 0.1f, centered: true, momentum: 0.5f).Step([parameter]);
        new Adagrad(weightDecay: 0.1f).Step([parameter]);
        new NAdam(weightDecay: 0.1f).Step([parameter]);
        new NAdam(weightDecay: 0.1f, decoupledWeightDecay: true).Step([parameter]);
        new RAdam(weightDecay: 0.1f).Step([parameter]);
        new Adamax(weightDecay: 0.1f).Step([parameter]);
        new Adadelta(weightDecay: 0.1f).Step([parameter]);
        new Sgd(momentum: 0.9f, nesterov: true, weightDecay: 0.1f).Step([parameter]);

        Assert.Equal(gradient, parameter.Grad);
    }
}
