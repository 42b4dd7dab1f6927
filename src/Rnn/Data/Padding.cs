namespace Rnn.Data;

/// <summary>Where <see cref="Sequences.Pad"/> adds padding to a sequence shorter than the padded length (Keras <c>padding</c>).</summary>
public enum Padding
{
    /// <summary>Before the sequence, so that it ends at the last step (Keras's default, <c>'pre'</c>).</summary>
    Pre,

    /// <summary>
    /// After the sequence, so that it starts at the first step (<c>'post'</c>). What masks and per-sequence lengths
    /// expect: the real steps come first and the padding is a tail to skip.
    /// </summary>
    Post,
}
