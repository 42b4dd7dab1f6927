using Rnn.Layers;
using Rnn.Optimizers;

namespace Rnn.Tests.Optimizers;

/// <summary>
/// GetState/SetState: a run resumed from saved state (with config rebuilt from GetConfig) continues bit
/// for bit; keys follow PyTorch's names; malformed state is rejected with messages that say what is wrong,
/// before anything changes.
/// </summary>
public class OptimizerStateTests
{
    [Theory]
    [MemberData(nameof(OptimizerCases.Names), MemberType = typeof(OptimizerCases))]
    public void SetState_OnFreshOptimizer_ContinuesBitForBit(string name)
    {
        var random = new Random(17);
        var original = OptimizerCases.Create(name);
        var parameters = OptimizerCases.CreateParameters(random);
        var gradients = OptimizerCases.Gradients(random, parameters, steps: 12);
        for (var k = 0; k < 5; k++)
        {
            OptimizerCases.Step(original, parameters, gradients[k]);
        }

        var resumed = Optimizer.FromConfig(original.Name, original.GetConfig());
        var copies = OptimizerCases.Copy(parameters);
        resumed.SetState(copies, original.GetState(parameters));
        Assert.Equal(original.Iterations, resumed.Iterations);
        Assert.Equal(original.CurrentLearningRate, resumed.CurrentLearningRate);

        for (var k = 5; k < gradients.Length; k++)
        {
            OptimizerCases.Step(original, parameters, gradients[k]);
            OptimizerCases.Step(resumed, copies, gradients[k]);
            for (var j = 0; j < parameters.Length; j++)
            {
                Assert.Equal(parameters[j].Data, copies[j].Data);
            }
        }

        AssertSameState(original.GetState(parameters), resumed.GetState(copies));
    }

