// Fashion-MNIST read row by row: each 28×28 image is a sequence of 28 steps of 28 pixels, and a
// bidirectional GRU reads it top to bottom and bottom to top, then Dense(10) names the garment.
// Data: the four standard IDX files (MIT licence), by default where Debian/Ubuntu's dataset-fashion-mnist puts them.
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Numerics.Tensors;
using Rnn;
using Rnn.Layers;
using Rnn.Losses;
using Rnn.Metrics;
using Rnn.Models;
using Rnn.Optimizers;

const int Rows = 28, Columns = 28;
string[] classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

var options = Options.Parse(args);
if (!FashionMnist.FilesPresent(options.DataDirectory, out var missing))
{
    Console.Error.WriteLine(FashionMnist.HowToGetThem(options.DataDirectory, missing));
    return 2;
}

// 1. Read the images as [n, 28 rows, 28 columns], pixels scaled to [0, 1], and the labels as class indices [n].
var (xTrain, yTrain) = FashionMnist.Read(options.DataDirectory, "train", options.TrainLimit);
var (xTest, yTest) = FashionMnist.Read(options.DataDirectory, "t10k", options.TestLimit);
Console.WriteLine($"train: {xTrain.Lengths[0]} images, test: {xTest.Lengths[0]} images, each {Rows} steps × {Columns} features");

// 2. The model: a bidirectional GRU over the rows (its last steps, both directions, concatenated), then 10 logits.
var model = new Sequential(
    [
        new Gru(options.Units, bidirectional: true, inputShape: (Rows, Columns)),
        new Dense(classNames.Length),
    ],
    seed: options.Seed);
model.Compile(new Adam(learningRate: options.LearningRate), Loss.SparseCategoricalCrossEntropy(fromLogits: true), Metric.SparseCategoricalAccuracy);
Console.WriteLine(model.Summary());

// 3. Train, holding out the last 10% of the training images for validation; keep the weights of the best epoch.
var epochTimes = new List<double>();
var epochClock = new Stopwatch();
var callbacks = new List<Callback>
{
    new LambdaCallback(onTrainBegin: epochClock.Restart, onEpochEnd: (_, _) =>
    {
        epochTimes.Add(epochClock.Elapsed.TotalSeconds);
        epochClock.Restart();
    }),
    new EarlyStopping(monitor: "val_loss", patience: 2, restoreBestWeights: true),
};
var clock = Stopwatch.StartNew();
var history = model.Fit(xTrain, yTrain, epochs: options.Epochs, batchSize: options.BatchSize, validationSplit: 0.1f, callbacks: callbacks);
var trainingSeconds = clock.Elapsed.TotalSeconds;

// 4. Test: accuracy and the confusion matrix (rows: true class, columns: predicted class).
var logits = model.Predict(xTest, batchSize: 256);
var confusion = new int[classNames.Length, classNames.Length];
var correct = 0;
var scores = new float[logits.FlattenedLength];
logits.FlattenTo(scores);
var labels = new float[yTest.FlattenedLength];
yTest.FlattenTo(labels);
for (var i = 0; i < labels.Length; i++)
{
    var predicted = TensorPrimitives.IndexOfMax(scores.AsSpan(i * classNames.Length, classNames.Length));
    var actual = (int)labels[i];
    confusion[actual, predicted]++;
    correct += predicted == actual ? 1 : 0;
}

Console.WriteLine();
Console.WriteLine("confusion matrix on the test set (rows: true class, columns: predicted class)");
Console.WriteLine($"{string.Empty,-12}" + string.Concat(Enumerable.Range(0, classNames.Length).Select(c => $"{c,6}")));
for (var actual = 0; actual < classNames.Length; actual++)
{
    var row = string.Concat(Enumerable.Range(0, classNames.Length).Select(p => $"{confusion[actual, p],6}"));
    Console.WriteLine($"{actual} {classNames[actual],-10}{row}");
}

var accuracy = (double)correct / labels.Length;
Console.WriteLine();
Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"trained {history.EpochCount} epochs in {trainingSeconds:0} s ({epochTimes.Average():0.0} s per epoch, validation included) on {Environment.ProcessorCount} cores"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test accuracy: {accuracy:0.0000} ({correct}/{labels.Length})"));
return 0;

/// <summary>Command-line options; <c>--smoke</c> is a seconds-long run for CI.</summary>
internal sealed record Options(string DataDirectory, int Epochs, int BatchSize, int Units, float LearningRate, int Seed, int? TrainLimit, int? TestLimit)
{
    public const string DefaultDataDirectory = "/usr/share/datasets/fashion-mnist";

