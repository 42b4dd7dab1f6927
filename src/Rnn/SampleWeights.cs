namespace Rnn;

/// <summary>The check of sample-weight values that every entry point taking them makes (the model's and the metrics').</summary>
internal static class SampleWeights
{
    /// <summary>
    /// The index of the first weight that is negative, NaN or infinite, or -1 when all are finite and not negative (the
    /// caller words the exception, so that nothing is formatted on the success path, which training takes every batch).
    /// </summary>
    /// <param name="weights">The weights.</param>
    /// <returns>The index, or -1.</returns>
    public static int FirstInvalid(ReadOnlySpan<float> weights)
    {
        for (var i = 0; i < weights.Length; i++)
        {
            if (!(float.IsFinite(weights[i]) && weights[i] >= 0f))
            {
                return i;
            }
        }

        return -1;
    }
}
