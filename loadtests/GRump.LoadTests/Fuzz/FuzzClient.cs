using System.Net;
using System.Net.Http.Headers;

namespace GRump.LoadTests.Fuzz;

/// <summary>What came back: the HTTP status, and for gRPC the grpc-status (trailers, or headers of a trailers-only answer).</summary>
internal readonly record struct FuzzAnswer(int HttpStatus, int? GrpcStatus, string? GrpcMessage, bool HungUp);

/// <summary>
/// Sends the fuzzer's requests as raw bytes: gRPC over HTTP/2 with prior knowledge (h2c), exactly the frames the
/// fuzzer built, and HTTP/1.1 requests with any body and content type. No gRPC or JSON library stands between the
/// fuzzer and the gateway.
/// </summary>
internal sealed class FuzzClient : IDisposable
{
    private readonly HttpClient _grpc;
    private readonly HttpClient _http;
    private readonly Uri _grpcUrl;
    private readonly Uri _httpUrl;
    private readonly TimeSpan _timeout;

    public FuzzClient(Uri grpcUrl, Uri httpUrl, TimeSpan timeout)
    {
        _grpcUrl = grpcUrl;
        _httpUrl = httpUrl;
        _timeout = timeout;
        _grpc = new HttpClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = true, UseCookies = false, AllowAutoRedirect = false })
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = timeout,
        };
        _http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, MaxConnectionsPerServer = 64 }) { Timeout = timeout };
    }

    public async Task<FuzzAnswer> SendAsync(GrpcCase call, string? apiKey, CancellationToken cancellationToken)
    {
        using var bounded = Bound(cancellationToken);
        cancellationToken = bounded.Token;
        using var request = Grpc(call.Target.Path, call.Body);
        request.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse(call.Headers.GetValueOrDefault("content-type", "application/grpc"));
        request.Headers.TryAddWithoutValidation("te", "trailers");
        foreach (var (name, value) in call.Headers)
        {
            if (name != "content-type")
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        Authorize(request, apiKey);
        using var response = await _grpc.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var headerStatus = Status(response.Headers);
        if (call.Target.Endless && headerStatus is null && response.StatusCode == HttpStatusCode.OK)
        {
            // An endless stream that started: its headers are the answer; disposing the response resets the stream.
            return new FuzzAnswer((int)response.StatusCode, null, null, HungUp: true);
        }
        await response.Content.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        var status = headerStatus ?? Status(response.TrailingHeaders);
        var message = Message(response.Headers) ?? Message(response.TrailingHeaders);
        return new FuzzAnswer((int)response.StatusCode, status, message, HungUp: false);
    }

    public async Task<FuzzAnswer> SendAsync(HttpCase call, string? apiKey, CancellationToken cancellationToken)
    {
        using var bounded = Bound(cancellationToken);
        cancellationToken = bounded.Token;
        using var request = new HttpRequestMessage(new HttpMethod(call.Method), _httpUrl.GetLeftPart(UriPartial.Authority) + call.Path);
        if (call.Body is not null)
        {
            request.Content = new ByteArrayContent(call.Body);
            if (call.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", call.ContentType);
            }
        }
        Authorize(request, apiKey);
        // A body over a door's limit is refused from its Content-Length before it is read; a client that does not
        // wait for "100 Continue" then writes into a closed connection and never sees the 413.
        request.Headers.ExpectContinue = call.Body?.Length > (1 << 20);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (call.Target.Endless && response.StatusCode == HttpStatusCode.OK)
        {
            return new FuzzAnswer((int)response.StatusCode, null, null, HungUp: true);
        }
        await response.Content.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        return new FuzzAnswer((int)response.StatusCode, null, null, HungUp: false);
    }

    /// <summary>GET on the HTTP port (health after the run).</summary>
    public async Task<int> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(_httpUrl, path), cancellationToken).ConfigureAwait(false);
        return (int)response.StatusCode;
    }

    /// <summary>grpc.health.v1.Health/Check for the whole server: the grpc-status and the serving status (1 = SERVING).</summary>
    public async Task<(int? GrpcStatus, int ServingStatus)> CheckHealthAsync(CancellationToken cancellationToken)
    {
        using var request = Grpc("/grpc.health.v1.Health/Check", WireWriter.Frame([]));
        request.Content!.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        using var response = await _grpc.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var status = Status(response.Headers) ?? Status(response.TrailingHeaders);
        var length = body.Length >= 5 ? (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1, 4)) : -1;
        var serving = length >= 0 && body.Length >= 5 + length ? (int)global::Grpc.Health.V1.HealthCheckResponse.Parser.ParseFrom(body.AsSpan(5, length)).Status : 0;
        return (status, serving);
    }

    /// <summary>An HTTP/2 request (a request message's version is its own: the client's default does not apply to it).</summary>
    private HttpRequestMessage Grpc(string path, byte[] body) => new(HttpMethod.Post, new Uri(_grpcUrl, path))
    {
        Content = new ByteArrayContent(body),
        Version = HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    /// <summary>The whole call — headers and body — within the timeout (HttpClient.Timeout stops at the headers).</summary>
    private CancellationTokenSource Bound(CancellationToken cancellationToken)
    {
        var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(_timeout);
        return bounded;
    }

    private static void Authorize(HttpRequestMessage request, string? apiKey)
    {
        if (apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + apiKey);
        }
    }

    private static int? Status(HttpHeaders headers) =>
        headers.TryGetValues("grpc-status", out var values) && int.TryParse(values.FirstOrDefault(), out var status) ? status : null;

    private static string? Message(HttpHeaders headers) =>
        headers.TryGetValues("grpc-message", out var values) ? Uri.UnescapeDataString(values.FirstOrDefault() ?? string.Empty) : null;

    public void Dispose()
    {
        _grpc.Dispose();
        _http.Dispose();
    }
}
