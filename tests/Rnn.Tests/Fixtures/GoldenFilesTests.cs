namespace Rnn.Tests.Fixtures;

/// <summary>
/// The committed golden files are complete and consistent with their own metadata. (Comparing them
/// with our layers belongs to the layer tests.)
/// </summary>
public class GoldenFilesTests
{
    private static readonly string[] Kinds = ["lstm", "gru", "rnn_tanh", "rnn_relu"];
    private static readonly string[] Configurations = ["1layer", "2layer_bidir", "initial_state", "nobias"];

    private static readonly string[] CaseNames =
        [.. Kinds.SelectMany(kind => Configurations.Select(configuration => $"{kind}_{configuration}"))];

    public static TheoryData<string> Cases() => new(CaseNames);

    [Fact]
    public void GoldenFiles_AreCopiedToTheTestOutput_OnePerCase()
    {
        Assert.Equal(CaseNames.Order(StringComparer.Ordinal), GoldenFile.Names);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GoldenFile_MetadataDescribesTheCase(string name)
    {
        var golden = GoldenFile.Load(name);

        var kind = Kinds.Single(k => name.StartsWith(k + "_", StringComparison.Ordinal));
        Assert.Equal(kind.ToUpperInvariant(), golden.Mode);
        var configuration = name[(kind.Length + 1)..];
        var (b, t, i, h, l, bidirectional, bias, initial) = configuration switch
        {
            "1layer" => (3, 5, 4, 17, 1, false, true, false),
            "2layer_bidir" => (2, 4, 3, 5, 2, true, true, false),
            "initial_state" => (3, 6, 5, 7, 2, true, true, true),
            "nobias" => (2, 3, 4, 6, 1, false, false, false),
            _ => throw new ArgumentException($"Unknown configuration '{configuration}'.", nameof(name)),
        };
        Assert.Equal((b, t, i, h, l, bidirectional, bias, initial),
            (golden.Batch, golden.Time, golden.InputSize, golden.HiddenSize, golden.NumLayers, golden.Bidirectional, golden.Bias, golden.HasInitialState));
        Assert.Equal("true", golden.Metadata["batch_first"]);
        Assert.StartsWith("TorchSharp ", golden.Metadata["generator"], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GoldenFile_HasExactlyTheNamedTensors_WithShapesFromItsMetadata(string name)
    {
        var golden = GoldenFile.Load(name);
        var expected = ExpectedShapes(golden);

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), golden.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var (tensor, shape) in expected)
        {
            Assert.True(shape.SequenceEqual(golden[tensor].Shape),
                $"{name}: '{tensor}' has shape [{string.Join(", ", golden[tensor].Shape)}], expected [{string.Join(", ", shape)}].");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GoldenFile_ValuesAreFiniteAndGradientsNonZero(string name)
    {
        var golden = GoldenFile.Load(name);
        foreach (var (tensor, (_, data)) in golden.Tensors)
        {
            Assert.True(data.All(float.IsFinite), $"{name}: '{tensor}' has a value that is not finite.");
            if (tensor.StartsWith("grad", StringComparison.Ordinal))
            {
                Assert.True(data.Any(v => v != 0), $"{name}: gradient '{tensor}' is all zeros.");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GoldenFile_FinalStateOfTheLastLayer_IsTheOutputAtEachDirectionsLastStep(string name)
    {
        // output[b, t, d·H + j] is the last layer's h at time t; the forward direction ends at t = T-1,
        // the reverse one at t = 0. This pins the [B, T, D·H] and [L·D, B, H] layouts.
        var golden = GoldenFile.Load(name);
        int batch = golden.Batch, time = golden.Time, hidden = golden.HiddenSize, directions = golden.Directions;
        var output = golden["output"].Data;
        var hN = golden["h_n"].Data;
        for (var d = 0; d < directions; d++)
        {
            var state = ((golden.NumLayers - 1) * directions) + d;
            var lastStep = d == 0 ? time - 1 : 0;
            for (var b = 0; b < batch; b++)
            {
                for (var j = 0; j < hidden; j++)
                {
                    Assert.Equal(hN[(((state * batch) + b) * hidden) + j], output[(((((b * time) + lastStep) * directions) + d) * hidden) + j]);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GoldenFile_OutputsLieInTheRangeOfTheActivation(string name)
    {
        var golden = GoldenFile.Load(name);
        var output = golden["output"].Data;
        if (golden.Mode == "RNN_RELU")
        {
            Assert.True(output.All(v => v >= 0), $"{name}: a ReLU output is negative.");
            Assert.Contains(output, v => v > 0);
        }
        else
        {
            // tanh, o·tanh(c) and the GRU's convex mix of tanh and h all stay inside (-1, 1).
            Assert.True(output.All(v => v is > -1 and < 1), $"{name}: an output is outside (-1, 1).");
        }
    }

    private static Dictionary<string, int[]> ExpectedShapes(GoldenFile golden)
    {
        int batch = golden.Batch, time = golden.Time, input = golden.InputSize, hidden = golden.HiddenSize;
        int layers = golden.NumLayers, directions = golden.Directions, rows = golden.Gates * hidden;
        int[] state = [layers * directions, batch, hidden];
        int[] output = [batch, time, directions * hidden];

        var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal);
        for (var layer = 0; layer < layers; layer++)
        {
            for (var d = 0; d < directions; d++)
            {
                var suffix = $"_l{layer}{(d == 1 ? "_reverse" : "")}";
                shapes["weight_ih" + suffix] = [rows, layer == 0 ? input : directions * hidden];
                shapes["weight_hh" + suffix] = [rows, hidden];
                if (golden.Bias)
                {
                    shapes["bias_ih" + suffix] = [rows];
                    shapes["bias_hh" + suffix] = [rows];
                }
            }
        }

        foreach (var parameter in shapes.Keys.ToList())
        {
            shapes["grad." + parameter] = shapes[parameter];
        }

        shapes["input"] = [batch, time, input];
        shapes["grad.input"] = [batch, time, input];
        shapes["output"] = output;
        shapes["grad_output"] = output;
        shapes["h_n"] = state;
        shapes["grad_h_n"] = state;
        if (golden.HasInitialState)
        {
            shapes["h0"] = state;
            shapes["grad.h0"] = state;
        }

        if (golden.HasCellState)
        {
            shapes["c_n"] = state;
            shapes["grad_c_n"] = state;
            if (golden.HasInitialState)
            {
                shapes["c0"] = state;
                shapes["grad.c0"] = state;
            }
        }

        return shapes;
    }
}
