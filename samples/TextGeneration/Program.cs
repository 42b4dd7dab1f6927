// A character-level language model of the BSD fortune texts: Embedding → Lstm (every step) → Dense(vocabulary)
// learns to predict the next character of 80-character windows. Perplexity is reported per epoch, then the model
// writes new "fortunes" at several temperatures, one character at a time with a streaming session, and the saved
// and reloaded model and vocabulary write the same text for the same seed.
// Data: samples/data/fortunes/{fortunes,literature,riddles} (BSD licence, see samples/data/fortunes/COPYRIGHT).
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using Rnn;
using Rnn.Data;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Metrics;
using Rnn.Models;
using Rnn.Optimizers;

string[] collections = ["fortunes", "literature", "riddles"];
var options = Options.Parse(args);

// 1. The texts, each ending with the "%" line that separates them in the files, so the model learns where a
//    fortune ends. A seeded tenth of the texts is held out to measure perplexity on text the model never saw.
var texts = collections
    .SelectMany(file => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "fortunes", file)).ReplaceLineEndings("\n").Split("%\n"))
    .Where(text => text.Length > 0)
    .Select(text => text + "%\n")
    .ToArray();
new Random(options.Seed).Shuffle(texts);
var validationCount = texts.Length / 10;
var trainText = string.Concat(texts[validationCount..]);
var validationText = string.Concat(texts[..validationCount]);
if (options.TrainCharacters is { } limit)
{
    trainText = trainText[..Math.Min(limit, trainText.Length)];
    validationText = validationText[..Math.Min(limit / 5, validationText.Length)];
}

// 2. Characters → ids (2.. the characters, most frequent first; 0 and 1, padding and unknown, never occur here),
//    and windows: x = ids of characters t..t+T-1, y = ids of characters t+1..t+T.
var vectorizer = new TextVectorizer(standardize: TextStandardization.None, split: TextSplit.Character);
vectorizer.Adapt(texts);
var (trainIds, validationIds) = (vectorizer.Encode(trainText), vectorizer.Encode(validationText));
var (xTrain, yTrain) = Windows(trainIds, options.Window, stride: options.Window / 2);
var (xValidation, yValidation) = Windows(validationIds, options.Window, stride: options.Window);
Console.WriteLine($"{texts.Length} texts, {vectorizer.VocabularySize - 2} distinct characters; training on {trainText.Length:N0} characters "
    + $"({xTrain.Lengths[0]} windows of {options.Window}), validating on {validationText.Length:N0}");

// 3. The model; targets are [batch, time] class ids against [batch, time, vocabulary] logits.
var model = new Sequential(
    [
        new Embedding(vectorizer.VocabularySize, options.EmbeddingSize),
        new Lstm(options.Units, returnSequences: true),
        new Dense(vectorizer.VocabularySize),
    ],
    seed: options.Seed);
var optimizer = new Adam(learningRate: options.LearningRate) { GlobalClipNorm = 5f };
model.Compile(optimizer, Loss.SparseCategoricalCrossEntropy(fromLogits: true), Metric.SparseCategoricalAccuracy);

// Perplexity = exp(mean cross-entropy per character): the number of equally likely characters the model hesitates
// between. Predicting from character frequencies alone (a unigram model) is the baseline to beat.
var unigram = UnigramPerplexity(trainIds, validationIds, vectorizer.VocabularySize);
var clock = Stopwatch.StartNew();
var perplexity = new LambdaCallback(onEpochEnd: (epoch, logs) => Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"epoch {epoch + 1,2}/{options.Epochs}: perplexity {Math.Exp(logs["loss"]),6:0.00}, validation {Math.Exp(logs["val_loss"]),6:0.00}, "
    + $"next-character accuracy {logs["val_sparse_categorical_accuracy"]:0.000} ({clock.Elapsed.TotalSeconds:0} s)")));

