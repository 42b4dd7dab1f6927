namespace Rnn.Serialization;

/// <summary>Choices for <see cref="SafeTensors.Read(string, SafeTensorsReadOptions?)"/> and its overloads.</summary>
public sealed class SafeTensorsReadOptions
{
    /// <summary>
    /// When <c>true</c>, tensors whose dtype does not convert to float32 (integer, boolean, complex and
    /// 8-bit-or-smaller float types, e.g. a BatchNorm's <c>I64</c> <c>num_batches_tracked</c>) are left out of
    /// <see cref="SafeTensorsFile.Tensors"/> and listed in <see cref="SafeTensorsFile.SkippedTensors"/>.
    /// When <c>false</c> (the default), such a tensor makes the read fail with an
    /// <see cref="InvalidDataException"/> naming it and its dtype. Either way the whole file layout,
    /// skipped tensors included, is validated.
    /// </summary>
    public bool SkipUnsupportedDTypes { get; init; }
}
