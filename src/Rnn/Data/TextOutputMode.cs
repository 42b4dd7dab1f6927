namespace Rnn.Data;

/// <summary>
/// What <see cref="TextVectorizer.Encode(IReadOnlyList{string})"/> gives for a batch of texts (Keras
/// <c>TextVectorization</c>'s <c>output_mode</c>). For <c>n</c> texts and a vocabulary of <c>V</c> ids:
/// <code>
/// Ids        [n, length]  the ids of each text's tokens, padded with 0            (Keras "int")
/// MultiHot   [n, V]       y[t, v] = 1 if id v occurs in text t, else 0            (Keras "multi_hot")
/// Count      [n, V]       y[t, v] = c[t, v], how often id v occurs in text t      (Keras "count")
/// TfIdf      [n, V]       y[t, v] = c[t, v] · idf[v]                             (Keras "tf_idf")
/// </code>
/// In the three bag-of-words modes the vocabulary has no padding entry: id 0 is the OOV token <c>"[UNK]"</c> and the
/// learned tokens start at 1, as in Keras; with <c>padToMaxTokens</c> the width is <c>maxTokens</c> instead of <c>V</c>.
/// </summary>
public enum TextOutputMode
{
    /// <summary>Token ids, one per token, for an <see cref="Layers.Embedding"/> (the default).</summary>
    Ids,

    /// <summary>One row per text: 1 for each id that occurs in it, 0 elsewhere.</summary>
    MultiHot,

    /// <summary>One row per text: how many times each id occurs in it.</summary>
    Count,

    /// <summary>
    /// One row per text: each id's count times its inverse document frequency, learned by <see cref="TextVectorizer.Adapt"/>
    /// over the <c>N</c> training texts as <c>idf[v] = ln(1 + N / (1 + df[v]))</c>, where <c>df[v]</c> is the number of
    /// texts that contain token <c>v</c>; the OOV id gets the mean of the tokens' weights (Keras's rule).
    /// </summary>
    TfIdf,
}