// The validation perplexity bottoms out after 25 to 30 epochs, then the model starts learning the training texts by
// heart: stop when it has not improved for 3 epochs and keep the best weights.
var earlyStopping = new EarlyStopping(monitor: "val_loss", patience: 3, restoreBestWeights: true);
var history = model.Fit(
    xTrain, yTrain, epochs: options.Epochs, batchSize: 32, validationData: (xValidation, yValidation), callbacks: [perplexity, earlyStopping], verbose: 0);
var trainingSeconds = clock.Elapsed.TotalSeconds;
var validationPerplexity = Math.Exp(model.Evaluate(xValidation, yValidation)["loss"]);
Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"trained {history.EpochCount} epochs in {trainingSeconds:0} s ({trainingSeconds / history.EpochCount:0.0} s per epoch); kept epoch {earlyStopping.BestEpoch + 1}"));
Console.WriteLine(model.Summary());

// 4. Write new texts: prime with "%\n" (the start of a text), then sample each next character from
//    softmax(logits / temperature). Low temperatures play safe and repeat; high ones invent (and misspell).
var generator = new Generator(model, vectorizer);
foreach (var temperature in options.Temperatures)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"--- temperature {temperature}"));
    Console.WriteLine(generator.Write(temperature, options.GenerateLength, seed: options.Seed));
}

// 5. Save the model and its vocabulary, load both, and write again with the same seed: the same weights and ids give
//    the same text, character for character.
var path = Path.GetFullPath(Path.Combine("out", "fortune-lstm.safetensors"));
var vocabularyPath = Path.ChangeExtension(path, ".vocabulary.json");
Directory.CreateDirectory(Path.GetDirectoryName(path)!);
model.Save(path);
vectorizer.Save(vocabularyPath);
var before = generator.Write(temperature: 0.8f, options.GenerateLength, seed: 7);
var after = new Generator(Sequential.Load(path), TextVectorizer.Load(vocabularyPath)).Write(temperature: 0.8f, options.GenerateLength, seed: 7);
Console.WriteLine($"saved {path} ({new FileInfo(path).Length / 1024.0:0} KB) and {Path.GetFileName(vocabularyPath)}, and loaded them back");

// The stream gave, step by step, what Predict gives when it reads the whole text at once.
var whole = model.Predict(vectorizer.Encode(["%\n" + before]));
var lastStep = new float[whole.FlattenedLength];
whole.FlattenTo(lastStep);
var gap = new float[vectorizer.VocabularySize];
TensorPrimitives.Subtract(lastStep.AsSpan()[^vectorizer.VocabularySize..], generator.LastLogits, gap);
var difference = TensorPrimitives.MaxMagnitude(gap);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"streamed logits after {before.Length + 2} steps vs Predict on the whole text: largest difference {difference:G2}"));
Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"validation perplexity: {validationPerplexity:0.00} (unigram baseline: {unigram:0.00}); reloaded model writes the same text: {(before == after ? "yes" : "NO")}"));
return before == after ? 0 : 1;

static (Tensor<float> X, Tensor<float> Y) Windows(int[] ids, int length, int stride)
{
    var count = ids.Length > length ? ((ids.Length - 1 - length) / stride) + 1 : 0;
    var starts = Enumerable.Range(0, count).Select(i => i * stride).ToArray();
    var x = new float[starts.Length * length];
    var y = new float[starts.Length * length];
    for (var w = 0; w < starts.Length; w++)
    {
        for (var t = 0; t < length; t++)
        {
            x[(w * length) + t] = ids[starts[w] + t];
            y[(w * length) + t] = ids[starts[w] + t + 1];
        }
    }

    return (Tensor.Create(x, [starts.Length, length]), Tensor.Create(y, [starts.Length, length]));
}

static double UnigramPerplexity(int[] train, int[] validation, int vocabularySize)
{
    // Add-one smoothing, so that a character unseen in training does not make the perplexity infinite.
    var counts = new double[vocabularySize];
    Array.Fill(counts, 1.0);
    foreach (var id in train)
    {
        counts[id]++;
    }

    var total = counts.Sum();
    return Math.Exp(-validation.Average(id => Math.Log(counts[id] / total)));
}

