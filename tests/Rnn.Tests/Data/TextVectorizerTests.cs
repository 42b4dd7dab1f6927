using System.Numerics.Tensors;
using System.Text;
using Rnn.Data;

namespace Rnn.Tests.Data;

/// <summary>
/// Keras 3 TextVectorization (output_mode="int") semantics. The first cases are the examples in Keras's own docstring;
/// every other expected value is worked out by hand from Keras's rules: counts descending, ties by token descending,
/// ids 0 and 1 reserved, ASCII-only lowercasing, punctuation and whitespace.
/// </summary>
public sealed class TextVectorizerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rnn-text-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static float[] Values(Tensor<float> tensor) => TestUtil.Span(tensor).ToArray();

    private static TextVectorizer Adapted(IEnumerable<string> texts, int? maxTokens = null, TextStandardization standardize = TextStandardization.LowerAndStripPunctuation, TextSplit split = TextSplit.Whitespace, int? outputSequenceLength = null)
    {
        var vectorizer = new TextVectorizer(maxTokens, standardize, split, outputSequenceLength);
        vectorizer.Adapt(texts);
        return vectorizer;
    }

    // ---- Keras's documented examples -------------------------------------------------------

    [Fact]
    public void Adapt_ThenEncode_GivesKerasDocstringExample()
    {
        // keras.layers.TextVectorization docstring: adapt(["foo bar", "bar baz", "baz bada boom"]) with
        // output_sequence_length=4, then [["foo qux bar"], ["qux baz"]] -> [[4, 1, 3, 0], [1, 2, 0, 0]].
        var vectorizer = Adapted(["foo bar", "bar baz", "baz bada boom"], maxTokens: 5000, outputSequenceLength: 4);

        var ids = vectorizer.Encode(["foo qux bar", "qux baz"]);

        Assert.Equal([2, 4], TestUtil.Shape(ids));
        Assert.Equal([4f, 1, 3, 0, 1, 2, 0, 0], Values(ids));
        // bar and baz twice (baz > bar), then foo > boom > bada once each.
        Assert.Equal(["", "[UNK]", "baz", "bar", "foo", "boom", "bada"], vectorizer.Vocabulary);
    }

    [Fact]
    public void VocabularyConstructor_AddsPaddingAndOov_AsKerasDocstringExample()
    {
        var vectorizer = new TextVectorizer(["earth", "wind", "and", "fire"], maxTokens: 5000, outputSequenceLength: 4);

        Assert.Equal(["", "[UNK]", "earth", "wind", "and", "fire"], vectorizer.Vocabulary);
        Assert.Equal(6, vectorizer.VocabularySize);
        Assert.Equal([2, 5, 4, 3], vectorizer.Encode("Earth, fire and wind!"));
    }

    // ---- Vocabulary order and size ---------------------------------------------------------

    [Fact]
    public void Adapt_OrdersByCount_BeforeTokenOrder()
    {
        // z occurs once, a three times: a first although it sorts lower.
        var vectorizer = Adapted(["z a", "a a"]);
        Assert.Equal(["", "[UNK]", "a", "z"], vectorizer.Vocabulary);
    }

    [Fact]
    public void Adapt_BreaksTiesByTokenDescending()
    {
        // a, b and c twice each, d once.
        var vectorizer = Adapted(["b a c a", "c b d"]);
        Assert.Equal(["", "[UNK]", "c", "b", "a", "d"], vectorizer.Vocabulary);
    }

    [Fact]
    public void Adapt_BreaksTiesByCodePoint_NotUtf16Unit()
    {
        // U+FF5E (one UTF-16 unit, 0xFF5E) against U+1F600 (units 0xD83D 0xDE00). By code point (UTF-8 bytes, Keras's
        // order) the emoji is higher and comes first; by UTF-16 unit it would be lower and come last.
        var vectorizer = Adapted(["\uFF5E😀"], standardize: TextStandardization.None, split: TextSplit.Character);
        Assert.Equal(["", "[UNK]", "😀", "\uFF5E"], vectorizer.Vocabulary);
    }

    [Fact]
    public void Adapt_MaxTokens_CountsPaddingAndOov_AndKeepsTheMostFrequent()
    {
        // a 3, b 2, c 1; room for 4 - 2 = 2 tokens.
        var vectorizer = Adapted(["a a a b b c"], maxTokens: 4);

        Assert.Equal(["", "[UNK]", "a", "b"], vectorizer.Vocabulary);
        Assert.Equal(4, vectorizer.VocabularySize);
        Assert.Equal([1, 2, 3], vectorizer.Encode("c a b"));
    }

    [Fact]
    public void Adapt_MaxTokensTwo_MapsEveryTokenToOov()
    {
        var vectorizer = Adapted(["a b"], maxTokens: 2);

        Assert.Equal(["", "[UNK]"], vectorizer.Vocabulary);
        Assert.Equal([1, 1], vectorizer.Encode("a b"));
    }

    [Fact]
    public void Adapt_DoesNotCountTheReservedTokens()
    {
        // With split None each text is one token: "" and "[UNK]" are Keras's mask and OOV tokens and are not counted,
        // although "[UNK]" is the most frequent text here.
        var vectorizer = Adapted(["[UNK]", "[UNK]", "", "x"], standardize: TextStandardization.None, split: TextSplit.None);

        Assert.Equal(["", "[UNK]", "x"], vectorizer.Vocabulary);
        Assert.Equal([0], vectorizer.Encode(string.Empty));
        Assert.Equal([1], vectorizer.Encode("[UNK]"));
        Assert.Equal([2], vectorizer.Encode("x"));
    }

    [Fact]
    public void Adapt_WithoutTokens_GivesOnlyPaddingAndOov()
    {
        var vectorizer = Adapted(["", "  ", "!?"]);

        Assert.Equal(["", "[UNK]"], vectorizer.Vocabulary);
        Assert.Empty(vectorizer.Encode("..."));
    }

    [Fact]
    public void Adapt_Again_ReplacesTheVocabulary_EvenAGivenOne()
    {
        var vectorizer = new TextVectorizer(["x", "y"]);
        vectorizer.Adapt(["b b a"]);
        Assert.Equal(["", "[UNK]", "b", "a"], vectorizer.Vocabulary);

        vectorizer.Adapt(["c"]);
        Assert.Equal(["", "[UNK]", "c"], vectorizer.Vocabulary);
    }

    // ---- Standardization -------------------------------------------------------------------

    [Theory]
    [InlineData(TextStandardization.None, new[] { "Hello,", "World!", "ÉTÉ-Tu's" })]
    [InlineData(TextStandardization.Lower, new[] { "hello,", "world!", "ÉtÉ-tu's" })]
    [InlineData(TextStandardization.StripPunctuation, new[] { "Hello", "World", "ÉTÉTus" })]
    [InlineData(TextStandardization.LowerAndStripPunctuation, new[] { "hello", "world", "ÉtÉtus" })]
    public void Tokenize_StandardizesAsKeras_AsciiLettersOnly(TextStandardization standardize, string[] expected)
    {
        // tf.strings.lower with its default encoding lowercases ASCII only: É stays upper case.
        Assert.Equal(expected, new TextVectorizer(standardize: standardize).Tokenize("Hello, World! ÉTÉ-Tu's"));
    }

    [Fact]
    public void Tokenize_StripPunctuation_RemovesExactlyTheAsciiPunctuation()
    {
        var vectorizer = new TextVectorizer(standardize: TextStandardization.StripPunctuation);

        // All 32 characters of Keras's regex; digits and letters stay.
        Assert.Equal(["a1Z"], vectorizer.Tokenize("a!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~1Z"));
        // Typographic quotes, the em dash and the ellipsis are not in it.
        Assert.Equal(["“quoted”—yes…"], vectorizer.Tokenize("“quoted”—yes…"));
    }

    // ---- Splitting -------------------------------------------------------------------------

    [Fact]
    public void Tokenize_Whitespace_SplitsOnRunsOfAsciiWhitespaceOnly()
    {
        var vectorizer = new TextVectorizer(standardize: TextStandardization.None);

        Assert.Equal(["a", "b", "c", "d"], vectorizer.Tokenize(" \t a  b\n\r\fc\vd "));
        // A no-break space is not C's isspace: one token.
        Assert.Equal(["a\u00A0b"], vectorizer.Tokenize("a\u00A0b"));
        Assert.Empty(vectorizer.Tokenize(" \n "));
    }

    [Fact]
    public void Tokenize_Character_SplitsIntoCodePoints_KeepingSurrogatePairsWhole()
    {
        var vectorizer = new TextVectorizer(standardize: TextStandardization.None, split: TextSplit.Character);

        Assert.Equal(["a", " ", "😀", "\u00E9"], vectorizer.Tokenize("a 😀\u00E9"));
        // A combining accent is its own code point; an unpaired surrogate becomes U+FFFD.
        Assert.Equal(["e", "\u0301"], vectorizer.Tokenize("e\u0301"));
        Assert.Equal(["\uFFFD", "x"], vectorizer.Tokenize("\uD800x"));
    }

    [Fact]
    public void UnpairedSurrogate_BecomesReplacementCharacter_AndSurvivesSaveAndLoad()
    {
        var vectorizer = Adapted(["a\uDC00b c"], standardize: TextStandardization.None);
        var path = Path.Combine(_directory, "v.json");

        vectorizer.Save(path);
        var loaded = TextVectorizer.Load(path);

        Assert.Equal(["", "[UNK]", "c", "a\uFFFDb"], loaded.Vocabulary);
        Assert.Equal([3, 2], loaded.Encode("a\uDC00b c"));
        Assert.Equal([3], loaded.Encode("a\uFFFDb"));
    }

    [Fact]
    public void Tokenize_None_KeepsTheWholeStandardizedText()
    {
        var vectorizer = new TextVectorizer(split: TextSplit.None);

        Assert.Equal(["hello  world"], vectorizer.Tokenize("Hello,  World!"));
        Assert.Equal([string.Empty], vectorizer.Tokenize(string.Empty));
    }

    [Fact]
    public void Encode_Character_GivesOneIdPerCodePoint()
    {
        // a twice, then 😀 > b by code point: a=2, 😀=3, b=4.
        var vectorizer = Adapted(["a😀ab"], standardize: TextStandardization.None, split: TextSplit.Character);

        Assert.Equal(["", "[UNK]", "a", "😀", "b"], vectorizer.Vocabulary);
        Assert.Equal([3, 4, 1, 2], vectorizer.Encode("😀bca"));
    }

    // ---- Encoding batches ------------------------------------------------------------------

    [Fact]
    public void Encode_OutputSequenceLength_PadsAndCutsAtTheEnd()
    {
        // b twice, a c d once (d > c > a): b=2, d=3, c=4, a=5.
        var vectorizer = Adapted(["a b c d", "b"], outputSequenceLength: 3);

        var ids = vectorizer.Encode(["a b c d", "b", "zz"]);

        Assert.Equal([3, 3], TestUtil.Shape(ids));
        Assert.Equal([5f, 2, 4, 2, 0, 0, 1, 0, 0], Values(ids));
    }

    [Fact]
    public void Encode_WithoutOutputSequenceLength_PadsToTheLongestText()
    {
        var vectorizer = Adapted(["a b c d", "b"]);

        var ids = vectorizer.Encode(["a b", "c", string.Empty]);

        Assert.Equal([3, 2], TestUtil.Shape(ids));
        Assert.Equal([5f, 2, 4, 0, 0, 0], Values(ids));
    }

    [Fact]
    public void Encode_NoTexts_GivesAnEmptyBatch()
    {
        Assert.Equal([0, 0], TestUtil.Shape(Adapted(["a"]).Encode(Array.Empty<string>())));
        Assert.Equal([0, 3], TestUtil.Shape(Adapted(["a"], outputSequenceLength: 3).Encode(Array.Empty<string>())));
    }

    [Fact]
    public void Encode_SingleText_IsNeitherPaddedNorCut()
    {
        var vectorizer = Adapted(["a b c d", "b"], outputSequenceLength: 2);
        Assert.Equal([5, 2, 4, 3, 1], vectorizer.Encode("a b c d e"));
    }

    // ---- Decoding --------------------------------------------------------------------------

    [Fact]
    public void Decode_OfEncode_GivesTheStandardizedText()
    {
        var vectorizer = Adapted(["The cat sat.", "The dog!"]);

        Assert.Equal("the cat the dog sat", vectorizer.Decode(vectorizer.Encode("  The CAT, the   dog sat! ")));
        Assert.Equal("the [UNK] sat", vectorizer.Decode(vectorizer.Encode("The bird sat")));
    }

    [Fact]
    public void Decode_Character_JoinsWithoutSeparator()
    {
        var vectorizer = Adapted(["héllo 😀"], standardize: TextStandardization.None, split: TextSplit.Character);
        Assert.Equal("😀 hé", vectorizer.Decode(vectorizer.Encode("😀 hé")));
    }

    [Fact]
    public void Decode_Batch_SkipsPaddingInEachRow()
    {
        var vectorizer = Adapted(["a b c d", "b"], outputSequenceLength: 5);

        Assert.Equal(["a b", "d", string.Empty], vectorizer.Decode(vectorizer.Encode(["a b", "d", "  "])));
        Assert.Equal("b d", vectorizer.Decode([0f, 2, 0, 3]));
    }

    [Theory]
    [InlineData(-1f)]
    [InlineData(6f)]
    [InlineData(2.5f)]
    [InlineData(float.NaN)]
    public void Decode_ValueThatIsNotAnId_Throws(float id)
    {
        var vectorizer = Adapted(["a b c d", "b"]);   // ids 0..5
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => vectorizer.Decode([2f, id]));
        Assert.Contains("ids[1]", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => vectorizer.Decode([6]));
    }

    [Fact]
    public void Decode_BatchOfWrongRank_Throws()
    {
        var vectorizer = Adapted(["a"]);
        Assert.Throws<ArgumentException>(() => vectorizer.Decode(Tensor.Create(new float[] { 2, 0 }, [2])));
    }

    // ---- Save and Load ---------------------------------------------------------------------

    [Fact]
    public void SaveThenLoad_GivesTheSameSettingsVocabularyAndIds()
    {
        var texts = new[] { "Ünïcödé 😀 text", "text, more text", "\"quoted\" \\ back" };
        var vectorizer = Adapted(texts, maxTokens: 50, standardize: TextStandardization.Lower, split: TextSplit.Whitespace, outputSequenceLength: 7);
        var path = Path.Combine(_directory, "vocabulary.json");

        vectorizer.Save(path);
        var loaded = TextVectorizer.Load(path);

        Assert.Equal(vectorizer.Vocabulary, loaded.Vocabulary);
        Assert.Equal((50, TextStandardization.Lower, TextSplit.Whitespace, 7), ((int)loaded.MaxTokens!, loaded.Standardize, loaded.Split, (int)loaded.OutputSequenceLength!));
        string[] probe = [.. texts, "unseen 😀", string.Empty];
        Assert.Equal(Values(vectorizer.Encode(probe)), Values(loaded.Encode(probe)));
        // Tokens are stored as they are, escaped only where JSON requires it.
        var json = File.ReadAllText(path);
        Assert.Contains("\"Ünïcödé\"", json, StringComparison.Ordinal);
        Assert.Contains("\"\\\"quoted\\\"\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveThenLoad_KeepsNullSettings()
    {
        var vectorizer = Adapted(["ab"], standardize: TextStandardization.None, split: TextSplit.None);
        var path = Path.Combine(_directory, "v.json");

        vectorizer.Save(path);
        var loaded = TextVectorizer.Load(path);

        Assert.Null(loaded.MaxTokens);
        Assert.Null(loaded.OutputSequenceLength);
        Assert.Equal(TextStandardization.None, loaded.Standardize);
        Assert.Equal(TextSplit.None, loaded.Split);
        var json = File.ReadAllText(path);
        Assert.Contains("\"format\": \"rnn.text_vectorizer/1\"", json, StringComparison.Ordinal);
        Assert.Contains("\"standardize\": null", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_OverAnExistingFile_ReplacesIt_AndLeavesNoTemporaryFile()
    {
        var path = Path.Combine(_directory, "v.json");
        File.WriteAllText(path, "old");

        Adapted(["a"]).Save(path);

        Assert.Equal(["", "[UNK]", "a"], TextVectorizer.Load(path).Vocabulary);
        Assert.Equal([path], Directory.GetFiles(_directory));
    }

    [Fact]
    public void Load_TruncatedFile_ThrowsInvalidDataNamingTheFile()
    {
        var path = Path.Combine(_directory, "v.json");
        Adapted(["a b c"]).Save(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var error = Assert.Throws<InvalidDataException>(() => TextVectorizer.Load(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("not a valid text vectorizer file", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("this is not JSON")]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[1, 2]")]
    [InlineData("{\"format\": \"rnn.text_vectorizer/1\", \"max_tokens\": null, \"standardize\": null, \"split\": null, \"output_sequence_length\": null}")]
    [InlineData("{\"format\": \"rnn.text_vectorizer/1\", \"max_tokens\": \"ten\", \"standardize\": null, \"split\": null, \"output_sequence_length\": null, \"vocabulary\": [\"\", \"[UNK]\"]}")]
    [InlineData("{\"format\": \"rnn.text_vectorizer/1\", \"max_tokens\": null, \"standardize\": null, \"split\": null, \"output_sequence_length\": null, \"vocabulary\": null}")]
    public void Load_GarbledFile_ThrowsInvalidData(string content)
    {
        var path = Path.Combine(_directory, "v.json");
        File.WriteAllText(path, content);

        var error = Assert.Throws<InvalidDataException>(() => TextVectorizer.Load(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_InvalidUtf8_ThrowsInvalidData()
    {
        var path = Path.Combine(_directory, "v.json");
        var json = Encoding.UTF8.GetBytes("{\"format\": \"rnn.text_vectorizer/1\", \"max_tokens\": null, \"standardize\": null, \"split\": null, \"output_sequence_length\": null, \"vocabulary\": [\"\", \"[UNK]\", \"X\"]}");
        json[Array.LastIndexOf(json, (byte)'X')] = 0xFF;
        File.WriteAllBytes(path, json);

        Assert.Throws<InvalidDataException>(() => TextVectorizer.Load(path));
    }

    [Theory]
    [InlineData("\"format\": \"rnn.sequential/1\"", "format")]
    [InlineData("\"split\": \"sentence\"", "sentence")]
    [InlineData("\"standardize\": \"upper\"", "upper")]
    [InlineData("\"vocabulary\": [\"a\", \"b\"]", "does not start with")]
    [InlineData("\"vocabulary\": [\"\", \"[UNK]\", \"a\", \"a\"]", "repeats")]
    [InlineData("\"vocabulary\": [\"\", \"[UNK]\", \"a\", null]", "vocabulary[3] is null")]
    [InlineData("\"max_tokens\": 3", "maxTokens")]
    [InlineData("\"max_tokens\": 1", "maxTokens")]
    [InlineData("\"output_sequence_length\": 0", "outputSequenceLength")]
    public void Load_InconsistentFile_ThrowsInvalidDataSayingWhat(string replacement, string expected)
    {
        var fields = new Dictionary<string, string>
        {
            ["format"] = "\"format\": \"rnn.text_vectorizer/1\"",
            ["max_tokens"] = "\"max_tokens\": null",
            ["standardize"] = "\"standardize\": null",
            ["split"] = "\"split\": \"whitespace\"",
            ["output_sequence_length"] = "\"output_sequence_length\": null",
            ["vocabulary"] = "\"vocabulary\": [\"\", \"[UNK]\", \"a\", \"b\"]",
        };

        AssertLoadFails(_directory, fields, replacement, expected);
    }

    /// <summary>Writes a file of <paramref name="fields"/> with one replaced, and checks that Load refuses it saying <paramref name="expected"/>.</summary>
    internal static void AssertLoadFails(string directory, Dictionary<string, string> fields, string replacement, string expected)
    {
        fields[replacement[1..replacement.IndexOf('"', 1)]] = replacement;
        var path = Path.Combine(directory, "v.json");
        File.WriteAllText(path, "{" + string.Join(", ", fields.Values) + "}");

        var error = Assert.Throws<InvalidDataException>(() => TextVectorizer.Load(path));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => TextVectorizer.Load(Path.Combine(_directory, "absent.json")));
    }

    // ---- Vocabulary constructor validation -------------------------------------------------

    [Fact]
    public void VocabularyConstructor_WithReservedTokensFirst_TakesItAsIs()
    {
        var vectorizer = new TextVectorizer(["", "[UNK]", "a"], maxTokens: 3);
        Assert.Equal(["", "[UNK]", "a"], vectorizer.Vocabulary);
    }

    [Theory]
    [InlineData(new string[0], "empty")]
    [InlineData(new[] { "a", "b", "a", "c", "b" }, "\"a\", \"b\"")]
    [InlineData(new[] { "a", "" }, "vocabulary[1] is the reserved padding token")]
    [InlineData(new[] { "a", "[UNK]" }, "vocabulary[1] is the reserved OOV token")]
    [InlineData(new[] { "[UNK]", "", "a" }, "vocabulary[0] is the reserved OOV token")]
    [InlineData(new[] { "", "a" }, "vocabulary[0] is the reserved padding token")]
    [InlineData(new[] { "", "[UNK]", "", "a" }, "vocabulary[2] is the reserved padding token")]
    public void VocabularyConstructor_InvalidVocabulary_ThrowsSayingWhy(string[] vocabulary, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => new TextVectorizer(vocabulary));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VocabularyConstructor_UnpairedSurrogate_Throws()
    {
        // Not an InlineData: attribute strings are stored as UTF-8, which cannot hold the unpaired surrogate.
        var error = Assert.Throws<ArgumentException>(() => new TextVectorizer(["a\uD83D\uDE00", "b\uD800"]));
        Assert.Contains("vocabulary[1] holds an unpaired UTF-16 surrogate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VocabularyConstructor_NullToken_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new TextVectorizer(["a", null!]));
        Assert.Contains("vocabulary[1] is null", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VocabularyConstructor_LongerThanMaxTokens_Throws()
    {
        // Three tokens plus padding and OOV are 5 entries.
        Assert.Equal(5, new TextVectorizer(["a", "b", "c"], maxTokens: 5).VocabularySize);
        var error = Assert.Throws<ArgumentException>(() => new TextVectorizer(["a", "b", "c"], maxTokens: 4));
        Assert.Contains("5 entries", error.Message, StringComparison.Ordinal);
    }

    // ---- Other bad input -------------------------------------------------------------------

    [Fact]
    public void Encode_BeforeAdapt_ThrowsSayingToAdaptOrGiveAVocabulary()
    {
        var vectorizer = new TextVectorizer();

        Assert.False(vectorizer.HasVocabulary);
        var error = Assert.Throws<InvalidOperationException>(() => vectorizer.Encode("a"));
        Assert.Contains("call Adapt", error.Message, StringComparison.Ordinal);
        Assert.Contains("with a vocabulary", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => vectorizer.Encode(["a"]));
        Assert.Throws<InvalidOperationException>(() => vectorizer.Decode([2]));
        Assert.Throws<InvalidOperationException>(() => vectorizer.Vocabulary);
        Assert.Throws<InvalidOperationException>(() => vectorizer.VocabularySize);
        Assert.Throws<InvalidOperationException>(() => vectorizer.Save(Path.Combine(_directory, "v.json")));
    }

    [Fact]
    public void NullTexts_ThrowArgumentNull_AndNullElementsArgument()
    {
        var vectorizer = Adapted(["a"]);

        Assert.Throws<ArgumentNullException>(() => vectorizer.Adapt(null!));
        Assert.Throws<ArgumentNullException>(() => vectorizer.Encode((string)null!));
        Assert.Throws<ArgumentNullException>(() => vectorizer.Encode((IReadOnlyList<string>)null!));
        Assert.Throws<ArgumentNullException>(() => vectorizer.Tokenize(null!));
        Assert.Contains("texts[1]", Assert.Throws<ArgumentException>(() => vectorizer.Adapt(["a", null!])).Message, StringComparison.Ordinal);
        Assert.Contains("texts[1]", Assert.Throws<ArgumentException>(() => vectorizer.Encode(["a", null!])).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData(-5)]
    public void Constructor_MaxTokensBelowTwo_ThrowsOutOfRange(int maxTokens)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TextVectorizer(maxTokens: maxTokens));
        Assert.Equal("maxTokens", error.ParamName);
        Assert.Contains("padding and OOV", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowOutOfRange()
    {
        Assert.Equal("outputSequenceLength", Assert.Throws<ArgumentOutOfRangeException>(() => new TextVectorizer(outputSequenceLength: 0)).ParamName);
        Assert.Equal("standardize", Assert.Throws<ArgumentOutOfRangeException>(() => new TextVectorizer(standardize: (TextStandardization)9)).ParamName);
        Assert.Equal("split", Assert.Throws<ArgumentOutOfRangeException>(() => new TextVectorizer(split: (TextSplit)9)).ParamName);
    }
}
