using Rnn.Kernels;

namespace Rnn.Tests.Kernels;

public class ShortCopyTests
{
    /// <summary>
    /// Every length through the vector ladder (16, 8, 4, single floats) and past the switch to memmove, from and
    /// to unaligned places: exactly the source's floats arrive, and nothing around the destination changes.
    /// </summary>
    [Fact]
    public void Copy_CopiesExactlyTheGivenFloats()
    {
        var source = Enumerable.Range(1, 400).Select(i => i + 0.25f).ToArray();
        for (var count = 0; count <= 300; count++)
        {
            foreach (var (from, to) in new[] { (0, 0), (3, 1), (1, 5) })
            {
                var destination = Enumerable.Repeat(-1f, count + 16).ToArray();
                ShortCopy.Copy(ref source[from], ref destination[to], count);
                for (var i = 0; i < destination.Length; i++)
                {
                    var expected = i >= to && i < to + count ? source[from + i - to] : -1f;
                    Assert.True(expected == destination[i], $"count {count}, from {from}, to {to}: destination[{i}] = {destination[i]}, expected {expected}");
                }
            }
        }
    }
}
