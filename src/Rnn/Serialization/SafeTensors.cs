using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Rnn.Serialization;

/// <summary>
/// Reads and writes the safetensors format (Hugging Face's, also PyTorch's safe state-dict format):
/// an 8-byte little-endian unsigned header length <c>N</c>; <c>N</c> bytes of UTF-8 JSON mapping each
/// tensor name to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c>, plus an optional
/// <c>"__metadata__"</c> object of strings; then the data section, in which each tensor's raw
/// little-endian, row-major elements lie at <c>[begin, end)</c>.
/// </summary>
/// <remarks>
/// <para>
/// <b>Reading</b> converts every tensor to float32: <c>F32</c> as is, <c>F16</c>, <c>BF16</c> and <c>F64</c>
/// by rounding to the nearest float (exact for F16 and BF16). Any other dtype fails the read with an
/// <see cref="InvalidDataException"/> naming the tensor and its dtype, unless
/// <see cref="SafeTensorsReadOptions.SkipUnsupportedDTypes"/> asks to skip it.
/// </para>
/// <para>
/// A file is validated completely before anything sized by its header is allocated, so a corrupt or
/// hostile file costs at most about twice its own size in memory. The checks: the header length is at
/// most <see cref="MaxHeaderLength"/> and fits in the file; the header is valid UTF-8 JSON whose root is
/// an object; each tensor entry has a string <c>dtype</c> the format defines, a <c>shape</c> of
/// non-negative integers and <c>data_offsets</c> of two non-negative integers with begin ≤ end, inside
/// the data section; element and byte counts do not overflow and equal what dtype × shape needs; names
/// (and metadata keys) are unique; and the tensors, sorted by offset, tile the data section exactly —
/// no overlap, no hole, nothing after the last one (the reference implementation's rule). Every
/// failure is an <see cref="InvalidDataException"/> whose message names the file (or stream) and the
/// tensor, and says what was expected and what was found.
/// </para>
/// <para>
/// <b>Writing</b> stores float32 (<c>F32</c>) in the order given, with a compact JSON header whose
/// <c>__metadata__</c> keys are sorted (ordinal) and which is padded with spaces to a multiple of 8 bytes
/// as the reference implementation does, so the same tensors always give the same bytes. Writing to a
/// path is atomic: the file is written to a temporary file in the same directory, flushed to disk and
/// renamed over the destination; on any failure the temporary file is deleted and a previous file at
/// the path is left untouched.
/// </para>
/// </remarks>
public static class SafeTensors
{
    /// <summary>
    /// The largest header accepted, in bytes (100 MB, the reference implementation's limit), so a
    /// corrupt length cannot make the reader parse or allocate an unbounded header.
    /// </summary>
    public const long MaxHeaderLength = 100_000_000;

    private const int ChunkBytes = 1 << 16;

    private static readonly SafeTensorsReadOptions DefaultReadOptions = new();

    private static readonly JsonWriterOptions HeaderWriterOptions = new()
    {
        // The header is never embedded in HTML, so only what JSON itself requires is escaped; names
        // then appear in the file as they are, as in files written by the reference implementation.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>Reads the safetensors file at <paramref name="path"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <param name="options">What to do with dtypes that do not convert to float32; null for the defaults.</param>
    /// <returns>The metadata and the tensors, converted to float32.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file, or has a tensor of an unsupported dtype.</exception>
    /// <exception cref="IOException">The file cannot be opened or read (e.g. <see cref="FileNotFoundException"/>).</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be opened for reading.</exception>
    public static SafeTensorsFile Read(string path, SafeTensorsReadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, ChunkBytes, FileOptions.SequentialScan);
        return ReadSeekable(stream, $"safetensors file '{path}'", options ?? DefaultReadOptions);
    }

