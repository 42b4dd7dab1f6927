using System.Buffers;
using System.Numerics.Tensors;

namespace Rnn.Losses;

/// <summary>
/// How a loss or metric sees a batch: predictions <c>[batch, k]</c> or <c>[batch, time, k]</c> as
/// <see cref="Rows"/> = batch·time rows of <see cref="Classes"/> = k values. Also checks the shapes of the
/// targets and the mask against the predictions, with messages that name the loss or metric.
/// </summary>
/// <param name="Batch">Number of samples.</param>
/// <param name="Time">Number of time steps per sample (1 for <c>[batch, k]</c> predictions).</param>
/// <param name="Classes">Size of the last axis of the predictions.</param>
internal readonly record struct LossShape(int Batch, int Time, int Classes)
{
    /// <summary>Number of sample-steps: batch·time.</summary>
    public int Rows => Batch * Time;

    /// <summary>
    /// Checks predictions against targets. Dense targets have the predictions' shape (or, when k = 1, that
    /// shape without the trailing 1, as Keras accepts <c>y</c> of shape <c>[batch]</c> for a <c>Dense(1)</c>
    /// output). Sparse targets (class indices) have the predictions' shape without its last axis, or with a
    /// last axis of 1.
    /// </summary>
    /// <param name="owner">Who checks, for messages: <c>Loss 'mean_squared_error'</c>.</param>
    /// <param name="prediction">The predictions.</param>
    /// <param name="target">The targets.</param>
    /// <param name="sparse">Whether targets are class indices (one per row) rather than one value per prediction.</param>
    /// <returns>The batch, time and class counts.</returns>
    /// <exception cref="ArgumentException">A rank or a shape does not fit, or the batch is empty.</exception>
    public static LossShape Of(string owner, Tensor<float> prediction, Tensor<float> target, bool sparse)
    {
        var p = prediction.Lengths;
        if (p.Length is not (2 or 3))
        {
            throw new ArgumentException(
                $"{owner} expects predictions of shape [batch, k] or [batch, time, k] but received {prediction.ShapeString()}.",
                nameof(prediction));
        }

        foreach (var length in p)
        {
            if (length == 0)
            {
                throw new ArgumentException(
                    $"{owner} expects at least one sample, one time step and one class but received predictions of shape {prediction.ShapeString()}.",
                    nameof(prediction));
            }
        }

        var t = target.Lengths;
        var leading = p[..^1];
        var fits = sparse
            ? t.SequenceEqual(leading) || (t.Length == p.Length && t[..^1].SequenceEqual(leading) && t[^1] == 1)
            : t.SequenceEqual(p) || (p[^1] == 1 && t.SequenceEqual(leading));
        if (!fits)
        {
            var withoutLast = TensorExtensions.ShapeString(leading);
            var withOne = "[" + string.Join(", ", leading.ToArray()) + ", 1]";
            var expected = sparse
                ? $"class-index targets of shape {withoutLast} or {withOne} for predictions of shape {prediction.ShapeString()}"
                : p[^1] == 1
                    ? $"targets of shape {prediction.ShapeString()} or {withoutLast} (the predictions' shape)"
                    : $"targets of shape {prediction.ShapeString()} (the predictions' shape)";
            throw new ArgumentException($"{owner} expects {expected} but received {target.ShapeString()}.", nameof(target));
        }

        checked
        {
            var batch = (int)p[0];
            var time = p.Length == 3 ? (int)p[1] : 1;
            var classes = (int)p[^1];
            _ = batch * time * classes;
            return new LossShape(batch, time, classes);
        }
    }

    /// <summary>Checks that a gradient tensor has the predictions' shape.</summary>
    /// <param name="owner">Who checks, for messages.</param>
    /// <param name="prediction">The predictions.</param>
    /// <param name="gradient">The tensor dL/dprediction will be written to.</param>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static void CheckGradient(string owner, Tensor<float> prediction, Tensor<float> gradient)
    {
        if (!gradient.Lengths.SequenceEqual(prediction.Lengths))
        {
            throw new ArgumentException(
                $"{owner} writes dL/dprediction into a gradient of the predictions' shape {prediction.ShapeString()} but received {gradient.ShapeString()}.",
                nameof(gradient));
        }
    }

    /// <summary>
    /// The mask as one flag per row. A mask of <c>[batch, time]</c> values is used as it is; a mask of
    /// <c>[batch]</c> values on <c>[batch, time, k]</c> predictions applies each sample's flag to all its steps,
    /// in a buffer rented from <see cref="ArrayPool{T}.Shared"/> that the caller returns.
    /// </summary>
    /// <param name="owner">Who checks, for messages.</param>
    /// <param name="mask">[batch] or [batch, time], nonzero = counts.</param>
    /// <param name="rented">Set to the rented buffer when one was needed; the caller returns it.</param>
    /// <returns>[rows] flags.</returns>
    /// <exception cref="ArgumentException">The mask's length is neither batch nor batch·time.</exception>
    public ReadOnlySpan<byte> RowMask(string owner, ReadOnlySpan<byte> mask, ref byte[]? rented)
    {
        if (mask.Length == Rows)
        {
            return mask;
        }

        if (mask.Length != Batch)
        {
            var expected = Time == 1 && Rows == Batch
                ? $"[batch] = [{Batch}] values"
                : $"[batch] = [{Batch}] or [batch, time] = [{Batch}, {Time}] = {Rows} values";
            throw new ArgumentException($"{owner} expects a mask of {expected} (1 = counts, 0 = ignored) but received {mask.Length}.", nameof(mask));
        }

        rented = ArrayPool<byte>.Shared.Rent(Rows);
        var rows = rented.AsSpan(0, Rows);
        for (var b = 0; b < Batch; b++)
        {
            rows.Slice(b * Time, Time).Fill(mask[b]);
        }

        return rows;
    }
}
