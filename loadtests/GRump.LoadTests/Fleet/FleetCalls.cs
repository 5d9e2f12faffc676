using System.Net.Http.Headers;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using GRump.Gateway.V1;

namespace GRump.LoadTests.Fleet;

/// <summary>What one call did: when it ran, how it ended, which replica the balancer chose (x-fleet-server).</summary>
internal sealed record CallRecord(string Kind, long Start, long End, string Status, string? Server, double CostUsd, CacheTier Cache)
{
    public const string Ok = "OK";

    public bool IsOk => Status == Ok;

    public double Milliseconds => (End - Start) * 1000.0 / TimeProvider.System.TimestampFrequency;
}

/// <summary>The calls the harness makes: gRPC Complete and StreamComplete, and /v1/chat/completions with SSE.</summary>
internal sealed class FleetCalls(Uri grpcUrl, Uri httpUrl) : IDisposable
{
    public const string Model = "moonshotai/kimi-k2.5";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(grpcUrl, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, ConnectTimeout = TimeSpan.FromSeconds(5) },
        DisposeHttpClient = true,
    });

    private readonly HttpClient _http = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5), MaxConnectionsPerServer = 64 })
    {
        BaseAddress = httpUrl,
        Timeout = Deadline,
    };

    public ChatService.ChatServiceClient Chat => new(_channel);

    public CostService.CostServiceClient Cost => new(_channel);

    public static Metadata Auth(string key) => [new("authorization", "Bearer " + key)];

    public static ChatRequest Request(string prompt, bool cached, int maxTokens = 32) => new()
    {
        Model = Model,
        Messages = { new ChatMessage { Role = "user", Content = prompt } },
        Temperature = 0,
        MaxTokens = maxTokens,
        Cache = cached ? CacheMode.On : CacheMode.Off,
    };

    public async Task<CallRecord> CompleteAsync(string key, ChatRequest request, CancellationToken cancellationToken)
    {
        var start = TimeProvider.System.GetTimestamp();
        string? server = null;
        try
        {
            using var call = Chat.CompleteAsync(new CompleteRequest { Chat = request }, Auth(key), TimeProvider.System.GetUtcNow().UtcDateTime + Deadline, cancellationToken);
            var response = await call.ResponseAsync.ConfigureAwait(false);
            server = ServerOf(await call.ResponseHeadersAsync.ConfigureAwait(false));
            return new CallRecord("grpc-unary", start, TimeProvider.System.GetTimestamp(), CallRecord.Ok, server, response.Outcome.CostUsd, response.Outcome.Cache);
        }
        catch (RpcException e)
        {
            return new CallRecord("grpc-unary", start, TimeProvider.System.GetTimestamp(), e.StatusCode.ToString(), server, 0, CacheTier.Unspecified);
        }
    }

    public async Task<CallRecord> StreamAsync(string key, ChatRequest request, CancellationToken cancellationToken)
    {
        var start = TimeProvider.System.GetTimestamp();
        string? server = null;
        try
        {
            using var call = Chat.StreamComplete(new StreamCompleteRequest { Chat = request }, Auth(key), TimeProvider.System.GetUtcNow().UtcDateTime + Deadline, cancellationToken);
            server = ServerOf(await call.ResponseHeadersAsync.ConfigureAwait(false));
            StreamEnd? end = null;
            var cache = CacheTier.Unspecified;
            await foreach (var item in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (item.EventCase == StreamCompleteResponse.EventOneofCase.Start)
                {
                    cache = item.Start.Cache;
                }
                else if (item.EventCase == StreamCompleteResponse.EventOneofCase.End)
                {
                    end = item.End;
                }
            }

            // A stream without its end event is cut, whatever the status said.
            return end is null
                ? new CallRecord("grpc-stream", start, TimeProvider.System.GetTimestamp(), "no end event", server, 0, cache)
                : new CallRecord("grpc-stream", start, TimeProvider.System.GetTimestamp(), CallRecord.Ok, server, end.Outcome.CostUsd, cache);
        }
        catch (RpcException e)
        {
            return new CallRecord("grpc-stream", start, TimeProvider.System.GetTimestamp(), e.StatusCode.ToString(), server, 0, CacheTier.Unspecified);
        }
    }

    public async Task<CallRecord> SseAsync(string key, string prompt, CancellationToken cancellationToken)
    {
        var start = TimeProvider.System.GetTimestamp();
        string? server = null;
        try
        {
            var json = $$"""{"model":"{{Model}}","stream":true,"max_tokens":32,"temperature":0,"x_grump_cache":"OFF","messages":[{"role":"user","content":"{{prompt}}"}]}""";
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            server = response.Headers.TryGetValues("x-fleet-server", out var values) ? values.FirstOrDefault() : null;
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var status = !response.IsSuccessStatusCode ? $"HTTP {(int)response.StatusCode}"
                : body.Contains("data: [DONE]", StringComparison.Ordinal) && !body.Contains("\"error\"", StringComparison.Ordinal) ? CallRecord.Ok
                : "SSE cut";
            return new CallRecord("http-sse", start, TimeProvider.System.GetTimestamp(), status, server, 0, CacheTier.Unspecified);
        }
        catch (HttpRequestException e)
        {
            return new CallRecord("http-sse", start, TimeProvider.System.GetTimestamp(), "HTTP error: " + (e.HttpRequestError.ToString()), server, 0, CacheTier.Unspecified);
        }
        catch (IOException)
        {
            return new CallRecord("http-sse", start, TimeProvider.System.GetTimestamp(), "SSE cut", server, 0, CacheTier.Unspecified);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new CallRecord("http-sse", start, TimeProvider.System.GetTimestamp(), "HTTP timeout", server, 0, CacheTier.Unspecified);
        }
    }

    /// <summary>GET <paramref name="path"/> on this client's HTTP base: the status code, or 0 when the connection failed.</summary>
    public async Task<int> GetStatusAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(path, cancellationToken).ConfigureAwait(false);
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    private static string? ServerOf(Metadata headers) => headers.GetValue("x-fleet-server");

    public void Dispose()
    {
        _channel.Dispose();
        _http.Dispose();
    }
}
