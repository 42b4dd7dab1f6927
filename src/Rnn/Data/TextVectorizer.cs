using System.Numerics.Tensors;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rnn.Serialization;

namespace Rnn.Data;

/// <summary>
/// Turns texts into sequences of token ids for an <see cref="Layers.Embedding"/>, as Keras 3's
/// <c>keras.layers.TextVectorization</c> with <c>output_mode="int"</c> (<c>keras/src/layers/preprocessing/text_vectorization.py</c>,
/// its vocabulary kept by <c>index_lookup.py</c>), as a plain data helper rather than a layer: standardize each text,
/// split it into tokens, and look each token up in a vocabulary learned by <see cref="Adapt"/> or given.
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
/// <c>get_vocabulary()</c> into <see cref="TextVectorizer(IEnumerable{string}, int?, TextStandardization, TextSplit, int?)"/>):
/// lowercasing and whitespace are ASCII only (see <see cref="TextStandardization"/> and <see cref="TextSplit"/>). An
/// unpaired UTF-16 surrogate (not valid Unicode) first becomes U+FFFD, as TensorFlow decodes invalid UTF-8, so that
/// every token can be stored in a file. Unlike Keras, a vectorizer created with a vocabulary may still
/// <see cref="Adapt"/>, which replaces it, as <see cref="FeatureScaler.Fit(Tensor{float})"/> replaces what a scaler
/// learned. Keras's <c>ngrams</c> and its other output modes are not provided.
/// </para>
/// <para>
/// <see cref="Save"/> writes the settings and the vocabulary as a small JSON file, atomically, and <see cref="Load"/>
/// reads it back, so that the texts of a later run get the ids the model was trained with.
/// </para>
/// </remarks>
public sealed class TextVectorizer
{
    /// <summary>The id of the padding token <c>""</c>: <see cref="Encode(IReadOnlyList{string})"/> pads with it and <see cref="Decode(ReadOnlySpan{int})"/> skips it.</summary>
    public const int PaddingId = 0;

    /// <summary>The id every token outside the vocabulary maps to.</summary>
    public const int OovId = 1;

    /// <summary>The padding (mask) token, <see cref="Vocabulary"/>[0]: the empty string, Keras's <c>mask_token</c>.</summary>
    public const string PaddingToken = "";

    /// <summary>The out-of-vocabulary token, <see cref="Vocabulary"/>[1]: <c>"[UNK]"</c>, Keras's <c>oov_token</c>.</summary>
    public const string OovToken = "[UNK]";

    /// <summary>The <c>format</c> value of the files <see cref="Save"/> writes.</summary>
    private const string FormatValue = "rnn.text_vectorizer/1";

    // How many ids come before the learned tokens: padding and OOV (Keras's _token_start_index()).
    private const int SpecialCount = 2;

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

    /// <summary>Creates a vectorizer without a vocabulary; call <see cref="Adapt"/> on the training texts.</summary>
    /// <param name="maxTokens">The largest vocabulary, padding and OOV tokens included (Keras <c>max_tokens</c>); at least 2; null for no limit.</param>
    /// <param name="standardize">What to do to each text before splitting it (Keras <c>standardize</c>, default lowercase and strip punctuation).</param>
    /// <param name="split">How to cut a text into tokens (Keras <c>split</c>, default words).</param>
    /// <param name="outputSequenceLength">The length of <see cref="Encode(IReadOnlyList{string})"/>'s rows (Keras <c>output_sequence_length</c>); null for the longest text of each batch.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> is below 2, <paramref name="outputSequenceLength"/> below 1, or an enum value is undefined.</exception>
    public TextVectorizer(
        int? maxTokens = null,
        TextStandardization standardize = TextStandardization.LowerAndStripPunctuation,
        TextSplit split = TextSplit.Whitespace,
        int? outputSequenceLength = null)
    {
        if (maxTokens < SpecialCount)
        {
            throw new ArgumentOutOfRangeException(
                nameof(maxTokens), maxTokens, $"maxTokens must be at least {SpecialCount}, room for the padding and OOV tokens, or null for no limit.");
        }

        if (outputSequenceLength < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(outputSequenceLength), outputSequenceLength, "outputSequenceLength must be at least 1, or null to pad each batch to its longest text.");
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
    }

