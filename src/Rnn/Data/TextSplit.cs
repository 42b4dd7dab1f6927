namespace Rnn.Data;

/// <summary>How <see cref="TextVectorizer"/> cuts a standardized text into tokens (Keras <c>TextVectorization</c>'s <c>split</c>).</summary>
public enum TextSplit
{
    /// <summary>
    /// Words: the runs of characters between ASCII whitespace (space, tab, line feed, vertical tab, form feed,
    /// carriage return). Leading, trailing and repeated whitespace make no empty tokens (Keras <c>"whitespace"</c>, the
    /// default, which is <c>tf.strings.split</c>: Python's <c>str.split()</c> with C's <c>isspace</c>).
    /// </summary>
    Whitespace,

    /// <summary>
    /// Unicode code points (Keras <c>"character"</c>, which is <c>tf.strings.unicode_split(text, "UTF-8")</c>): a surrogate
    /// pair such as an emoji is one token, never two halves. A letter followed by a combining accent is two tokens.
    /// </summary>
    Character,

    /// <summary>The whole standardized text is one token (Keras <c>None</c>); an empty text is the padding token, id 0.</summary>
    None,
}
