using System.Numerics.Tensors;

namespace Rnn.Data;

/// <summary>
/// Pads variable-length sequences of token ids to one length, as Keras's <c>keras.utils.pad_sequences</c>
/// (Keras 3, <c>keras/src/utils/sequence_utils.py</c>), so that they form one batch.
/// </summary>
/// <remarks>
/// <para>
/// The padded length is <c>maxLength</c>, or the longest sequence's length when it is null. A shorter sequence is
/// filled with <c>value</c> on the side <see cref="Padding"/> names; a longer one loses values from the end
/// <see cref="Truncating"/> names. Both default to <see cref="Padding.Pre"/> / <see cref="Truncating.Pre"/>, as in
/// Keras, so every sequence ends at the last step and keeps its most recent values.
/// </para>
/// <para>
/// For recurrent layers prefer <see cref="Padding.Post"/>: with the real steps first, a mask or the per-sequence
/// lengths from <see cref="Lengths"/> mark a padded tail that the layer can skip, which is the layout PyTorch's packed
/// sequences require and what Keras's guide on masking and padding recommends for RNN layers (its cuDNN path needs
/// "strictly right-padded" inputs).
/// </para>
/// </remarks>
public static class Sequences
{
    // Integers up to 2^24 are exact in float32; larger ids would silently turn into neighbouring ids.
    private const int LargestExactId = 1 << 24;

    /// <summary>Pads (and truncates) token-id sequences into a float tensor, for an embedding layer.</summary>
    /// <param name="sequences">The sequences; empty ones become all padding.</param>
    /// <param name="maxLength">The padded length; null for the longest sequence's length.</param>
    /// <param name="padding">Where to pad a short sequence (Keras <c>padding</c>, default <c>'pre'</c>).</param>
    /// <param name="truncating">Which end to cut from a long sequence (Keras <c>truncating</c>, default <c>'pre'</c>).</param>
    /// <param name="value">The padding value (Keras <c>value</c>).</param>
    /// <returns>A tensor <c>[sequences.Count, maxLength]</c>.</returns>
    /// <exception cref="ArgumentException">A sequence is null, an id is beyond ±2^24 (not exact in float; use <see cref="PadToArray"/>), or the length cannot be inferred from zero sequences.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is negative or an enum value is undefined.</exception>
    public static Tensor<float> Pad(
        IReadOnlyList<int[]> sequences,
        int? maxLength = null,
        Padding padding = Padding.Pre,
        Truncating truncating = Truncating.Pre,
        float value = 0f)
    {
        var length = PaddedLength(sequences, maxLength, padding, truncating);
        var result = new float[checked(sequences.Count * length)];
        result.AsSpan().Fill(value);
        for (var i = 0; i < sequences.Count; i++)
        {
            var (source, destination, count) = Placement(sequences[i].Length, length, padding, truncating);
            var row = result.AsSpan(i * length, length);
            for (var t = 0; t < count; t++)
            {
                var id = sequences[i][source + t];
                if (id > LargestExactId || id < -LargestExactId)
                {
                    throw new ArgumentException(
                        $"sequences[{i}][{source + t}] is {id}, which a float cannot hold exactly (ids must be within ±{LargestExactId}); use PadToArray for larger ids.",
                        nameof(sequences));
                }

                row[destination + t] = id;
            }
        }

        return Tensor.Create(result, [sequences.Count, length]);
    }

    /// <summary>Pads (and truncates) token-id sequences into an integer array, Keras's default <c>dtype='int32'</c>.</summary>
    /// <param name="sequences">The sequences; empty ones become all padding.</param>
    /// <param name="maxLength">The padded length; null for the longest sequence's length.</param>
    /// <param name="padding">Where to pad a short sequence (default <c>'pre'</c>).</param>
    /// <param name="truncating">Which end to cut from a long sequence (default <c>'pre'</c>).</param>
    /// <param name="value">The padding value.</param>
    /// <returns>An array <c>[sequences.Count, maxLength]</c>.</returns>
    /// <exception cref="ArgumentException">A sequence is null, or the length cannot be inferred from zero sequences.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is negative or an enum value is undefined.</exception>
    public static int[,] PadToArray(
        IReadOnlyList<int[]> sequences,
        int? maxLength = null,
        Padding padding = Padding.Pre,
        Truncating truncating = Truncating.Pre,
        int value = 0)
    {
        var length = PaddedLength(sequences, maxLength, padding, truncating);
        var result = new int[sequences.Count, length];
        for (var i = 0; i < sequences.Count; i++)
        {
            var (source, destination, count) = Placement(sequences[i].Length, length, padding, truncating);
            for (var t = 0; t < length; t++)
            {
                result[i, t] = t >= destination && t < destination + count ? sequences[i][source + t - destination] : value;
            }
        }

        return result;
    }

    /// <summary>
    /// How many real (non-padding) steps each padded sequence keeps: <c>min(length, maxLength)</c>. With
    /// <see cref="Padding.Post"/> they are the first that many steps of each row, the lengths a recurrent layer takes
    /// for variable-length batches; with <see cref="Padding.Pre"/> they are the last.
    /// </summary>
    /// <param name="sequences">The sequences, as given to <see cref="Pad"/>.</param>
    /// <param name="maxLength">The same <c>maxLength</c> as given to <see cref="Pad"/>.</param>
    /// <returns>One length per sequence.</returns>
    /// <exception cref="ArgumentException">A sequence is null, or the length cannot be inferred from zero sequences.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is negative.</exception>
    public static int[] Lengths(IReadOnlyList<int[]> sequences, int? maxLength = null)
    {
        var length = PaddedLength(sequences, maxLength, Padding.Pre, Truncating.Pre);
        var result = new int[sequences.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = Math.Min(sequences[i].Length, length);
        }

        return result;
    }

    /// <summary>Validates the arguments and returns the padded length.</summary>
    private static int PaddedLength(IReadOnlyList<int[]> sequences, int? maxLength, Padding padding, Truncating truncating)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (padding is not (Padding.Pre or Padding.Post))
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, "padding must be Padding.Pre or Padding.Post.");
        }

        if (truncating is not (Truncating.Pre or Truncating.Post))
        {
            throw new ArgumentOutOfRangeException(nameof(truncating), truncating, "truncating must be Truncating.Pre or Truncating.Post.");
        }

        if (maxLength < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maxLength must be 0 or more, or null for the longest sequence's length.");
        }

        var longest = 0;
        for (var i = 0; i < sequences.Count; i++)
        {
            if (sequences[i] is not { } sequence)
            {
                throw new ArgumentException($"sequences[{i}] is null; pass an empty array for an empty sequence.", nameof(sequences));
            }

            longest = Math.Max(longest, sequence.Length);
        }

        if (maxLength is null && sequences.Count == 0)
        {
            throw new ArgumentException("Cannot infer the padded length from zero sequences; pass maxLength.", nameof(sequences));
        }

        return maxLength ?? longest;
    }

    /// <summary>Where a sequence of <paramref name="length"/> values lands in a padded row: copy <c>count</c> values from <c>source</c> to <c>destination</c>.</summary>
    private static (int Source, int Destination, int Count) Placement(int length, int paddedLength, Padding padding, Truncating truncating)
    {
        var count = Math.Min(length, paddedLength);
        var source = truncating == Truncating.Pre ? length - count : 0;
        var destination = padding == Padding.Pre ? paddedLength - count : 0;
        return (source, destination, count);
    }
}
