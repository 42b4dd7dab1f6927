using System.Numerics.Tensors;
using Rnn.Tests.Fixtures;
using Rnn.Tests.Reference;

namespace Rnn.Tests.Layers;

/// <summary>
/// Our layers reproduce real PyTorch (files written by tests/GoldenGenerator): outputs and final states
/// within 1e-6, every gradient within 5e-6 (absolute, largest element), tighter than the 1e-5 and 1e-4
/// the project promises.
/// </summary>
public class PyTorchGoldenTests
{
    private const float OutputTolerance = 1e-6f;
    private const float GradientTolerance = 5e-6f;

    public static TheoryData<string> Cases() => [.. GoldenFile.Names];

    [Fact]
    public void GoldenFiles_CoverEveryKindAndConfiguration()
    {
        foreach (var kind in new[] { "lstm", "gru", "rnn_tanh", "rnn_relu" })
        {
            foreach (var configuration in new[] { "1layer", "2layer_bidir", "initial_state", "nobias" })
            {
                Assert.Contains($"{kind}_{configuration}", GoldenFile.Names);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Recurrent_MatchesPyTorch(string name)
    {
        var golden = GoldenFile.Load(name);
        var cell = golden.Mode switch
        {
            "LSTM" => ReferenceCell.Lstm,
            "GRU" => ReferenceCell.Gru,
            "RNN_TANH" => ReferenceCell.RnnTanh,
            "RNN_RELU" => ReferenceCell.RnnRelu,
            _ => throw new InvalidOperationException($"Unknown mode {golden.Mode} in {name}."),
        };
        var layer = RecurrentHarness.CreateLayer(
            cell, golden.HiddenSize, golden.NumLayers, golden.Bidirectional, returnSequences: true, returnState: true, useBias: golden.Bias);
        layer.Build(-1, golden.InputSize);
        Assert.Equal(golden.Tensors.Keys.Where(k => k.StartsWith("weight_", StringComparison.Ordinal) || k.StartsWith("bias_", StringComparison.Ordinal)).Order(), layer.Parameters.Select(p => p.Name).Order());
        foreach (var parameter in layer.Parameters)
        {
            var (shape, data) = golden[parameter.Name];
            Assert.Equal(shape, parameter.Shape);
            parameter.Assign(data);
        }

        var result = layer.Forward(
            Tensor(golden, "input"),
            golden.HasInitialState ? Tensor(golden, "h0") : null,
            golden.HasInitialState && golden.HasCellState ? Tensor(golden, "c0") : null,
            training: true);
        AssertClose(golden, "output", result.Output, OutputTolerance);
        AssertClose(golden, "h_n", result.FinalHidden!, OutputTolerance);
        if (golden.HasCellState)
        {
            AssertClose(golden, "c_n", result.FinalCell!, OutputTolerance);
        }

        var gradients = layer.Backward(
            Tensor(golden, "grad_output"),
            Tensor(golden, "grad_h_n"),
            golden.HasCellState ? Tensor(golden, "grad_c_n") : null);
        AssertClose(golden, "grad.input", gradients.Input, GradientTolerance);
        if (golden.HasInitialState)
        {
            AssertClose(golden, "grad.h0", gradients.InitialHidden!, GradientTolerance);
            if (golden.HasCellState)
            {
                AssertClose(golden, "grad.c0", gradients.InitialCell!, GradientTolerance);
            }
        }

        foreach (var parameter in layer.Parameters)
        {
            AssertClose(golden, "grad." + parameter.Name, parameter.Gradient, GradientTolerance);
        }
    }

    private static Tensor<float> Tensor(GoldenFile golden, string name)
    {
        var (shape, data) = golden[name];
        return TestUtil.ToTensor((float[])data.Clone(), shape);
    }

    private static void AssertClose(GoldenFile golden, string name, Tensor<float> actual, float tolerance)
    {
        var (shape, expected) = golden[name];
        Assert.Equal(shape, TestUtil.Shape(actual));
        var values = TestUtil.Span(actual);
        var worst = 0f;
        var at = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var error = MathF.Abs(values[i] - expected[i]);
            if (!(error <= worst))
            {
                worst = error;
                at = i;
            }
        }

        Assert.True(worst <= tolerance, $"{golden.Name}: {name}[{at}] = {values[at]} but PyTorch has {expected[at]} (|error| {worst:G3} > {tolerance:G3}).");
    }
}