    public static Options Parse(string[] args)
    {
        var options = new Options(DefaultDataDirectory, Epochs: 12, BatchSize: 64, Units: 128, LearningRate: 1e-3f, Seed: 42, TrainLimit: null, TestLimit: null);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--data" => options with { DataDirectory = Next() },
                "--epochs" => options with { Epochs = NextInt() },
                "--batch-size" => options with { BatchSize = NextInt() },
                "--units" => options with { Units = NextInt() },
                "--learning-rate" => options with { LearningRate = float.Parse(Next(), CultureInfo.InvariantCulture) },
                "--seed" => options with { Seed = NextInt() },
                "--train-limit" => options with { TrainLimit = NextInt() },
                "--test-limit" => options with { TestLimit = NextInt() },
                "--smoke" => options with { Epochs = 1, Units = 32, TrainLimit = 500, TestLimit = 200 },
                _ => throw new ArgumentException(
                    $"Unknown option '{args[i]}'. Options: --data DIR, --epochs N, --batch-size N, --units N, --learning-rate X, --seed N, --train-limit N, --test-limit N, --smoke."),
            };
        }

        return options;
    }
}

/// <summary>Reads the IDX files of Fashion-MNIST (the format of LeCun's MNIST: a big-endian header, then bytes).</summary>
internal static class FashionMnist
{
    private static readonly string[] Files = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];

    public static bool FilesPresent(string directory, out string[] missing)
    {
        missing = [.. Files.Where(f => !File.Exists(Path.Combine(directory, f)))];
        return missing.Length == 0;
    }

    public static string HowToGetThem(string directory, string[] missing) =>
        $"""
        Fashion-MNIST not found: {string.Join(", ", missing)} missing in '{directory}'.
        Get the data in one of two ways:
          - on Debian or Ubuntu: sudo apt-get install dataset-fashion-mnist  (installs the files into {Options.DefaultDataDirectory})
          - or download the four files from https://github.com/zalandoresearch/fashion-mnist (data/fashion/), e.g.
              http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/{Files[0]} (and the three others)
            into a folder and run with --data that/folder
        """;

    /// <summary>Images as [n, 28, 28] in [0, 1] and labels as [n] class indices, the first <paramref name="limit"/> of each when given.</summary>
    public static (Tensor<float> Images, Tensor<float> Labels) Read(string directory, string prefix, int? limit)
    {
        var images = ReadIdx(Path.Combine(directory, $"{prefix}-images-idx3-ubyte.gz"), expectedMagic: 0x803, out var imageShape);
        var labels = ReadIdx(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte.gz"), expectedMagic: 0x801, out var labelShape);
        if (imageShape[0] != labelShape[0] || imageShape[1] != 28 || imageShape[2] != 28)
        {
            throw new InvalidDataException($"'{prefix}' files hold {imageShape[0]} images of {imageShape[1]}×{imageShape[2]} and {labelShape[0]} labels; expected equal counts of 28×28 images.");
        }

        var count = Math.Min(imageShape[0], limit ?? int.MaxValue);
        var pixels = new float[count * 28 * 28];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = images[i] / 255f;
        }

        var classes = new float[count];
        for (var i = 0; i < count; i++)
        {
            classes[i] = labels[i];
        }

        return (Tensor.Create(pixels, [count, 28, 28]), Tensor.Create(classes, [count]));
    }

    // IDX: magic (2 zero bytes, a type byte 0x08 = unsigned byte, a rank byte), one big-endian int32 per dimension, the data.
    private static byte[] ReadIdx(string path, int expectedMagic, out int[] shape)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new BinaryReader(gzip);
        var magic = ReadBigEndian(reader);
        if (magic != expectedMagic)
        {
            throw new InvalidDataException($"'{path}' is not an IDX file of unsigned bytes of rank {expectedMagic & 0xFF} (magic 0x{magic:X8}).");
        }

        shape = [.. Enumerable.Range(0, magic & 0xFF).Select(_ => ReadBigEndian(reader))];
        var length = shape.Aggregate(1, (a, b) => checked(a * b));
        var data = reader.ReadBytes(length);
        return data.Length == length ? data : throw new InvalidDataException($"'{path}' is truncated: {data.Length} of {length} bytes.");
    }

    private static int ReadBigEndian(BinaryReader reader) => System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(reader.ReadBytes(4));
}
