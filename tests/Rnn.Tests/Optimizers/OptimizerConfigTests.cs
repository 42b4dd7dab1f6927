using Rnn.Optimizers;

namespace Rnn.Tests.Optimizers;

/// <summary>
/// GetConfig/FromConfig: every optimizer, with clipping and schedule, comes back with the same settings
/// and the same behaviour; configs are Keras-style names with invariant-culture values; bad configs fail
/// with messages that name the optimizer, the key and what was expected.
/// </summary>
public class OptimizerConfigTests
{
    [Theory]
    [MemberData(nameof(OptimizerCases.Names), MemberType = typeof(OptimizerCases))]
    public void FromConfig_RoundTripsSettingsAndBehaviour(string name)
    {
        var original = OptimizerCases.Create(name);
        var config = original.GetConfig();

        var rebuilt = Optimizer.FromConfig(original.Name, config);

        Assert.IsType(original.GetType(), rebuilt);
        Assert.Equal(config, rebuilt.GetConfig());
        Assert.Equal(original.Schedule?.GetType(), rebuilt.Schedule?.GetType());
        var random = new Random(21);
        var parameters = OptimizerCases.CreateParameters(random);
        var copies = OptimizerCases.Copy(parameters);
        foreach (var gradients in OptimizerCases.Gradients(random, parameters, steps: 6))
        {
            OptimizerCases.Step(original, parameters, gradients);
            OptimizerCases.Step(rebuilt, copies, gradients);
        }

        for (var j = 0; j < parameters.Length; j++)
        {
            Assert.Equal(parameters[j].Data, copies[j].Data);
        }
    }

