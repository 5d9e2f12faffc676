using System.IO.Compression;
using GRump.Gateway.Tests.Infrastructure;
using GRump.LoadTests.Fuzz;
using Microsoft.Extensions.Logging;

namespace GRump.Gateway.Tests.Endpoints;

/// <summary>
/// Request frames that do not deserialize, sent as raw HTTP/2 bytes to every kind of method (unary, server stream,
/// bidi, reflection, health) of a gateway with API keys: INTERNAL saying so (grpc-go's and grpc-java's rule), one
/// Information line without a stack, never UNKNOWN and never an Error — also without a key, since grpc-dotnet
/// deserializes before any interceptor runs.
/// </summary>
public sealed class MalformedFrameTests
{
    private const string UserKey = "frames-user-key-0123456789";
    private const int Ok = 0;
    private const int ResourceExhausted = 8;
    private const int Internal = 13;
    private const int Unauthenticated = 16;

    public static TheoryData<string, string> Methods => new()
    {
        { "unary", "/grump.gateway.v1.IntentService/ParseIntent" },
        { "server stream", "/grump.gateway.v1.ChatService/StreamComplete" },
        { "bidi", "/grump.gateway.v1.IntentService/ParseIntents" },
        { "reflection", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo" },
        { "health", "/grpc.health.v1.Health/Check" },
    };

    private static readonly (string Name, byte[] Bytes)[] Payloads =
    [
        ("invalid wire type", [0x0f, 0x01]),
        ("truncated field", [0x0a, 0x05, (byte)'a', (byte)'b']),
        ("invalid UTF-8 in a string", [0x0a, 0x02, 0xff, 0xfe]),
        ("nesting past the recursion limit", ProtoFuzzer.NestedGroups(150)),
    ];

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task Frame_NotDeserializable_IsInternalAndLoggedWithoutStack(string kind, string path)
    {
        // Arrange
        await using var app = NewApp();
        using var client = Client(app);

        foreach (var (name, bytes) in Payloads)
        {
            // Act: without an API key — except for the bidi method, whose messages are read inside the handler, after
            // authentication (a unary or server-streaming request is read before any interceptor runs)
            var answer = await SendAsync(client, path, WireWriter.Frame(bytes), kind == "bidi" ? UserKey : null);

            // Assert
            Assert.True(answer.GrpcStatus == Internal, $"{kind}, {name}: {answer}");
            Assert.Contains("could not be deserialized", answer.GrpcMessage, StringComparison.Ordinal);
        }
        var lines = app.Logs.Entries.Where(e => e.Category == "GRump.Gateway.Endpoints.RequestFrames").ToList();
        Assert.Equal(4, lines.Count);
        Assert.All(lines, e => Assert.True(e.Level == LogLevel.Information && e.Exception is null, e.ToString()));
    }

    [Fact]
    public async Task Frame_WellFormedWithoutKey_IsStillUnauthenticated()
    {
        // Arrange: raw = "hello" (field 1, string)
        await using var app = NewApp();
        using var client = Client(app);
        var frame = WireWriter.Frame(new WireWriter().String(1, "hello").ToArray());

        // Act
        var anonymous = await SendAsync(client, "/grump.gateway.v1.IntentService/ParseIntent", frame, key: null);
        var keyed = await SendAsync(client, "/grump.gateway.v1.IntentService/ParseIntent", frame, UserKey);

        // Assert: the guard changes nothing for frames that deserialize
        Assert.Equal(Unauthenticated, anonymous.GrpcStatus);
        Assert.Equal(Ok, keyed.GrpcStatus);
    }

    [Fact]
    public async Task Frame_Compressed_ValidIsServedAndCorruptIsInternal()
    {
        // Arrange
        await using var app = NewApp();
        using var client = Client(app);
        var message = new WireWriter().String(1, "Build a CLI in Go").ToArray();
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(message);
        }

        // Act
        var valid = await SendAsync(client, "/grump.gateway.v1.IntentService/ParseIntent", WireWriter.Frame(output.ToArray(), compressed: true), UserKey, "gzip");
        var corrupt = await SendAsync(client, "/grump.gateway.v1.IntentService/ParseIntent", WireWriter.Frame([0x1f, 0x8b, 7, 0, 0, 0, 0, 0, 0, 0xff, 0xde, 0xad], compressed: true), UserKey, "gzip");
        var deflate = await SendAsync(client, "/grump.gateway.v1.IntentService/ParseIntent", WireWriter.Frame([0x78, 0x00, 0x07, 0x00], compressed: true), UserKey, "deflate");
        var unannounced = await SendAsync(client, "/grump.gateway.v1.IntentService/ParseIntent", WireWriter.Frame(output.ToArray(), compressed: true), UserKey);

        // Assert
        Assert.Equal(Ok, valid.GrpcStatus);
        Assert.True(corrupt.GrpcStatus == Internal && corrupt.GrpcMessage!.Contains("could not be decompressed", StringComparison.Ordinal), corrupt.ToString());
        Assert.True(deflate.GrpcStatus == Internal, deflate.ToString());
        Assert.Equal(Internal, unannounced.GrpcStatus);
    }

    [Fact]
    public async Task Frame_BrokenFraming_IsInternalAndOversizeIsResourceExhausted()
    {
        // Arrange
        await using var app = NewApp();
        using var client = Client(app);
        var message = new WireWriter().String(1, "hello").ToArray();
        const string path = "/grump.gateway.v1.IntentService/ParseIntent";

        // Act
        var lying = await SendAsync(client, path, WireWriter.Frame(message, declaredLength: message.Length + 10), UserKey);
        var twoMessages = await SendAsync(client, path, [.. WireWriter.Frame(message), .. WireWriter.Frame(message)], UserKey);
        var empty = await SendAsync(client, path, [], UserKey);
        var oversize = await SendAsync(client, path, WireWriter.Frame(new WireWriter().String(1, new string('x', (4 << 20) + 10)).ToArray()), UserKey);

        // Assert
        Assert.Equal(Internal, lying.GrpcStatus);
        Assert.Equal(Internal, twoMessages.GrpcStatus);
        Assert.Equal(Internal, empty.GrpcStatus);
        Assert.Equal(ResourceExhausted, oversize.GrpcStatus);
    }

    private static GatewayApp NewApp() => new GatewayApp(new Dictionary<string, string?>
    {
        ["Auth:Keys:0:Key"] = UserKey,
        ["Auth:Keys:0:Tenant"] = "frames",
    }).Start();

    private static FuzzClient Client(GatewayApp app) => new(app.GrpcUrl, app.HttpUrl, TestTimeouts.Default);

    private static Task<FuzzAnswer> SendAsync(FuzzClient client, string path, byte[] body, string? key, string? encoding = null)
    {
        var target = FuzzSurface.Grpc.Single(t => t.Path == path);
        var headers = encoding is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["grpc-encoding"] = encoding };
        return client.SendAsync(new GrpcCase("test", target, body, headers, Valid: false), key, TestContext.Current.CancellationToken).DefaultTimeout();
    }
}