    /// <summary>
    /// Creates a vectorizer with a known vocabulary (Keras's <c>vocabulary</c> argument), for example one that Keras's
    /// <c>get_vocabulary()</c> returned or this class's <see cref="Vocabulary"/>. The vocabulary may start with the padding
    /// and OOV tokens <c>""</c>, <c>"[UNK]"</c> (then it is taken as is) or leave them out (then they are put before it),
    /// as in Keras.
    /// </summary>
    /// <param name="vocabulary">The tokens, in id order.</param>
    /// <param name="maxTokens">The largest vocabulary, padding and OOV tokens included; null for no limit.</param>
    /// <param name="standardize">What to do to each text before splitting it.</param>
    /// <param name="split">How to cut a text into tokens.</param>
    /// <param name="outputSequenceLength">The length of <see cref="Encode(IReadOnlyList{string})"/>'s rows; null for the longest text of each batch.</param>
    /// <exception cref="ArgumentNullException"><paramref name="vocabulary"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The vocabulary is empty, holds a null or an unpaired surrogate, repeats a token, holds <c>""</c> or <c>"[UNK]"</c> other than as its first two
    /// entries in that order, or is longer than <paramref name="maxTokens"/>. Keras accepts <c>"[UNK]"</c> elsewhere when it
    /// does not invert ids to tokens; this class also decodes, so it applies Keras's rule for inverting.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> is below 2, <paramref name="outputSequenceLength"/> below 1, or an enum value is undefined.</exception>
    public TextVectorizer(
        IEnumerable<string> vocabulary,
        int? maxTokens = null,
        TextStandardization standardize = TextStandardization.LowerAndStripPunctuation,
        TextSplit split = TextSplit.Whitespace,
        int? outputSequenceLength = null)
        : this(maxTokens, standardize, split, outputSequenceLength)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        var given = vocabulary.ToList();
        if (given.Count == 0)
        {
            throw new ArgumentException("The vocabulary is empty; pass at least one token, or use the constructor without a vocabulary and call Adapt.", nameof(vocabulary));
        }