    [Fact]
    public void GetConfig_ListsEverySettingWithInvariantRoundTripValues()
    {
        var adam = new Adam(learningRate: 0.1f, beta1: 0.85f, epsilon: 1e-7f, amsgrad: true)
        {
            GlobalClipNorm = 2.5f,
            Schedule = new CosineDecay(1000, alpha: 0.05f),
        };

        var expected = new Dictionary<string, string>
        {
            ["learning_rate"] = "0.1",
            ["beta_1"] = "0.85",
            ["beta_2"] = "0.999",
            ["epsilon"] = "1E-07",
            ["weight_decay"] = "0",
            ["amsgrad"] = "true",
            ["global_clipnorm"] = "2.5",
            ["schedule"] = "cosine_decay",
            ["schedule.decay_steps"] = "1000",
            ["schedule.alpha"] = "0.05",
        };
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), adam.GetConfig().OrderBy(e => e.Key, StringComparer.Ordinal));
        Assert.Equal("adam", adam.Name);
    }

    [Theory]
    [InlineData("sgd", typeof(Sgd))]
    [InlineData("adam", typeof(Adam))]
    [InlineData("adamw", typeof(AdamW))]
    [InlineData("rmsprop", typeof(RmsProp))]
    [InlineData("adagrad", typeof(Adagrad))]
    [InlineData("nadam", typeof(NAdam))]
    [InlineData("radam", typeof(RAdam))]
    [InlineData("adamax", typeof(Adamax))]
    [InlineData("adadelta", typeof(Adadelta))]
    public void FromConfig_WithoutSettings_GivesTheDefaults(string name, Type type)
    {
        var optimizer = Optimizer.FromConfig(name);

        var defaults = (Optimizer)Activator.CreateInstance(type, [.. type.GetConstructors().Single().GetParameters().Select(p => p.DefaultValue)])!;
        Assert.IsType(type, optimizer);
        Assert.Equal(defaults.GetConfig(), optimizer.GetConfig());
        Assert.Null(optimizer.Schedule);
        Assert.Null(optimizer.ClipValue);
    }

    [Fact]
    public void Defaults_ArePyTorchs()
    {
        Assert.Equal("sgd(learning_rate=0.01, momentum=0, nesterov=false, dampening=0, weight_decay=0)", new Sgd().ToString());
        Assert.Equal("adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1E-08, weight_decay=0, amsgrad=false)", new Adam().ToString());
        Assert.Equal("adamw(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1E-08, weight_decay=0.01, amsgrad=false)", new AdamW().ToString());
        Assert.Equal("rmsprop(learning_rate=0.01, alpha=0.99, epsilon=1E-08, momentum=0, centered=false, weight_decay=0)", new RmsProp().ToString());
        Assert.Equal("adagrad(learning_rate=0.01, lr_decay=0, weight_decay=0, initial_accumulator_value=0, epsilon=1E-10)", new Adagrad().ToString());
        Assert.Equal("nadam(learning_rate=0.002, beta_1=0.9, beta_2=0.999, epsilon=1E-08, weight_decay=0, momentum_decay=0.004, decoupled_weight_decay=false)", new NAdam().ToString());
        Assert.Equal("radam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1E-08, weight_decay=0, decoupled_weight_decay=false)", new RAdam().ToString());
        Assert.Equal("adamax(learning_rate=0.002, beta_1=0.9, beta_2=0.999, epsilon=1E-08, weight_decay=0)", new Adamax().ToString());
        Assert.Equal("adadelta(learning_rate=1, rho=0.9, epsilon=1E-06, weight_decay=0)", new Adadelta().ToString());
    }

    [Fact]
    public void FromConfig_ThrowsForUnknownOptimizer()
    {
        var exception = Assert.Throws<ArgumentException>(() => Optimizer.FromConfig("lamb"));
        Assert.Equal("name", exception.ParamName);
        Assert.StartsWith("Unknown optimizer 'lamb'. Known optimizers: sgd, adam, adamw, rmsprop, adagrad, nadam, radam, adamax, adadelta.", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfig_ThrowsForUnknownKey()
    {
        var exception = Assert.Throws<ArgumentException>(() => Optimizer.FromConfig("adam", new Dictionary<string, string> { ["beta1"] = "0.9" }));
        Assert.Equal("config", exception.ParamName);
        Assert.StartsWith("Optimizer 'adam' has no setting 'beta1'; its settings are: amsgrad, beta_1, beta_2, clipnorm, clipvalue, epsilon, global_clipnorm, learning_rate, schedule, weight_decay.", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("learning_rate", "0,01", "must be a number (invariant culture) but is '0,01'")]
    [InlineData("nesterov", "yes", "must be 'true' or 'false' (invariant culture) but is 'yes'")]
    public void FromConfig_ThrowsForMalformedValue(string key, string value, string message)
    {
        var exception = Assert.Throws<ArgumentException>(() => Optimizer.FromConfig("sgd", new Dictionary<string, string> { [key] = value }));
        Assert.StartsWith($"Optimizer 'sgd': setting '{key}' {message}.", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfig_ThrowsForValueOutOfRange()
    {
        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => Optimizer.FromConfig("adam", new Dictionary<string, string> { ["beta_2"] = "1" }));
        Assert.StartsWith("Optimizer 'adam' expects beta2 in [0, 1) but received 1.", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfig_ThrowsForScheduleSettingsWithoutSchedule()
    {
        var exception = Assert.Throws<ArgumentException>(() => Optimizer.FromConfig("sgd", new Dictionary<string, string> { ["schedule.step_size"] = "3" }));
        Assert.StartsWith("Optimizer 'sgd' has schedule settings (schedule.step_size) but no 'schedule'.", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfig_ThrowsForTwoClippingOptions()
    {
        var config = new Dictionary<string, string> { ["clipvalue"] = "1", ["global_clipnorm"] = "2" };
        var exception = Assert.Throws<ArgumentException>(() => Optimizer.FromConfig("sgd", config));
        Assert.StartsWith("Optimizer 'sgd' has clipvalue and global_clipnorm; at most one clipping option may be set.", exception.Message, StringComparison.Ordinal);
    }
}
