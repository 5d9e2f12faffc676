using System.IO.Compression;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace GRump.LoadTests.Fuzz;

/// <summary>A gRPC request the fuzzer sends: the body (gRPC frames), extra headers, and whether every frame is well-formed and deserializes.</summary>
internal sealed record GrpcCase(string Kind, GrpcTarget Target, byte[] Body, IReadOnlyDictionary<string, string> Headers, bool Valid);

/// <summary>
/// Generates gRPC requests from a seeded <see cref="Random"/>: structurally valid messages with random fields, random
/// bytes, invalid and mismatched wire types, invalid UTF-8, truncation, nesting past the recursion limit, lengths that
/// lie, extra messages, gzip-compressed frames (valid and corrupt), wrong content types and (optionally) oversized
/// messages. Validity is decided by the real parser of the request type, not by the generator's intent, so the
/// oracle cannot drift from what the server does.
/// </summary>
internal static class ProtoFuzzer
{
    private const int MaxDepth = 4;

    private static readonly string[] Texts =
    [
        "", "hello", "Build a todo app with auth using React and Postgres", "Design a multi-region payments architecture with failover",
        "Use Vue instead of React", "ünïcödé ✓ 漢字 עברית 🙂", "\0\u0001\u001f", "' OR 1=1; --", "{\"json\":true}", "../../etc/passwd",
        "default", "a", "claude-sonnet-4-5", "grump-local-dev", "all-MiniLM-L6-v2", "chat", "user", "assistant", "system", "admin",
    ];

    public static GrpcCase Next(Random random, IReadOnlyList<GrpcTarget> targets, bool oversize)
    {
        var target = targets[random.Next(targets.Count)];
        var headers = new Dictionary<string, string>();
        var roll = random.Next(100);
        if (oversize && roll == 0)
        {
            var big = new WireWriter().String(1, new string('x', (4 << 20) + 1024)).ToArray();
            return Make("oversize", target, [Frame(big)], headers, protocolValid: true, [big]);
        }
        var kind = roll switch
        {
            < 30 => "valid",
            < 38 => "random-bytes",
            < 46 => "invalid-wire-type",
            < 51 => "mismatched-wire-type",
            < 59 => "bad-utf8",
            < 67 => "truncated",
            < 72 => "deep-nesting",
            < 77 => "length-lies",
            < 80 => "extra-message",
            < 82 => "empty-body",
            < 86 => "gzip-valid",
            < 89 => "gzip-corrupt",
            < 91 => "compressed-without-encoding",
            < 92 => "unsupported-encoding",
            < 94 => "wrong-content-type",
            _ => "valid",
        };
        var count = target.ClientStreams ? random.Next(0, 4) : 1;
        var messages = new List<byte[]>();
        var frames = new List<byte[]>();
        var protocolValid = true;
        for (var i = 0; i < count; i++)
        {
            var message = kind switch
            {
                "random-bytes" => RandomBytes(random),
                "invalid-wire-type" => new WireWriter().Raw(Message(random, target.Request, 0)).Tag(random.Next(1, 20), 6 + random.Next(2)).Varint(1).ToArray(),
                "mismatched-wire-type" => Mismatched(random, target.Request),
                "bad-utf8" => BadUtf8(random, target.Request),
                "truncated" => Truncate(random, Message(random, target.Request, 0)),
                "deep-nesting" => DeepNesting(random),
                _ => Message(random, target.Request, 0),
            };
            messages.Add(message);
            frames.Add(Frame(message));
        }
        switch (kind)
        {
            case "length-lies" when frames.Count > 0:
                var payload = messages[^1];
                frames[^1] = WireWriter.Frame(payload, declaredLength: payload.Length + 1 + random.Next(64));
                protocolValid = false;
                break;
            case "extra-message" when !target.ClientStreams:
                frames.Add(Frame(messages[0]));
                protocolValid = false;
                break;
            case "empty-body" when !target.ClientStreams:
                frames.Clear();
                protocolValid = false;
                break;
            case "gzip-valid":
                var deflate = random.Next(3) == 0;
                headers["grpc-encoding"] = deflate ? "deflate" : "gzip";
                frames = [.. messages.Select(m => WireWriter.Frame(Compress(m, deflate), compressed: true))];
                break;
            case "gzip-corrupt":
                headers["grpc-encoding"] = random.Next(3) == 0 ? "deflate" : "gzip";
                frames = [.. messages.Select(m => WireWriter.Frame([0x1f, 0x8b, .. RandomBytes(random)], compressed: true))];
                protocolValid = frames.Count == 0;
                break;
            case "compressed-without-encoding":
                frames = [.. messages.Select(m => WireWriter.Frame(Compress(m, deflate: false), compressed: true))];
                protocolValid = frames.Count == 0;
                break;
            case "unsupported-encoding":
                headers["grpc-encoding"] = "snappy";
                frames = [.. messages.Select(m => WireWriter.Frame(m, compressed: true))];
                protocolValid = frames.Count == 0;
                break;
            case "wrong-content-type":
                headers["content-type"] = random.Next(2) == 0 ? "application/json" : "text/plain";
                protocolValid = false;
                break;
            default:
                break;
        }
        return Make(kind, target, frames, headers, protocolValid, messages);
    }

