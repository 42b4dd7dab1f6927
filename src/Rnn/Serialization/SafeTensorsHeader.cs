using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Rnn.Serialization;

/// <summary>
/// The parsed and fully validated JSON header of a safetensors file. Parsing checks everything that
/// can be checked without the data: JSON shape, entry fields and their types, duplicate names,
/// element-count overflow, byte counts against dtype × shape, and that the tensors tile the data
/// section exactly (sorted by offset, each begins where the previous ended, the first at 0, the last
/// at the end — the reference implementation's rule, which also rules out overlaps and holes).
/// Only after this passes does the reader allocate anything sized by the header.
/// </summary>
internal sealed class SafeTensorsHeader
{
    /// <summary>One tensor as the header describes it (the <paramref name="Index"/>-th in header order); offsets are relative to the data section.</summary>
    internal sealed record Entry(int Index, string Name, string DType, int Bits, ulong[] Shape, ulong ElementCount, ulong Begin, ulong End)
    {
        public ulong ByteCount => End - Begin;
    }

    private const string MetadataKey = "__metadata__";

    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
    };

    private SafeTensorsHeader(List<Entry> entries, Dictionary<string, string> metadata, Entry[] byOffset, ulong dataLength)
    {
        Entries = entries;
        Metadata = metadata;
        ByOffset = byOffset;
        DataLength = dataLength;
    }

    /// <summary>The tensors in header order.</summary>
    public IReadOnlyList<Entry> Entries { get; }

    /// <summary>The <c>__metadata__</c> map, empty when the header has none.</summary>
    public Dictionary<string, string> Metadata { get; }

    /// <summary>The tensors in data order (ascending offsets): the order a sequential reader meets them.</summary>
    public IReadOnlyList<Entry> ByOffset { get; }

    /// <summary>Length of the data section the tensors cover (the end of the last one).</summary>
    public ulong DataLength { get; }

    /// <summary>
    /// Parses <paramref name="json"/> and validates it against a data section of
    /// <paramref name="dataLength"/> bytes, or, when that is not known yet (a stream that cannot
    /// seek), checks only that the tensors tile <c>[0, DataLength)</c>; the caller then checks the length.
    /// </summary>
    /// <exception cref="InvalidDataException">The header is malformed; the message names the source and the problem.</exception>
    public static SafeTensorsHeader Parse(ReadOnlySpan<byte> json, ulong? dataLength, string source)
    {
        if (!Utf8.IsValid(json))
        {
            throw Invalid(source, "the header is not valid UTF-8.");
        }

        var entries = new List<Entry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        try
        {
            if (json.Trim(" \t\r\n"u8).IsEmpty)
            {
                throw Invalid(source, "the header is empty; expected a JSON object.");
            }

            var reader = new Utf8JsonReader(json, ReaderOptions);
            if (Next(ref reader) != JsonTokenType.StartObject)
            {
                throw Invalid(source, $"the header must be a JSON object, but it starts with a {Describe(reader.TokenType)}.");
            }

            while (Next(ref reader) != JsonTokenType.EndObject)
            {
                var name = reader.GetString()!;
                Next(ref reader);
                if (name == MetadataKey)
                {
                    if (metadata is not null)
                    {
                        throw Invalid(source, $"the header has '{MetadataKey}' twice.");
                    }

                    metadata = ReadMetadata(ref reader, source);
                    continue;
                }

                if (!names.Add(name))
                {
                    throw Invalid(source, $"tensor '{name}' appears twice in the header (duplicate names are not allowed).");
                }

                entries.Add(ReadEntry(ref reader, entries.Count, name, dataLength, source));
            }

            // Reading past the root object makes the reader throw on anything but whitespace (the padding).
            reader.Read();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: the header is not valid JSON ({e.Message}).", e);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader.GetString on an escape that is not valid UTF-16 (a lone surrogate).
            throw new InvalidDataException($"{source}: the header has a JSON string that cannot be decoded ({e.Message}).", e);
        }

        var byOffset = entries.ToArray();
        Array.Sort(byOffset, static (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        var covered = CheckTiling(byOffset, dataLength, source);
        return new SafeTensorsHeader(entries, metadata ?? new Dictionary<string, string>(StringComparer.Ordinal), byOffset, covered);
    }

    private static Dictionary<string, string> ReadMetadata(ref Utf8JsonReader reader, string source)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (reader.TokenType == JsonTokenType.Null)
        {
            return metadata;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid(source, $"'{MetadataKey}' must be an object of strings, but it is a {Describe(reader.TokenType)}.");
        }

        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var key = reader.GetString()!;
            if (Next(ref reader) != JsonTokenType.String)
            {
                throw Invalid(source, $"'{MetadataKey}' entry '{key}' must be a string, but it is a {Describe(reader.TokenType)}.");
            }

            if (!metadata.TryAdd(key, reader.GetString()!))
            {
                throw Invalid(source, $"'{MetadataKey}' has the key '{key}' twice.");
            }
        }

        return metadata;
    }

    private static Entry ReadEntry(ref Utf8JsonReader reader, int index, string name, ulong? dataLength, string source)
    {
        var where = $"tensor '{name}'";
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid(source, $"{where} must be an object with dtype, shape and data_offsets, but it is a {Describe(reader.TokenType)}.");
        }

        string? dtype = null;
        ulong[]? shape = null;
        ulong[]? offsets = null;
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("dtype"u8))
            {
                Once(dtype, "dtype");
                if (Next(ref reader) != JsonTokenType.String)
                {
                    throw Invalid(source, $"{where}: dtype must be a string, but it is a {Describe(reader.TokenType)}.");
                }

                dtype = reader.GetString()!;
            }
            else if (reader.ValueTextEquals("shape"u8))
            {
                Once(shape, "shape");
                Next(ref reader);
                shape = ReadIntegers(ref reader, where, "shape", source);
            }
            else if (reader.ValueTextEquals("data_offsets"u8))
            {
                Once(offsets, "data_offsets");
                Next(ref reader);
                offsets = ReadIntegers(ref reader, where, "data_offsets", source);
                if (offsets.Length != 2)
                {
                    throw Invalid(source, $"{where}: data_offsets must have 2 elements [begin, end], but it has {offsets.Length}.");
                }
            }
            else
            {
                // Unknown fields are ignored, as the reference implementation does.
                Next(ref reader);
                reader.Skip();
            }
        }

        if (dtype is null || shape is null || offsets is null)
        {
            var missing = dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw Invalid(source, $"{where} has no '{missing}'.");
        }

        if (!SafeTensorsDType.TryGetBits(dtype, out var bits))
        {
            throw Invalid(source, $"{where} has dtype '{dtype}', which is not a safetensors dtype.");
        }

        var (begin, end) = (offsets[0], offsets[1]);
        if (begin > end)
        {
            throw Invalid(source, $"{where}: data_offsets [{begin}, {end}] begins after it ends.");
        }

        if (dataLength is { } length && end > length)
        {
            throw Invalid(source, $"{where}: data_offsets [{begin}, {end}] end past the data section, which is {length} bytes (is the file truncated?).");
        }

        ulong count = 1;
        foreach (var dim in shape)
        {
            if (dim != 0 && count > ulong.MaxValue / dim)
            {
                throw Invalid(source, $"{where}: shape [{string.Join(", ", shape)}] has more elements than a 64-bit count can hold.");
            }

            count *= dim;
        }

        if (count > ulong.MaxValue / (ulong)bits)
        {
            throw Invalid(source, $"{where}: shape [{string.Join(", ", shape)}] of {dtype} has more bits than a 64-bit count can hold.");
        }

        var totalBits = count * (ulong)bits;
        if (totalBits % 8 != 0 || totalBits / 8 != end - begin)
        {
            throw Invalid(source, $"{where}: shape [{string.Join(", ", shape)}] of {dtype} takes {totalBits / 8.0} bytes, but data_offsets [{begin}, {end}] hold {end - begin}.");
        }

        return new Entry(index, name, dtype, bits, shape, count, begin, end);

        void Once(object? seen, string field)
        {
            if (seen is not null)
            {
                throw Invalid(source, $"{where} has '{field}' twice.");
            }
        }
    }

    private static ulong[] ReadIntegers(ref Utf8JsonReader reader, string where, string field, string source)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Invalid(source, $"{where}: {field} must be an array of non-negative integers, but it is a {Describe(reader.TokenType)}.");
        }

        var values = new List<ulong>();
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt64(out var value))
            {
                var text = reader.TokenType == JsonTokenType.Number ? Encoding.UTF8.GetString(reader.ValueSpan) : Describe(reader.TokenType);
                throw Invalid(source, $"{where}: {field}[{values.Count}] must be a non-negative integer, but it is {Shorten(text)}.");
            }

            values.Add(value);
        }

        return [.. values];
    }

    private static ulong CheckTiling(Entry[] byOffset, ulong? dataLength, string source)
    {
        ulong position = 0;
        Entry? previous = null;
        foreach (var entry in byOffset)
        {
            if (entry.Begin < position)
            {
                throw Invalid(source, $"tensor '{entry.Name}' (bytes [{entry.Begin}, {entry.End})) overlaps tensor '{previous!.Name}' (bytes [{previous.Begin}, {previous.End})).");
            }

            if (entry.Begin > position)
            {
                var after = previous is null ? "the start of the data section" : $"tensor '{previous.Name}'";
                throw Invalid(source, $"bytes [{position}, {entry.Begin}) between {after} and tensor '{entry.Name}' belong to no tensor (the format requires the tensors to cover the data section without holes).");
            }

            position = entry.End;
            previous = entry;
        }

        if (dataLength is { } length && position != length)
        {
            var after = previous is null ? "the header, which lists no tensor," : $"the last tensor '{previous.Name}'";
            throw Invalid(source, $"the data section is {length} bytes, but the tensors cover only {position}: the {length - position} bytes after {after} belong to no tensor.");
        }

        return position;
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        // The reader has the whole header as its final block, so it reports an unclosed object as a
        // JsonException itself; the check only guarantees that no loop here can spin on a stale token.
        if (!reader.Read())
        {
            throw new JsonException("The header ends inside a JSON object or array.");
        }

        return reader.TokenType;
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "JSON object",
        JsonTokenType.StartArray => "JSON array",
        JsonTokenType.String => "JSON string",
        JsonTokenType.Number => "JSON number",
        JsonTokenType.True or JsonTokenType.False => "JSON boolean",
        JsonTokenType.Null => "JSON null",
        _ => "JSON " + token.ToString(),
    };

    private static string Shorten(string text) =>
        text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "...");

    internal static InvalidDataException Invalid(string source, string problem) => new($"{source}: {problem}");
}
