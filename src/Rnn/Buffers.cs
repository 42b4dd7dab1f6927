namespace Rnn;

/// <summary>Grow-only scratch arrays: a layer keeps one per intermediate and reuses it across calls.</summary>
internal static class Buffers
{
    /// <summary>Replaces <paramref name="buffer"/> with a larger array when it holds fewer than <paramref name="length"/> elements.</summary>
    public static void Grow<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new T[length];
        }
    }
}
