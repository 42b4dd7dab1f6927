using System.Numerics.Tensors;
using Rnn.Layers;
using Rnn.Tests.Reference;

namespace Rnn.Tests.Layers;

/// <summary>One configuration of a recurrent layer and the data it runs on.</summary>
public sealed record RecurrentCase(
    ReferenceCell Cell, int Batch, int Time, int Input, int Hidden, int Layers = 1, bool Bidirectional = false, bool InitialState = false,
    bool Masked = false, bool GoBackwards = false, bool ReturnSequences = true, bool UseBias = true, float Dropout = 0f, int Seed = 1,
    BidirectionalMerge Merge = BidirectionalMerge.Concat, float RecurrentDropout = 0f, float InputDropout = 0f)
{
    public override string ToString()
        => $"{Cell} B{Batch} T{Time} I{Input} H{Hidden} L{Layers}{(Bidirectional ? " bidir" : string.Empty)}{(Merge != BidirectionalMerge.Concat ? $" {Merge}" : string.Empty)}{(InitialState ? " h0" : string.Empty)}"
           + $"{(Masked ? " mask" : string.Empty)}{(GoBackwards ? " back" : string.Empty)}{(ReturnSequences ? " seq" : " last")}{(UseBias ? string.Empty : " nobias")}"
           + $"{(Dropout > 0 ? " dropout" : string.Empty)}{(RecurrentDropout > 0 ? " recurrentDropout" : string.Empty)}{(InputDropout > 0 ? " inputDropout" : string.Empty)} seed{Seed}";
}

/// <summary>Runs the fast layer and the float64 reference on the same case and compares everything.</summary>
public static class RecurrentHarness
{
    public static Recurrent CreateLayer(ReferenceCell cell, int hidden, int layers = 1, bool bidirectional = false, bool returnSequences = true,
        bool returnState = true, bool goBackwards = false, bool useBias = true, float dropout = 0f, int seed = 7, BidirectionalMerge merge = BidirectionalMerge.Concat,
        float recurrentDropout = 0f, float inputDropout = 0f) => cell switch
        {
            ReferenceCell.Lstm => new Lstm(hidden, returnSequences, returnState, goBackwards, bidirectional, merge, layers, dropout, recurrentDropout, inputDropout, useBias, seed: seed),
            ReferenceCell.Gru => new Gru(hidden, returnSequences, returnState, goBackwards, bidirectional, merge, layers, dropout, recurrentDropout, inputDropout, useBias, seed: seed),
            ReferenceCell.RnnRelu => new SimpleRnn(
                hidden, RnnActivation.Relu, returnSequences, returnState, goBackwards, bidirectional, merge, layers, dropout, recurrentDropout, inputDropout, useBias, seed: seed),
            _ => new SimpleRnn(
                hidden, RnnActivation.Tanh, returnSequences, returnState, goBackwards, bidirectional, merge, layers, dropout, recurrentDropout, inputDropout, useBias, seed: seed),
        };

    /// <summary>Copies the reference's parameters into the layer (same PyTorch names) and checks both have the same set.</summary>
    public static void CopyParameters(ReferenceRecurrent reference, Recurrent layer)
    {
        Assert.Equal(reference.Parameters.Keys.Order(), layer.Parameters.Select(p => p.Name).Order());
        foreach (var parameter in layer.Parameters)
        {
            parameter.Assign(TestUtil.ToFloats(reference.Parameters[parameter.Name]));
        }
    }

    /// <summary>A [batch, time] mask with each sample's own length (≥ 1) and, for some, a masked step inside.</summary>
    public static bool[] RandomMask(Random random, int batch, int time)
    {
        var mask = new bool[batch * time];
        for (var b = 0; b < batch; b++)
        {
            var length = random.Next(1, time + 1);
            for (var t = 0; t < length; t++)
            {
                mask[(b * time) + t] = true;
            }

            if (length > 2 && random.Next(2) == 0)
            {
                mask[(b * time) + random.Next(1, length - 1)] = false;
            }
        }

        return mask;
    }