    [Fact]
    public void GetState_UsesPyTorchNames_PerParameterIndex()
    {
        var parameters = OptimizerCases.CreateParameters(new Random(1));
        var adam = new Adam(amsgrad: true);
        adam.Step(parameters);
        adam.Step(parameters);

        var state = adam.GetState(parameters);

        string[] perParameter = ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"];
        var expectedKeys = Enumerable.Range(0, parameters.Length).SelectMany(i => perParameter.Select(n => $"{i}.{n}")).Append("iterations");
        Assert.Equal(expectedKeys.Order(StringComparer.Ordinal), state.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([2f], state["iterations"]);
        Assert.Equal([2f], state["3.step"]);
        Assert.Equal(parameters[3].Length, state["3.exp_avg"].Length);
    }

    [Theory]
    [InlineData("sgd", new string[0])]
    [InlineData("sgd_momentum_dampening", new[] { "step", "momentum_buffer" })]
    [InlineData("adam", new[] { "step", "exp_avg", "exp_avg_sq" })]
    [InlineData("rmsprop", new[] { "step", "square_avg" })]
    [InlineData("rmsprop_momentum", new[] { "step", "square_avg", "momentum_buffer" })]
    [InlineData("rmsprop_centered_momentum", new[] { "step", "square_avg", "momentum_buffer", "grad_avg" })]
    [InlineData("adagrad", new[] { "step", "sum" })]
    [InlineData("nadam", new[] { "step", "exp_avg", "exp_avg_sq", "mu_product" })]
    [InlineData("radam", new[] { "step", "exp_avg", "exp_avg_sq" })]
    [InlineData("adamax", new[] { "step", "exp_avg", "exp_inf" })]
    [InlineData("adadelta", new[] { "step", "square_avg", "acc_delta" })]
    public void GetState_HoldsTheBuffersTheSettingsNeed(string name, string[] perParameter)
    {
        var parameters = OptimizerCases.CreateParameters(new Random(2));
        var optimizer = OptimizerCases.Create(name);
        optimizer.Step(parameters);

        var state = optimizer.GetState(parameters);

        Assert.Equal([1f], state["iterations"]);
        Assert.Equal(perParameter.Select(n => "0." + n).Order(StringComparer.Ordinal), state.Keys.Where(k => k.StartsWith("0.", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void NAdam_GetState_HoldsTheFloat32ProductOfTheMomentumsSoFar()
    {
        var parameters = OptimizerCases.CreateParameters(new Random(11));
        var nadam = new NAdam(beta1: 0.8f, momentumDecay: 0.01f);
        var expected = 1f;
        for (var t = 1; t <= 3; t++)
        {
            nadam.Step(parameters);
            expected *= (float)(0.8f * (1 - (0.5 * Math.Pow(0.96, t * (double)0.01f))));
        }

        var state = nadam.GetState(parameters);

        Assert.Equal([expected], state["0.mu_product"]);
        Assert.Equal([expected], state["3.mu_product"]);
    }

    [Theory]
    [InlineData(1.5f)]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    public void NAdam_SetState_ThrowsForMuProductOutOfRange(float muProduct)
    {
        var parameters = OptimizerCases.CreateParameters(new Random(12));
        var nadam = new NAdam();
        nadam.Step(parameters);
        var state = new Dictionary<string, float[]>(nadam.GetState(parameters)) { ["1.mu_product"] = [muProduct] };
        AssertRejected(nadam, parameters, state, "Optimizer 'nadam': state '1.mu_product' must be one number in [0, 1]");
    }

    [Fact]
    public void NAdam_SetState_ThrowsForMissingMuProduct()
    {
        var parameters = OptimizerCases.CreateParameters(new Random(13));
        var nadam = new NAdam();
        nadam.Step(parameters);
        var state = new Dictionary<string, float[]>(nadam.GetState(parameters));
        state.Remove("2.mu_product");
        AssertRejected(nadam, parameters, state, "Optimizer 'nadam': the state of parameter 2 lacks '2.mu_product'.");
    }

    [Fact]
    public void GetState_BeforeTheFirstStep_HasOnlyIterations()
    {
        var parameters = OptimizerCases.CreateParameters(new Random(3));
        var state = new Adam().GetState(parameters);
        Assert.Equal(["iterations"], state.Keys);
        Assert.Equal([0f], state["iterations"]);
    }

    [Fact]
    public void GetState_ReturnsCopies_ThatLaterStepsDoNotChange()
    {
        var parameters = OptimizerCases.CreateParameters(new Random(4));
        var gradients = OptimizerCases.Gradients(new Random(5), parameters, 2);
        var adam = new Adam();
        OptimizerCases.Step(adam, parameters, gradients[0]);
        var state = adam.GetState(parameters);
        var saved = (float[])state["3.exp_avg"].Clone();

        OptimizerCases.Step(adam, parameters, gradients[1]);

        Assert.Equal(saved, state["3.exp_avg"]);
        Assert.NotEqual(saved, adam.GetState(parameters)["3.exp_avg"]);
    }

    [Fact]
    public void SetState_WithoutEntriesForAParameter_ClearsItsState()
    {
        var parameters = OptimizerCases.CreateParameters(new Random(6));
        var adam = new Adam();
        adam.Step(parameters);

        adam.SetState(parameters, new Dictionary<string, float[]> { ["iterations"] = [1f] });

        Assert.Equal(["iterations"], adam.GetState(parameters).Keys);
    }

    [Fact]
    public void SetState_ThrowsForMissingIterations()
    {
        var (adam, parameters, state) = SteppedAdam();
        state.Remove("iterations");
        AssertRejected(adam, parameters, state, "Optimizer 'adam': the state has no 'iterations'.");
    }

    [Fact]
    public void SetState_ThrowsForWrongLength()
    {
        var (adam, parameters, state) = SteppedAdam();
        state["2.exp_avg_sq"] = new float[5];
        AssertRejected(adam, parameters, state, "Optimizer 'adam': state '2.exp_avg_sq' has 5 values but parameter 2 ('p2') has 16.");
    }

    [Fact]
    public void SetState_ThrowsForMissingBuffer()
    {
        var (adam, parameters, state) = SteppedAdam();
        state.Remove("1.exp_avg");
        AssertRejected(adam, parameters, state, "Optimizer 'adam': the state of parameter 1 lacks '1.exp_avg'.");
    }

    [Fact]
    public void SetState_ThrowsForBufferOfOtherSettings()
    {
        var (adam, parameters, state) = SteppedAdam();
        state["0.max_exp_avg_sq"] = new float[1];
        AssertRejected(adam, parameters, state, "Optimizer 'adam' keeps no per-parameter state 'max_exp_avg_sq' (key '0.max_exp_avg_sq'); with its settings it keeps: step, exp_avg, exp_avg_sq.");
    }

    [Fact]
    public void SetState_ThrowsForParameterIndexOutOfRange()
    {
        var (adam, parameters, state) = SteppedAdam();
        state["4.exp_avg"] = new float[1];
        AssertRejected(adam, parameters, state, "Optimizer 'adam': state '4.exp_avg' is for parameter 4, but 4 parameters were given.");
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("x.step")]
    [InlineData("-1.step")]
    [InlineData("01.step")]
    public void SetState_ThrowsForMalformedKey(string key)
    {
        var (adam, parameters, state) = SteppedAdam();
        state[key] = [1f];
        AssertRejected(adam, parameters, state, $"Optimizer 'adam' has no state '{key}'");
    }

    [Theory]
    [InlineData(1.5f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(1e30f)]
    public void SetState_ThrowsForCountThatIsNotAWholeNumber(float count)
    {
        var (adam, parameters, state) = SteppedAdam();
        state["0.step"] = [count];
        AssertRejected(adam, parameters, state, "Optimizer 'adam': state '0.step' must be one whole number >= 0");
    }

    [Fact]
    public void SetState_ThrowsForPerParameterStateOfPlainSgd()
    {
        var parameters = OptimizerCases.CreateParameters(new Random(10));
        var state = new Dictionary<string, float[]> { ["iterations"] = [3f], ["0.step"] = [3f] };
        AssertRejected(new Sgd(), parameters, state, "Optimizer 'sgd' keeps no per-parameter state 'step' (key '0.step'); with its settings it keeps: nothing.");
    }

    [Fact]
    public void SetState_ThrowsForNullArguments()
    {
        var (adam, parameters, state) = SteppedAdam();
        Assert.Throws<ArgumentNullException>(() => adam.SetState(null!, state));
        Assert.Throws<ArgumentNullException>(() => adam.SetState(parameters, null!));
        Assert.Throws<ArgumentNullException>(() => adam.GetState(null!));
    }

    private static (Adam Adam, Parameter[] Parameters, Dictionary<string, float[]> State) SteppedAdam()
    {
        var parameters = OptimizerCases.CreateParameters(new Random(8));
        var adam = new Adam();
        foreach (var gradients in OptimizerCases.Gradients(new Random(9), parameters, 3))
        {
            OptimizerCases.Step(adam, parameters, gradients);
        }

        return (adam, parameters, new Dictionary<string, float[]>(adam.GetState(parameters)));
    }

    /// <summary>The state is rejected with a message starting as given, and the optimizer's state is unchanged.</summary>
    private static void AssertRejected(Optimizer optimizer, Parameter[] parameters, Dictionary<string, float[]> state, string messageStart)
    {
        var before = optimizer.GetState(parameters);
        var exception = Assert.Throws<ArgumentException>(() => optimizer.SetState(parameters, state));
        Assert.StartsWith(messageStart, exception.Message, StringComparison.Ordinal);
        Assert.Equal("state", exception.ParamName);
        AssertSameState(before, optimizer.GetState(parameters));
    }

    private static void AssertSameState(IReadOnlyDictionary<string, float[]> expected, IReadOnlyDictionary<string, float[]> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in expected)
        {
            Assert.Equal(value, actual[key]);
        }
    }
}
