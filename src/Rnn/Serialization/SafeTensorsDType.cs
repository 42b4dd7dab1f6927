namespace Rnn.Serialization;

/// <summary>
/// The element types a safetensors header may name, with their sizes in bits (the reference
/// implementation's <c>Dtype</c> list, sub-byte float formats included). Only
/// <see cref="IsConvertible"/> types can be read into <see cref="float"/>; the sizes of the others
/// are still needed to check a file's layout before skipping them.
/// </summary>
internal static class SafeTensorsDType
{
    public const string F32 = "F32";
    public const string F16 = "F16";
    public const string BF16 = "BF16";
    public const string F64 = "F64";

    /// <summary>The element types that convert to float on read, as listed in error messages.</summary>
    public const string ConvertibleList = "F32, F16, BF16, F64";

    private static readonly Dictionary<string, int> BitsByName = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 8,
        ["F4"] = 4,
        ["F6_E2M3"] = 6,
        ["F6_E3M2"] = 6,
        ["U8"] = 8,
        ["I8"] = 8,
        ["F8_E5M2"] = 8,
        ["F8_E4M3"] = 8,
        ["F8_E8M0"] = 8,
        ["I16"] = 16,
        ["U16"] = 16,
        ["F16"] = 16,
        ["BF16"] = 16,
        ["I32"] = 32,
        ["U32"] = 32,
        ["F32"] = 32,
        ["C64"] = 64,
        ["F64"] = 64,
        ["I64"] = 64,
        ["U64"] = 64,
    };

    /// <summary>Size of one element in bits, or <c>false</c> for a name the format does not define.</summary>
    public static bool TryGetBits(string dtype, out int bits) => BitsByName.TryGetValue(dtype, out bits);

    /// <summary>Whether the reader converts this element type to <see cref="float"/>.</summary>
    public static bool IsConvertible(string dtype) => dtype is F32 or F16 or BF16 or F64;
}
