// Which collection does a text come from: fortunes, literature or riddles? Each text becomes a sequence of
// character ids padded at the end with 0, an Embedding(maskZero: true) marks the padding, and a bidirectional GRU
// reads only the real characters, forwards and backwards, before Dense(3) gives one logit per collection.
// Data: samples/data/fortunes/{fortunes,literature,riddles} (BSD licence, see samples/data/fortunes/COPYRIGHT).
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Rnn;
using Rnn.Data;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Metrics;
using Rnn.Models;
using Rnn.Optimizers;

string[] collections = ["fortunes", "literature", "riddles"];
var options = Options.Parse(args);

// 1. Read the texts (separated by lines holding "%") with their collection as label, and split each collection
//    80/20 into training and test with a seeded shuffle (a stratified split: both parts keep the class shares).
var random = new Random(options.Seed);
var train = new List<(string Text, int Label)>();
var test = new List<(string Text, int Label)>();
for (var label = 0; label < collections.Length; label++)
{
    var texts = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "fortunes", collections[label]))
        .ReplaceLineEndings("\n")
        .Split("%\n")
        .Where(text => text.Length > 0)
        .Take(options.TextsPerCollection ?? int.MaxValue)
        .ToArray();
    random.Shuffle(texts);
    var testCount = texts.Length / 5;
    test.AddRange(texts[..testCount].Select(text => (text, label)));
    train.AddRange(texts[testCount..].Select(text => (text, label)));
}

// Fit holds out the *last* rows for validation (Keras's rule), so shuffle before it does.
var trainRows = train.ToArray();
random.Shuffle(trainRows);

// 2. Characters → ids: 0 is padding, 1 an unknown character, 2.. the characters seen in training, most frequent
//    first. No standardization: case and punctuation tell the collections apart ("Q:", "-- Author").
var vectorizer = new TextVectorizer(standardize: TextStandardization.None, split: TextSplit.Character, outputSequenceLength: options.MaxLength);
vectorizer.Adapt(trainRows.Select(row => row.Text));

// Encode pads at the end ("post") so that the real characters come first and the mask covers the tail; texts longer
// than maxLength keep their beginning.
Tensor<float> Encode(IEnumerable<(string Text, int Label)> rows) => vectorizer.Encode([.. rows.Select(row => row.Text)]);
Tensor<float> Labels(IEnumerable<(string Text, int Label)> rows) => Tensor.Create(rows.Select(row => (float)row.Label).ToArray(), [rows.Count()]);
var (xTrain, yTrain) = (Encode(trainRows), Labels(trainRows));
var xTest = Encode(test);
Console.WriteLine($"{trainRows.Length} training and {test.Count} test texts, {vectorizer.VocabularySize - 2} distinct characters, padded to {options.MaxLength}");
Console.WriteLine("test texts per collection: " + string.Join(", ", collections.Select((name, c) => $"{name} {test.Count(row => row.Label == c)}")));

// 3. The model.
var model = new Sequential(
    [
        new Embedding(vectorizer.VocabularySize, options.EmbeddingSize, maskZero: true),
        new Gru(options.Units, bidirectional: true),
        new Dense(collections.Length),
    ],
    seed: options.Seed);
model.Compile(new Adam(learningRate: options.LearningRate), Loss.SparseCategoricalCrossEntropy(fromLogits: true), Metric.SparseCategoricalAccuracy);

var clock = Stopwatch.StartNew();
var history = model.Fit(
    xTrain, yTrain, epochs: options.Epochs, batchSize: 32, validationSplit: 0.1f,
    callbacks: [new EarlyStopping(monitor: "val_loss", patience: 3, restoreBestWeights: true)], verbose: 2);
var trainingSeconds = clock.Elapsed.TotalSeconds;
Console.WriteLine(model.Summary());

// 4. Test: accuracy against always answering the most common collection of the training set, and the confusion matrix.
var logits = new float[test.Count * collections.Length];
model.Predict(xTest).FlattenTo(logits);
var confusion = new int[collections.Length, collections.Length];
var mistakes = new List<string>();
for (var i = 0; i < test.Count; i++)
{
    var predicted = TensorPrimitives.IndexOfMax(logits.AsSpan(i * collections.Length, collections.Length));
    confusion[test[i].Label, predicted]++;
    if (predicted != test[i].Label)
    {
        var oneLine = string.Join(' ', test[i].Text.Split((char[])['\n', '\t'], StringSplitOptions.RemoveEmptyEntries));
        mistakes.Add($"  {collections[test[i].Label]} taken for {collections[predicted]}: {oneLine[..Math.Min(oneLine.Length, 90)]}");
    }
}

