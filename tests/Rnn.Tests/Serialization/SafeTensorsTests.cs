using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Rnn.Serialization;
using Rnn.Tests.Fixtures;

namespace Rnn.Tests.Serialization;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rnn-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    // ---- Round trip and layout -------------------------------------------------------------

    [Fact]
    public void WriteThenRead_ReturnsTheSameTensorsInOrder_AndTheMetadata()
    {
        float[] special = [0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, float.MaxValue, -1.5f];
        var tensors = new[]
        {
            new NamedTensor("weight_ih_l0", [4, 2], special),
            new NamedTensor("scalar", [], [42f]),
            new NamedTensor("empty", [0, 3], []),
            new NamedTensor("bias", [3], [1f, 2f, 3f]),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcödé \"quoted\" \\ +<&>" };
        var path = Path.Combine(_directory, "model.safetensors");

        SafeTensors.Write(path, tensors, metadata);
        var file = SafeTensors.Read(path);

        Assert.Equal(tensors, file.Tensors);
        Assert.Equal(metadata.OrderBy(kv => kv.Key), file.Metadata.OrderBy(kv => kv.Key));
        Assert.Empty(file.SkippedTensors);
        Assert.Equal([4, 2], file["weight_ih_l0"].Shape);
        Assert.True(file.Contains("scalar"));
    }

    [Fact]
    public void Write_TupleOverload_WritesSlicesOfLargerBuffers()
    {
        var buffer = new float[] { 9f, 1f, 2f, 3f, 4f, 9f };
        var path = Path.Combine(_directory, "slices.safetensors");

        SafeTensors.Write(path, [("middle", [2, 2], buffer.AsMemory(1, 4))]);

        Assert.Equal([1f, 2f, 3f, 4f], SafeTensors.Read(path)["middle"].Data);
    }

    [Fact]
    public void Write_ProducesTheLayoutOfTheReferenceImplementation()
    {
        // Compact JSON with keys dtype, shape, data_offsets, padded with spaces to a multiple of 8
        // (these four expectations are also those of the reference implementation's own tests).
        float[] values = [0f, 1f, 2f, 3f, 4f, 5f];
        Assert.Equal(
            Build("""{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}""", F32(values)),
            WriteToArray([("attn.0", [1, 2, 3], values)]));
        Assert.Equal(
            Build("""{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       """, F32(values)),
            WriteToArray([("attn0", [1, 1, 2, 3], values)]));
        Assert.Equal(Build("{}      "), WriteToArray([]));
        Assert.Equal(
            Build("""{"__metadata__":{"framework":"pt"}}     """),
            WriteToArray([], new Dictionary<string, string> { ["framework"] = "pt" }));
    }

    [Fact]
    public void Write_SortsMetadataKeys_SoTheBytesDoNotDependOnDictionaryOrder()
    {
        var a = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1", ["C"] = "3" };
        var b = new Dictionary<string, string> { ["C"] = "3", ["a"] = "1", ["b"] = "2" };

        var bytesA = WriteToArray([("x", [1], new float[] { 1f })], a);
        Assert.Equal(bytesA, WriteToArray([("x", [1], new float[] { 1f })], b));
        Assert.Contains("""{"__metadata__":{"C":"3","a":"1","b":"2"}""", Encoding.UTF8.GetString(bytesA), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_SpanSeekableStreamAndForwardOnlyStream_GiveTheSameResult()
    {
        var bytes = Build(
            """{"__metadata__":{"k":"v"},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""",
            F32(1f, 2f, 3f, 4f));

        var fromSpan = SafeTensors.Read(bytes);
        var fromSeekable = SafeTensors.Read(new MemoryStream(bytes));
        var fromForwardOnly = SafeTensors.Read(new ForwardOnlyStream(bytes));

        foreach (var file in new[] { fromSpan, fromSeekable, fromForwardOnly })
        {
            Assert.Equal(["b", "a"], file.Tensors.Select(t => t.Name)); // header order, not data order
            Assert.Equal([3f, 4f], file["b"].Data);
            Assert.Equal([1f, 2f], file["a"].Data);
            Assert.Equal("v", file.Metadata["k"]);
        }
    }

    [Fact]
    public void Read_UnknownFieldsInAnEntry_AreIgnored()
    {
        var bytes = Build("""{"a":{"extra":{"nested":[1,{"x":null}]},"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", F32(7f));

        Assert.Equal([7f], SafeTensors.Read(bytes)["a"].Data);
    }

    [Fact]
    public void Indexer_ForAMissingTensor_ThrowsKeyNotFoundNamingIt()
    {
        var file = SafeTensors.Read(Build("{}"));

        var e = Assert.Throws<KeyNotFoundException>(() => file["nope"]);
        Assert.Contains("'nope'", e.Message, StringComparison.Ordinal);
    }

    // ---- Files written by other implementations ----------------------------------------------

    [Fact]
    public void Read_PyBridgeStateDict_EqualsTheParametersOfTheGoldenFile()
    {
        // Written by TorchSharp.PyBridge (see Fixtures/README.md): unpadded header, unaligned data.
        var file = SafeTensors.Read(Path.Combine(AppContext.BaseDirectory, "Fixtures", "pybridge", "lstm_1layer_state_dict.safetensors"));
        var golden = GoldenFile.Load("lstm_1layer");

        Assert.Equal(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"], file.Tensors.Select(t => t.Name));
        foreach (var tensor in file.Tensors)
        {
            Assert.Equal(golden[tensor.Name].Shape, tensor.Shape);
            Assert.Equal(golden[tensor.Name].Data, tensor.Data);
        }
    }

    [Fact]
    public void Read_PyBridgeF16Bf16F64_ConvertLikeLibtorch()
    {
        // The file holds libtorch's own conversions back to float32 next to each converted tensor.
        var file = SafeTensors.Read(
            Path.Combine(AppContext.BaseDirectory, "Fixtures", "pybridge", "dtypes.safetensors"),
            new SafeTensorsReadOptions { SkipUnsupportedDTypes = true });

        foreach (var dtype in new[] { "f16", "bf16", "f64" })
        {
            Assert.Equal(Bits(file[dtype + "_as_f32"].Data), Bits(file[dtype].Data));
            Assert.Equal(file[dtype + "_as_f32"].Shape, file[dtype].Shape);
        }

        Assert.Contains(file["f16"].Data, float.IsPositiveInfinity); // 65520 and 70000 overflow F16
        Assert.Equal("I64", Assert.Single(file.SkippedTensors).Value);
        Assert.False(file.Contains("i64"));
    }

    [Fact]
    public void Read_PyBridgeI64Tensor_WithoutSkipping_ThrowsNamingTensorAndDType()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "pybridge", "dtypes.safetensors");

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.Contains("tensor 'i64' has dtype I64", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    // ---- Conversions, from bytes built by hand ------------------------------------------------

    [Fact]
    public void Read_F16_ConvertsEveryValueExactly()
    {
        Half[] values = [(Half)(1f / 3), (Half)(-2.5f), Half.MaxValue, (Half)1e-6f, Half.Epsilon, Half.NegativeZero, Half.PositiveInfinity, Half.NaN];
        var data = new byte[2 * values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), BitConverter.HalfToUInt16Bits(values[i]));
        }

        var tensor = SafeTensors.Read(Build("""{"h":{"dtype":"F16","shape":[2,4],"data_offsets":[0,16]}}""", data))["h"];

        Assert.Equal([2, 4], tensor.Shape);
        Assert.Equal(Bits(values.Select(v => (float)v).ToArray()), Bits(tensor.Data));
        Assert.Equal(65504f, tensor.Data[2]);
        Assert.Equal(MathF.ScaleB(1f, -24), tensor.Data[4]); // the smallest F16 subnormal
    }

    [Fact]
    public void Read_BF16_WidensToTheSameFloat()
    {
        // BF16 bit patterns and their values worked out by hand: sign, 8-bit exponent, 7-bit mantissa.
        ushort[] bits = [0x3F80, 0xC000, 0x3EAB, 0x4049, 0x8000, 0x7F80, 0x0001];
        float[] expected = [1f, -2f, 0.333984375f, 3.140625f, -0f, float.PositiveInfinity, MathF.ScaleB(1f, -133)];
        var data = new byte[2 * bits.Length];
        for (var i = 0; i < bits.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), bits[i]);
        }

        var tensor = SafeTensors.Read(Build("""{"b":{"dtype":"BF16","shape":[7],"data_offsets":[0,14]}}""", data))["b"];

        Assert.Equal(Bits(expected), Bits(tensor.Data));
    }

    [Fact]
    public void Read_F64_RoundsToNearestFloat()
    {
        double[] values = [0.1, -1.0 / 3, 1e300, -1e-50, 1 + Math.ScaleB(1, -24), 1 + Math.ScaleB(1, -23) + Math.ScaleB(1, -24), Math.ScaleB(1, -149)];
        // 1 + 2^-24 lies halfway between 1 and the next float: ties go to the even one, 1.
        float[] expected = [0.1f, -1f / 3, float.PositiveInfinity, -0f, 1f, 1 + MathF.ScaleB(1, -22), float.Epsilon];
        var data = new byte[8 * values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(8 * i), values[i]);
        }

        var tensor = SafeTensors.Read(Build("""{"d":{"dtype":"F64","shape":[7],"data_offsets":[0,56]}}""", data))["d"];

        Assert.Equal(Bits(expected), Bits(tensor.Data));
    }

    [Fact]
    public void Read_F16FromASeekableStream_ConvertsAcrossChunkBoundaries()
    {
        // 40,000 F16 values: more than one 64 KiB chunk of the streaming reader.
        var values = Enumerable.Range(0, 40_000).Select(i => (Half)((i % 2000) - 1000.5f)).ToArray();
        var data = new byte[2 * values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), BitConverter.HalfToUInt16Bits(values[i]));
        }

        var bytes = Build($$$"""{"h":{"dtype":"F16","shape":[{{{values.Length}}}],"data_offsets":[0,{{{data.Length}}}]}}""", data);

        Assert.Equal(values.Select(v => (float)v), SafeTensors.Read(new MemoryStream(bytes))["h"].Data);
    }

    [Fact]
    public void Read_UnsupportedDType_Skipped_IsListedAndTheRestIsRead()
    {
        var bytes = Build(
            """{"steps":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""",
            new byte[8], F32(5f));

        var file = SafeTensors.Read(bytes, new SafeTensorsReadOptions { SkipUnsupportedDTypes = true });

        Assert.Equal("I64", file.SkippedTensors["steps"]);
        Assert.Equal([5f], file["w"].Data);
        var e = Assert.Throws<KeyNotFoundException>(() => file["steps"]);
        Assert.Contains("skipped", e.Message, StringComparison.Ordinal);
    }

    // ---- Validation: one test per problem ----------------------------------------------------

    [Fact]
    public void Read_FileShorterThanTheLengthPrefix_Throws() =>
        AssertInvalid(new byte[5], "5 bytes long, shorter than the 8-byte header length");

    [Fact]
    public void Read_HeaderLengthOverTheLimit_Throws()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 100_000_001);
        AssertInvalid(bytes, "header length is 100000001 bytes, more than the limit of 100000000");
    }

    [Fact]
    public void Read_HeaderLengthPastTheEndOfTheFile_Throws()
    {
        var bytes = Build("{}");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 3);
        AssertInvalid(bytes[..10], "header length is 3 bytes, but only 2 bytes follow");
    }

    [Fact]
    public void Read_HeaderLengthOfUInt64Max_Throws()
    {
        var bytes = Build("{}");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        AssertInvalid(bytes, "more than the limit");
    }

    [Fact]
    public void Read_HeaderNotUtf8_Throws()
    {
        var bytes = Build("{\"a\u00e9\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}");
        bytes[8 + 3] = 0xFF; // in the middle of the two-byte é
        AssertInvalid(bytes, "not valid UTF-8");
    }

    [Fact]
    public void Read_HeaderNotJson_Throws() => AssertInvalid(Build("""{"a":{"dtype":"F32",}"""), "not valid JSON");

    [Fact]
    public void Read_EmptyHeader_Throws() => AssertInvalid(Build(""), "header is empty");

    [Fact]
    public void Read_HeaderNotAnObject_Throws() => AssertInvalid(Build("[1, 2]"), "must be a JSON object, but it starts with a JSON array");

    [Fact]
    public void Read_TextAfterTheHeaderObject_Throws() => AssertInvalid(Build("{} {}"), "not valid JSON");

    [Fact]
    public void Read_HeaderWithComment_Throws() => AssertInvalid(Build("{/* no */}"), "not valid JSON");

    [Fact]
    public void Read_EntryNotAnObject_Throws() => AssertInvalid(Build("""{"w":[1]}"""), "tensor 'w' must be an object");

    [Theory]
    [InlineData("""{"w":{"shape":[1],"data_offsets":[0,4]}}""", "tensor 'w' has no 'dtype'")]
    [InlineData("""{"w":{"dtype":"F32","data_offsets":[0,4]}}""", "tensor 'w' has no 'shape'")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1]}}""", "tensor 'w' has no 'data_offsets'")]
    public void Read_EntryMissingAField_Throws(string header, string expected) => AssertInvalid(Build(header, new byte[4]), expected);

    [Fact]
    public void Read_EntryWithAFieldTwice_Throws() =>
        AssertInvalid(Build("""{"w":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}""", new byte[4]), "tensor 'w' has 'dtype' twice");

    [Fact]
    public void Read_DTypeNotAString_Throws() =>
        AssertInvalid(Build("""{"w":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}""", new byte[4]), "tensor 'w': dtype must be a string, but it is a JSON number");

    [Fact]
    public void Read_DTypeTheFormatDoesNotDefine_Throws() =>
        AssertInvalid(Build("""{"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}""", new byte[4]), "tensor 'w' has dtype 'F33', which is not a safetensors dtype");

    [Fact]
    public void Read_UnsupportedDType_ThrowsNamingTensorAndDType() =>
        AssertInvalid(Build("""{"mask":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}""", new byte[4]), "tensor 'mask' has dtype U8, which this reader does not convert");

    [Fact]
    public void Read_ShapeNotAnArray_Throws() =>
        AssertInvalid(Build("""{"w":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}""", new byte[4]), "tensor 'w': shape must be an array of non-negative integers, but it is a JSON number");

    [Theory]
    [InlineData("-1", "shape[1] must be a non-negative integer, but it is -1")]
    [InlineData("1.5", "shape[1] must be a non-negative integer, but it is 1.5")]
    [InlineData("1e0", "shape[1] must be a non-negative integer, but it is 1e0")]
    [InlineData("\"1\"", "shape[1] must be a non-negative integer, but it is JSON string")]
    [InlineData("18446744073709551616", "shape[1] must be a non-negative integer, but it is 18446744073709551616")]
    public void Read_ShapeDimensionNotANonNegativeInteger_Throws(string dim, string expected) =>
        AssertInvalid(Build($$$"""{"w":{"dtype":"F32","shape":[1,{{{dim}}}],"data_offsets":[0,4]}}""", new byte[4]), "tensor 'w': " + expected);

    [Theory]
    [InlineData("[0]", "data_offsets must have 2 elements [begin, end], but it has 1")]
    [InlineData("[0,4,8]", "data_offsets must have 2 elements [begin, end], but it has 3")]
    [InlineData("[-4,4]", "data_offsets[0] must be a non-negative integer, but it is -4")]
    [InlineData("{}", "data_offsets must be an array of non-negative integers, but it is a JSON object")]
    public void Read_DataOffsetsMalformed_Throws(string offsets, string expected) =>
        AssertInvalid(Build($$$"""{"w":{"dtype":"F32","shape":[1],"data_offsets":{{{offsets}}}}}""", new byte[4]), "tensor 'w': " + expected);

    [Fact]
    public void Read_BeginAfterEnd_Throws() =>
        AssertInvalid(Build("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""", new byte[8]), "tensor 'w': data_offsets [8, 4] begins after it ends");

    [Fact]
    public void Read_OffsetsPastTheDataSection_Throws() =>
        AssertInvalid(Build("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", new byte[4]), "tensor 'w': data_offsets [0, 8] end past the data section, which is 4 bytes");

    [Fact]
    public void Read_ByteCountNotShapeTimesDTypeSize_Throws() =>
        AssertInvalid(Build("""{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}""", new byte[12]), "tensor 'w': shape [2, 2] of F32 takes 16 bytes, but data_offsets [0, 12] hold 12");

    [Fact]
    public void Read_ShapeWhoseElementCountOverflows_Throws() =>
        AssertInvalid(
            Build("""{"w":{"dtype":"F32","shape":[4294967296,4294967296,2],"data_offsets":[0,0]}}"""),
            "tensor 'w': shape [4294967296, 4294967296, 2] has more elements than a 64-bit count can hold");

    [Fact]
    public void Read_ShapeWhoseByteCountOverflows_Throws() =>
        AssertInvalid(
            Build("""{"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}}"""),
            "tensor 'w': shape [4611686018427387904] of F64 has more bits than a 64-bit count can hold");

    [Fact]
    public void Read_OverlappingTensors_Throws() =>
        AssertInvalid(
            Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", new byte[12]),
            "tensor 'b' (bytes [4, 12)) overlaps tensor 'a' (bytes [0, 8))");

    [Fact]
    public void Read_HoleBetweenTensors_Throws() =>
        AssertInvalid(
            Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", new byte[12]),
            "bytes [4, 8) between tensor 'a' and tensor 'b' belong to no tensor");

    [Fact]
    public void Read_HoleAtTheStartOfTheData_Throws() =>
        AssertInvalid(
            Build("""{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]),
            "bytes [0, 4) between the start of the data section and tensor 'b' belong to no tensor");

    [Fact]
    public void Read_BytesAfterTheLastTensor_Throws() =>
        AssertInvalid(
            Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[6]),
            "the data section is 6 bytes, but the tensors cover only 4: the 2 bytes after the last tensor 'a' belong to no tensor");

    [Fact]
    public void Read_DuplicateTensorName_Throws() =>
        AssertInvalid(
            Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]),
            "tensor 'a' appears twice");

    [Fact]
    public void Read_DuplicateNameWrittenWithAnEscape_Throws() =>
        AssertInvalid(
            Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\u0061":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]),
            "tensor 'a' appears twice");

    [Fact]
    public void Read_MetadataTwice_Throws() =>
        AssertInvalid(Build("""{"__metadata__":{},"__metadata__":{}}"""), "'__metadata__' twice");

    [Fact]
    public void Read_MetadataNotAnObject_Throws() =>
        AssertInvalid(Build("""{"__metadata__":["a"]}"""), "'__metadata__' must be an object of strings, but it is a JSON array");

    [Fact]
    public void Read_MetadataValueNotAString_Throws() =>
        AssertInvalid(Build("""{"__metadata__":{"epochs":3}}"""), "'__metadata__' entry 'epochs' must be a string, but it is a JSON number");

    [Fact]
    public void Read_MetadataKeyTwice_Throws() =>
        AssertInvalid(Build("""{"__metadata__":{"k":"1","k":"2"}}"""), "'__metadata__' has the key 'k' twice");

    [Fact]
    public void Read_LoneSurrogateEscapeInAName_Throws() =>
        AssertInvalid(Build("""{"\ud800":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"""), "safetensors data:");

    [Fact]
    public void Read_InvalidFileOnDisk_NamesThePath()
    {
        var path = Path.Combine(_directory, "truncated.safetensors");
        File.WriteAllBytes(path, Build("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", new byte[16])[..^3]);

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.Contains($"safetensors file '{path}'", e.Message, StringComparison.Ordinal);
        Assert.Contains("tensor 'w': data_offsets [0, 16] end past the data section, which is 13 bytes (is the file truncated?)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ForwardOnlyStreamEndingInsideTheData_Throws()
    {
        var bytes = Build("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", new byte[16]);

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new ForwardOnlyStream(bytes[..^1])));
        Assert.Contains("safetensors stream: the tensors cover a data section of 16 bytes, but the stream ends after 15", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ForwardOnlyStreamWithBytesAfterTheData_Throws()
    {
        var bytes = Build("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[5]);

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new ForwardOnlyStream(bytes)));
        Assert.Contains("bytes after the 4 bytes the tensors cover", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_LyingHeaderClaimingHugeTensor_ThrowsWithoutAllocatingIt()
    {
        // 2^30 floats (4 GiB) claimed by a 100-byte file; nothing of that size may be allocated.
        var bytes = Build("""{"w":{"dtype":"F32","shape":[1073741824],"data_offsets":[0,4294967296]}}""", new byte[16]);

        foreach (var read in new Action[]
        {
            () => SafeTensors.Read(bytes),
            () => SafeTensors.Read(new MemoryStream(bytes)),
            () => SafeTensors.Read(new ForwardOnlyStream(bytes)),
        })
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Assert.Throws<InvalidDataException>(read);
            Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 1 << 20);
        }
    }

    [Fact]
    public void Read_ForwardOnlyStreamWithLyingHeaderLength_ThrowsWithoutAllocatingIt()
    {
        var bytes = Build("{}");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 99_000_000);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new ForwardOnlyStream(bytes)));
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 1 << 20);
        Assert.Contains("the header length is 99000000 bytes, but the stream ends 2 bytes into the header", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_RandomlyCorruptedFiles_EitherSucceedOrThrowInvalidData()
    {
        // A valid file with every convertible dtype, an empty tensor, a scalar and metadata, then
        // thousands of mutations of it (fixed seed). Every read must end (the loop runs under a
        // deadline), succeed or throw InvalidDataException (nothing else), and allocate little.
        var original = Build(
            """{"__metadata__":{"mode":"LSTM","n":"1"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"h":{"dtype":"F16","shape":[4],"data_offsets":[24,32]},"b":{"dtype":"BF16","shape":[2,2],"data_offsets":[32,40]},"d":{"dtype":"F64","shape":[2],"data_offsets":[40,56]},"e":{"dtype":"F32","shape":[3,0],"data_offsets":[56,56]},"s":{"dtype":"F32","shape":[],"data_offsets":[56,60]}}""",
            Enumerable.Range(0, 60).Select(i => (byte)(i * 37)).ToArray());
        Assert.Equal(6, SafeTensors.Read(original).Tensors.Count);

        var (succeeded, failed) = (0, 0);
        var work = Task.Run(() =>
        {
            var random = new Random(20241126);
            var headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
            for (var iteration = 0; iteration < 4000; iteration++)
            {
                var bytes = Mutate(original, headerEnd, random);
                var readers = new List<Func<SafeTensorsFile>> { () => SafeTensors.Read(bytes) };
                if (iteration % 4 == 0)
                {
                    readers.Add(() => SafeTensors.Read(new MemoryStream(bytes)));
                    readers.Add(() => SafeTensors.Read(new ForwardOnlyStream(bytes)));
                }

                foreach (var read in readers)
                {
                    var before = GC.GetAllocatedBytesForCurrentThread();
                    try
                    {
                        read();
                        succeeded++;
                    }
                    catch (InvalidDataException)
                    {
                        failed++;
                    }
                    catch (Exception e)
                    {
                        throw new InvalidOperationException($"Mutation {iteration} ({Convert.ToHexString(bytes)}) threw {e.GetType().Name}: {e.Message}", e);
                    }

                    var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                    Assert.True(allocated < 1 << 20, $"Mutation {iteration} allocated {allocated} bytes.");
                }
            }
        });

        Assert.True(await Task.WhenAny(work, Task.Delay(TimeSpan.FromMinutes(2))) == work, "Reading the mutated files did not finish in time.");
        await work;
        Assert.True(succeeded > 100 && failed > 100, $"{succeeded} reads succeeded and {failed} failed: the mutations should exercise both.");
    }

    // ---- Writing: arguments and atomicity ----------------------------------------------------

    [Theory]
    [InlineData("dup", "appears twice")]
    [InlineData("__metadata__", "reserves that name")]
    [InlineData("", "null or empty name")]
    public void Write_BadName_ThrowsAndCreatesNoFile(string secondName, string expected)
    {
        var path = Path.Combine(_directory, "bad.safetensors");

        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [("dup", [1], new float[1]), (secondName, [1], new float[1])]));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Theory]
    [InlineData(new[] { 2, 3 }, 5, "Tensor 'w' has shape [2, 3], which holds 6 elements, but its data has 5")]
    [InlineData(new[] { 2, -3 }, 6, "Tensor 'w' has shape [2, -3] with a negative dimension")]
    public void Write_ShapeThatDoesNotFitTheData_Throws(int[] shape, int length, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Write(new MemoryStream(), [("w", shape, new float[length])]));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NamedTensor_ShapeThatDoesNotFitTheData_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new NamedTensor("w", [3], new float[2]));

        Assert.Contains("Tensor 'w' has shape [3], which holds 3 elements, but its data has 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_NullMetadataValue_Throws()
    {
        var metadata = new Dictionary<string, string> { ["k"] = null! };

        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Write(new MemoryStream(), [("w", [1], new float[1])], metadata));
        Assert.Contains("Metadata entry 'k' has a null value", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_OverAnExistingFile_ReplacesItAndLeavesNoTemporaryFile()
    {
        var path = Path.Combine(_directory, "model.safetensors");
        SafeTensors.Write(path, [("w", [1], new float[] { 1f })]);

        SafeTensors.Write(path, [("w", [2], new float[] { 2f, 3f })]);

        Assert.Equal([2f, 3f], SafeTensors.Read(path)["w"].Data);
        Assert.Equal([path], Directory.GetFiles(_directory));
    }

    [Fact]
    public void Write_EnumeratorThrowingAfterTheFirstTensor_LeavesThePreviousFileAndNoTemporaryFile()
    {
        var path = Path.Combine(_directory, "model.safetensors");
        SafeTensors.Write(path, [("w", [3], new float[] { 1f, 2f, 3f })], new Dictionary<string, string> { ["v"] = "1" });
        var previous = File.ReadAllBytes(path);

        static IEnumerable<(string, int[], ReadOnlyMemory<float>)> FailingAfterOne()
        {
            yield return ("w", [2], new float[] { 4f, 5f });
            throw new IOException("source went away");
        }

        Assert.Throws<IOException>(() => SafeTensors.Write(path, FailingAfterOne()));

        Assert.Equal(previous, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_directory));
    }

    [Fact]
    public void Write_DataFailingWhileTheFileIsWritten_LeavesThePreviousFileAndNoTemporaryFile()
    {
        // The second tensor's memory throws when its span is taken, i.e. after the header and the
        // first tensor are already in the temporary file.
        var path = Path.Combine(_directory, "model.safetensors");
        SafeTensors.Write(path, [("w", [3], new float[] { 1f, 2f, 3f })]);
        var previous = File.ReadAllBytes(path);
        using var failing = new FailingMemory();

        Assert.Throws<IOException>(() => SafeTensors.Write(path, [("w", [2], new float[] { 4f, 5f }), ("x", [4], failing.Create(4))]));

        Assert.Equal(1, failing.SpanRequests);
        Assert.Equal(previous, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_directory));
    }

    [Fact]
    public void Write_IntoAMissingDirectory_ThrowsAndCreatesNothing()
    {
        var path = Path.Combine(_directory, "missing", "model.safetensors");

        Assert.Throws<DirectoryNotFoundException>(() => SafeTensors.Write(path, [("w", [1], new float[1])]));
        Assert.Empty(Directory.GetFileSystemEntries(_directory));
    }

    // ---- Helpers -------------------------------------------------------------------------

    private static void AssertInvalid(byte[] bytes, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(bytes));
        Assert.StartsWith("safetensors data: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);

        // The same problem is reported the same way from a stream that cannot seek.
        var fromStream = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new ForwardOnlyStream(bytes)));
        Assert.StartsWith("safetensors stream: ", fromStream.Message, StringComparison.Ordinal);
    }

    /// <summary>A file built by hand from the spec: 8-byte little-endian header length, header, data.</summary>
    private static byte[] Build(string header, params byte[][] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Sum(d => d.Length)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        var offset = 8 + json.Length;
        foreach (var d in data)
        {
            d.CopyTo(bytes, offset);
            offset += d.Length;
        }

        return bytes;
    }

    private static byte[] F32(params float[] values)
    {
        var bytes = new byte[4 * values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }

        return bytes;
    }

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);

    private static byte[] WriteToArray(
        (string Name, int[] Shape, ReadOnlyMemory<float> Data)[] tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    private static byte[] Mutate(byte[] original, int headerEnd, Random random)
    {
        var bytes = (byte[])original.Clone();
        switch (random.Next(8))
        {
            case 0: // flip a few bits anywhere
                for (var n = random.Next(1, 5); n > 0; n--)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }

                return bytes;
            case 1: // replace a header byte with one that matters to JSON
                const string Significant = "{}[]\",:-.0123456789eE \\u";
                bytes[random.Next(8, headerEnd)] = (byte)Significant[random.Next(Significant.Length)];
                return bytes;
            case 2: // truncate
                return bytes[..random.Next(bytes.Length)];
            case 3: // extend with random bytes
                var extra = new byte[random.Next(1, 17)];
                random.NextBytes(extra);
                return [.. bytes, .. extra];
            case 4: // a header length that lies, near the truth or anywhere
                var length = random.Next(2) == 0 ? (ulong)(headerEnd - 8 + random.Next(-9, 10)) : (ulong)random.NextInt64() << random.Next(2);
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
                return bytes;
            case 5: // delete a header byte (the length no longer matches)
                var at = random.Next(8, headerEnd);
                return [.. bytes[..at], .. bytes[(at + 1)..]];
            case 6: // change a digit of a number in the header and fix nothing else
                var digits = Enumerable.Range(8, headerEnd - 8).Where(i => bytes[i] is >= (byte)'0' and <= (byte)'9').ToArray();
                bytes[digits[random.Next(digits.Length)]] = (byte)('0' + random.Next(10));
                return bytes;
            default: // overwrite a random run of the header with random bytes
                var start = random.Next(8, headerEnd);
                var run = bytes.AsSpan(start, Math.Min(random.Next(1, 9), headerEnd - start));
                random.NextBytes(run);
                return bytes;
        }
    }

    /// <summary>A stream that can only be read forward, like a network or pipe stream.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        // Hands out at most 7 bytes per call, so the reader must cope with short reads.
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Memory whose contents cannot be read: taking its span throws, as a failing source would.</summary>
    private sealed class FailingMemory : MemoryManager<float>
    {
        public int SpanRequests { get; private set; }

        public ReadOnlyMemory<float> Create(int length) => CreateMemory(length);

        public override Span<float> GetSpan()
        {
            SpanRequests++;
            throw new IOException("the tensor's storage failed");
        }

        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();

        public override void Unpin() => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
        }
    }
}