        var start = given is [PaddingToken, OovToken, ..] ? SpecialCount : 0;
        var tokens = new List<string>(given.Count - start + SpecialCount) { PaddingToken, OovToken };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var repeated = new List<string>();
        for (var i = start; i < given.Count; i++)
        {
            var token = given[i] ?? throw new ArgumentException($"vocabulary[{i}] is null; every token must be a string.", nameof(vocabulary));
            if (token is PaddingToken or OovToken)
            {
                throw new ArgumentException(
                    $"vocabulary[{i}] is the reserved {(token == PaddingToken ? "padding token \"\"" : "OOV token \"[UNK]\"")}. Leave out both reserved tokens, or put them first in this order: \"\", \"[UNK]\".",
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
                $"The vocabulary has {tokens.Count} entries with the padding and OOV tokens, more than maxTokens = {maxTokens}.", nameof(vocabulary));
        }

        SetVocabulary([.. tokens]);
    }

    /// <summary>The largest vocabulary, padding and OOV tokens included; null for no limit.</summary>
    public int? MaxTokens { get; }

    /// <summary>What is done to each text before it is split.</summary>
    public TextStandardization Standardize { get; }

    /// <summary>How a text is cut into tokens.</summary>
    public TextSplit Split { get; }

    /// <summary>The length of <see cref="Encode(IReadOnlyList{string})"/>'s rows; null for the longest text of each batch.</summary>
    public int? OutputSequenceLength { get; }

    /// <summary>Whether there is a vocabulary, from <see cref="Adapt"/> or given to the constructor.</summary>
    public bool HasVocabulary => _vocabulary is not null;

    /// <summary>The tokens in id order: <c>""</c> (padding), <c>"[UNK]"</c> (OOV), then the learned or given tokens (Keras's <c>get_vocabulary()</c>).</summary>
    /// <exception cref="InvalidOperationException">There is no vocabulary yet.</exception>
    public IReadOnlyList<string> Vocabulary => _readOnlyVocabulary ?? throw NoVocabulary("Vocabulary");

    /// <summary>The number of ids, padding and OOV included: the <c>inputDim</c> of the <see cref="Layers.Embedding"/> that reads the ids, or the size of a <see cref="Layers.Dense"/> layer that predicts them (Keras's <c>vocabulary_size()</c>).</summary>
    /// <exception cref="InvalidOperationException">There is no vocabulary yet.</exception>
    public int VocabularySize => RequireVocabulary("VocabularySize").Length;

    /// <summary>
    /// Learns the vocabulary from <paramref name="texts"/>, replacing any vocabulary before: every token of the
    /// standardized, split texts is counted, and the most frequent become ids 2, 3, ... (ties in descending code point
    /// order; at most <see cref="MaxTokens"/> − 2 of them). The reserved tokens <c>""</c> and <c>"[UNK]"</c> are not
    /// counted, as in Keras. Texts without any token give a vocabulary of the padding and OOV tokens only.
    /// </summary>
    /// <param name="texts">The training texts.</param>
    /// <exception cref="ArgumentNullException"><paramref name="texts"/> is null.</exception>
    /// <exception cref="ArgumentException">A text is null.</exception>
    public void Adapt(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var index = 0;
        foreach (var text in texts)
        {
            foreach (var token in Tokenize(text ?? throw new ArgumentException($"texts[{index}] is null; pass an empty string for an empty text.", nameof(texts))))
            {
                if (token is not (PaddingToken or OovToken))
                {
                    counts[token] = counts.GetValueOrDefault(token) + 1;
                }
            }

            index++;
        }

        var learned = counts
            .OrderByDescending(pair => pair.Value)
            .ThenByDescending(pair => pair.Key, CodePointComparer.Instance)
            .Take(MaxTokens is { } max ? max - SpecialCount : int.MaxValue)
            .Select(pair => pair.Key);
        SetVocabulary([PaddingToken, OovToken, .. learned]);
    }

    /// <summary>The tokens of <paramref name="text"/> after standardization and splitting, before the vocabulary lookup.</summary>
    /// <param name="text">A text.</param>
    /// <returns>The tokens, in order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public string[] Tokenize(string text)
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

    /// <summary>The ids of one text's tokens, unpadded and uncut: tokens outside the vocabulary are <see cref="OovId"/>.</summary>
    /// <param name="text">A text.</param>
    /// <returns>One id per token.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="InvalidOperationException">There is no vocabulary yet.</exception>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = RequireIds("Encode");
        var tokens = Tokenize(text);
        var result = new int[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            result[i] = ids.GetValueOrDefault(tokens[i], OovId);
        }

        return result;
    }

    /// <summary>
    /// The ids of a batch of texts as one tensor <c>[texts.Count, length]</c> for an <see cref="Layers.Embedding"/>: each
    /// row is <see cref="Encode(string)"/>'s ids followed by <see cref="PaddingId"/>, cut at the end beyond the length. The
    /// length is <see cref="OutputSequenceLength"/>, or else the longest text's token count (0 for no texts).
    /// </summary>
    /// <param name="texts">The texts.</param>
    /// <returns>A tensor <c>[texts.Count, length]</c> of ids as floats (exact: ids are far below 2^24).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="texts"/> is null.</exception>
    /// <exception cref="ArgumentException">A text is null.</exception>
    /// <exception cref="InvalidOperationException">There is no vocabulary yet.</exception>
    public Tensor<float> Encode(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        RequireIds("Encode");
        var sequences = new int[texts.Count][];
        for (var i = 0; i < sequences.Length; i++)
        {
            sequences[i] = Encode(texts[i] ?? throw new ArgumentException($"texts[{i}] is null; pass an empty string for an empty text.", nameof(texts)));
        }

        return Sequences.Pad(sequences, OutputSequenceLength ?? (sequences.Length == 0 ? 0 : null), Padding.Post, Truncating.Post);
    }

    /// <summary>
    /// The text of a sequence of ids: each id's token, padding skipped, joined with a space (no separator for
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
        var file = new TextVectorizerJson(
            FormatValue,
            MaxTokens,
            StandardizeNames.First(n => n.Value == Standardize).Name,
            SplitNames.First(n => n.Value == Split).Name,
            OutputSequenceLength,
            [.. vocabulary]);
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

        if (file.Format != FormatValue)
        {
            throw new InvalidDataException($"'{path}' has format '{file.Format}', but a text vectorizer file has format '{FormatValue}'.");
        }

        var standardize = StandardizeNames.Where(n => n.Name == file.Standardize).Select(n => (TextStandardization?)n.Value).FirstOrDefault()
            ?? throw new InvalidDataException(
                $"'{path}' has standardize '{file.Standardize}'; expected null, {string.Join(", ", StandardizeNames.Where(n => n.Name is not null).Select(n => $"'{n.Name}'"))}.");
        var split = SplitNames.Where(n => n.Name == file.Split).Select(n => (TextSplit?)n.Value).FirstOrDefault()
            ?? throw new InvalidDataException(
                $"'{path}' has split '{file.Split}'; expected null, {string.Join(", ", SplitNames.Where(n => n.Name is not null).Select(n => $"'{n.Name}'"))}.");
        if (file.Vocabulary is not [PaddingToken, OovToken, ..])
        {
            throw new InvalidDataException(
                $"'{path}' has a vocabulary that does not start with the padding and OOV tokens \"\" and \"[UNK]\"; the file is damaged or was not written by TextVectorizer.Save.");
        }

        try
        {
            return new TextVectorizer(file.Vocabulary, file.MaxTokens, standardize, split, file.OutputSequenceLength);
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
        if (id == PaddingId)
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

    private void SetVocabulary(string[] vocabulary)
    {
        var ids = new Dictionary<string, int>(vocabulary.Length, StringComparer.Ordinal);
        for (var i = 0; i < vocabulary.Length; i++)
        {
            ids.Add(vocabulary[i], i);
        }

        (_vocabulary, _readOnlyVocabulary, _ids) = (vocabulary, Array.AsReadOnly(vocabulary), ids);
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
