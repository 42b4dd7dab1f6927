// Seq2Seq: an encoder–decoder that translates dates as people write them ("3 March 2021", "Mar 3, 2021",
// "03/03/21", "Wednesday, March 3 2021", ...) into ISO dates ("2021-03-03"), one character at a time.
// Built from layers, not from a Sequential model: the encoder's final states are the decoder's initial
// states, and the training loop runs Forward and Backward through each layer by hand.
// Data: made up by this program from a seeded random generator.
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Rnn.Data;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Optimizers;

var options = Options.Parse(args);
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");

// 1. Data: every day from 1950 to 2049 (so that a two-digit year names one year), shuffled; a tenth of the days
//    are held out for the test, another tenth for validation (watching training), the rest are for training.
//    Each example is one day written in a random human format, with its ISO form as target.
var random = new Random(options.Seed);
var days = Enumerable.Range(0, (new DateTime(2050, 1, 1) - new DateTime(1950, 1, 1)).Days).Select(d => new DateTime(1950, 1, 1).AddDays(d)).ToArray();
random.Shuffle(days);
var tenth = days.Length / 10;
var test = Examples(days[..tenth], options.TestCount);
var validation = Examples(days[tenth..(2 * tenth)], options.ValidationCount);
var train = Examples(days[(2 * tenth)..], options.TrainCount);
Console.WriteLine($"{train.Length} training pairs from {days.Length - (2 * tenth)} days; {validation.Length} validation and {test.Length} test pairs, each from {tenth} other days; e.g.:");
foreach (var (source, target) in train.Take(5))
{
    Console.WriteLine($"  {source,-30} → {target}");
}

// 2. The model. Characters are ids: source ids start at 1 (0 is padding, which a mask hides from the encoder),
//    target ids are the 11 characters of an ISO date plus a start token that the decoder reads before the first.
//    encoder: Embedding → LSTM, keeping only its final states (h, c)
//    decoder: Embedding → LSTM started from those states → Dense, one score per target character at every step
const int EmbeddingSize = 32;
var units = options.Units;
var encoderEmbedding = new Embedding(Vocabulary.Source.Length + 1, EmbeddingSize, seed: options.Seed, name: "encoder_embedding");
var encoder = NewRecurrent(options.Cell, units, returnSequences: false, options.Seed + 1, "encoder");
var decoderEmbedding = new Embedding(Vocabulary.Target.Length + 1, EmbeddingSize, seed: options.Seed + 2, name: "decoder_embedding");
var decoder = NewRecurrent(options.Cell, units, returnSequences: true, options.Seed + 3, "decoder");
var projection = new Dense(Vocabulary.Target.Length, inputShape: [-1, units], seed: options.Seed + 4, name: "projection");
Layer[] layers = [encoderEmbedding, encoder, decoderEmbedding, decoder, projection];
var parameters = layers.SelectMany(layer => layer.Parameters).ToArray();
Console.WriteLine($"{options.Cell.ToUpperInvariant()}({units}) encoder–decoder, {parameters.Sum(p => p.Length):N0} parameters: "
    + string.Join(", ", layers.Select(layer => $"{layer.Name} {layer.Parameters.Sum(p => p.Length):N0}")));

var loss = Loss.SparseCategoricalCrossEntropy(fromLogits: true);
var optimizer = new Adam(learningRate: options.LearningRate) { GlobalClipNorm = 1f };

