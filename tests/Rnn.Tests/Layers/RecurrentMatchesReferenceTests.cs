using Rnn.Layers;
using Rnn.Tests.Reference;

namespace Rnn.Tests.Layers;

/// <summary>The fast float32 layers against the float64 reference: outputs, final states and every gradient.</summary>
public class RecurrentMatchesReferenceTests
{
    private static readonly int[] EdgeSizes = [1, 3, 17, 33, 65];

    /// <summary>Every combination of options, on small sizes.</summary>
    public static TheoryData<RecurrentCase> OptionCases()
    {
        var data = new TheoryData<RecurrentCase>();
        var seed = 0;
        foreach (var cell in Enum.GetValues<ReferenceCell>())
        {
            foreach (var layers in new[] { 1, 2, 3 })
            {
                foreach (var bidirectional in new[] { false, true })
                {
                    foreach (var initialState in new[] { false, true })
                    {
                        foreach (var masked in new[] { false, true })
                        {
                            foreach (var goBackwards in new[] { false, true })
                            {
                                foreach (var returnSequences in new[] { false, true })
                                {
                                    seed++;
                                    data.Add(new RecurrentCase(
                                        cell, Batch: 3, Time: 5, Input: 4, Hidden: 5, layers, bidirectional, initialState, masked, goBackwards, returnSequences,
                                        UseBias: seed % 3 != 0, Dropout: layers > 1 && seed % 2 == 0 ? 0.3f : 0f, Seed: seed));
                                }
                            }
                        }
                    }
                }
            }
        }

        return data;
    }

    /// <summary>Random shapes drawn from the edge sizes for batch, time, input and hidden, with random options.</summary>
    public static TheoryData<RecurrentCase> SizeCases()
    {
        var data = new TheoryData<RecurrentCase>();
        var random = new Random(2024);
        foreach (var cell in Enum.GetValues<ReferenceCell>())
        {
            // Each size appears in each dimension once, in a shuffled pairing, plus the all-65 corner.
            var orders = Enumerable.Range(0, 4).Select(_ => EdgeSizes.OrderBy(_ => random.Next()).ToArray()).ToArray();
            for (var i = 0; i < EdgeSizes.Length; i++)
            {
                data.Add(new RecurrentCase(
                    cell, orders[0][i], orders[1][i], orders[2][i], orders[3][i], Layers: random.Next(1, 4), Bidirectional: random.Next(2) == 0,
                    InitialState: random.Next(2) == 0, Masked: random.Next(2) == 0, GoBackwards: random.Next(4) == 0, ReturnSequences: random.Next(2) == 0,
                    Seed: random.Next()));
            }

            data.Add(new RecurrentCase(cell, 65, 65, 65, 65, Layers: 2, Bidirectional: true, InitialState: true, Masked: true, Seed: 65));
        }

        return data;
    }

    /// <summary>
    /// Each merge mode × cell × returnSequences × 1–2 layers, on sizes that cycle through small and odd ones, with the
    /// other options (initial states, masks, go-backwards, dropout, no bias) varying from case to case.
    /// </summary>
    public static TheoryData<RecurrentCase> MergeCases()
    {
        (int Batch, int Time, int Input, int Hidden)[] sizes = [(3, 5, 4, 5), (1, 17, 3, 33), (5, 3, 17, 1), (2, 9, 1, 17), (4, 1, 5, 3), (7, 4, 33, 9)];
        var data = new TheoryData<RecurrentCase>();
        var index = 0;
        foreach (var merge in new[] { BidirectionalMerge.Sum, BidirectionalMerge.Average, BidirectionalMerge.Multiply })
        {
            foreach (var cell in Enum.GetValues<ReferenceCell>())
            {
                foreach (var layers in new[] { 1, 2 })
                {
                    foreach (var returnSequences in new[] { false, true })
                    {
                        var (batch, time, input, hidden) = sizes[index % sizes.Length];
                        index++;
                        data.Add(new RecurrentCase(
                            cell, batch, time, input, hidden, layers, Bidirectional: true, InitialState: index % 2 == 0, Masked: index % 3 != 0,
                            GoBackwards: index % 5 == 0, returnSequences, UseBias: index % 7 != 0, Dropout: layers > 1 && index % 4 == 0 ? 0.3f : 0f,
                            Seed: 500 + index, Merge: merge));
                    }
                }
            }
        }

        return data;
    }

    /// <summary>
    /// Recurrent dropout (and, in two cases of three, input dropout) for each cell, on shapes that run on one thread and on shapes that split the hidden units (one
    /// sequence, large H) or the batch rows (batch ≥ 32, small weights) when two threads are available, with the other
    /// options varying.
    /// </summary>
    public static TheoryData<RecurrentCase> RecurrentDropoutCases()
    {
        (int Batch, int Time, int Input, int Hidden)[] sizes = [(3, 5, 4, 5), (1, 9, 17, 160), (40, 6, 3, 33), (2, 17, 1, 17), (5, 4, 7, 1)];
        var data = new TheoryData<RecurrentCase>();
        var index = 0;
        foreach (var cell in Enum.GetValues<ReferenceCell>())
        {
            foreach (var (batch, time, input, hidden) in sizes)
            {
                index++;
                data.Add(new RecurrentCase(
                    cell, batch, time, input, hidden, Layers: 1 + (index % 2), Bidirectional: index % 3 != 0, InitialState: index % 2 == 0, Masked: index % 4 != 0,
                    GoBackwards: index % 5 == 0, ReturnSequences: index % 3 != 1, UseBias: index % 7 != 0, Dropout: index % 2 == 1 ? 0.2f : 0f, Seed: 900 + index,
                    Merge: index % 6 == 2 ? BidirectionalMerge.Sum : BidirectionalMerge.Concat, RecurrentDropout: index % 4 == 0 ? 0.5f : 0.25f,
                    InputDropout: index % 3 == 0 ? 0f : 0.3f));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RecurrentDropoutCases))]
    public void Recurrent_RecurrentDropout_MatchesReference(RecurrentCase c) => RecurrentHarness.Check(c);

    [Theory]
    [MemberData(nameof(MergeCases))]
    public void Recurrent_MergeModes_MatchReference(RecurrentCase c) => RecurrentHarness.Check(c);

    [Theory]
    [MemberData(nameof(OptionCases))]
    public void Recurrent_EveryOption_MatchesReference(RecurrentCase c) => RecurrentHarness.Check(c);

    [Theory]
    [MemberData(nameof(SizeCases))]
    public void Recurrent_EdgeSizes_MatchReference(RecurrentCase c) => RecurrentHarness.Check(c);
}
