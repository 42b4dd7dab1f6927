using Rnn.Layers;

namespace Rnn.Tests.Reference;

/// <summary>The float64 reference's analytic backward agrees with central finite differences of its forward.</summary>
public class ReferenceRecurrentTests
{
    public static TheoryData<ReferenceCell, int, bool, bool, bool, bool, bool, bool, BidirectionalMerge, bool> Cases()
    {
        var data = new TheoryData<ReferenceCell, int, bool, bool, bool, bool, bool, bool, BidirectionalMerge, bool>();
        foreach (var cell in Enum.GetValues<ReferenceCell>())
        {
            // cell, layers, bidirectional, initial state, mask, go backwards, return sequences, use bias, merge, recurrent dropout
            data.Add(cell, 1, false, true, false, false, true, true, BidirectionalMerge.Concat, false);
            data.Add(cell, 2, true, false, true, true, false, true, BidirectionalMerge.Concat, false);
            data.Add(cell, 2, false, true, true, false, true, false, BidirectionalMerge.Concat, false);
            data.Add(cell, 1, true, true, false, true, true, true, BidirectionalMerge.Concat, false);

            // The merge modes, on sequences (with padding) and on the last step, through one or two layers.
            foreach (var merge in new[] { BidirectionalMerge.Sum, BidirectionalMerge.Average, BidirectionalMerge.Multiply })
            {
                data.Add(cell, 2, true, true, true, merge == BidirectionalMerge.Multiply, true, true, merge, false);
                data.Add(cell, 1, true, false, true, false, false, true, merge, false);
            }

            // Recurrent dropout: fixed masks on the state where it enters W_hh.
            data.Add(cell, 1, false, true, false, false, true, true, BidirectionalMerge.Concat, true);
            data.Add(cell, 2, true, true, true, true, false, true, BidirectionalMerge.Concat, true);
            data.Add(cell, 2, true, false, true, false, true, false, BidirectionalMerge.Average, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reference_Backward_MatchesFiniteDifferences(
        ReferenceCell cell, int layers, bool bidirectional, bool initialState, bool masked, bool goBackwards, bool returnSequences, bool useBias, BidirectionalMerge merge,
        bool recurrentDropout)
    {
        const int Batch = 2, Time = 4, Input = 3, Hidden = 3;
        var random = new Random(1234 + (int)cell);
        var model = new ReferenceRecurrent(cell, Input, Hidden, layers, bidirectional, useBias, merge);
        foreach (var p in model.Parameters.Values)
        {
            TestUtil.RandomArray(random, p.Length, 0.6).CopyTo(p, 0);
        }

        var states = layers * model.Directions * Batch * Hidden;
        var width = Hidden * model.Directions;
        var pass = new ReferenceRecurrent.Pass
        {
            Input = TestUtil.RandomArray(random, Batch * Time * Input),
            Batch = Batch,
            Time = Time,
            H0 = initialState ? TestUtil.RandomArray(random, states) : null,
            C0 = initialState && cell == ReferenceCell.Lstm ? TestUtil.RandomArray(random, states) : null,
            Mask = masked ? [true, true, true, true, true, false, true, false] : null,
            GoBackwards = goBackwards,
            ReturnSequences = returnSequences,
            DropoutMasks = layers > 1 ? [Enumerable.Range(0, Time * Batch * width).Select(i => i % 3 == 0 ? 0.0 : 1.5).ToArray()] : null,
            RecurrentDropoutMasks = recurrentDropout
                ? [.. Enumerable.Range(0, layers * model.Directions).Select(k => Enumerable.Range(0, Batch * Hidden).Select(i => (i + k) % 4 == 1 ? 0.0 : 4.0 / 3).ToArray())]
                : null,
            InputDropoutMask = recurrentDropout ? [.. Enumerable.Range(0, Batch * Input).Select(i => i % 3 == 2 ? 0.0 : 1.5)] : null,
        };
        var dOut = TestUtil.RandomArray(random, returnSequences ? Batch * Time * model.OutputWidth : Batch * model.OutputWidth);
        var dHn = TestUtil.RandomArray(random, states);
        var dCn = cell == ReferenceCell.Lstm ? TestUtil.RandomArray(random, states) : null;

        var grads = model.Backward(model.Forward(pass), dOut, dHn, dCn);

        double Loss() => model.Loss(pass, dOut, dHn, dCn);
        CheckNumerically(pass.Input, grads.Input, Loss, "dX");
        if (pass.H0 is not null)
        {
            CheckNumerically(pass.H0, grads.H0, Loss, "dh0");
        }

        if (pass.C0 is not null)
        {
            CheckNumerically(pass.C0, grads.C0, Loss, "dc0");
        }

        foreach (var (name, values) in model.Parameters)
        {
            CheckNumerically(values, grads.Parameters[name], Loss, name);
        }
    }

    private static void CheckNumerically(double[] values, double[] analytic, Func<double> loss, string what)
        => TestUtil.AssertClose(TestUtil.NumericGradient(values, loss), analytic, 1e-7, 1e-6, what);
}