// 3. Train with teacher forcing: the decoder reads the true previous character (after the start token) and
//    learns to score the next one. Backward runs the same path in reverse, and the gradient of the decoder's
//    initial states is the gradient of the encoder's final states. Training stops after the epoch that gets
//    every validation date right (see --stop-at), or after --epochs.
var clock = Stopwatch.StartNew();
var epochsRun = 0;
for (var epoch = 1; epoch <= options.Epochs; epoch++)
{
    random.Shuffle(train);
    var lossSum = 0.0;
    var batches = 0;
    for (var start = 0; start < train.Length; start += options.BatchSize)
    {
        var batch = train.AsSpan(start, Math.Min(options.BatchSize, train.Length - start)).ToArray();
        var (sourceIds, sourceMask) = Vocabulary.EncodeSources(batch.Select(pair => pair.Source).ToArray()); // [B, T]
        var (decoderInput, targets) = Vocabulary.EncodeTargets(batch.Select(pair => pair.Target).ToArray()); // [B, 10]

        // Forward: source → (h, c) [1, B, H]; (h, c) and decoder input → [B, 10, H] → scores [B, 10, 11].
        var encoded = encoder.Forward(encoderEmbedding.Forward(sourceIds, training: true), initialHidden: null, mask: sourceMask, training: true);
        var decoded = decoder.Forward(decoderEmbedding.Forward(decoderInput, training: true), encoded.FinalHidden, encoded.FinalCell, training: true);
        var logits = projection.Forward(decoded.Output, training: true);
        var logitsGradient = Tensor.Create(new float[logits.FlattenedLength], logits.Lengths);
        lossSum += loss.Compute(logits, targets, logitsGradient);
        batches++;

        // Backward, last layer first, after clearing the gradients of the previous step (they accumulate).
        foreach (var parameter in parameters)
        {
            parameter.ZeroGradient();
        }

        var decoderGradients = decoder.Backward(projection.Backward(logitsGradient), finalHiddenGradient: null);
        decoderEmbedding.Backward(decoderGradients.Input);
        // Only the encoder's final states feed the decoder, so its output's gradient is zero.
        var encoderOutputGradient = Tensor.Create(new float[encoded.Output.FlattenedLength], encoded.Output.Lengths);
        var encoderGradients = encoder.Backward(encoderOutputGradient, decoderGradients.InitialHidden, decoderGradients.InitialCell);
        encoderEmbedding.Backward(encoderGradients.Input);
        optimizer.Step(parameters);
    }

    var accuracy = ExactMatch(validation);
    epochsRun = epoch;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"epoch {epoch}: loss {lossSum / batches:0.0000}, validation exact match {accuracy:0.000}, {clock.Elapsed.TotalSeconds:0} s"));
    if (accuracy >= options.StopAt)
    {
        break;
    }
}

var trainingSeconds = clock.Elapsed.TotalSeconds;

// 4. Greedy decoding of the held-out dates: encode, then feed the decoder one step at a time from the encoder's
//    states, each step reading the character it chose the step before.
var predictions = Translate(test.Select(pair => pair.Source).ToArray());
var correct = test.Where((pair, i) => predictions[i] == pair.Target).Count();
Console.WriteLine("examples:");
for (var i = 0; i < Math.Min(8, test.Length); i++)
{
    Console.WriteLine($"  {test[i].Source,-30} → {predictions[i]} {(predictions[i] == test[i].Target ? "✓" : $"✗ (expected {test[i].Target})")}");
}

var mistakes = test.Select((pair, i) => (pair, predicted: predictions[i])).Skip(8).Where(p => p.predicted != p.pair.Target).Take(5).ToArray();
if (mistakes.Length > 0)
{
    Console.WriteLine("more mistakes:");
    foreach (var (pair, predicted) in mistakes)
    {
        Console.WriteLine($"  {pair.Source,-30} → {predicted} (expected {pair.Target})");
    }
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"exact-match accuracy on {test.Length} held-out dates: {(double)correct / test.Length:0.0000} ({options.Cell.ToUpperInvariant()} {units}, {epochsRun} epoch{(epochsRun == 1 ? "" : "s")}, {trainingSeconds:0} s)"));

(string Source, string Target)[] Examples(DateTime[] from, int count)
    => [.. Enumerable.Range(0, count).Select(_ => Dates.Example(from[random.Next(from.Length)], random))];

double ExactMatch((string Source, string Target)[] pairs)
{
    var predicted = Translate(pairs.Select(pair => pair.Source).ToArray());
    return (double)pairs.Where((pair, i) => predicted[i] == pair.Target).Count() / pairs.Length;
}