    private static GrpcCase Make(string kind, GrpcTarget target, IEnumerable<byte[]> frames, Dictionary<string, string> headers, bool protocolValid, IEnumerable<byte[]> messages)
    {
        var valid = protocolValid && messages.All(m => Parses(target.Request, m));
        return new GrpcCase(kind, target, [.. frames.SelectMany(f => f)], headers, valid);
    }

    /// <summary>The oracle: does the request type's own parser accept these bytes?</summary>
    public static bool Parses(MessageDescriptor type, byte[] message)
    {
        try
        {
            type.Parser.ParseFrom(message);
            return true;
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }

    private static byte[] Frame(byte[] message) => WireWriter.Frame(message);

    private static byte[] Compress(byte[] data, bool deflate)
    {
        using var output = new MemoryStream();
        using (Stream compressor = deflate ? new ZLibStream(output, CompressionLevel.Fastest) : new GZipStream(output, CompressionLevel.Fastest))
        {
            compressor.Write(data);
        }
        return output.ToArray();
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 256)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Truncate(Random random, byte[] message) => message.Length == 0 ? message : message[..random.Next(message.Length)];

    /// <summary>A structurally valid message: random fields of the right wire types, nested messages, now and then an unknown field.</summary>
    public static byte[] Message(Random random, MessageDescriptor type, int depth)
    {
        var writer = new WireWriter();
        foreach (var field in type.Fields.InDeclarationOrder())
        {
            if (random.Next(100) >= 60)
            {
                continue;
            }
            var repeats = field.IsRepeated ? random.Next(0, 4) : 1;
            for (var i = 0; i < repeats; i++)
            {
                WriteField(random, writer, field, depth);
            }
        }
        if (random.Next(10) == 0)
        {
            writer.Tag(1000 + random.Next(1000), WireTypes.Varint).Varint((ulong)random.NextInt64());
        }
        return writer.ToArray();
    }

    private static void WriteField(Random random, WireWriter writer, FieldDescriptor field, int depth)
    {
        var number = field.FieldNumber;
        switch (field.FieldType)
        {
            case FieldType.String:
                writer.String(number, Text(random));
                break;
            case FieldType.Bytes:
                writer.Tag(number, WireTypes.LengthDelimited).LengthDelimited(RandomBytes(random));
                break;
            case FieldType.Bool:
                writer.Tag(number, WireTypes.Varint).Varint((ulong)random.Next(3));
                break;
            case FieldType.Int32 or FieldType.Int64 or FieldType.UInt32 or FieldType.UInt64 or FieldType.Enum:
                writer.Tag(number, WireTypes.Varint).Varint(Integer(random));
                break;
            case FieldType.SInt32 or FieldType.SInt64:
                writer.Tag(number, WireTypes.Varint).Varint(Integer(random) >> 1);
                break;
            case FieldType.Fixed32 or FieldType.SFixed32:
                writer.Tag(number, WireTypes.Fixed32).Fixed32((uint)Integer(random));
                break;
            case FieldType.Float:
                writer.Tag(number, WireTypes.Fixed32).Fixed32(BitConverter.SingleToUInt32Bits((float)Real(random)));
                break;
            case FieldType.Fixed64 or FieldType.SFixed64:
                writer.Tag(number, WireTypes.Fixed64).Fixed64(Integer(random));
                break;
            case FieldType.Double:
                writer.Tag(number, WireTypes.Fixed64).Fixed64(BitConverter.DoubleToUInt64Bits(Real(random)));
                break;
            case FieldType.Message or FieldType.Group:
                if (depth < MaxDepth)
                {
                    writer.Tag(number, WireTypes.LengthDelimited).LengthDelimited(Message(random, field.MessageType, depth + 1));
                }
                break;
            default:
                break;
        }
    }

    /// <summary>A known field written with another valid wire type: the parser keeps it as an unknown field (still valid).</summary>
    private static byte[] Mismatched(Random random, MessageDescriptor type)
    {
        var writer = new WireWriter().Raw(Message(random, type, 0));
        var fields = type.Fields.InDeclarationOrder();
        var number = fields.Count > 0 ? fields[random.Next(fields.Count)].FieldNumber : 1;
        return random.Next(3) switch
        {
            0 => writer.Tag(number, WireTypes.Fixed32).Fixed32(7).ToArray(),
            1 => writer.Tag(number, WireTypes.Fixed64).Fixed64(7).ToArray(),
            _ => writer.Tag(number, WireTypes.Varint).Varint(7).ToArray(),
        };
    }

    /// <summary>A string field (nested if need be) holding bytes that are not UTF-8.</summary>
    private static byte[] BadUtf8(Random random, MessageDescriptor type)
    {
        byte[][] invalid = [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]];
        var bad = invalid[random.Next(invalid.Length)];
        var path = StringPath(type, 0);
        if (path is null)
        {
            return new WireWriter().Tag(1, WireTypes.LengthDelimited).LengthDelimited(bad).ToArray();
        }
        var inner = new WireWriter().Tag(path[^1], WireTypes.LengthDelimited).LengthDelimited([.. Encoding.UTF8.GetBytes("ok "), .. bad]).ToArray();
        for (var i = path.Count - 2; i >= 0; i--)
        {
            inner = new WireWriter().Tag(path[i], WireTypes.LengthDelimited).LengthDelimited(inner).ToArray();
        }
        return inner;
    }

