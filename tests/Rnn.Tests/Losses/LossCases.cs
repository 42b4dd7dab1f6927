using System.Numerics.Tensors;
using Rnn.Losses;

namespace Rnn.Tests.Losses;

/// <summary>
/// The losses under test by a short id, each with its float64 oracle and a generator of typical data:
/// predictions and targets in the range the loss is meant for, away from clipping and kinks.
/// </summary>
public static class LossCases
{
    public static readonly string[] All =
    [
        "mse", "mae", "huber", "huber_0.5",
        "bce", "bce_logits", "cce", "cce_logits", "scce", "scce_logits",
        "msle", "mape", "log_cosh", "kld", "poisson", "cosine", "hinge", "squared_hinge",
    ];

    public static Loss Create(string id) => id switch
    {
        "mse" => Loss.MeanSquaredError,
        "mae" => Loss.MeanAbsoluteError,
        "huber" => Loss.Huber(),
        "huber_0.5" => Loss.Huber(0.5f),
        "bce" => Loss.BinaryCrossEntropy(),
        "bce_logits" => Loss.BinaryCrossEntropy(fromLogits: true),
        "cce" => Loss.CategoricalCrossEntropy(),
        "cce_logits" => Loss.CategoricalCrossEntropy(fromLogits: true),
        "scce" => Loss.SparseCategoricalCrossEntropy(),
        "scce_logits" => Loss.SparseCategoricalCrossEntropy(fromLogits: true),
        "msle" => Loss.MeanSquaredLogarithmicError,
        "mape" => Loss.MeanAbsolutePercentageError,
        "log_cosh" => Loss.LogCosh,
        "kld" => Loss.KLDivergence,
        "poisson" => Loss.Poisson,
        "cosine" => Loss.CosineSimilarity,
        "hinge" => Loss.Hinge,
        "squared_hinge" => Loss.SquaredHinge,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, null),
    };

    public static ReferenceLoss Reference(string id) => id switch
    {
        "mse" => new ReferenceMeanSquaredError(),
        "mae" => new ReferenceMeanAbsoluteError(),
        "huber" => new ReferenceHuber(1.0),
        "huber_0.5" => new ReferenceHuber(0.5),
        "bce" => new ReferenceBinaryCrossEntropy(fromLogits: false),
        "bce_logits" => new ReferenceBinaryCrossEntropy(fromLogits: true),
        "cce" => new ReferenceCategoricalCrossEntropy(fromLogits: false),
        "cce_logits" => new ReferenceCategoricalCrossEntropy(fromLogits: true),
        "scce" => new ReferenceSparseCategoricalCrossEntropy(fromLogits: false),
        "scce_logits" => new ReferenceSparseCategoricalCrossEntropy(fromLogits: true),
        "msle" => new ReferenceMeanSquaredLogarithmicError(),
        "mape" => new ReferenceMeanAbsolutePercentageError(),
        "log_cosh" => new ReferenceLogCosh(),
        "kld" => new ReferenceKLDivergence(),
        "poisson" => new ReferencePoisson(),
        "cosine" => new ReferenceCosineSimilarity(),
        "hinge" => new ReferenceHinge(squared: false),
        "squared_hinge" => new ReferenceHinge(squared: true),
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, null),
    };

    public static bool IsSparse(string id) => id.StartsWith("scce", StringComparison.Ordinal);

    /// <summary>Predictions [rows·k] and targets [rows·k] (or [rows] class indices), rounded to float.</summary>
    public static (float[] Prediction, float[] Target) Data(string id, Random random, int rows, int classes)
    {
        var n = rows * classes;
        float[] Uniform(int count, double low, double high) => Enumerable.Range(0, count).Select(_ => (float)(low + ((high - low) * random.NextDouble()))).ToArray();
        float[] OneHot()
        {
            var y = new float[n];
            for (var r = 0; r < rows; r++)
            {
                y[(r * classes) + random.Next(classes)] = 1f;
            }

            return y;
        }

        float[] Distributions()
        {
            var y = Uniform(n, 0, 1);
            for (var r = 0; r < rows; r++)
            {
                var row = y.AsSpan(r * classes, classes);
                var sum = TensorPrimitives.Sum<float>(row);
                TensorPrimitives.Divide(row, sum, row);
            }

            return y;
        }

        float[] HingeLabels()
        {
            var low = random.Next(2) == 0 ? 0f : -1f;
            return Enumerable.Range(0, n).Select(_ => random.Next(2) == 0 ? low : 1f).ToArray();
        }

        float[] CategoricalTargets() => random.Next(3) switch
        {
            0 => OneHot(),
            1 => Distributions(),
            _ => Uniform(n, 0, 1),
        };

        return id switch
        {
            "mse" or "mae" or "huber" or "huber_0.5" => (Uniform(n, -2, 2), Uniform(n, -2, 2)),
            // Soft and hard labels alike; probabilities away from the clip at 0 and 1.
            "bce" => (Uniform(n, 0.02, 0.98), Uniform(n, 0, 1).Select((v, i) => i % 3 == 0 ? MathF.Round(v) : v).ToArray()),
            "bce_logits" => (Uniform(n, -5, 5), Uniform(n, 0, 1).Select((v, i) => i % 3 == 0 ? MathF.Round(v) : v).ToArray()),
            // Unnormalized probabilities: Keras rescales them to sum to 1 first. Targets: one-hot, distributions,
            // and weights that do not sum to 1 (the loss is defined for them too).
            "cce" => (Uniform(n, 0.05, 1), CategoricalTargets()),
            "cce_logits" => (Uniform(n, -4, 4), CategoricalTargets()),
            "scce" => (Uniform(n, 0.05, 1), Enumerable.Range(0, rows).Select(_ => (float)random.Next(classes)).ToArray()),
            "scce_logits" => (Uniform(n, -4, 4), Enumerable.Range(0, rows).Select(_ => (float)random.Next(classes)).ToArray()),
            // Every fifth prediction below ε, where Keras clips it (gradient 0); targets below ε too, clipped the same way.
            "msle" => (Uniform(n, 0.01, 5).Select((v, i) => i % 5 == 0 ? -v / 5 : v).ToArray(), Uniform(n, -0.5, 5)),
            // Targets of both signs and at least 0.1 in size, so the percentages stay moderate.
            "mape" => (Uniform(n, -2, 2), Uniform(n, 0.1, 2).Select(v => random.Next(2) == 0 ? -v : v).ToArray()),
            "log_cosh" => (Uniform(n, -3, 3), Uniform(n, -3, 3)),
            // Probabilities inside the clip; targets with zeros (which Keras counts as ε) among them.
            "kld" => (Uniform(n, 0.02, 0.98), CategoricalTargets()),
            // Positive rates against counts.
            "poisson" => (Uniform(n, 0.05, 4), Enumerable.Range(0, n).Select(_ => (float)random.Next(5)).ToArray()),
            "cosine" => (Uniform(n, -2, 2), Uniform(n, -2, 2)),
            // Labels -1/1 as they are, or 0/1 that the loss reads as -1/1.
            "hinge" or "squared_hinge" => (Uniform(n, -2, 2), HingeLabels()),
            _ => throw new ArgumentOutOfRangeException(nameof(id), id, null),
        };
    }

    /// <summary>A random mask of [rows] flags with about a third masked out and at least one counted.</summary>
    public static byte[] Mask(Random random, int rows)
    {
        var mask = Enumerable.Range(0, rows).Select(_ => (byte)(random.NextDouble() < 0.35 ? 0 : 1)).ToArray();
        mask[random.Next(rows)] = 1;
        return mask;
    }

    /// <summary>Prediction shape [batch, k] (time = 0) or [batch, time, k].</summary>
    public static int[] PredictionShape(int batch, int time, int classes) => time == 0 ? [batch, classes] : [batch, time, classes];

    /// <summary>The matching target shape for <paramref name="id"/>.</summary>
    public static int[] TargetShape(string id, int batch, int time, int classes)
        => IsSparse(id) ? (time == 0 ? [batch] : [batch, time]) : PredictionShape(batch, time, classes);
}