    public static void Check(RecurrentCase c, double outputTolerance = 1e-5, double gradientTolerance = 1e-4)
    {
        var random = new Random(c.Seed);
        var reference = new ReferenceRecurrent(c.Cell, c.Input, c.Hidden, c.Layers, c.Bidirectional, c.UseBias, c.Merge);
        foreach (var values in reference.Parameters.Values)
        {
            // PyTorch's scale (uniform ±1/√H), so long sequences neither explode nor turn chaotic; rounded to
            // float so that both implementations see identical weights.
            RoundToFloat(TestUtil.RandomArray(random, values.Length, 1.0 / Math.Sqrt(c.Hidden))).CopyTo(values, 0);
        }

        if (c.Cell == ReferenceCell.RnnRelu && c.UseBias)
        {
            KeepAwayFromReluKink(reference, random);
        }

        var directions = c.Bidirectional ? 2 : 1;
        var width = c.Hidden * directions;
        var stateLength = c.Layers * directions * c.Batch * c.Hidden;
        var x = RoundToFloat(TestUtil.RandomArray(random, c.Batch * c.Time * c.Input));
        var h0 = c.InitialState ? RoundToFloat(TestUtil.RandomArray(random, stateLength)) : null;
        var c0 = c.InitialState && c.Cell == ReferenceCell.Lstm ? RoundToFloat(TestUtil.RandomArray(random, stateLength)) : null;
        var mask = c.Masked ? RandomMask(random, c.Batch, c.Time) : null;

        var layer = CreateLayer(c.Cell, c.Hidden, c.Layers, c.Bidirectional, c.ReturnSequences, returnState: true, c.GoBackwards, c.UseBias, c.Dropout, c.Seed, c.Merge, c.RecurrentDropout, c.InputDropout);
        layer.Build(-1, c.Input);
        CopyParameters(reference, layer);
        int[] stateShape = [c.Layers * directions, c.Batch, c.Hidden];
        var output = layer.Forward(
            TestUtil.ToTensor(x, c.Batch, c.Time, c.Input),
            h0 is null ? null : TestUtil.ToTensor(h0, stateShape),
            c0 is null ? null : TestUtil.ToTensor(c0, stateShape),
            mask is null ? null : Tensor.Create(mask, [c.Batch, c.Time]),
            training: true);

        double[][]? dropoutMasks = null;
        if (c.Dropout > 0 && c.Layers > 1)
        {
            dropoutMasks = [.. Enumerable.Range(0, c.Layers - 1).Select(l => TestUtil.ToDoubles(layer.DropoutMask(l, c.Time * c.Batch * width)))];
            Assert.Contains(0.0, dropoutMasks[0]);
        }

        double[][]? recurrentMasks = null;
        if (c.RecurrentDropout > 0)
        {
            var keep = (double)(1f / (1f - c.RecurrentDropout));
            recurrentMasks = [.. Enumerable.Range(0, c.Layers * directions).Select(i => TestUtil.ToDoubles(layer.RecurrentDropoutMask(i, c.Batch * c.Hidden)))];
            Assert.All(recurrentMasks.SelectMany(m => m), v => Assert.True(v == 0.0 || v == keep, $"recurrent dropout multiplier {v}, expected 0 or {keep}"));
            if (c.Batch * c.Hidden * c.Layers * directions >= 20)
            {
                Assert.Contains(0.0, recurrentMasks.SelectMany(m => m));
            }
        }

        double[]? inputMask = null;
        if (c.InputDropout > 0)
        {
            inputMask = TestUtil.ToDoubles(layer.InputDropoutMask(c.Batch * c.Input));
            var keep = (double)(1f / (1f - c.InputDropout));
            Assert.All(inputMask, v => Assert.True(v == 0.0 || v == keep, $"input dropout multiplier {v}, expected 0 or {keep}"));
        }

        var pass = new ReferenceRecurrent.Pass
        {
            Input = x,
            Batch = c.Batch,
            Time = c.Time,
            H0 = h0,
            C0 = c0,
            Mask = mask,
            GoBackwards = c.GoBackwards,
            ReturnSequences = c.ReturnSequences,
            DropoutMasks = dropoutMasks,
            RecurrentDropoutMasks = recurrentMasks,
            InputDropoutMask = inputMask,
        };
        var expected = reference.Forward(pass);
        var label = c.ToString();
        TestUtil.AssertClose(expected.Output, TestUtil.Span(output.Output), outputTolerance, $"{label}: output");
        TestUtil.AssertClose(expected.HN, TestUtil.Span(output.FinalHidden!), outputTolerance, $"{label}: h_n");
        if (c.Cell == ReferenceCell.Lstm)
        {
            TestUtil.AssertClose(expected.CN, TestUtil.Span(output.FinalCell!), outputTolerance, $"{label}: c_n");
        }

        var dOut = RoundToFloat(TestUtil.RandomArray(random, expected.Output.Length));
        var dHn = RoundToFloat(TestUtil.RandomArray(random, stateLength));
        var dCn = c.Cell == ReferenceCell.Lstm ? RoundToFloat(TestUtil.RandomArray(random, stateLength)) : null;
        var expectedGradients = reference.Backward(expected, dOut, dHn, dCn);
        var gradients = layer.Backward(
            TestUtil.ToTensor(dOut, TestUtil.Shape(output.Output)),
            TestUtil.ToTensor(dHn, stateShape),
            dCn is null ? null : TestUtil.ToTensor(dCn, stateShape));
        TestUtil.AssertClose(expectedGradients.Input, TestUtil.Span(gradients.Input), gradientTolerance, $"{label}: dX");
        if (h0 is not null)
        {
            TestUtil.AssertClose(expectedGradients.H0, TestUtil.Span(gradients.InitialHidden!), gradientTolerance, $"{label}: dh0");
        }
        else
        {
            Assert.Null(gradients.InitialHidden);
        }

        if (c0 is not null)
        {
            TestUtil.AssertClose(expectedGradients.C0, TestUtil.Span(gradients.InitialCell!), gradientTolerance, $"{label}: dc0");
        }

        foreach (var parameter in layer.Parameters)
        {
            TestUtil.AssertClose(expectedGradients.Parameters[parameter.Name], parameter.Grad, gradientTolerance, $"{label}: d{parameter.Name}");
        }
    }