string[] Translate(string[] sources)
{
    var output = new string[sources.Length];
    const int BatchSize = 500;
    for (var start = 0; start < sources.Length; start += BatchSize)
    {
        var batch = sources.AsSpan(start, Math.Min(BatchSize, sources.Length - start)).ToArray();
        var (ids, mask) = Vocabulary.EncodeSources(batch);
        var state = encoder.Forward(encoderEmbedding.Forward(ids), initialHidden: null, mask: mask);
        var (hidden, cell) = (state.FinalHidden, state.FinalCell);
        var previous = Enumerable.Repeat((float)Vocabulary.StartId, batch.Length).ToArray();
        var characters = batch.Select(_ => new char[Vocabulary.TargetLength]).ToArray();
        var scores = new float[batch.Length * Vocabulary.Target.Length];
        for (var t = 0; t < Vocabulary.TargetLength; t++)
        {
            // One step: [batch, 1] ids → [batch, 1, units] → [batch, 1, characters], carrying (h, c) to the next step.
            var step = decoder.Forward(decoderEmbedding.Forward(Tensor.Create(previous, [batch.Length, 1])), hidden, cell);
            (hidden, cell) = (step.FinalHidden, step.FinalCell);
            projection.Forward(step.Output).FlattenTo(scores);
            for (var b = 0; b < batch.Length; b++)
            {
                var best = TensorPrimitives.IndexOfMax(scores.AsSpan(b * Vocabulary.Target.Length, Vocabulary.Target.Length));
                characters[b][t] = Vocabulary.Target[best];
                previous[b] = best;
            }
        }

        for (var b = 0; b < batch.Length; b++)
        {
            output[start + b] = new string(characters[b]);
        }
    }

    return output;
}

static Recurrent NewRecurrent(string cell, int units, bool returnSequences, int seed, string name) => cell switch
{
    "lstm" => new Lstm(units, returnSequences: returnSequences, returnState: true, inputShape: (null, EmbeddingSize), seed: seed, name: name),
    _ => new Gru(units, returnSequences: returnSequences, returnState: true, inputShape: (null, EmbeddingSize), seed: seed, name: name),
};

/// <summary>How people write dates, and the ISO form the model learns to produce.</summary>
internal static class Dates
{
    private static readonly CultureInfo English = CultureInfo.InvariantCulture;

    /// <summary>Formats of one date, e.g. for 3 March 2021. Slashes are month first (US), dots are day first.</summary>
    private static readonly Func<DateTime, string>[] Formats =
    [
        d => d.ToString("d MMMM yyyy", English),               // 3 March 2021
        d => d.ToString("MMM d, yyyy", English),               // Mar 3, 2021
        d => d.ToString("MM/dd/yy", English),                  // 03/03/21
        d => d.ToString("dddd, MMMM d yyyy", English),         // Wednesday, March 3 2021
        d => d.ToString("MMMM d, yyyy", English),              // March 3, 2021
        d => d.ToString("d MMM yyyy", English),                // 3 Mar 2021
        d => d.ToString("dd.MM.yyyy", English),                // 03.03.2021
        d => d.ToString("M/d/yyyy", English),                  // 3/3/2021
        d => d.ToString("ddd d MMM yy", English),              // Wed 3 Mar 21
        d => $"the {Ordinal(d.Day)} of {d.ToString("MMMM, yyyy", English)}", // the 3rd of March, 2021
        d => d.ToString("MMMM d yyyy", English).ToLowerInvariant(), // march 3 2021
        d => d.ToString("d MMM yyyy", English).ToUpperInvariant(),  // 3 MAR 2021
    ];

    /// <summary>One training or test pair: the date in a random format, and in ISO form.</summary>
    public static (string Source, string Target) Example(DateTime date, Random random)
        => (Formats[random.Next(Formats.Length)](date), date.ToString("yyyy-MM-dd", English));

    private static string Ordinal(int day) => day + (day is 1 or 21 or 31 ? "st" : day is 2 or 22 ? "nd" : day is 3 or 23 ? "rd" : "th");
}

