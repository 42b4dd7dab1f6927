using System.Numerics.Tensors;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rnn.Serialization;

namespace Rnn.Data;

/// <summary>
/// Turns texts into sequences of token ids for an <see cref="Layers.Embedding"/>, or into bag-of-words rows for a
/// <see cref="Layers.Dense"/>, as Keras 3's <c>keras.layers.TextVectorization</c> (<c>keras/src/layers/preprocessing/text_vectorization.py</c>,
/// its vocabulary kept by <c>index_lookup.py</c>), as a plain data helper rather than a layer: standardize each text,
/// split it into tokens, add the n-grams of <c>ngrams</c> tokens, and look each token up in a vocabulary learned by
/// <see cref="Adapt"/> or given; <see cref="TextOutputMode"/> says what a batch becomes.
/// </summary>
/// <remarks>
/// <para>
/// Ids: 0 is the padding token <c>""</c> (<see cref="PaddingId"/>, the mask of <c>Embedding(maskZero: true)</c>), 1 the
/// out-of-vocabulary token <c>"[UNK]"</c> (<see cref="OovId"/>) that every unknown token maps to, and 2.. the
/// vocabulary's tokens. <see cref="Adapt"/> orders the tokens by how often they occur, most frequent first; tokens
/// that occur equally often are in descending Unicode code point order (the order of their UTF-8 bytes, which is
/// Keras's rule: <c>np.lexsort((tokens, counts))[::-1]</c>, "ties broken by sort order of the tokens (high to low)").
/// With <c>maxTokens</c>, only the <c>maxTokens − 2</c> most frequent tokens are kept: the limit counts the padding
/// and OOV entries, as Keras's <c>max_tokens</c> does.
/// </para>
/// <para>
/// <see cref="Encode(string)"/> gives one text's ids, one per token; <see cref="Encode(IReadOnlyList{string})"/>
/// gives a batch <c>[texts, length]</c> padded with 0 at the end and cut at the end, to <c>outputSequenceLength</c>
/// or else to the longest text (Keras's <c>output_sequence_length</c>, through <see cref="Sequences.Pad"/> with
/// <see cref="Padding.Post"/> and <see cref="Truncating.Post"/>). <see cref="Decode(ReadOnlySpan{int})"/> maps ids
/// back to tokens and joins them: the round trip gives the standardized text, with single spaces between words.
/// </para>
/// <para>
/// The standardization and the splitting are Keras's exactly, so a vocabulary moves between the two unchanged (Keras's
/// <c>get_vocabulary()</c> into <see cref="TextVectorizer(IEnumerable{string}, int?, TextStandardization, TextSplit, int?, int?, TextOutputMode, bool, IEnumerable{float}?)"/>):
/// lowercasing and whitespace are ASCII only (see <see cref="TextStandardization"/> and <see cref="TextSplit"/>). An
/// unpaired UTF-16 surrogate (not valid Unicode) first becomes U+FFFD, as TensorFlow decodes invalid UTF-8, so that
/// every token can be stored in a file. Unlike Keras, a vectorizer created with a vocabulary may still
/// <see cref="Adapt"/>, which replaces it, as <see cref="FeatureScaler.Fit(Tensor{float})"/> replaces what a scaler
/// learned. Of Keras's options, <c>ngrams</c> as a tuple of widths (only "1 to n" is), <c>output_mode="one_hot"</c>, and
/// callables for <c>standardize</c> and <c>split</c> are not provided.
/// </para>
/// <para>
/// In the bag-of-words modes (<see cref="TextOutputMode.MultiHot"/>, <see cref="TextOutputMode.Count"/>,
/// <see cref="TextOutputMode.TfIdf"/>) the vocabulary has no padding entry, as in Keras: id 0 is <c>"[UNK]"</c>, the
/// learned tokens start at 1, <c>maxTokens</c> counts the OOV entry only, and an empty token (the padding token, from
/// <see cref="TextSplit.None"/> on an empty text) is dropped instead of counted.
/// </para>
/// <para>
/// <see cref="Save"/> writes the settings and the vocabulary as a small JSON file, atomically, and <see cref="Load"/>
/// reads it back, so that the texts of a later run get the ids the model was trained with.
/// </para>
/// </remarks>
public sealed class TextVectorizer
{
    /// <summary>The id of the padding token <c>""</c> in <see cref="TextOutputMode.Ids"/> mode: <see cref="Encode(IReadOnlyList{string})"/> pads with it and <see cref="Decode(ReadOnlySpan{int})"/> skips it.</summary>
    public const int PaddingId = 0;

    /// <summary>The id every token outside the vocabulary maps to in <see cref="TextOutputMode.Ids"/> mode (0 in the bag-of-words modes, which have no padding id).</summary>
    public const int OovId = 1;

    /// <summary>The padding (mask) token, <see cref="Vocabulary"/>[0]: the empty string, Keras's <c>mask_token</c>.</summary>
    public const string PaddingToken = "";

    /// <summary>The out-of-vocabulary token, <see cref="Vocabulary"/>[1]: <c>"[UNK]"</c>, Keras's <c>oov_token</c>.</summary>
    public const string OovToken = "[UNK]";

