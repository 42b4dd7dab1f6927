namespace Rnn.Data;

/// <summary>Which end <see cref="Sequences.Pad"/> cuts from a sequence longer than the padded length (Keras <c>truncating</c>).</summary>
public enum Truncating
{
    /// <summary>Drop values from the beginning, keeping the last ones (Keras's default, <c>'pre'</c>).</summary>
    Pre,

    /// <summary>Drop values from the end, keeping the first ones (<c>'post'</c>).</summary>
    Post,
}