/// <summary>Characters to ids and back.</summary>
internal static class Vocabulary
{
    /// <summary>Every character a source may hold; id = index + 1, since 0 is padding.</summary>
    public const string Source = " ,./0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    /// <summary>Every character of an ISO date; id = index. The decoder's start token is the next id.</summary>
    public const string Target = "0123456789-";

    /// <summary>The id of the start token, read by the decoder before the first character.</summary>
    public const int StartId = 11;

    /// <summary>Characters in yyyy-MM-dd.</summary>
    public const int TargetLength = 10;

    /// <summary>
    /// Sources as ids padded at the end to the longest in the batch, [batch, time], and the mask that tells the
    /// encoder which steps are real, so that each sequence's final state is that of its own last character.
    /// </summary>
    public static (Tensor<float> Ids, Tensor<bool> Mask) EncodeSources(string[] sources)
    {
        var sequences = sources.Select(s => s.Select(c => Source.IndexOf(c, StringComparison.Ordinal) + 1).ToArray()).ToArray();
        var ids = Sequences.Pad(sequences, padding: Padding.Post);
        var time = (int)ids.Lengths[1];
        var mask = new bool[sources.Length * time];
        for (var b = 0; b < sources.Length; b++)
        {
            mask.AsSpan(b * time, sources[b].Length).Fill(true);
        }

        return (ids, Tensor.Create(mask, [sources.Length, time]));
    }

    /// <summary>Teacher forcing: the decoder reads [start, y0, ..., y8] and learns to produce [y0, ..., y9], both [batch, 10].</summary>
    public static (Tensor<float> DecoderInput, Tensor<float> Targets) EncodeTargets(string[] targets)
    {
        var input = new float[targets.Length * TargetLength];
        var output = new float[targets.Length * TargetLength];
        for (var b = 0; b < targets.Length; b++)
        {
            input[b * TargetLength] = StartId;
            for (var t = 0; t < TargetLength; t++)
            {
                output[(b * TargetLength) + t] = Target.IndexOf(targets[b][t], StringComparison.Ordinal);
                if (t + 1 < TargetLength)
                {
                    input[(b * TargetLength) + t + 1] = output[(b * TargetLength) + t];
                }
            }
        }

        return (Tensor.Create(input, [targets.Length, TargetLength]), Tensor.Create(output, [targets.Length, TargetLength]));
    }
}

/// <summary>Command-line options; see README.md.</summary>
internal sealed record Options(
    string Cell, int Units, int Epochs, int TrainCount, int TestCount, int ValidationCount, int BatchSize, float LearningRate, double StopAt, int Seed)
{
    public static Options Parse(string[] args)
    {
        var options = new Options("lstm", Units: 128, Epochs: 15, TrainCount: 40_000, TestCount: 2_000, ValidationCount: 1_000, BatchSize: 64, LearningRate: 2e-3f, StopAt: 1.0, Seed: 1);
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"Option {args[i]} needs a value.");
            int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--cell" => options with { Cell = Value() is var c && c is "lstm" or "gru" ? c : throw new ArgumentException("--cell is lstm or gru.") },
                "--units" => options with { Units = Int() },
                "--epochs" => options with { Epochs = Int() },
                "--train" => options with { TrainCount = Int() },
                "--test" => options with { TestCount = Int() },
                "--batch" => options with { BatchSize = Int() },
                "--lr" => options with { LearningRate = float.Parse(Value(), CultureInfo.InvariantCulture) },
                "--stop-at" => options with { StopAt = double.Parse(Value(), CultureInfo.InvariantCulture) },
                "--seed" => options with { Seed = Int() },
                "--smoke" => options with { Epochs = 1, TrainCount = 300, TestCount = 100, ValidationCount = 100 },
                _ => throw new ArgumentException(
                    $"Unknown option '{args[i]}'. Options: --cell lstm|gru, --units N, --epochs N, --train N, --test N, --batch N, --lr X, --stop-at ACCURACY, --seed N, --smoke."),
            };
        }

        return options;
    }
}
