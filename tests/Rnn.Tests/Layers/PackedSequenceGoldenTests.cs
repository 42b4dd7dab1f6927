using System.Globalization;
using System.Numerics.Tensors;
using Rnn.Layers;
using Rnn.Serialization;
using Rnn.Tests.Reference;

namespace Rnn.Tests.Layers;

/// <summary>
/// Variable-length batches match PyTorch's packed sequences (files in <c>Fixtures/packed/</c>, written by
/// tests/GoldenGenerator from <c>pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)</c>
/// and <c>pad_packed_sequence(..., total_length=T)</c>): our layer given the right-padding mask
/// <c>mask[b, t] = t &lt; lengths[b]</c> reproduces the padded output, h_n, c_n and every gradient. The files'
/// input and grad_output hold random values at padded positions too, which both must ignore. Bounds (absolute,
/// largest element) as for the unpadded goldens: outputs and states within 1e-6, gradients within 5e-6
/// (measured: at most 1.9e-7 and 9.5e-7).
/// </summary>
public class PackedSequenceGoldenTests
{
    private const float OutputTolerance = 1e-6f;
    private const float GradientTolerance = 5e-6f;

    private static readonly string FixtureDirectory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "packed");

    private static IReadOnlyList<string> Names =>
        [.. Directory.GetFiles(FixtureDirectory, "*.safetensors").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal)];

    public static TheoryData<string> Cases() => [.. Names];

    [Fact]
    public void PackedGoldenFiles_CoverEveryKindUnidirectionalAndStackedBidirectional()
    {
        foreach (var kind in new[] { "lstm", "gru", "rnn_tanh" })
        {
            Assert.Contains($"{kind}_1layer", Names);
            Assert.Contains($"{kind}_2layer_bidir", Names);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Recurrent_WithLengthMask_MatchesPyTorchPackedSequence(string name)
    {
        var golden = new Packed(name);
        var layer = golden.CreateLayer(returnSequences: true);
        var result = layer.Forward(golden.Load("input"), null, null, golden.Mask(), training: true);
        golden.AssertClose("output", result.Output, OutputTolerance);
        golden.AssertClose("h_n", result.FinalHidden!, OutputTolerance);
        if (golden.HasCellState)
        {
            golden.AssertClose("c_n", result.FinalCell!, OutputTolerance);
        }

        var gradients = layer.Backward(golden.Load("grad_output"), golden.Load("grad_h_n"), golden.HasCellState ? golden.Load("grad_c_n") : null);
        golden.AssertClose("grad.input", gradients.Input, GradientTolerance);
        foreach (var parameter in layer.Parameters)
        {
            golden.AssertClose("grad." + parameter.Name, parameter.Gradient, GradientTolerance);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Recurrent_WithLengthMask_GivesExactZerosAtPadding(string name)
    {
        var golden = new Packed(name);
        var layer = golden.CreateLayer(returnSequences: true);
        var result = layer.Forward(golden.Load("input"), null, null, golden.Mask(), training: true);
        var gradients = layer.Backward(golden.Load("grad_output"), golden.Load("grad_h_n"), golden.HasCellState ? golden.Load("grad_c_n") : null);
        var (_, upstream) = golden["grad_output"];
        var width = upstream.Length / (golden.Batch * golden.Time);
        var paddedUpstream = new List<float>();
        for (var b = 0; b < golden.Batch; b++)
        {
            for (var t = golden.Lengths[b]; t < golden.Time; t++)
            {
                Assert.All(TestUtil.Span(result.Output).Slice(((b * golden.Time) + t) * width, width).ToArray(), v => Assert.Equal(0f, v));
                Assert.All(TestUtil.Span(gradients.Input).Slice(((b * golden.Time) + t) * golden.InputSize, golden.InputSize).ToArray(), v => Assert.Equal(0f, v));
                paddedUpstream.AddRange(upstream.AsSpan(((b * golden.Time) + t) * width, width));
            }
        }

        // The upstream gradient at padded steps is not zero in the file, so ignoring it is what is being tested.
        Assert.NotEmpty(paddedUpstream);
        Assert.Contains(paddedUpstream, v => v != 0f);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Recurrent_LastOutputWithLengthMask_IsPyTorchsFinalStatesOfTheTopLayer(string name)
    {
        // returnSequences: false gives [forward state after the last real step, reverse state after step 0]:
        // PyTorch's cat(h_n[-2], h_n[-1]) for a bidirectional layer, h_n[-1] otherwise.
        var golden = new Packed(name);
        var layer = golden.CreateLayer(returnSequences: false);
        var output = TestUtil.Span(layer.Forward(golden.Load("input"), null, null, golden.Mask()).Output);
        var (_, hN) = golden["h_n"];
        var hidden = golden.HiddenSize;
        var directions = golden.Bidirectional ? 2 : 1;
        var top = (golden.NumLayers - 1) * directions;
        for (var b = 0; b < golden.Batch; b++)
        {
            for (var d = 0; d < directions; d++)
            {
                var expected = hN.AsSpan((((top + d) * golden.Batch) + b) * hidden, hidden);
                var actual = output.Slice(((b * directions) + d) * hidden, hidden);
                for (var j = 0; j < hidden; j++)
                {
                    Assert.True(MathF.Abs(actual[j] - expected[j]) <= OutputTolerance, $"{name}: output[{b}, {(d * hidden) + j}] = {actual[j]} but h_n has {expected[j]}.");
                }
            }
        }
    }

    /// <summary>One file of <c>Fixtures/packed/</c>: its tensors and the configuration its metadata states.</summary>
    private sealed class Packed
    {
        private readonly SafeTensorsFile _file;

        public Packed(string name)
        {
            Name = name;
            _file = SafeTensors.Read(Path.Combine(FixtureDirectory, name + ".safetensors"));
            Lengths = [.. _file["lengths"].Data.Select(l => (int)l)];
            Assert.Equal(_file.Metadata["lengths"], string.Join(",", Lengths));
            Assert.Equal("false", _file.Metadata["enforce_sorted"]);
        }

        public string Name { get; }

        public string Mode => _file.Metadata["mode"];

        public int InputSize => Int("input_size");

        public int HiddenSize => Int("hidden_size");

        public int NumLayers => Int("num_layers");

        public bool Bidirectional => _file.Metadata["bidirectional"] == "true";

        public int Batch => Int("batch");

        public int Time => Int("time");

        public int[] Lengths { get; }

        public bool HasCellState => Mode == "LSTM";

        public (int[] Shape, float[] Data) this[string tensor] => ([.. _file[tensor].Shape], _file[tensor].Data);

        public Recurrent CreateLayer(bool returnSequences)
        {
            var cell = Mode switch
            {
                "LSTM" => ReferenceCell.Lstm,
                "GRU" => ReferenceCell.Gru,
                "RNN_TANH" => ReferenceCell.RnnTanh,
                "RNN_RELU" => ReferenceCell.RnnRelu,
                _ => throw new InvalidOperationException($"Unknown mode {Mode} in {Name}."),
            };
            var layer = RecurrentHarness.CreateLayer(cell, HiddenSize, NumLayers, Bidirectional, returnSequences, returnState: true);
            layer.Build(-1, InputSize);
            foreach (var parameter in layer.Parameters)
            {
                var (shape, data) = this[parameter.Name];
                Assert.Equal(shape, parameter.Shape);
                parameter.Assign(data);
            }

            return layer;
        }

        /// <summary>The right-padding mask PyTorch's lengths stand for: mask[b, t] = t &lt; lengths[b].</summary>
        public Tensor<bool> Mask()
        {
            var mask = new bool[Batch * Time];
            for (var b = 0; b < Batch; b++)
            {
                mask.AsSpan(b * Time, Lengths[b]).Fill(true);
            }

            return Tensor.Create(mask, [Batch, Time]);
        }

        public Tensor<float> Load(string name)
        {
            var (shape, data) = this[name];
            return TestUtil.ToTensor((float[])data.Clone(), shape);
        }

        public void AssertClose(string name, Tensor<float> actual, float tolerance)
        {
            var (shape, expected) = this[name];
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

            Assert.True(worst <= tolerance, $"{Name}: {name}[{at}] = {values[at]} but PyTorch has {expected[at]} (|error| {worst:G3} > {tolerance:G3}).");
        }

        private int Int(string key) => int.Parse(_file.Metadata[key], NumberStyles.None, CultureInfo.InvariantCulture);
    }
}