var correct = Enumerable.Range(0, collections.Length).Sum(c => confusion[c, c]);
var majority = trainRows.GroupBy(row => row.Label).MaxBy(group => group.Count())!.Key;
var baseline = test.Count(row => row.Label == majority);
Console.WriteLine("confusion matrix on the test set (rows: true collection, columns: predicted)");
Console.WriteLine($"{string.Empty,-12}" + string.Concat(collections.Select(name => $"{name,12}")));
for (var actual = 0; actual < collections.Length; actual++)
{
    Console.WriteLine($"{collections[actual],-12}" + string.Concat(Enumerable.Range(0, collections.Length).Select(p => $"{confusion[actual, p],12}")));
}

Console.WriteLine("mistakes (at most 10):");
mistakes.Take(10).ToList().ForEach(Console.WriteLine);

// 5. A stronger baseline than the majority class: a bag of words. Each text becomes one row of TF-IDF weights of its
//    words and word pairs (lowercased, punctuation kept: "q:" and "--" are words here), and one Dense layer (a
//    multinomial logistic regression) reads it. Whatever the GRU beats this by comes from reading the characters in order.
var bag = new TextVectorizer(maxTokens: 20_000, standardize: TextStandardization.Lower, ngrams: 2, outputMode: TextOutputMode.TfIdf);
bag.Adapt(trainRows.Select(row => row.Text));
var bagModel = new Sequential([new Dense(collections.Length, inputShape: [bag.VocabularySize])], seed: options.Seed);
bagModel.Compile(new Adam(learningRate: 1e-2f), Loss.SparseCategoricalCrossEntropy(fromLogits: true), Metric.SparseCategoricalAccuracy);
bagModel.Fit(
    bag.Encode([.. trainRows.Select(row => row.Text)]), yTrain, epochs: options.Epochs, batchSize: 32, validationSplit: 0.1f,
    callbacks: [new EarlyStopping(monitor: "val_loss", patience: 3, restoreBestWeights: true)], verbose: 0);
var bagLogits = new float[test.Count * collections.Length];
bagModel.Predict(bag.Encode([.. test.Select(row => row.Text)])).FlattenTo(bagLogits);
var bagCorrect = Enumerable.Range(0, test.Count).Count(i => TensorPrimitives.IndexOfMax(bagLogits.AsSpan(i * collections.Length, collections.Length)) == test[i].Label);
Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"bag-of-words baseline (TF-IDF of {bag.VocabularySize - 1} words and word pairs, one Dense layer): test accuracy {(double)bagCorrect / test.Count:0.000} ({bagCorrect}/{test.Count})"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"trained {history.EpochCount} epochs in {trainingSeconds:0} s ({trainingSeconds / history.EpochCount:0.0} s per epoch)"));
Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"test accuracy: {(double)correct / test.Count:0.000} ({correct}/{test.Count}); majority-class baseline ('{collections[majority]}'): {(double)baseline / test.Count:0.000} ({baseline}/{test.Count})"));

/// <summary>Command-line options; <c>--smoke</c> is a seconds-long run for CI.</summary>
internal sealed record Options(int Epochs, int Units, int EmbeddingSize, int MaxLength, float LearningRate, int Seed, int? TextsPerCollection)
{
    public static Options Parse(string[] args)
    {
        var options = new Options(Epochs: 30, Units: 64, EmbeddingSize: 32, MaxLength: 300, LearningRate: 2e-3f, Seed: 42, TextsPerCollection: null);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--epochs" => options with { Epochs = NextInt() },
                "--units" => options with { Units = NextInt() },
                "--embedding" => options with { EmbeddingSize = NextInt() },
                "--max-length" => options with { MaxLength = NextInt() },
                "--learning-rate" => options with { LearningRate = float.Parse(Next(), CultureInfo.InvariantCulture) },
                "--seed" => options with { Seed = NextInt() },
                "--texts-per-collection" => options with { TextsPerCollection = NextInt() },
                "--smoke" => options with { Epochs = 1, Units = 16, MaxLength = 100, TextsPerCollection = 60 },
                _ => throw new ArgumentException(
                    $"Unknown option '{args[i]}'. Options: --epochs N, --units N, --embedding N, --max-length N, --learning-rate X, --seed N, --texts-per-collection N, --smoke."),
            };
        }

        return options;
    }
}
