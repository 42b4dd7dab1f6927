namespace Rnn.Data;

/// <summary>
/// What <see cref="TextVectorizer"/> does to a text before splitting it (Keras <c>TextVectorization</c>'s
/// <c>standardize</c>). Lowercasing comes first, then punctuation stripping.
/// </summary>
public enum TextStandardization
{
    /// <summary>Leave the text as it is (Keras <c>None</c>).</summary>
    None,

    /// <summary>
    /// Lowercase the ASCII letters <c>A</c>–<c>Z</c> (Keras <c>"lower"</c>). Other letters keep their case, as in Keras,
    /// whose <c>tf.strings.lower</c> runs with its default encoding <c>''</c>, which TensorFlow reads as ASCII.
    /// </summary>
    Lower,

    /// <summary>
    /// Remove the 32 ASCII punctuation characters <c>!"#$%&amp;'()*+,-./:;&lt;=&gt;?@[\]^_`{|}~</c> (Keras
    /// <c>"strip_punctuation"</c>, whose regular expression is <c>[!"#$%&amp;()\*\+,-\./:;&lt;=&gt;?@\[\\\]^_`{|}~\']</c>).
    /// Other punctuation (typographic quotes, dashes, ellipses) stays.
    /// </summary>
    StripPunctuation,

    /// <summary><see cref="Lower"/>, then <see cref="StripPunctuation"/> (Keras's default, <c>"lower_and_strip_punctuation"</c>).</summary>
    LowerAndStripPunctuation,
}
