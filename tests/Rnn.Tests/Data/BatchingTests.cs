using System.Numerics.Tensors;
using Rnn.Data;

namespace Rnn.Tests.Data;

public class BatchingTests
{
    // First outputs of splitmix64.c (https://prng.di.unimi.it/splitmix64.c) from state 0, as published with the
    // reference code and used to seed xoshiro generators.
    private static readonly ulong[] SplitMix64Seed0 = [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F, 0xF88BB8A8724C81EC];

    /// <summary>A tensor [rows, a, b] whose element (r, i, j) is 100 r + 10 i + j.</summary>
    private static Tensor<float> Numbered(int rows, int a, int b)
    {
        var values = new float[rows * a * b];
        for (var r = 0; r < rows; r++)
        {
            for (var i = 0; i < a; i++)
            {
                for (var j = 0; j < b; j++)
                {
                    values[(((r * a) + i) * b) + j] = (100 * r) + (10 * i) + j;
                }
            }
        }

        return TestUtil.ToTensor(values, rows, a, b);
    }

    private static float[] Row(int r, int a, int b)
    {
        var row = new List<float>();
        for (var i = 0; i < a; i++)
        {
            for (var j = 0; j < b; j++)
            {
                row.Add((100 * r) + (10 * i) + j);
            }
        }

        return [.. row];
    }

    [Fact]
    public void RandomSource_MatchesPublishedSplitMix64Outputs()
    {
        var random = new RandomSource(0);
        foreach (var expected in SplitMix64Seed0)
        {
            Assert.Equal(expected, random.NextUInt64());
        }
    }

    [Fact]
    public void Shuffle_ThreeValues_FollowsFisherYatesOnTheSplitMix64Sequence()
    {
        // By the definition: for i = 2, 1 draw j = floor(hi32(next) × (i + 1) / 2^32) (Lemire; no rejection happens
        // for these draws because the low words are far above the bound), then swap values i and j.
        static int Draw(ulong output, int bound) => (int)(((output >> 32) * (ulong)bound) >> 32);
        int[] expected = [0, 1, 2];
        var j2 = Draw(SplitMix64Seed0[0], 3);
        (expected[2], expected[j2]) = (expected[j2], expected[2]);
        var j1 = Draw(SplitMix64Seed0[1], 2);
        (expected[1], expected[j1]) = (expected[j1], expected[1]);

        int[] values = [0, 1, 2];
        Batching.Shuffle(values, seed: 0);

        Assert.Equal(expected, values);
    }

    [Fact]
    public void ShuffledIndices_IsAPermutation()
    {
        var indices = Batching.ShuffledIndices(1000, seed: 42);
        Assert.Equal(Enumerable.Range(0, 1000), indices.Order());
        Assert.NotEqual(Enumerable.Range(0, 1000), indices);
    }

    [Fact]
    public void ShuffledIndices_IsTheSameForTheSameSeedAndDiffersForAnother()
    {
        Assert.Equal(Batching.ShuffledIndices(50, seed: 7), Batching.ShuffledIndices(50, seed: 7));
        Assert.NotEqual(Batching.ShuffledIndices(50, seed: 7), Batching.ShuffledIndices(50, seed: 8));
    }

    [Fact]
    public void ShuffledIndices_DrawsEveryOrderOfThreeAboutEquallyOften()
    {
        // 6000 seeds over the 6 orders: about 1000 each, standard deviation about 29; a biased bounded draw
        // (for example a plain modulo of few bits) would skew some orders far outside ±150.
        var counts = new Dictionary<string, int>();
        for (var seed = 0; seed < 6000; seed++)
        {
            var key = string.Join(",", Batching.ShuffledIndices(3, seed));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        Assert.Equal(6, counts.Count);
        Assert.All(counts.Values, count => Assert.InRange(count, 850, 1150));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void ShuffledIndices_HandlesEmptyAndSingleton(int count)
    {
        Assert.Equal(Enumerable.Range(0, count), Batching.ShuffledIndices(count, seed: 3));
    }

    [Fact]
    public void ShuffledIndices_ThrowsForNegativeCount()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Batching.ShuffledIndices(-1, seed: 0));
    }

    [Fact]
    public void GatherRows_CopiesTheChosenRowsInOrderAndReportsTheCount()
    {
        var source = Numbered(4, 2, 3);
        var destination = new float[24];
        destination.AsSpan().Fill(-1f);

        var written = Batching.GatherRows(source, [3, 0, 3], destination);

        Assert.Equal(18, written);
        Assert.Equal([.. Row(3, 2, 3), .. Row(0, 2, 3), .. Row(3, 2, 3)], destination[..18]);
        Assert.All(destination[18..], v => Assert.Equal(-1f, v));
    }

    [Fact]
    public void GatherRows_DoesNotAllocateOnceWarm()
    {
        var source = Numbered(64, 10, 3);
        var order = Batching.ShuffledIndices(64, seed: 1);
        var buffer = new float[16 * 30];
        Batching.GatherRows(source, order.AsSpan(0, 16), buffer);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var start = 0; start < 64; start += 16)
        {
            Batching.GatherRows(source, order.AsSpan(start, 16), buffer);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void GatherRows_ThrowsForTooSmallDestination()
    {
        var error = Assert.Throws<ArgumentException>(() => Batching.GatherRows(Numbered(4, 2, 3), [0, 1], new float[11]));
        Assert.Contains("The destination holds 11 values but 2 rows of 6 values (source shape [4, 2, 3]) need 12.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(-1)]
    public void GatherRows_ThrowsForRowOutsideTheSource(int row)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Batching.GatherRows(Numbered(4, 2, 3), [0, row], new float[12]));
        Assert.Contains($"Row index rows[1] is {row} but the source has 4 rows (shape [4, 2, 3]).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GatherRows_IntoANewTensorKeepsTheRowShape()
    {
        var gathered = Batching.GatherRows(Numbered(5, 2, 3), [4, 1]);
        Assert.Equal([2, 2, 3], TestUtil.Shape(gathered));
        Assert.Equal([.. Row(4, 2, 3), .. Row(1, 2, 3)], TestUtil.Span(gathered).ToArray());
    }

    [Fact]
    public void GatherRows_TreatsEachElementOfAVectorAsARow()
    {
        var gathered = Batching.GatherRows(TestUtil.ToTensor([10f, 11f, 12f], 3), [2, 2, 0]);
        Assert.Equal([3], TestUtil.Shape(gathered));
        Assert.Equal([12f, 12f, 10f], TestUtil.Span(gathered).ToArray());
    }

    [Fact]
    public void SliceRows_CopiesConsecutiveRows()
    {
        var source = Numbered(5, 2, 3);
        var slice = Batching.SliceRows(source, 1, 3);
        Assert.Equal([3, 2, 3], TestUtil.Shape(slice));
        Assert.Equal([.. Row(1, 2, 3), .. Row(2, 2, 3), .. Row(3, 2, 3)], TestUtil.Span(slice).ToArray());

        TestUtil.Span(slice)[0] = -5f;
        Assert.Equal(100f, TestUtil.Span(source)[6]);
    }

    [Theory]
    [InlineData(-1, 2)]
    [InlineData(4, 2)]
    [InlineData(0, 6)]
    public void SliceRows_ThrowsForRangeOutsideTheSource(int start, int count)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Batching.SliceRows(Numbered(5, 2, 3), start, count));
        Assert.Contains("are not inside the source's 5 rows (shape [5, 2, 3])", error.Message, StringComparison.Ordinal);
    }
}