    /// <summary>The <c>format</c> of the files <see cref="Save"/> writes for an <see cref="TextOutputMode.Ids"/> vectorizer without n-grams, which the first version of this class reads too.</summary>
    private const string FormatValue = "rnn.text_vectorizer/1";

    /// <summary>The <c>format</c> of the files with n-grams or a bag-of-words mode, settings that a reader of the first format would ignore.</summary>
    private const string FormatValue2 = "rnn.text_vectorizer/2";

    // Keras's output_mode values.
    private static readonly (TextOutputMode Value, string Name)[] OutputModeNames =
    [
        (TextOutputMode.Ids, "int"),
        (TextOutputMode.MultiHot, "multi_hot"),
        (TextOutputMode.Count, "count"),
        (TextOutputMode.TfIdf, "tf_idf"),
    ];

    // Keras's standardize and split values, as its get_config writes them (null for None).
    private static readonly (TextStandardization Value, string? Name)[] StandardizeNames =
    [
        (TextStandardization.None, null),
        (TextStandardization.Lower, "lower"),
        (TextStandardization.StripPunctuation, "strip_punctuation"),
        (TextStandardization.LowerAndStripPunctuation, "lower_and_strip_punctuation"),
    ];

    private static readonly (TextSplit Value, string? Name)[] SplitNames =
    [
        (TextSplit.Whitespace, "whitespace"),
        (TextSplit.Character, "character"),
        (TextSplit.None, null),
    ];

    private static readonly JsonWriterOptions FileWriterOptions = new()
    {
        // The file is never embedded in HTML, so only what JSON itself requires is escaped and tokens read as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = true,
    };

    private string[]? _vocabulary;
    private IReadOnlyList<string>? _readOnlyVocabulary;
    private Dictionary<string, int>? _ids;
    private float[]? _idfWeights;

    /// <summary>Creates a vectorizer without a vocabulary; call <see cref="Adapt"/> on the training texts.</summary>
    /// <param name="maxTokens">The largest vocabulary, padding and OOV tokens included (Keras <c>max_tokens</c>); at least 2; null for no limit.</param>
    /// <param name="standardize">What to do to each text before splitting it (Keras <c>standardize</c>, default lowercase and strip punctuation).</param>
    /// <param name="split">How to cut a text into tokens (Keras <c>split</c>, default words).</param>
    /// <param name="outputSequenceLength">The length of <see cref="Encode(IReadOnlyList{string})"/>'s rows (Keras <c>output_sequence_length</c>); null for the longest text of each batch. <see cref="TextOutputMode.Ids"/> only.</param>
    /// <param name="ngrams">
    /// Also make a token of every run of 2 to <paramref name="ngrams"/> consecutive tokens, joined by a space (Keras <c>ngrams</c>
    /// as an integer): a text's tokens are its single tokens, then its 2-grams, and so on. Null (or 1) for single tokens only.
    /// </param>
    /// <param name="outputMode">What <see cref="Encode(IReadOnlyList{string})"/> gives (Keras <c>output_mode</c>); ids by default.</param>
    /// <param name="padToMaxTokens">In the bag-of-words modes, make rows <paramref name="maxTokens"/> wide even when the vocabulary is smaller (Keras <c>pad_to_max_tokens</c>); needs <paramref name="maxTokens"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="maxTokens"/> is below the number of reserved ids (2 in <see cref="TextOutputMode.Ids"/> mode, 1 otherwise),
    /// <paramref name="outputSequenceLength"/> or <paramref name="ngrams"/> below 1, or an enum value is undefined.
    /// </exception>
    /// <exception cref="ArgumentException"><paramref name="outputSequenceLength"/> is given for a bag-of-words mode, or <paramref name="padToMaxTokens"/> without <paramref name="maxTokens"/>.</exception>
    public TextVectorizer(
        int? maxTokens = null,
        TextStandardization standardize = TextStandardization.LowerAndStripPunctuation,
        TextSplit split = TextSplit.Whitespace,
        int? outputSequenceLength = null,
        int? ngrams = null,
        TextOutputMode outputMode = TextOutputMode.Ids,
        bool padToMaxTokens = false)
    {
        if (!Enum.IsDefined(outputMode))
        {
            throw new ArgumentOutOfRangeException(nameof(outputMode), outputMode, "outputMode must be one of the TextOutputMode values.");
        }

        var reserved = outputMode == TextOutputMode.Ids ? "the padding and OOV tokens" : "the OOV token";
        if (maxTokens < ReservedCount(outputMode))
        {
            throw new ArgumentOutOfRangeException(
                nameof(maxTokens), maxTokens, $"maxTokens must be at least {ReservedCount(outputMode)}, room for {reserved}, or null for no limit.");
        }

        if (outputSequenceLength < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(outputSequenceLength), outputSequenceLength, "outputSequenceLength must be at least 1, or null to pad each batch to its longest text.");
        }

        if (outputSequenceLength is not null && outputMode != TextOutputMode.Ids)
        {
            throw new ArgumentException(
                $"outputSequenceLength is {outputSequenceLength}, but it applies to TextOutputMode.Ids only: a {outputMode} row has one entry per vocabulary id. Leave it null.",
                nameof(outputSequenceLength));
        }