    /// <summary>
    /// Near relu's kink, float32 and float64 may take different branches and the gradients then differ by
    /// O(1): the comparison is ill-posed there, and large cases would hit such a unit by chance. So each unit
    /// gets a bias of ±1 and weights small enough that |W_ih x + W_hh h| &lt; 0.5: every pre-activation is at
    /// least 0.5 from the kink, and both branches are still taken (about half the units each).
    /// </summary>
    private static void KeepAwayFromReluKink(ReferenceRecurrent reference, Random random)
    {
        foreach (var (name, values) in reference.Parameters)
        {
            if (name.StartsWith("bias_ih", StringComparison.Ordinal))
            {
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = random.Next(2) == 0 ? -1.0 : 1.0;
                }
            }
            else if (name.StartsWith("bias_hh", StringComparison.Ordinal))
            {
                Array.Clear(values);
            }
            else
            {
                // Σ|w|·|v| ≤ (0.4 / 3)·max|v|, with |v| ≤ 1 for inputs and initial states, ≤ 1.47 for h and
                // ≤ 2.1 for dropout-scaled h: at most 0.28 from W_ih x plus 0.2 from W_hh h.
                var fanIn = values.Length / reference.Hidden;
                var limit = 0.4 / (3.0 * fanIn);
                RoundToFloat(TestUtil.RandomArray(random, values.Length, limit)).CopyTo(values, 0);
            }
        }
    }

    private static double[] RoundToFloat(double[] values) => values.Select(v => (double)(float)v).ToArray();
}
