using Rnn.Data;

namespace Rnn.Tests.Data;

/// <summary>Keras's pad_sequences semantics; the first cases are the examples in its documentation.</summary>
public class SequencesPadTests
{
    private static readonly int[][] KerasExample = [[1], [2, 3], [4, 5, 6]];

    private static float[] Values(System.Numerics.Tensors.Tensor<float> tensor) => TestUtil.Span(tensor).ToArray();

    [Fact]
    public void Pad_DefaultsToPrePaddingWithZeros_AsKeras()
    {
        var padded = Sequences.Pad(KerasExample);
        Assert.Equal([3, 3], TestUtil.Shape(padded));
        Assert.Equal([0f, 0, 1, 0, 2, 3, 4, 5, 6], Values(padded));
    }

    [Fact]
    public void Pad_UsesTheGivenValue()
    {
        Assert.Equal([-1f, -1, 1, -1, 2, 3, 4, 5, 6], Values(Sequences.Pad(KerasExample, value: -1)));
    }

    [Fact]
    public void Pad_PostPadding_PutsTheSequenceFirst()
    {
        Assert.Equal([1f, 0, 0, 2, 3, 0, 4, 5, 6], Values(Sequences.Pad(KerasExample, padding: Padding.Post)));
    }

    [Fact]
    public void Pad_MaxLength_TruncatesFromTheStartByDefault()
    {
        var padded = Sequences.Pad(KerasExample, maxLength: 2);
        Assert.Equal([3, 2], TestUtil.Shape(padded));
        Assert.Equal([0f, 1, 2, 3, 5, 6], Values(padded));
    }

    [Fact]
    public void Pad_PostTruncating_KeepsTheFirstValues()
    {
        Assert.Equal([0f, 1, 2, 3, 4, 5], Values(Sequences.Pad(KerasExample, maxLength: 2, truncating: Truncating.Post)));
    }

    [Theory]
    [InlineData(Padding.Pre, Truncating.Pre, new float[] { 9, 9, 9, 7, 3, 4, 5, 6 })]
    [InlineData(Padding.Pre, Truncating.Post, new float[] { 9, 9, 9, 7, 1, 2, 3, 4 })]
    [InlineData(Padding.Post, Truncating.Pre, new float[] { 7, 9, 9, 9, 3, 4, 5, 6 })]
    [InlineData(Padding.Post, Truncating.Post, new float[] { 7, 9, 9, 9, 1, 2, 3, 4 })]
    public void Pad_PaddingAndTruncatingAreIndependent(Padding padding, Truncating truncating, float[] expected)
    {
        // Row 0 is short, so only the padding side matters; row 1 is long, so only the truncating end matters.
        int[][] sequences = [[7], [1, 2, 3, 4, 5, 6]];
        Assert.Equal(expected, Values(Sequences.Pad(sequences, maxLength: 4, padding, truncating, value: 9)));
    }

    [Fact]
    public void Pad_MaxLengthBeyondTheLongest_PadsEverySequence()
    {
        Assert.Equal([0f, 0, 0, 1, 0, 0, 2, 3, 0, 4, 5, 6], Values(Sequences.Pad(KerasExample, maxLength: 4)));
    }

    [Fact]
    public void Pad_EmptySequence_IsAllPadding()
    {
        int[][] sequences = [[], [5, 6]];
        Assert.Equal([-2f, -2, 5, 6], Values(Sequences.Pad(sequences, value: -2)));
    }

    [Fact]
    public void Pad_NoSequencesWithMaxLength_GivesAnEmptyBatch()
    {
        Assert.Equal([0, 5], TestUtil.Shape(Sequences.Pad([], maxLength: 5)));
    }

    [Fact]
    public void Pad_ZeroMaxLength_GivesEmptyRows()
    {
        Assert.Equal([3, 0], TestUtil.Shape(Sequences.Pad(KerasExample, maxLength: 0)));
    }

    [Fact]
    public void PadToArray_MatchesPad()
    {
        foreach (var padding in new[] { Padding.Pre, Padding.Post })
        {
            foreach (var truncating in new[] { Truncating.Pre, Truncating.Post })
            {
                int[][] sequences = [[1, 2, 3, 4, 5], [], [6], [7, 8, 9]];
                var array = Sequences.PadToArray(sequences, 3, padding, truncating, value: -1);
                var tensor = Sequences.Pad(sequences, 3, padding, truncating, value: -1);
                Assert.Equal(4, array.GetLength(0));
                Assert.Equal(3, array.GetLength(1));
                Assert.Equal(Values(tensor), array.Cast<int>().Select(v => (float)v));
            }
        }
    }

    [Fact]
    public void PadToArray_KeepsIdsBeyondFloatPrecision()
    {
        int[][] sequences = [[16_777_217]];
        Assert.Equal(16_777_217, Sequences.PadToArray(sequences)[0, 0]);
    }

    [Fact]
    public void Lengths_AreTheRealStepsKeptInEachRow()
    {
        int[][] sequences = [[1, 2, 3, 4, 5], [], [6], [7, 8, 9]];
        Assert.Equal([3, 0, 1, 3], Sequences.Lengths(sequences, maxLength: 3));
        Assert.Equal([5, 0, 1, 3], Sequences.Lengths(sequences));
    }

    [Fact]
    public void Lengths_WithPostPadding_MarkTheRealPrefixOfEachRow()
    {
        int[][] sequences = [[4, 4, 4], [5], [6, 6]];
        var padded = Sequences.PadToArray(sequences, padding: Padding.Post, value: 0);
        var lengths = Sequences.Lengths(sequences);
        for (var i = 0; i < sequences.Length; i++)
        {
            for (var t = 0; t < 3; t++)
            {
                Assert.Equal(t < lengths[i], padded[i, t] != 0);
            }
        }
    }

    [Fact]
    public void Pad_ThrowsForNoSequencesWithoutMaxLength()
    {
        var error = Assert.Throws<ArgumentException>(() => Sequences.Pad([]));
        Assert.Contains("Cannot infer the padded length from zero sequences; pass maxLength.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pad_ThrowsForNullSequence()
    {
        var error = Assert.Throws<ArgumentException>(() => Sequences.Pad([[1], null!]));
        Assert.Contains("sequences[1] is null; pass an empty array for an empty sequence.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pad_ThrowsForNegativeMaxLength()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Sequences.Pad(KerasExample, maxLength: -1));
        Assert.Contains("maxLength must be 0 or more", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pad_ThrowsForUndefinedPaddingOrTruncating()
    {
        Assert.Equal("padding", Assert.Throws<ArgumentOutOfRangeException>(() => Sequences.Pad(KerasExample, padding: (Padding)7)).ParamName);
        Assert.Equal("truncating", Assert.Throws<ArgumentOutOfRangeException>(() => Sequences.Pad(KerasExample, truncating: (Truncating)7)).ParamName);
    }

    [Fact]
    public void Pad_ThrowsForIdsAFloatCannotHoldExactly()
    {
        // 2^24 + 1 is the first integer float32 rounds (to 2^24).
        var error = Assert.Throws<ArgumentException>(() => Sequences.Pad([[1, 16_777_217]]));
        Assert.Contains("sequences[0][1] is 16777217, which a float cannot hold exactly", error.Message, StringComparison.Ordinal);
        Assert.Equal(16_777_216f, TestUtil.Span(Sequences.Pad([[16_777_216]]))[0]);
    }
}