    /// <summary>
    /// Reads a safetensors file from <paramref name="stream"/>, from its current position to its end
    /// (the format requires the data section to end the file). The stream is not disposed.
    /// </summary>
    /// <remarks>
    /// A stream that cannot seek is buffered as it arrives (never ahead of the bytes actually
    /// received), so its data section is limited to <see cref="Array.MaxLength"/> bytes; a seekable
    /// stream is read tensor by tensor straight into the result.
    /// </remarks>
    /// <param name="stream">A readable stream positioned at the start of the file.</param>
    /// <param name="options">What to do with dtypes that do not convert to float32; null for the defaults.</param>
    /// <returns>The metadata and the tensors, converted to float32.</returns>
    /// <exception cref="ArgumentException">The stream is not readable.</exception>
    /// <exception cref="InvalidDataException">The bytes are not a valid safetensors file, or hold a tensor of an unsupported dtype.</exception>
    /// <exception cref="IOException">Reading the stream failed.</exception>
    public static SafeTensorsFile Read(Stream stream, SafeTensorsReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream to read a safetensors file from is not readable.", nameof(stream));
        }

        var source = stream is FileStream file ? $"safetensors file '{file.Name}'" : "safetensors stream";
        return stream.CanSeek
            ? ReadSeekable(stream, source, options ?? DefaultReadOptions)
            : ReadUnseekable(stream, source, options ?? DefaultReadOptions);
    }

    /// <summary>Reads a safetensors file held in memory.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="options">What to do with dtypes that do not convert to float32; null for the defaults.</param>
    /// <returns>The metadata and the tensors, converted to float32.</returns>
    /// <exception cref="InvalidDataException">The bytes are not a valid safetensors file, or hold a tensor of an unsupported dtype.</exception>
    public static SafeTensorsFile Read(ReadOnlySpan<byte> bytes, SafeTensorsReadOptions? options = null)
    {
        const string source = "safetensors data";
        if (bytes.Length < sizeof(ulong))
        {
            throw TooShort(source, bytes.Length);
        }

        var headerLength = CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(bytes), bytes.Length - sizeof(ulong), source);
        var dataStart = sizeof(ulong) + headerLength;
        var header = SafeTensorsHeader.Parse(bytes.Slice(sizeof(ulong), headerLength), (ulong)(bytes.Length - dataStart), source);
        return FromMemory(header, bytes[dataStart..], source, options ?? DefaultReadOptions);
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> as float32 to a safetensors file at <paramref name="path"/>,
    /// atomically (see <see cref="SafeTensors"/>): a previous file at the path is replaced only once the
    /// new one is completely on disk.
    /// </summary>
    /// <param name="path">The file to create or replace; its directory must exist.</param>
    /// <param name="tensors">The tensors, in the order to store them: names unique and not <c>__metadata__</c>,
    /// each shape's product equal to its data length.</param>
    /// <param name="metadata">Strings to store in the header's <c>__metadata__</c>; null or empty for none.</param>
    /// <exception cref="ArgumentException">A name is null, empty, repeated or reserved; a dimension is negative;
    /// a data length does not match its shape; or a metadata value is null.</exception>
    /// <exception cref="IOException">The file cannot be written (nothing at <paramref name="path"/> has changed).</exception>
    /// <exception cref="UnauthorizedAccessException">The directory cannot be written.</exception>
    public static void Write(
        string path,
        IEnumerable<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var prepared = Prepare(tensors, metadata);
        WriteAtomically(path, prepared);
    }

    /// <inheritdoc cref="Write(string, IEnumerable{ValueTuple{string, int[], ReadOnlyMemory{float}}}, IReadOnlyDictionary{string, string}?)"/>
    public static void Write(string path, IEnumerable<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var prepared = Prepare(AsTuples(tensors), metadata);
        WriteAtomically(path, prepared);
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> as float32 safetensors bytes to <paramref name="destination"/>
    /// at its current position, then flushes it (not atomic, and the stream is not disposed).
    /// </summary>
    /// <param name="destination">A writable stream.</param>
    /// <param name="tensors">The tensors, in the order to store them: names unique and not <c>__metadata__</c>,
    /// each shape's product equal to its data length.</param>
    /// <param name="metadata">Strings to store in the header's <c>__metadata__</c>; null or empty for none.</param>
    /// <exception cref="ArgumentException">The stream is not writable, or a tensor or metadata entry is invalid
    /// (checked before anything is written).</exception>
    /// <exception cref="IOException">Writing the stream failed.</exception>
    public static void Write(
        Stream destination,
        IEnumerable<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("The stream to write a safetensors file to is not writable.", nameof(destination));
        }

        var prepared = Prepare(tensors, metadata);
        WriteTo(destination, prepared);
        destination.Flush();
    }

    /// <inheritdoc cref="Write(Stream, IEnumerable{ValueTuple{string, int[], ReadOnlyMemory{float}}}, IReadOnlyDictionary{string, string}?)"/>
    public static void Write(Stream destination, IEnumerable<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(destination, AsTuples(tensors), metadata);

    private static SafeTensorsFile ReadSeekable(Stream stream, string source, SafeTensorsReadOptions options)
    {
        var available = stream.Length - stream.Position;
        if (available < sizeof(ulong))
        {
            throw TooShort(source, available);
        }

        Span<byte> prefix = stackalloc byte[sizeof(ulong)];
        stream.ReadExactly(prefix);
        var headerLength = CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(prefix), available - sizeof(ulong), source);
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        var header = SafeTensorsHeader.Parse(headerBytes, (ulong)(available - sizeof(ulong) - headerLength), source);

        var (buffers, skipped) = Allocate(header, source, options);
        var current = header.ByOffset.Count > 0 ? header.ByOffset[0] : null;
        try
        {
            foreach (var entry in header.ByOffset)
            {
                current = entry;
                if (buffers[entry.Index] is { } destination)
                {
                    ReadInto(stream, entry.DType, destination);
                }
                else
                {
                    stream.Seek((long)entry.ByteCount, SeekOrigin.Current);
                }
            }
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{source}: the data ended inside tensor '{current!.Name}' (did the file change while it was read?).", e);
        }

        return Assemble(header, buffers, skipped);
    }

    private static SafeTensorsFile ReadUnseekable(Stream stream, string source, SafeTensorsReadOptions options)
    {
        Span<byte> prefix = stackalloc byte[sizeof(ulong)];
        var got = stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
        if (got < prefix.Length)
        {
            throw TooShort(source, got);
        }

        var headerLength = CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(prefix), long.MaxValue, source);
        var (headerBytes, headerRead) = ReadAsItArrives(stream, headerLength);
        if (headerRead < headerLength)
        {
            throw SafeTensorsHeader.Invalid(source, $"the header length is {headerLength} bytes, but the stream ends {headerRead} bytes into the header.");
        }

        var header = SafeTensorsHeader.Parse(headerBytes, dataLength: null, source);
        if (header.DataLength > (ulong)Array.MaxLength)
        {
            throw SafeTensorsHeader.Invalid(source, $"the tensors need a data section of {header.DataLength} bytes, more than a stream that cannot seek can be buffered in; read from a file path or a seekable stream.");
        }

        // One byte more than the tensors cover, to find out whether anything follows them.
        var (data, dataRead) = ReadAsItArrives(stream, (int)header.DataLength + 1);
        if ((ulong)dataRead != header.DataLength)
        {
            throw SafeTensorsHeader.Invalid(source, (ulong)dataRead < header.DataLength
                ? $"the tensors cover a data section of {header.DataLength} bytes, but the stream ends after {dataRead} (is it truncated?)."
                : $"the stream has bytes after the {header.DataLength} bytes the tensors cover; they belong to no tensor.");
        }

        return FromMemory(header, data.AsSpan(0, dataRead), source, options);
    }

    private static SafeTensorsFile FromMemory(SafeTensorsHeader header, ReadOnlySpan<byte> data, string source, SafeTensorsReadOptions options)
    {
        var (buffers, skipped) = Allocate(header, source, options);
        foreach (var entry in header.Entries)
        {
            if (buffers[entry.Index] is { } destination)
            {
                ConvertToSingle(data.Slice((int)entry.Begin, (int)entry.ByteCount), entry.DType, destination);
            }
        }

        return Assemble(header, buffers, skipped);
    }

    /// <summary>
    /// Decides, per tensor, to read or skip it and allocates the float arrays of those to read. Runs
    /// only on a validated header, so each byte count is within the data actually present.
    /// </summary>
    private static (float[]?[] Buffers, Dictionary<string, string> Skipped) Allocate(SafeTensorsHeader header, string source, SafeTensorsReadOptions options)
    {
        var skipped = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in header.Entries)
        {
            if (SafeTensorsDType.IsConvertible(entry.DType))
            {
                if (entry.ElementCount > (ulong)Array.MaxLength || entry.Shape.Any(d => d > int.MaxValue))
                {
                    throw SafeTensorsHeader.Invalid(source, $"tensor '{entry.Name}' has shape [{string.Join(", ", entry.Shape)}], more than a float[] with an int shape can hold.");
                }
            }
            else if (options.SkipUnsupportedDTypes)
            {
                skipped.Add(entry.Name, entry.DType);
            }
            else
            {
                throw SafeTensorsHeader.Invalid(source, $"tensor '{entry.Name}' has dtype {entry.DType}, which this reader does not convert to float32 (it reads {SafeTensorsDType.ConvertibleList}); set SafeTensorsReadOptions.SkipUnsupportedDTypes to skip such tensors.");
            }
        }

        var buffers = new float[]?[header.Entries.Count];
        foreach (var entry in header.Entries)
        {
            if (!skipped.ContainsKey(entry.Name))
            {
                buffers[entry.Index] = entry.ElementCount == 0 ? [] : new float[entry.ElementCount];
            }
        }

        return (buffers, skipped);
    }

    private static SafeTensorsFile Assemble(SafeTensorsHeader header, float[]?[] buffers, Dictionary<string, string> skipped)
    {
        var tensors = new List<NamedTensor>(header.Entries.Count - skipped.Count);
        foreach (var entry in header.Entries)
        {
            if (buffers[entry.Index] is { } data)
            {
                var shape = Array.ConvertAll(entry.Shape, d => (int)d);
                tensors.Add(NamedTensor.CreateValidated(entry.Name, shape, data));
            }
        }

        return new SafeTensorsFile(tensors, header.Metadata, skipped);
    }

    private static void ReadInto(Stream stream, string dtype, float[] destination)
    {
        if (dtype == SafeTensorsDType.F32 && BitConverter.IsLittleEndian)
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(destination.AsSpan()));
            return;
        }

        var elementBytes = ElementBytes(dtype);
        var chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            var perChunk = ChunkBytes / elementBytes;
            for (var start = 0; start < destination.Length; start += perChunk)
            {
                var count = Math.Min(perChunk, destination.Length - start);
                var bytes = chunk.AsSpan(0, count * elementBytes);
                stream.ReadExactly(bytes);
                ConvertToSingle(bytes, dtype, destination.AsSpan(start, count));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>Converts little-endian elements of <paramref name="dtype"/> to float32, rounding to nearest.</summary>
    private static void ConvertToSingle(ReadOnlySpan<byte> source, string dtype, Span<float> destination)
    {
        switch (dtype)
        {
            case SafeTensorsDType.F32 when BitConverter.IsLittleEndian:
                source.CopyTo(MemoryMarshal.AsBytes(destination));
                break;
            case SafeTensorsDType.F32:
                for (var i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(4 * i)..]);
                }

                break;
            case SafeTensorsDType.F16:
                for (var i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source[(2 * i)..]);
                }

                break;
            case SafeTensorsDType.BF16:
                // bfloat16 is the upper half of a float32, so widening is a shift.
                for (var i = 0; i < destination.Length; i++)
                {
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]) << 16);
                }

                break;
            case SafeTensorsDType.F64:
                for (var i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(source[(8 * i)..]);
                }

                break;
            default:
                throw new InvalidOperationException($"dtype {dtype} reached conversion without support.");
        }
    }

    private static int ElementBytes(string dtype)
    {
        SafeTensorsDType.TryGetBits(dtype, out var bits);
        return bits / 8;
    }

    /// <summary>
    /// Reads up to <paramref name="length"/> bytes, growing the buffer only as bytes arrive, so a
    /// length that lies costs no more memory than the stream really holds.
    /// </summary>
    private static (byte[] Buffer, int Read) ReadAsItArrives(Stream stream, int length)
    {
        var buffer = new byte[Math.Min(length, ChunkBytes)];
        var filled = 0;
        while (filled < length)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(length, 2L * buffer.Length));
            }

            var read = stream.Read(buffer, filled, buffer.Length - filled);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return (buffer, filled);
    }

    private static int CheckHeaderLength(ulong headerLength, long available, string source)
    {
        if (headerLength > MaxHeaderLength)
        {
            throw SafeTensorsHeader.Invalid(source, $"the header length is {headerLength} bytes, more than the limit of {MaxHeaderLength} (is this a safetensors file?).");
        }

        if ((long)headerLength > available)
        {
            throw SafeTensorsHeader.Invalid(source, $"the header length is {headerLength} bytes, but only {available} bytes follow the 8-byte length (is the file truncated?).");
        }

        return (int)headerLength;
    }

    private static InvalidDataException TooShort(string source, long length) =>
        SafeTensorsHeader.Invalid(source, $"it is {length} bytes long, shorter than the 8-byte header length that starts the format.");

    private static IEnumerable<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> AsTuples(IEnumerable<NamedTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        return tensors.Select(t =>
            t is null
                ? throw new ArgumentException("The tensors to write include a null tensor.", nameof(tensors))
                : (t.Name, t.ShapeArray, (ReadOnlyMemory<float>)t.Data));
    }

    /// <summary>A validated write: the complete header (length prefix, JSON, padding) and the data in order.</summary>
    private sealed record Prepared(byte[] Header, List<ReadOnlyMemory<float>> Data);

    private static Prepared Prepare(IEnumerable<(string Name, int[] Shape, ReadOnlyMemory<float> Data)> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var json = new ArrayBufferWriter<byte>();
        var data = new List<ReadOnlyMemory<float>>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        using (var writer = new Utf8JsonWriter(json, HeaderWriterOptions))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (value is null)
                    {
                        throw new ArgumentException($"Metadata entry '{key}' has a null value; safetensors metadata values are strings.", nameof(metadata));
                    }

                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }

            long offset = 0;
            foreach (var (name, shape, values) in tensors)
            {
                if (ProblemWith(name, shape, values.Length, names, data.Count) is { } problem)
                {
                    throw new ArgumentException(problem, nameof(tensors));
                }

                var end = offset + (sizeof(float) * (long)values.Length);
                writer.WriteStartObject(name);
                writer.WriteString("dtype", SafeTensorsDType.F32);
                writer.WriteStartArray("shape");
                foreach (var dim in shape)
                {
                    writer.WriteNumberValue(dim);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(end);
                writer.WriteEndArray();
                writer.WriteEndObject();
                data.Add(values);
                offset = end;
            }

            writer.WriteEndObject();
        }

        // Pad with spaces (JSON whitespace) so the data section starts 8-byte aligned.
        var padded = (json.WrittenCount + 7) & ~7;
        var header = new byte[sizeof(ulong) + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)padded);
        json.WrittenSpan.CopyTo(header.AsSpan(sizeof(ulong)));
        header.AsSpan(sizeof(ulong) + json.WrittenCount).Fill((byte)' ');
        return new Prepared(header, data);
    }

    /// <summary>What is wrong with one tensor to write, or null when it can be written.</summary>
    private static string? ProblemWith(string name, int[] shape, int length, HashSet<string> names, int index)
    {
        if (string.IsNullOrEmpty(name))
        {
            return $"Tensor #{index} to write has a null or empty name.";
        }

        if (name == "__metadata__")
        {
            return "A tensor cannot be called '__metadata__': the format reserves that name for the metadata.";
        }

        if (!names.Add(name))
        {
            return $"Tensor '{name}' appears twice among the tensors to write; names must be unique.";
        }

        if (shape is null)
        {
            return $"Tensor '{name}' has a null shape.";
        }

        return NamedTensor.ShapeProblem(name, shape, length);
    }

    private static void WriteTo(Stream destination, Prepared prepared)
    {
        destination.Write(prepared.Header);
        if (BitConverter.IsLittleEndian)
        {
            foreach (var values in prepared.Data)
            {
                destination.Write(MemoryMarshal.AsBytes(values.Span));
            }

            return;
        }

        var chunk = new byte[ChunkBytes];
        foreach (var values in prepared.Data)
        {
            for (var start = 0; start < values.Length; start += ChunkBytes / sizeof(float))
            {
                var part = values.Span.Slice(start, Math.Min(ChunkBytes / sizeof(float), values.Length - start));
                for (var i = 0; i < part.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(sizeof(float) * i), part[i]);
                }

                destination.Write(chunk, 0, sizeof(float) * part.Length);
            }
        }
    }

    private static void WriteAtomically(string path, Prepared prepared) =>
        AtomicFile.Write(path, ChunkBytes, stream => WriteTo(stream, prepared));
}