        if (ngrams < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ngrams), ngrams, "ngrams must be at least 1 (the longest run of tokens to join), or null for single tokens.");
        }

        if (padToMaxTokens && maxTokens is null)
        {
            throw new ArgumentException("padToMaxTokens needs maxTokens, the width to pad the rows to; give maxTokens or leave padToMaxTokens false.", nameof(padToMaxTokens));
        }

        if (!Enum.IsDefined(standardize))
        {
            throw new ArgumentOutOfRangeException(nameof(standardize), standardize, "standardize must be one of the TextStandardization values.");
        }

        if (!Enum.IsDefined(split))
        {
            throw new ArgumentOutOfRangeException(nameof(split), split, "split must be one of the TextSplit values.");
        }

        MaxTokens = maxTokens;
        Standardize = standardize;
        Split = split;
        OutputSequenceLength = outputSequenceLength;
        Ngrams = ngrams;
        OutputMode = outputMode;
        PadToMaxTokens = padToMaxTokens;
    }

    /// <summary>
    /// Creates a vectorizer with a known vocabulary (Keras's <c>vocabulary</c> argument), for example one that Keras's
    /// <c>get_vocabulary()</c> returned or this class's <see cref="Vocabulary"/>. The vocabulary may start with the reserved
    /// tokens (<c>""</c>, <c>"[UNK]"</c> in <see cref="TextOutputMode.Ids"/> mode; <c>"[UNK]"</c> in the bag-of-words modes;
    /// then it is taken as is) or leave them out (then they are put before it), as in Keras.
    /// </summary>
    /// <param name="vocabulary">The tokens, in id order.</param>
    /// <param name="maxTokens">The largest vocabulary, reserved tokens included; null for no limit.</param>
    /// <param name="standardize">What to do to each text before splitting it.</param>
    /// <param name="split">How to cut a text into tokens.</param>
    /// <param name="outputSequenceLength">The length of <see cref="Encode(IReadOnlyList{string})"/>'s rows; null for the longest text of each batch. <see cref="TextOutputMode.Ids"/> only.</param>
    /// <param name="ngrams">The longest run of tokens that also makes a token; null for single tokens.</param>
    /// <param name="outputMode">What <see cref="Encode(IReadOnlyList{string})"/> gives.</param>
    /// <param name="padToMaxTokens">In the bag-of-words modes, make rows <paramref name="maxTokens"/> wide.</param>
    /// <param name="idfWeights">
    /// <see cref="TextOutputMode.TfIdf"/> only, and needed there: one inverse document frequency per entry of
    /// <paramref name="vocabulary"/> as given (Keras <c>idf_weights</c>, e.g. <see cref="IdfWeights"/>); when the vocabulary
    /// leaves out <c>"[UNK]"</c>, it gets the mean of the given weights.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="vocabulary"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The vocabulary is empty, holds a null or an unpaired surrogate, repeats a token, holds a reserved token other than
    /// as its first entries in the mode's order, or is longer than <paramref name="maxTokens"/>; or the IDF weights are
    /// missing for <see cref="TextOutputMode.TfIdf"/>, given for another mode, not one per entry, or not finite. Keras accepts
    /// <c>"[UNK]"</c> elsewhere when it does not invert ids to tokens; this class also decodes, so it applies Keras's rule
    /// for inverting.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">As for the constructor without a vocabulary.</exception>
    public TextVectorizer(
        IEnumerable<string> vocabulary,
        int? maxTokens = null,
        TextStandardization standardize = TextStandardization.LowerAndStripPunctuation,
        TextSplit split = TextSplit.Whitespace,
        int? outputSequenceLength = null,
        int? ngrams = null,
        TextOutputMode outputMode = TextOutputMode.Ids,
        bool padToMaxTokens = false,
        IEnumerable<float>? idfWeights = null)
        : this(maxTokens, standardize, split, outputSequenceLength, ngrams, outputMode, padToMaxTokens)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        var given = vocabulary.ToList();
        if (given.Count == 0)
        {
            throw new ArgumentException("The vocabulary is empty; pass at least one token, or use the constructor without a vocabulary and call Adapt.", nameof(vocabulary));
        }

        var reserved = ReservedTokens(outputMode);
        var start = given.Take(reserved.Length).SequenceEqual(reserved, StringComparer.Ordinal) ? reserved.Length : 0;
        var tokens = new List<string>(given.Count - start + reserved.Length);
        tokens.AddRange(reserved);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var repeated = new List<string>();
        for (var i = start; i < given.Count; i++)
        {
            var token = given[i] ?? throw new ArgumentException($"vocabulary[{i}] is null; every token must be a string.", nameof(vocabulary));
            if (token is PaddingToken or OovToken)
            {
                var order = outputMode == TextOutputMode.Ids
                    ? "Leave out both reserved tokens, or put them first in this order: \"\", \"[UNK]\"."
                    : $"Leave out the reserved tokens, or put \"[UNK]\" first; a {outputMode} vocabulary has no padding token.";
                throw new ArgumentException(
                    $"vocabulary[{i}] is the reserved {(token == PaddingToken ? "padding token \"\"" : "OOV token \"[UNK]\"")}. {order}",
                    nameof(vocabulary));
            }

            if (!ReferenceEquals(WellFormed(token), token))
            {
                throw new ArgumentException(
                    $"vocabulary[{i}] holds an unpaired UTF-16 surrogate: it is not Unicode text, no text encodes to it (unpaired surrogates become U+FFFD) and a saved file cannot hold it.",
                    nameof(vocabulary));
            }

            if (!seen.Add(token) && repeated.Count < 10)
            {
                repeated.Add(token);
            }

            tokens.Add(token);
        }

        if (repeated.Count > 0)
        {
            throw new ArgumentException($"The vocabulary repeats tokens, which would have two ids each: {string.Join(", ", repeated.Select(t => $"\"{t}\""))}.", nameof(vocabulary));
        }

        if (tokens.Count > maxTokens)
        {
            throw new ArgumentException(
                $"The vocabulary has {tokens.Count} entries with the reserved tokens, more than maxTokens = {maxTokens}.", nameof(vocabulary));
        }

        SetVocabulary([.. tokens], GivenIdfWeights(idfWeights, given.Count, start == 0));
    }

    /// <summary>The largest vocabulary, reserved tokens included; null for no limit.</summary>
    public int? MaxTokens { get; }

    /// <summary>What is done to each text before it is split.</summary>
    public TextStandardization Standardize { get; }

    /// <summary>How a text is cut into tokens.</summary>
    public TextSplit Split { get; }

    /// <summary>The length of <see cref="Encode(IReadOnlyList{string})"/>'s rows in <see cref="TextOutputMode.Ids"/> mode; null for the longest text of each batch.</summary>
    public int? OutputSequenceLength { get; }

    /// <summary>The longest run of consecutive tokens that also makes a token (joined by spaces); null for single tokens only.</summary>
    public int? Ngrams { get; }

    /// <summary>What <see cref="Encode(IReadOnlyList{string})"/> gives: ids, or one bag-of-words row per text.</summary>
    public TextOutputMode OutputMode { get; }

    /// <summary>Whether bag-of-words rows are <see cref="MaxTokens"/> wide rather than <see cref="VocabularySize"/>.</summary>
    public bool PadToMaxTokens { get; }

    /// <summary>
    /// The inverse document frequency of each id in <see cref="TextOutputMode.TfIdf"/> mode (Keras's <c>idf_weights</c>), one
    /// per <see cref="Vocabulary"/> entry; null in the other modes.
    /// </summary>
    /// <exception cref="InvalidOperationException">The mode is <see cref="TextOutputMode.TfIdf"/> and there is no vocabulary yet.</exception>
    public IReadOnlyList<float>? IdfWeights => OutputMode != TextOutputMode.TfIdf ? null
        : _idfWeights is { } weights ? Array.AsReadOnly(weights) : throw NoVocabulary("IdfWeights");

    /// <summary>Whether there is a vocabulary, from <see cref="Adapt"/> or given to the constructor.</summary>
    public bool HasVocabulary => _vocabulary is not null;

    /// <summary>The tokens in id order: <c>""</c> (padding, <see cref="TextOutputMode.Ids"/> mode only), <c>"[UNK]"</c> (OOV), then the learned or given tokens (Keras's <c>get_vocabulary()</c>).</summary>
    /// <exception cref="InvalidOperationException">There is no vocabulary yet.</exception>
    public IReadOnlyList<string> Vocabulary => _readOnlyVocabulary ?? throw NoVocabulary("Vocabulary");

    /// <summary>The number of ids, reserved ones included: the <c>inputDim</c> of the <see cref="Layers.Embedding"/> that reads the ids, the size of a <see cref="Layers.Dense"/> layer that predicts them, or the width of a bag-of-words row (Keras's <c>vocabulary_size()</c>).</summary>
    /// <exception cref="InvalidOperationException">There is no vocabulary yet.</exception>
    public int VocabularySize => RequireVocabulary("VocabularySize").Length;

    /// <summary>
    /// Learns the vocabulary from <paramref name="texts"/>, replacing any vocabulary before: every token of the
    /// standardized, split texts (and their n-grams) is counted, and the most frequent become the ids after the reserved
    /// ones (ties in descending code point order; at most <see cref="MaxTokens"/> minus the reserved ids of them). The
    /// reserved tokens <c>""</c> and <c>"[UNK]"</c> are not counted, as in Keras. Texts without any token give a vocabulary
    /// of the reserved tokens only. In <see cref="TextOutputMode.TfIdf"/> mode it also learns <see cref="IdfWeights"/>:
    /// <c>ln(1 + N / (1 + df))</c> for a token found in <c>df</c> of the <c>N</c> texts, and for <c>"[UNK]"</c> the mean of
    /// those (0 when there are no tokens, where Keras gives NaN).
    /// </summary>
    /// <param name="texts">The training texts.</param>
    /// <exception cref="ArgumentNullException"><paramref name="texts"/> is null.</exception>
    /// <exception cref="ArgumentException">A text is null.</exception>
    public void Adapt(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var documentCounts = OutputMode == TextOutputMode.TfIdf ? new Dictionary<string, long>(StringComparer.Ordinal) : null;
        var inThisText = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var text in texts)
        {
            inThisText.Clear();
            foreach (var token in Tokenize(text ?? throw new ArgumentException($"texts[{index}] is null; pass an empty string for an empty text.", nameof(texts))))
            {
                if (token is not (PaddingToken or OovToken))
                {
                    counts[token] = counts.GetValueOrDefault(token) + 1;
                    if (documentCounts is not null && inThisText.Add(token))
                    {
                        documentCounts[token] = documentCounts.GetValueOrDefault(token) + 1;
                    }
                }
            }

            index++;
        }

        var reserved = ReservedCount(OutputMode);
        string[] learned = [.. counts
            .OrderByDescending(pair => pair.Value)
            .ThenByDescending(pair => pair.Key, CodePointComparer.Instance)
            .Take(MaxTokens is { } max ? max - reserved : int.MaxValue)
            .Select(pair => pair.Key)];
        float[]? idf = null;
        if (documentCounts is not null)
        {
            // Keras: tf.math.log(1 + num_documents / (1 + token_document_counts)) in float64, then cast to float32.
            idf = new float[reserved + learned.Length];
            for (var i = 0; i < learned.Length; i++)
            {
                idf[reserved + i] = (float)Math.Log(1.0 + (index / (1.0 + documentCounts[learned[i]])));
            }

            idf[0] = Mean(idf.AsSpan(reserved));
        }

        SetVocabulary([.. ReservedTokens(OutputMode), .. learned], idf);
    }

    /// <summary>
    /// The tokens of <paramref name="text"/> after standardization and splitting, then (with <see cref="Ngrams"/>) its
    /// 2-grams, 3-grams and so on, each joined by a space (Keras's <c>tf.strings.ngrams(tokens, (1, …, n), separator=" ")</c>:
    /// a text of fewer tokens than a width has no n-grams of that width); before the vocabulary lookup.
    /// </summary>
    /// <param name="text">A text.</param>
    /// <returns>The tokens, in order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public string[] Tokenize(string text)
    {
        var tokens = SplitText(text);
        if (Ngrams is not > 1)
        {
            return tokens;
        }

        var withNgrams = new List<string>(tokens);
        for (var width = 2; width <= Ngrams; width++)
        {
            for (var i = 0; i + width <= tokens.Length; i++)
            {
                withNgrams.Add(string.Join(' ', tokens, i, width));
            }
        }

        return [.. withNgrams];
    }

    /// <summary>The ids of one text's tokens, unpadded and uncut: tokens outside the vocabulary are the OOV id (<see cref="OovId"/> in <see cref="TextOutputMode.Ids"/> mode, 0 in the others, where empty tokens are dropped).</summary>
    /// <param name="text">A text.</param>
    /// <returns>One id per token.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="InvalidOperationException">There is no vocabulary yet.</exception>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = RequireIds("Encode");
        var tokens = Tokenize(text);
        var oov = OutputMode == TextOutputMode.Ids ? OovId : 0;
        var result = new List<int>(tokens.Length);
        foreach (var token in tokens)
        {
            // The bag-of-words modes have no padding id: Keras drops the mask token there.
            if (token.Length > 0 || OutputMode == TextOutputMode.Ids)
            {
                result.Add(ids.GetValueOrDefault(token, oov));
            }
        }

        return [.. result];
    }

    private string[] SplitText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var standardized = Standardized(WellFormed(text));
        switch (Split)
        {
            case TextSplit.Whitespace:
                var words = new List<string>();
                var start = -1;
                for (var i = 0; i <= standardized.Length; i++)
                {
                    var space = i == standardized.Length || IsAsciiSpace(standardized[i]);
                    if (space && start >= 0)
                    {
                        words.Add(standardized[start..i]);
                        start = -1;
                    }
                    else if (!space && start < 0)
                    {
                        start = i;
                    }
                }

                return [.. words];
            case TextSplit.Character:
                var characters = new List<string>(standardized.Length);
                foreach (var rune in standardized.EnumerateRunes())
                {
                    characters.Add(rune.ToString());
                }

                return [.. characters];
            default:
                return [standardized];
        }
    }

    /// <summary>
    /// A batch of texts as one tensor, by <see cref="OutputMode"/>. <see cref="TextOutputMode.Ids"/>: the ids
    /// <c>[texts.Count, length]</c> for an <see cref="Layers.Embedding"/>, each row <see cref="Encode(string)"/>'s ids followed
    /// by <see cref="PaddingId"/> and cut at the end beyond the length, which is <see cref="OutputSequenceLength"/> or else
    /// the longest text's token count (0 for no texts). The bag-of-words modes: <c>[texts.Count, width]</c>, where the width
    /// is <see cref="VocabularySize"/> (or <see cref="MaxTokens"/> with <see cref="PadToMaxTokens"/>) and entry <c>[t, v]</c>
    /// is 1 or 0 for whether id <c>v</c> occurs in text <c>t</c>, how often it does, or that count times
    /// <see cref="IdfWeights"/>[v] (see <see cref="TextOutputMode"/>).
    /// </summary>
    /// <param name="texts">The texts.</param>
    /// <returns>A tensor of ids as floats (exact: ids are far below 2^24), or of bag-of-words rows.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="texts"/> is null.</exception>
    /// <exception cref="ArgumentException">A text is null.</exception>
    /// <exception cref="InvalidOperationException">There is no vocabulary yet.</exception>
    public Tensor<float> Encode(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var vocabulary = RequireVocabulary("Encode");
        var sequences = new int[texts.Count][];
        for (var i = 0; i < sequences.Length; i++)
        {
            sequences[i] = Encode(texts[i] ?? throw new ArgumentException($"texts[{i}] is null; pass an empty string for an empty text.", nameof(texts)));
        }

        if (OutputMode == TextOutputMode.Ids)
        {
            return Sequences.Pad(sequences, OutputSequenceLength ?? (sequences.Length == 0 ? 0 : null), Padding.Post, Truncating.Post);
        }

        var width = PadToMaxTokens ? MaxTokens!.Value : vocabulary.Length;
        var rows = new float[sequences.Length * width];
        for (var t = 0; t < sequences.Length; t++)
        {
            var row = rows.AsSpan(t * width, width);
            foreach (var id in sequences[t])
            {
                row[id] = OutputMode == TextOutputMode.MultiHot ? 1f : row[id] + 1f;
            }

            if (_idfWeights is { } idf)
            {
                for (var v = 0; v < idf.Length; v++)
                {
                    row[v] *= idf[v];
                }
            }
        }

        return Tensor.Create(rows, [sequences.Length, width]);
    }

    /// <summary>
    /// The text of a sequence of ids: each id's token, padding skipped (in <see cref="TextOutputMode.Ids"/> mode), joined with a space (no separator for
    /// <see cref="TextSplit.Character"/>). Unknown tokens come back as <c>"[UNK]"</c>.
    /// </summary>
    /// <param name="ids">Ids below <see cref="VocabularySize"/>.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id is negative or not below <see cref="VocabularySize"/>.</exception>
    /// <exception cref="InvalidOperationException">There is no vocabulary yet.</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var vocabulary = RequireVocabulary("Decode");
        var text = new StringBuilder();
        for (var i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)vocabulary.Length)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(ids), ids[i], $"ids[{i}] is {ids[i]}, outside the vocabulary's ids 0 to {vocabulary.Length - 1}.");
            }

            Append(text, ids[i], vocabulary);
        }

        return text.ToString();
    }

    /// <summary>The text of a sequence of ids stored as floats, such as a row of <see cref="Encode(IReadOnlyList{string})"/>'s tensor; see <see cref="Decode(ReadOnlySpan{int})"/>.</summary>
    /// <param name="ids">Whole numbers below <see cref="VocabularySize"/>.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A value is not a whole number from 0 to <see cref="VocabularySize"/> − 1.</exception>
    /// <exception cref="InvalidOperationException">There is no vocabulary yet.</exception>
    public string Decode(ReadOnlySpan<float> ids)
    {
        var vocabulary = RequireVocabulary("Decode");
        var text = new StringBuilder();
        for (var i = 0; i < ids.Length; i++)
        {
            if (!(float.IsInteger(ids[i]) && ids[i] >= 0f && ids[i] < vocabulary.Length))
            {
                throw new ArgumentOutOfRangeException(
                    nameof(ids), ids[i], $"ids[{i}] is {ids[i]}, which is not one of the vocabulary's ids 0 to {vocabulary.Length - 1}.");
            }

            Append(text, (int)ids[i], vocabulary);
        }

        return text.ToString();
    }

    /// <summary>The text of each row of a batch of ids <c>[texts, length]</c>, such as <see cref="Encode(IReadOnlyList{string})"/>'s result.</summary>
    /// <param name="ids">A dense tensor of rank 2 of ids.</param>
    /// <returns>One text per row.</returns>
    /// <exception cref="ArgumentException">The tensor is not of rank 2 or not dense.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is not one of the vocabulary's ids.</exception>
    /// <exception cref="InvalidOperationException">There is no vocabulary yet.</exception>
    public string[] Decode(Tensor<float> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Rank != 2)
        {
            throw new ArgumentException($"Decode expects ids [texts, length] but received a tensor of shape {ids.ShapeString()}.", nameof(ids));
        }

        var values = ids.AsFlatSpan();
        var length = checked((int)ids.Lengths[1]);
        var texts = new string[checked((int)ids.Lengths[0])];
        for (var i = 0; i < texts.Length; i++)
        {
            texts[i] = Decode(values.Slice(i * length, length));
        }

        return texts;
    }

    /// <summary>
    /// Writes the settings and the vocabulary to a JSON file at <paramref name="path"/>, atomically: a previous file there
    /// is replaced only once the new one is completely on disk.
    /// </summary>
    /// <param name="path">The file to create or replace; its directory must exist.</param>
    /// <exception cref="InvalidOperationException">There is no vocabulary yet.</exception>
    /// <exception cref="IOException">The file cannot be written (nothing at <paramref name="path"/> has changed).</exception>
    /// <exception cref="UnauthorizedAccessException">The directory cannot be written.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var vocabulary = RequireVocabulary("Save");
        var first = OutputMode == TextOutputMode.Ids && Ngrams is null;
        var file = new TextVectorizerJson(
            first ? FormatValue : FormatValue2,
            MaxTokens,
            StandardizeNames.First(n => n.Value == Standardize).Name,
            SplitNames.First(n => n.Value == Split).Name,
            OutputSequenceLength,
            [.. vocabulary])
        {
            Ngrams = Ngrams,
            OutputMode = first ? null : OutputModeNames.First(n => n.Value == OutputMode).Name,
            PadToMaxTokens = PadToMaxTokens ? true : null,
            IdfWeights = _idfWeights is { } idf ? [.. idf] : null,
        };
        AtomicFile.Write(path, 1 << 16, stream =>
        {
            using var writer = new Utf8JsonWriter(stream, FileWriterOptions);
            JsonSerializer.Serialize(writer, file, TextVectorizerJsonContext.Default.TextVectorizerJson);
        });
    }

    /// <summary>Reads a vectorizer written by <see cref="Save"/>: the same settings and vocabulary, so the same ids for every text.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The vectorizer.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid text vectorizer file; the message says what is wrong.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static TextVectorizer Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        TextVectorizerJson? file;
        using (var stream = File.OpenRead(path))
        {
            try
            {
                file = JsonSerializer.Deserialize(stream, TextVectorizerJsonContext.Default.TextVectorizerJson);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"'{path}' is not a valid text vectorizer file: {e.Message}", e);
            }
        }

        if (file is null)
        {
            throw new InvalidDataException($"'{path}' holds JSON null instead of a text vectorizer.");
        }

        if (file.Format is not (FormatValue or FormatValue2))
        {
            throw new InvalidDataException($"'{path}' has format '{file.Format}', but a text vectorizer file has format '{FormatValue}' or '{FormatValue2}'.");
        }

        var standardize = StandardizeNames.Where(n => n.Name == file.Standardize).Select(n => (TextStandardization?)n.Value).FirstOrDefault()
            ?? throw new InvalidDataException(
                $"'{path}' has standardize '{file.Standardize}'; expected null, {string.Join(", ", StandardizeNames.Where(n => n.Name is not null).Select(n => $"'{n.Name}'"))}.");
        var split = SplitNames.Where(n => n.Name == file.Split).Select(n => (TextSplit?)n.Value).FirstOrDefault()
            ?? throw new InvalidDataException(
                $"'{path}' has split '{file.Split}'; expected null, {string.Join(", ", SplitNames.Where(n => n.Name is not null).Select(n => $"'{n.Name}'"))}.");
        var outputMode = file.OutputMode is null ? TextOutputMode.Ids
            : OutputModeNames.Where(n => n.Name == file.OutputMode).Select(n => (TextOutputMode?)n.Value).FirstOrDefault()
            ?? throw new InvalidDataException(
                $"'{path}' has output_mode '{file.OutputMode}'; expected {string.Join(", ", OutputModeNames.Select(n => $"'{n.Name}'"))}.");
        if (!file.Vocabulary.Take(ReservedCount(outputMode)).SequenceEqual(ReservedTokens(outputMode), StringComparer.Ordinal))
        {
            var reserved = outputMode == TextOutputMode.Ids ? "the padding and OOV tokens \"\" and \"[UNK]\"" : "the OOV token \"[UNK]\"";
            throw new InvalidDataException(
                $"'{path}' has a vocabulary that does not start with {reserved}; the file is damaged or was not written by TextVectorizer.Save.");
        }

        try
        {
            return new TextVectorizer(
                file.Vocabulary, file.MaxTokens, standardize, split, file.OutputSequenceLength, file.Ngrams, outputMode, file.PadToMaxTokens ?? false, file.IdfWeights);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{path}' is inconsistent: {e.Message}", e);
        }
    }

    /// <summary>
    /// <paramref name="text"/> with each unpaired surrogate replaced by U+FFFD. Such text is not Unicode (Keras cannot be
    /// given it: Python cannot encode it to UTF-8) and JSON cannot hold it, so a token made of it would not survive
    /// <see cref="Save"/>; TensorFlow's UTF-8 decoding makes the same replacement of invalid input.
    /// </summary>
    private static string WellFormed(string text)
    {
        for (var rest = text.AsSpan(); ;)
        {
            var at = rest.IndexOfAnyInRange('\uD800', '\uDFFF');
            if (at < 0)
            {
                return text;
            }

            if (!(char.IsHighSurrogate(rest[at]) && at + 1 < rest.Length && char.IsLowSurrogate(rest[at + 1])))
            {
                break;
            }

            rest = rest[(at + 2)..];
        }

        var result = new StringBuilder(text.Length);
        Span<char> units = stackalloc char[2];
        foreach (var rune in text.EnumerateRunes())
        {
            result.Append(units[..rune.EncodeToUtf16(units)]);
        }

        return result.ToString();
    }

    private static bool IsAsciiSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    // A Python string.punctuation character: the printable ASCII characters that are neither letters nor digits.
    private static bool IsAsciiPunctuation(char c) => c is >= '!' and <= '~' && !char.IsAsciiLetterOrDigit(c);

    private void Append(StringBuilder text, int id, string[] vocabulary)
    {
        if (id == PaddingId && OutputMode == TextOutputMode.Ids)
        {
            return;
        }

        // Every token but padding is non-empty, so a non-empty text already holds a token to separate from.
        if (text.Length > 0 && Split != TextSplit.Character)
        {
            text.Append(' ');
        }

        text.Append(vocabulary[id]);
    }

    private string Standardized(string text)
    {
        var lower = Standardize is TextStandardization.Lower or TextStandardization.LowerAndStripPunctuation;
        var strip = Standardize is TextStandardization.StripPunctuation or TextStandardization.LowerAndStripPunctuation;
        if (!lower && !strip)
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (strip && IsAsciiPunctuation(c))
            {
                continue;
            }

            result.Append(lower && char.IsAsciiLetterUpper(c) ? (char)(c + ('a' - 'A')) : c);
        }

        return result.ToString();
    }

    private void SetVocabulary(string[] vocabulary, float[]? idfWeights)
    {
        var ids = new Dictionary<string, int>(vocabulary.Length, StringComparer.Ordinal);
        for (var i = 0; i < vocabulary.Length; i++)
        {
            ids.Add(vocabulary[i], i);
        }

        (_vocabulary, _readOnlyVocabulary, _ids, _idfWeights) = (vocabulary, Array.AsReadOnly(vocabulary), ids, idfWeights);
    }

    /// <summary>The tokens before the learned ones, in id order: padding and OOV, or OOV only in the bag-of-words modes (Keras's <c>_token_start_index()</c> of them).</summary>
    private static string[] ReservedTokens(TextOutputMode mode) => mode == TextOutputMode.Ids ? [PaddingToken, OovToken] : [OovToken];

    private static int ReservedCount(TextOutputMode mode) => ReservedTokens(mode).Length;

    private static float Mean(ReadOnlySpan<float> values)
    {
        var sum = 0.0;
        foreach (var value in values)
        {
            sum += value;
        }

        return values.IsEmpty ? 0f : (float)(sum / values.Length);
    }

    /// <summary>The IDF weights given to the vocabulary constructor, checked, with the OOV entry's weight put first when the vocabulary left it out.</summary>
    private float[]? GivenIdfWeights(IEnumerable<float>? idfWeights, int vocabularyCount, bool prependOov)
    {
        if (OutputMode != TextOutputMode.TfIdf)
        {
            return idfWeights is null ? null : throw new ArgumentException(
                $"idfWeights apply to TextOutputMode.TfIdf only, but the mode is {OutputMode}; leave them null.", nameof(idfWeights));
        }

        float[] given = idfWeights is null
            ? throw new ArgumentException("TextOutputMode.TfIdf needs idfWeights with a vocabulary, one per entry (or call Adapt to learn both).", nameof(idfWeights))
            : [.. idfWeights];
        if (given.Length != vocabularyCount)
        {
            throw new ArgumentException($"idfWeights has {given.Length} values for a vocabulary of {vocabularyCount} entries; give one per entry.", nameof(idfWeights));
        }

        var bad = Array.FindIndex(given, w => !float.IsFinite(w));
        if (bad >= 0)
        {
            throw new ArgumentException($"idfWeights[{bad}] is {given[bad]}; every weight must be finite.", nameof(idfWeights));
        }

        return prependOov ? [Mean(given), .. given] : given;
    }

    private string[] RequireVocabulary(string operation) => _vocabulary ?? throw NoVocabulary(operation);

    private Dictionary<string, int> RequireIds(string operation) => _ids ?? throw NoVocabulary(operation);

    private static InvalidOperationException NoVocabulary(string operation) => new(
        $"This TextVectorizer has no vocabulary for {operation}: call Adapt on the training texts first, or create it with a vocabulary (or TextVectorizer.Load a saved one).");

    /// <summary>
    /// Orders strings by Unicode code point, which is the order of their UTF-8 bytes (what Keras sorts), not
    /// <see cref="string.CompareOrdinal(string, string)"/>'s UTF-16 order, which puts surrogate pairs (U+10000 and above)
    /// below U+E000–U+FFFF.
    /// </summary>
    private sealed class CodePointComparer : IComparer<string>
    {
        public static readonly CodePointComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            if (x is null || y is null)
            {
                return x is null ? (y is null ? 0 : -1) : 1;
            }

            var length = Math.Min(x.Length, y.Length);
            for (var i = 0; i < length; i++)
            {
                int a = x[i], b = y[i];
                if (a != b)
                {
                    // The code-point-order fix-up of ICU's u_strCompare: surrogates move above U+E000–U+FFFF, which move down.
                    if (a >= 0xD800 && b >= 0xD800)
                    {
                        a += a >= 0xE000 ? -0x800 : 0x2000;
                        b += b >= 0xE000 ? -0x800 : 0x2000;
                    }

                    return a - b;
                }
            }

            return x.Length - y.Length;
        }
    }
}
