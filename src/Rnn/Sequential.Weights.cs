using System.Globalization;
using System.Numerics.Tensors;
using Rnn.Losses;
using Rnn.Models;

namespace Rnn;

/// <summary>Sample and class weights (Keras's <c>sample_weight</c> and <c>class_weight</c>): checking them, and the weight of every sample-step of a batch.</summary>
public sealed partial class Sequential
{
    private float[] _rowWeights = [];

    /// <summary>
    /// Checks <paramref name="sampleWeight"/> and <paramref name="classWeight"/> against the data, the model's output and
    /// the loss, before anything changes. Sample weights are [samples] (one per sample) or [samples, time] (one per
    /// sample-step of a sequence output); class weights need a loss with one class per sample-step.
    /// </summary>
    /// <returns>The checked weights; class weights as a table by class index, 1 for classes the dictionary leaves out.</returns>
    /// <param name="output">The model's output shape without the batch axis: [k] or [time, k].</param>
    /// <param name="samples">Number of samples of the data.</param>
    /// <param name="sampleWeight">[samples] or [samples, time], or null.</param>
    /// <param name="classWeight">Weights by class index, or null.</param>
    /// <param name="loss">The model's loss.</param>
    /// <param name="argument">The sample weights' parameter name, for messages.</param>
    private SampleWeighting CheckWeighting(
        ReadOnlySpan<int> output, int samples, Tensor<float>? sampleWeight, IReadOnlyDictionary<int, float>? classWeight, Loss loss, string argument = "sampleWeight")
    {
        if (sampleWeight is null && classWeight is null)
        {
            return default;
        }

        if (sampleWeight is not null)
        {
            CheckSampleWeight(sampleWeight, samples, output, argument);
        }

        return new SampleWeighting(sampleWeight, classWeight is null ? null : ClassWeightTable(classWeight, loss, output[^1]));
    }