    /// <summary>Field numbers leading to the first string field (depth-first), or null.</summary>
    private static List<int>? StringPath(MessageDescriptor type, int depth)
    {
        foreach (var field in type.Fields.InDeclarationOrder())
        {
            if (field.FieldType == FieldType.String)
            {
                return [field.FieldNumber];
            }
        }
        if (depth >= MaxDepth)
        {
            return null;
        }
        foreach (var field in type.Fields.InDeclarationOrder())
        {
            if (field.FieldType == FieldType.Message && !field.IsMap && StringPath(field.MessageType, depth + 1) is { } rest)
            {
                return [field.FieldNumber, .. rest];
            }
        }
        return null;
    }

    /// <summary>Nesting past the parser's recursion limit (100): groups of an unknown field, which every message type must skip.</summary>
    private static byte[] DeepNesting(Random random) => NestedGroups(101 + random.Next(200));

    /// <summary>Start groups of an unknown field (999) nested <paramref name="levels"/> deep, then their ends.</summary>
    public static byte[] NestedGroups(int levels)
    {
        var writer = new WireWriter();
        for (var i = 0; i < levels; i++)
        {
            writer.Tag(999, WireTypes.StartGroup);
        }
        for (var i = 0; i < levels; i++)
        {
            writer.Tag(999, WireTypes.EndGroup);
        }
        return writer.ToArray();
    }

    private static string Text(Random random) => random.Next(10) switch
    {
        0 => new string((char)random.Next(0x20, 0x7f), random.Next(1, 4096)),
        1 => string.Concat(Enumerable.Range(0, random.Next(1, 32)).Select(_ => Texts[random.Next(Texts.Length)] + " ")),
        _ => Texts[random.Next(Texts.Length)],
    };

    private static ulong Integer(Random random) => random.Next(6) switch
    {
        0 => 0,
        1 => ulong.MaxValue,
        2 => (ulong)long.MaxValue,
        3 => (ulong)random.Next(0, 10),
        4 => unchecked((ulong)-random.Next(1, 100)),
        _ => (ulong)random.NextInt64(),
    };

    private static double Real(Random random) => random.Next(8) switch
    {
        0 => 0,
        1 => double.NaN,
        2 => double.PositiveInfinity,
        3 => -1,
        4 => 1e308,
        5 => random.NextDouble(),
        6 => random.NextDouble() * 2,
        _ => random.NextDouble() * 1000,
    };
}