/// <summary>
/// Writes text one character at a time. A <see cref="StreamingSession"/> carries the Lstm's state from step to step,
/// so each character costs one step (one token id in, the next character's logits out) instead of a pass over the
/// whole prefix.
/// </summary>
internal sealed class Generator
{
    // Ids 0 (padding) and 1 (unknown) never occur in the training text, so they are never drawn.
    private const int FirstCharacterId = TextVectorizer.OovId + 1;

    private readonly TextVectorizer _vectorizer;
    private readonly StreamingSession _stream;
    private readonly float[] _logits;
    private readonly float[] _id = new float[1];

    public Generator(Sequential model, TextVectorizer vectorizer)
    {
        _vectorizer = vectorizer;
        _stream = model.StartStreaming();
        _logits = new float[vectorizer.VocabularySize];
    }

    /// <summary>The logits after the last character written: the distribution of the one that would follow.</summary>
    public ReadOnlySpan<float> LastLogits => _logits;

    public string Write(float temperature, int length, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        var characterLogits = _logits.AsSpan(FirstCharacterId);
        var probabilities = new float[characterLogits.Length];
        _stream.Reset();
        foreach (var id in _vectorizer.Encode("%\n"))
        {
            Feed(id);
        }

        while (text.Length < length)
        {
            // softmax(logits / T) over the characters, then draw one with those probabilities.
            TensorPrimitives.Divide(characterLogits, temperature, probabilities);
            TensorPrimitives.SoftMax(probabilities, probabilities);
            var draw = random.NextSingle();
            var next = 0;
            var cumulative = probabilities[0];
            while (cumulative < draw && next < probabilities.Length - 1)
            {
                cumulative += probabilities[++next];
            }

            text.Append(_vectorizer.Vocabulary[FirstCharacterId + next]);
            Feed(FirstCharacterId + next);
        }

        return text.ToString();
    }

    private void Feed(int id)
    {
        _id[0] = id;
        _stream.Step(_id, _logits);
    }
}

/// <summary>Command-line options; <c>--smoke</c> is a seconds-long run for CI.</summary>
internal sealed record Options(int Epochs, int Units, int EmbeddingSize, int Window, float LearningRate, int Seed, int GenerateLength, float[] Temperatures, int? TrainCharacters)
{
    public static Options Parse(string[] args)
    {
        var options = new Options(Epochs: 40, Units: 256, EmbeddingSize: 32, Window: 80, LearningRate: 2e-3f, Seed: 42, GenerateLength: 400, Temperatures: [0.2f, 0.5f, 0.8f, 1.0f], TrainCharacters: null);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--epochs" => options with { Epochs = NextInt() },
                "--units" => options with { Units = NextInt() },
                "--embedding" => options with { EmbeddingSize = NextInt() },
                "--window" => options with { Window = NextInt() },
                "--learning-rate" => options with { LearningRate = float.Parse(Next(), CultureInfo.InvariantCulture) },
                "--seed" => options with { Seed = NextInt() },
                "--length" => options with { GenerateLength = NextInt() },
                "--temperatures" => options with { Temperatures = [.. Next().Split(',').Select(t => float.Parse(t, CultureInfo.InvariantCulture))] },
                "--train-characters" => options with { TrainCharacters = NextInt() },
                "--smoke" => options with { Epochs = 1, Units = 32, TrainCharacters = 8000, GenerateLength = 80, Temperatures = [0.5f] },
                _ => throw new ArgumentException(
                    $"Unknown option '{args[i]}'. Options: --epochs N, --units N, --embedding N, --window N, --learning-rate X, --seed N, --length N, --temperatures 0.2,0.5,..., --train-characters N, --smoke."),
            };
        }

        return options;
    }
}