    private void CheckSampleWeight(Tensor<float> sampleWeight, int samples, ReadOnlySpan<int> output, string argument)
    {
        var sequence = output.Length == 2;
        var shape = sampleWeight.Lengths;
        var fits = (shape.Length == 1 && shape[0] == samples) || (sequence && shape.Length == 2 && shape[0] == samples && shape[1] == output[0]);
        if (!fits)
        {
            var expected = sequence
                ? $"[samples] = [{samples}] (one weight per sample) or [samples, time] = [{samples}, {output[0]}] (one per sample-step)"
                : $"[samples] = [{samples}]";
            throw new ArgumentException(
                $"Model '{Name}' expects {argument} of shape {expected} for outputs of shape [samples, {string.Join(", ", output.ToArray())}] but received {sampleWeight.ShapeString()}.",
                argument);
        }

        RequireDense(sampleWeight, argument);

        var values = sampleWeight.AsFlatSpan();
        if (SampleWeights.FirstInvalid(values) is var i and >= 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Model '{Name}' expects finite, non-negative sample weights but {argument} holds {values[i]} at flat index {i}."),
                argument);
        }
    }

    /// <summary>
    /// Class weights by class index. The class of a sample-step is its target's: the index itself for sparse categorical
    /// cross-entropy, the largest entry of a one-hot (or probability) row for categorical cross-entropy, and the target
    /// rounded to 0 or 1 for binary cross-entropy with one output (as Keras does).
    /// </summary>
    private float[] ClassWeightTable(IReadOnlyDictionary<int, float> classWeight, Loss loss, int outputs)
    {
        const string Argument = "classWeight";
        var classes = loss switch
        {
            SparseCategoricalCrossEntropy or CategoricalCrossEntropy => outputs,
            BinaryCrossEntropy when outputs == 1 => 2,
            BinaryCrossEntropy => throw new ArgumentException(
                $"Model '{Name}' has {outputs} binary outputs per sample-step: binary cross-entropy then scores {outputs} independent labels, which have no single class to weight; pass sampleWeight instead of {Argument}.",
                Argument),
            _ => throw new ArgumentException(
                $"Model '{Name}' was given {Argument}, which weights the classes of a classification loss (binary, categorical or sparse categorical cross-entropy), but its loss is {loss.Name}; pass sampleWeight instead.",
                Argument),
        };
        var table = new float[classes];
        Array.Fill(table, 1f);
        foreach (var (label, weight) in classWeight)
        {
            if (label < 0 || label >= classes)
            {
                throw new ArgumentException(
                    $"Model '{Name}' has {classes} classes (0..{classes - 1}) for its loss {loss.Name} and {outputs} output(s), but {Argument} has class {label}.", Argument);
            }

            if (!(float.IsFinite(weight) && weight >= 0f))
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"Model '{Name}' expects finite, non-negative class weights but {Argument}[{label}] is {weight}."), Argument);
            }

            table[label] = weight;
        }

        return table;
    }

    /// <summary>
    /// The weight of every sample-step of the batch in <paramref name="plan"/> (its targets already gathered): the sample's
    /// weight (or the sample-step's), times its class's weight; empty when there are no weights.
    /// </summary>
    /// <param name="plan">The batch.</param>
    /// <param name="weighting">The checked weights of the whole data.</param>
    /// <param name="order">The samples of the batch by row, or empty when they are <paramref name="first"/>, <paramref name="first"/> + 1, ...</param>
    /// <param name="first">The first sample of a contiguous batch.</param>
    /// <param name="loss">The loss, which decides a target's class.</param>
    private ReadOnlySpan<float> RowWeights(ExecutionPlan plan, SampleWeighting weighting, ReadOnlySpan<int> order, int first, Loss loss)
    {
        if (!weighting.Any)
        {
            return default;
        }

        var output = plan.OutputShape;
        var batch = output[0];
        var time = output.Length == 3 ? output[1] : 1;
        var classes = output[^1];
        Buffers.Grow(ref _rowWeights, batch * time);
        var weights = _rowWeights.AsSpan(0, batch * time);
        var sampleWeight = weighting.SampleWeight is null ? default : weighting.SampleWeight.AsFlatSpan();
        var perStep = weighting.SampleWeight is { Rank: 2 };
        var target = plan.Target!.AsFlatSpan();
        for (var b = 0; b < batch; b++)
        {
            var sample = order.IsEmpty ? first + b : order[b];
            for (var t = 0; t < time; t++)
            {
                var row = (b * time) + t;
                var weight = sampleWeight.IsEmpty ? 1f : perStep ? sampleWeight[(sample * time) + t] : sampleWeight[sample];
                if (weighting.ClassWeights is { } table && ClassOf(loss, target, row, classes) is { } label)
                {
                    weight *= table[label];
                }

                weights[row] = weight;
            }
        }

        return weights;
    }

    /// <summary>The class of row <paramref name="row"/>'s target, or null when the target is not a valid one (the loss then reports it).</summary>
    private static int? ClassOf(Loss loss, ReadOnlySpan<float> target, int row, int classes)
    {
        switch (loss)
        {
            case SparseCategoricalCrossEntropy:
                var index = target[row];
                return index >= 0f && index < classes && index == MathF.Floor(index) ? (int)index : null;
            case CategoricalCrossEntropy:
                var values = target.Slice(row * classes, classes);
                var best = 0;
                for (var i = 1; i < classes; i++)
                {
                    if (values[i] > values[best])
                    {
                        best = i;
                    }
                }

                return best;
            default:
                // Binary cross-entropy with one output: Keras's round(y), half to even.
                var label = MathF.Round(target[row], MidpointRounding.ToEven);
                return label is 0f or 1f ? (int)label : null;
        }
    }

    /// <summary>Checked sample weights ([samples] or [samples, time]) and class weights by class index, either or both null.</summary>
    private readonly record struct SampleWeighting(Tensor<float>? SampleWeight, float[]? ClassWeights)
    {
        public bool Any => SampleWeight is not null || ClassWeights is not null;
    }
}
