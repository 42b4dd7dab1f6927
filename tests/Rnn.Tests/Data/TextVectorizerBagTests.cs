using System.Numerics.Tensors;
using Rnn.Data;

namespace Rnn.Tests.Data;

/// <summary>
/// Keras 3 TextVectorization's n-grams and its multi_hot, count and tf_idf output modes. The first cases are the examples
/// in Keras's StringLookup docstring (the lookup TextVectorization hands its tokens to); the rest are worked out by hand
/// from Keras's rules: in these modes id 0 is "[UNK]" and there is no padding id, idf = ln(1 + N / (1 + df)), the OOV
/// weight is the mean of the others, and tf.strings.ngrams lists all 1-grams, then all 2-grams, and so on.
/// </summary>
public sealed class TextVectorizerBagTests : IDisposable
{
    private static readonly string[] KerasVocabulary = ["a", "b", "c", "d"];

    // StringLookup's docstring data, [["a", "c", "d", "d"], ["d", "z", "b", "z"]], as texts split on whitespace.
    private static readonly string[] KerasData = ["a c d d", "d z b z"];

    private readonly string _directory = Directory.CreateTempSubdirectory("rnn-text-bag-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static float[] Values(Tensor<float> tensor) => TestUtil.Span(tensor).ToArray();

    private static TextVectorizer Given(TextOutputMode mode, IEnumerable<float>? idfWeights = null) =>
        new(KerasVocabulary, standardize: TextStandardization.None, outputMode: mode, idfWeights: idfWeights);

    // ---- Keras's documented examples -------------------------------------------------------

    [Fact]
    public void MultiHot_GivesKerasDocstringExample()
    {
        // StringLookup(vocabulary=vocab, output_mode='multi_hot')(data) -> [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]].
        var rows = Given(TextOutputMode.MultiHot).Encode(KerasData);

        Assert.Equal([2, 5], TestUtil.Shape(rows));
        Assert.Equal([0f, 1, 0, 1, 1, 1, 0, 1, 0, 1], Values(rows));
    }

    [Fact]
    public void Count_GivesKerasDocstringExample()
    {
        // StringLookup(vocabulary=vocab, output_mode='count')(data) -> [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]].
        var rows = Given(TextOutputMode.Count).Encode(KerasData);

        Assert.Equal([0f, 1, 0, 1, 2, 2, 0, 1, 0, 1], Values(rows));
    }

    [Fact]
    public void TfIdf_WithGivenWeights_GivesKerasDocstringExample()
    {
        // StringLookup(output_mode="tf_idf", vocabulary=vocab, idf_weights=[0.25, 0.75, 0.6, 0.4])(data)
        // -> [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]]: "[UNK]" weighs the mean 0.5, and z occurs twice.
        var vectorizer = Given(TextOutputMode.TfIdf, [0.25f, 0.75f, 0.6f, 0.4f]);

        Assert.Equal([0.5f, 0.25f, 0.75f, 0.6f, 0.4f], vectorizer.IdfWeights);
        Assert.Equal([0f, 0.25f, 0, 0.6f, 0.8f, 1f, 0, 0.75f, 0, 0.4f], Values(vectorizer.Encode(KerasData)));
    }

    [Fact]
    public void BagModes_VocabularyHasNoPaddingEntry_AndUnknownIsIdZero()
    {
        var vectorizer = Given(TextOutputMode.Count);

        Assert.Equal(["[UNK]", "a", "b", "c", "d"], vectorizer.Vocabulary);
        Assert.Equal([1, 0, 4], vectorizer.Encode("a z d"));
        Assert.Equal("[UNK] a", vectorizer.Decode([0, 1]));
    }

    // ---- Adapt ---------------------------------------------------------------------------------

    [Fact]
    public void Adapt_TfIdf_LearnsKerasInverseDocumentFrequencies()
    {
        // Three texts. b is in all three (4 times in all), a in one (twice), c in one (once): vocabulary [UNK], b, a, c.
        var vectorizer = new TextVectorizer(outputMode: TextOutputMode.TfIdf);
        vectorizer.Adapt(["a a b", "b c", "b"]);

        Assert.Equal(["[UNK]", "b", "a", "c"], vectorizer.Vocabulary);
        float idfB = (float)Math.Log(1 + (3.0 / (1 + 3))), idfA = (float)Math.Log(1 + (3.0 / (1 + 1))), idfC = idfA;
        var oov = (float)((idfB + (double)idfA + idfC) / 3);
        Assert.Equal([oov, idfB, idfA, idfC], vectorizer.IdfWeights);
        // "a a z b z z": a twice, b once, three unknown tokens.
        Assert.Equal([3 * oov, idfB, 2 * idfA, 0f], Values(vectorizer.Encode(["a a z b z z"])));
    }

    [Fact]
    public void Adapt_BagMode_MaxTokensCountsOnlyTheOovEntry()
    {
        var vectorizer = new TextVectorizer(maxTokens: 3, outputMode: TextOutputMode.MultiHot);
        vectorizer.Adapt(["a a b", "b c", "b"]);

        Assert.Equal(["[UNK]", "b", "a"], vectorizer.Vocabulary);
        Assert.Equal([1f, 0, 1], Values(vectorizer.Encode(["c a"])));
    }

    [Fact]
    public void PadToMaxTokens_MakesRowsMaxTokensWide()
    {
        var vectorizer = new TextVectorizer(maxTokens: 6, outputMode: TextOutputMode.TfIdf, padToMaxTokens: true);
        vectorizer.Adapt(["a b", "b"]);

        var rows = vectorizer.Encode(["b b", "x"]);

        Assert.Equal(3, vectorizer.VocabularySize);
        Assert.Equal([2, 6], TestUtil.Shape(rows));
        var idfB = (float)Math.Log(1 + (2.0 / (1 + 2)));
        Assert.Equal([0f, 2 * idfB, 0, 0, 0, 0], Values(rows)[..6]);
        Assert.Equal(vectorizer.IdfWeights![0], Values(rows)[6]);
        Assert.All(Values(rows)[7..], v => Assert.Equal(0f, v));
    }

    [Fact]
    public void BagModes_DropEmptyTokens_WhereIdsModeGivesPadding()
    {
        // Split None makes an empty text one empty token: the mask token, id 0 in Ids mode, dropped in the bag modes.
        var ids = new TextVectorizer(["x"], split: TextSplit.None);
        var bag = new TextVectorizer(["x"], split: TextSplit.None, outputMode: TextOutputMode.Count);

        Assert.Equal([0], ids.Encode(string.Empty));
        Assert.Empty(bag.Encode(string.Empty));
        Assert.Equal([0f, 0, 0, 1], Values(bag.Encode([string.Empty, "x"])));   // [UNK], x per row
    }

    // ---- N-grams -------------------------------------------------------------------------------

    [Fact]
    public void Ngrams_AddEveryRunOfTwoToNTokens_WidthByWidth()
    {
        var vectorizer = new TextVectorizer(ngrams: 3);

        Assert.Equal(["a", "b", "c", "a b", "b c", "a b c"], vectorizer.Tokenize("A b, c!"));
        Assert.Equal(["a", "b", "a b"], vectorizer.Tokenize("a b"));
        Assert.Equal(["x"], vectorizer.Tokenize("x"));
        Assert.Equal(["a", "b"], new TextVectorizer(ngrams: 1).Tokenize("a b"));
    }

    [Fact]
    public void Ngrams_OfCharacters_AreJoinedWithSpaces()
    {
        var vectorizer = new TextVectorizer(split: TextSplit.Character, ngrams: 2);

        Assert.Equal(["a", "b", "c", "a b", "b c"], vectorizer.Tokenize("abc"));
    }

    [Fact]
    public void Ngrams_AreCountedByAdapt_AndLookedUp()
    {
        var vectorizer = new TextVectorizer(ngrams: 2, outputMode: TextOutputMode.Count);
        vectorizer.Adapt(["the cat", "the cat sat"]);

        // the, cat and "the cat" twice (ties: descending), then "cat sat" and sat once.
        Assert.Equal(["[UNK]", "the cat", "the", "cat", "sat", "cat sat"], vectorizer.Vocabulary);
        // the, cat, "the cat" once each; ran and "cat ran" are unknown.
        Assert.Equal([2f, 1, 1, 1, 0, 0], Values(vectorizer.Encode(["the cat ran"])));
    }

    // ---- Save and Load ---------------------------------------------------------------------

    [Fact]
    public void SaveThenLoad_KeepsModeNgramsPaddingAndIdfWeights()
    {
        var vectorizer = new TextVectorizer(maxTokens: 20, ngrams: 2, outputMode: TextOutputMode.TfIdf, padToMaxTokens: true);
        vectorizer.Adapt(["one two three", "two three", "three", "four"]);
        var path = Path.Combine(_directory, "v.json");

        vectorizer.Save(path);
        var loaded = TextVectorizer.Load(path);

        Assert.Equal((TextOutputMode.TfIdf, 2, true), (loaded.OutputMode, loaded.Ngrams, loaded.PadToMaxTokens));
        Assert.Equal(vectorizer.Vocabulary, loaded.Vocabulary);
        Assert.Equal(vectorizer.IdfWeights, loaded.IdfWeights);
        string[] probe = ["two three four", "five", string.Empty];
        Assert.Equal(Values(vectorizer.Encode(probe)), Values(loaded.Encode(probe)));
        Assert.Contains("\"format\": \"rnn.text_vectorizer/2\"", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("multi_hot", TextOutputMode.MultiHot)]
    [InlineData("count", TextOutputMode.Count)]
    public void SaveThenLoad_WritesKerasModeNames(string name, TextOutputMode mode)
    {
        var path = Path.Combine(_directory, "v.json");
        Given(mode).Save(path);

        Assert.Contains($"\"output_mode\": \"{name}\"", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Equal(mode, TextVectorizer.Load(path).OutputMode);
        Assert.Null(TextVectorizer.Load(path).IdfWeights);
    }

    [Theory]
    [InlineData("\"output_mode\": \"one_hot\"", "one_hot")]
    [InlineData("\"vocabulary\": [\"\", \"[UNK]\", \"a\"]", "does not start with the OOV token")]
    [InlineData("\"idf_weights\": [1, 2]", "idfWeights has 2 values for a vocabulary of 3 entries")]
    [InlineData("\"ngrams\": 0", "ngrams")]
    public void Load_InconsistentBagFile_ThrowsInvalidDataSayingWhat(string replacement, string expected)
    {
        var fields = new Dictionary<string, string>
        {
            ["format"] = "\"format\": \"rnn.text_vectorizer/2\"",
            ["max_tokens"] = "\"max_tokens\": null",
            ["standardize"] = "\"standardize\": null",
            ["split"] = "\"split\": \"whitespace\"",
            ["output_sequence_length"] = "\"output_sequence_length\": null",
            ["vocabulary"] = "\"vocabulary\": [\"[UNK]\", \"a\", \"b\"]",
            ["output_mode"] = "\"output_mode\": \"tf_idf\"",
            ["idf_weights"] = "\"idf_weights\": [0.5, 0.25, 0.75]",
        };

        TextVectorizerTests.AssertLoadFails(_directory, fields, replacement, expected);
    }

    [Fact]
    public void Load_TheFieldsOfTheBagFileTemplate_AreValid()
    {
        // The template of the test above loads as it is, so each of its failures comes from the one field replaced.
        var path = Path.Combine(_directory, "v.json");
        File.WriteAllText(path, "{\"format\": \"rnn.text_vectorizer/2\", \"max_tokens\": null, \"standardize\": null, \"split\": \"whitespace\", \"output_sequence_length\": null, \"vocabulary\": [\"[UNK]\", \"a\", \"b\"], \"output_mode\": \"tf_idf\", \"idf_weights\": [0.5, 0.25, 0.75]}");

        Assert.Equal([0.5f, 0.25f, 0.75f], TextVectorizer.Load(path).IdfWeights);
    }

    // ---- Bad input -------------------------------------------------------------------------

    [Fact]
    public void Constructor_InvalidBagOptions_Throw()
    {
        Assert.Equal("outputSequenceLength", Assert.Throws<ArgumentException>(() => new TextVectorizer(outputSequenceLength: 4, outputMode: TextOutputMode.Count)).ParamName);
        Assert.Equal("padToMaxTokens", Assert.Throws<ArgumentException>(() => new TextVectorizer(outputMode: TextOutputMode.Count, padToMaxTokens: true)).ParamName);
        Assert.Equal("ngrams", Assert.Throws<ArgumentOutOfRangeException>(() => new TextVectorizer(ngrams: 0)).ParamName);
        Assert.Equal("outputMode", Assert.Throws<ArgumentOutOfRangeException>(() => new TextVectorizer(outputMode: (TextOutputMode)9)).ParamName);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TextVectorizer(maxTokens: 0, outputMode: TextOutputMode.MultiHot));
        Assert.Contains("room for the OOV token", error.Message, StringComparison.Ordinal);
        Assert.Single(new TextVectorizer(["[UNK]"], maxTokens: 1, outputMode: TextOutputMode.MultiHot).Vocabulary);
    }

    [Fact]
    public void VocabularyConstructor_BadIdfWeights_ThrowSayingWhy()
    {
        string Message(TextOutputMode mode, float[]? weights) =>
            Assert.Throws<ArgumentException>(() => new TextVectorizer(KerasVocabulary, outputMode: mode, idfWeights: weights)).Message;

        Assert.Contains("needs idfWeights", Message(TextOutputMode.TfIdf, null), StringComparison.Ordinal);
        Assert.Contains("apply to TextOutputMode.TfIdf only", Message(TextOutputMode.Count, [1, 1, 1, 1]), StringComparison.Ordinal);
        Assert.Contains("3 values for a vocabulary of 4 entries", Message(TextOutputMode.TfIdf, [1, 1, 1]), StringComparison.Ordinal);
        Assert.Contains("idfWeights[2] is NaN", Message(TextOutputMode.TfIdf, [1, 1, float.NaN, 1]), StringComparison.Ordinal);
    }

    [Fact]
    public void VocabularyConstructor_BagMode_RejectsThePaddingToken_AndTakesLeadingOovAsIs()
    {
        var error = Assert.Throws<ArgumentException>(() => new TextVectorizer(["", "[UNK]", "a"], outputMode: TextOutputMode.Count));
        Assert.Contains("vocabulary[0] is the reserved padding token", error.Message, StringComparison.Ordinal);
        Assert.Contains("has no padding token", error.Message, StringComparison.Ordinal);

        var vectorizer = new TextVectorizer(["[UNK]", "a"], outputMode: TextOutputMode.TfIdf, idfWeights: [0.9f, 0.3f]);
        Assert.Equal(["[UNK]", "a"], vectorizer.Vocabulary);
        Assert.Equal([0.9f, 0.3f], vectorizer.IdfWeights);
    }
}
