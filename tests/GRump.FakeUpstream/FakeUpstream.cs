using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using GRump.Fakes.Internal;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace GRump.Fakes;

/// <summary>
/// A real HTTP server on 127.0.0.1 that speaks the OpenAI (chat completions, embeddings, models) and Anthropic
/// (messages) wire formats, answers any other <c>/v1/</c> path with an echo of its method and path, does what the
/// queued <see cref="FakeBehavior"/>s say, and records every request.
/// </summary>
/// <remarks>
/// Every request under <c>/v1/</c> takes the next queued behaviour in arrival order, or <see cref="Default"/> when the
/// queue is empty. Default token counts: prompt = <see cref="PromptTokensFor"/> (words + 2 per message, the Anthropic
/// <c>system</c> counted as a message), completion = number of content chunks, embeddings = <see cref="EmbeddingTokensFor"/>.
/// </remarks>
public sealed class FakeUpstream : IAsyncDisposable
{
    public const int DefaultEmbeddingDimensions = 8;

    /// <summary>Upper bound of <see cref="WaitForRequestAsync"/> and <see cref="WaitForAbortAsync"/>.</summary>
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(30);

    private readonly WebApplication _app;
    private readonly FakeUpstreamOptions _options;
    private readonly ConcurrentQueue<FakeBehavior> _behaviors = new();
    private readonly Lock _lock = new();
    private readonly Queue<RecordedRequest> _recorded = new();
    private readonly List<Waiter> _waiters = [];
    private readonly CancellationTokenSource _stopping = new();
    private long _requestCount;
    private int _inFlight;
    private int _maxConcurrency;
    private volatile FakeBehavior _default;

    private FakeUpstream(WebApplication app, FakeUpstreamOptions options)
    {
        _app = app;
        _options = options;
        _default = options.Default;
    }

    /// <summary><c>http://127.0.0.1:&lt;port&gt;</c>, no trailing slash.</summary>
    public string BaseUrl { get; private set; } = "";

    public int Port { get; private set; }

    /// <summary>The behaviour for requests that find the queue empty.</summary>
    public FakeBehavior Default
    {
        get => _default;
        set => _default = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Model ids listed by <c>GET /v1/models</c>.</summary>
    public IReadOnlyList<string> Models { get; set; } = ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small", "claude-3-5-haiku-latest"];

    /// <summary>A snapshot of the recorded requests in arrival order (the most recent <see cref="FakeUpstreamOptions.RecordLimit"/>).</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _recorded];
            }
        }
    }

    /// <summary>Requests received since start or <see cref="Reset"/>.</summary>
    public long RequestCount => Interlocked.Read(ref _requestCount);

    /// <summary>Requests being handled right now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The most requests handled at the same time since start or <see cref="Reset"/>.</summary>
    public int MaxConcurrency => Volatile.Read(ref _maxConcurrency);

    public static Task<FakeUpstream> StartAsync(CancellationToken cancellationToken) =>
        StartAsync(new FakeUpstreamOptions(), cancellationToken);

    /// <summary>Starts Kestrel (HTTP/1.1) on 127.0.0.1 and returns once it accepts connections.</summary>
    public static async Task<FakeUpstream> StartAsync(FakeUpstreamOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);

        // The empty builder reads no appsettings.json and no environment: the fake must not pick up the gateway's
        // configuration from a shared output folder.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        // A flush completes only once the socket took the bytes, so a programmed cut (Abort) never drops chunks the
        // fake already "sent": without this, Abort can discard output still queued in the transport.
        builder.WebHost.UseSockets(sockets => sockets.MaxWriteBufferSize = 1);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, options.Port, listen => listen.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddRoutingCore();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
        var app = builder.Build();

        var fake = new FakeUpstream(app, options);
        fake.Map(app);
        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.Port = new Uri(address).Port;
        fake.BaseUrl = $"http://127.0.0.1:{fake.Port}";
        return fake;
    }

    /// <summary>Queues a behaviour for the next request that arrives.</summary>
    public void Enqueue(FakeBehavior behavior)
    {
        ArgumentNullException.ThrowIfNull(behavior);
        _behaviors.Enqueue(behavior);
    }

    /// <summary>Forgets recorded requests, queued behaviours and counters, and restores the default behaviour.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _recorded.Clear();
            _behaviors.Clear();
            Interlocked.Exchange(ref _requestCount, 0);
            Volatile.Write(ref _maxConcurrency, Volatile.Read(ref _inFlight));
            _default = _options.Default;
        }
    }

    /// <summary>
    /// The first recorded request (already there or still to come, or one whose state changes later) that matches;
    /// throws <see cref="TimeoutException"/> after <see cref="WaitTimeout"/>.
    /// </summary>
    public async Task<RecordedRequest> WaitForRequestAsync(Func<RecordedRequest, bool> predicate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        Waiter waiter;
        lock (_lock)
        {
            foreach (var request in _recorded)
            {
                if (predicate(request))
                {
                    return request;
                }
            }

            waiter = new Waiter(predicate, new TaskCompletionSource<RecordedRequest>(TaskCreationOptions.RunContinuationsAsynchronously));
            _waiters.Add(waiter);
        }

        try
        {
            return await waiter.Completion.Task.WaitAsync(WaitTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No request matched within {WaitTimeout}. Recorded:\n{string.Join("\n", Requests)}");
        }
        finally
        {
            lock (_lock)
            {
                _waiters.Remove(waiter);
            }
        }
    }

    /// <summary>A request whose RequestAborted fired while the fake was still answering it (the client went away).</summary>
    public Task<RecordedRequest> WaitForAbortAsync(CancellationToken cancellationToken) =>
        WaitForRequestAsync(static r => r.Aborted, cancellationToken);

    /// <summary>
    /// The embedding the fake returns for <paramref name="text"/>: [UTF-16 length, then values in (-0.1, 0.1) drawn from
    /// a SplitMix64 sequence seeded with the SHA-256 of the UTF-8 text]. Like a real model's, the values use every bit of
    /// a float (their text is 9–14 characters: <c>-0.012345678</c>), so JSON work is measured at its real size.
    /// </summary>
    public static float[] VectorFor(string text, int dimensions = DefaultEmbeddingDimensions)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        var vector = new float[dimensions];
        vector[0] = text.Length;
        var state = BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        for (var i = 1; i < dimensions; i++)
        {
            // SplitMix64 (Steele, Lea and Flood, 2014): one 64-bit draw per value, 53 of its bits as a double in [0, 1).
            state += 0x9E37_79B9_7F4A_7C15;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9;
            z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB;
            z ^= z >> 31;
            vector[i] = (float)(((z >> 11) * (1.0 / (1UL << 53)) * 2 - 1) * 0.1);
        }

        return vector;
    }

    /// <summary>The default answer: <c>"Echo: " + the last user message's text</c>.</summary>
    public static string DefaultContentFor(string lastUserText) => "Echo: " + lastUserText;

    /// <summary>Default prompt tokens: for each message, its whitespace-separated words + 2.</summary>
    public static int PromptTokensFor(IEnumerable<string> messageTexts)
    {
        ArgumentNullException.ThrowIfNull(messageTexts);
        var tokens = 0;
        foreach (var text in messageTexts)
        {
            tokens += CountWords(text) + 2;
        }

        return tokens;
    }

    /// <summary>Default embedding prompt tokens: for each input, its whitespace-separated words, at least 1.</summary>
    public static int EmbeddingTokensFor(IEnumerable<string> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var tokens = 0;
        foreach (var input in inputs)
        {
            tokens += Math.Max(1, CountWords(input));
        }

        return tokens;
    }

    public static int CountWords(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = 0;
        var inWord = false;
        foreach (var c in text)
        {
            var space = char.IsWhiteSpace(c);
            if (!space && !inWord)
            {
                words++;
            }

            inWord = !space;
        }

        return words;
    }

    /// <summary>
    /// The content split into min(<paramref name="chunks"/>, length) nearly equal pieces (at least one) that
    /// concatenate exactly to it; a surrogate pair is never split.
    /// </summary>
    public static IReadOnlyList<string> SplitContent(string content, int chunks)
    {
        ArgumentNullException.ThrowIfNull(content);
        var count = Math.Max(1, Math.Min(chunks, content.Length));
        var pieces = new string[count];
        var start = 0;
        for (var i = 0; i < count; i++)
        {
            var end = i == count - 1 ? content.Length : Math.Max(start, (int)((long)content.Length * (i + 1) / count));
            if (end > 0 && end < content.Length && char.IsHighSurrogate(content[end - 1]))
            {
                end++;
            }

            pieces[i] = content[start..end];
            start = end;
        }

        return pieces;
    }

    public async ValueTask DisposeAsync()
    {
        // Release held and delayed requests first, so stopping does not wait for gates a test never opened.
        await _stopping.CancelAsync();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    /// <summary>Changes a recorded request under the lock and wakes the waiters it now satisfies.</summary>
    internal void Update<TState>(RecordedRequest request, TState state, Action<RecordedRequest, TState> change)
    {
        lock (_lock)
        {
            change(request, state);
            NotifyLocked(request);
        }
    }

    private void Map(WebApplication app)
    {
        app.MapPost("/v1/chat/completions", (RequestDelegate)(http => HandleAsync(http, FakeEndpoint.ChatCompletions)));
        app.MapPost("/v1/embeddings", (RequestDelegate)(http => HandleAsync(http, FakeEndpoint.Embeddings)));
        app.MapGet("/v1/models", (RequestDelegate)(http => HandleAsync(http, FakeEndpoint.Models)));
        app.MapPost("/v1/messages", (RequestDelegate)(http => HandleAsync(http, FakeEndpoint.Messages)));
        app.Map("/v1/{**rest}", (RequestDelegate)(http => HandleAsync(http, FakeEndpoint.Passthrough)));
    }

    private async Task HandleAsync(HttpContext http, FakeEndpoint endpoint)
    {
        var behavior = _behaviors.TryDequeue(out var queued) ? queued : _default;
        var sequence = Interlocked.Increment(ref _requestCount);
        var inFlight = Interlocked.Increment(ref _inFlight);
        for (var max = Volatile.Read(ref _maxConcurrency); inFlight > max; max = Volatile.Read(ref _maxConcurrency))
        {
            if (Interlocked.CompareExchange(ref _maxConcurrency, inFlight, max) == max)
            {
                break;
            }
        }

        RecordedRequest? record = null;
        try
        {
            byte[] body;
            try
            {
                using var buffer = new MemoryStream();
                await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
                body = buffer.ToArray();
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or Microsoft.AspNetCore.Http.BadHttpRequestException)
            {
                return;
            }

            var request = endpoint is FakeEndpoint.ChatCompletions or FakeEndpoint.Embeddings or FakeEndpoint.Messages
                ? ParsedRequest.Parse(body)
                : ParsedRequest.Empty;
            record = new RecordedRequest
            {
                Sequence = sequence,
                Endpoint = endpoint,
                Method = http.Request.Method,
                Path = http.Request.Path.Value ?? "",
                QueryString = http.Request.QueryString.Value ?? "",
                Headers = CopyHeaders(http.Request.Headers),
                Body = Encoding.UTF8.GetString(body),
                Model = request.Model,
                Stream = request.Stream,
                Inputs = [.. request.Inputs],
            };
            Add(record);

            using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _stopping.Token);
            using var exchange = new FakeExchange(this, http, record, behavior, request, _options.TimeProvider, cancellation.Token);
            try
            {
                await (behavior.RawBody is not null ? RawAsync(exchange, behavior) : endpoint switch
                {
                    FakeEndpoint.ChatCompletions => OpenAiResponder.ChatAsync(exchange),
                    FakeEndpoint.Embeddings => OpenAiResponder.EmbeddingsAsync(exchange),
                    FakeEndpoint.Models => OpenAiResponder.ModelsAsync(exchange, Models),
                    FakeEndpoint.Messages => AnthropicResponder.MessagesAsync(exchange, http.Request.Headers.ContainsKey("anthropic-version")),
                    _ => OpenAiResponder.PassthroughAsync(exchange, record.Method, record.Path),
                });
                Update(record, true, static (r, _) => r.Completed = !r.Cut);
            }
            catch (Exception e) when (cancellation.IsCancellationRequested && e is OperationCanceledException or IOException)
            {
                // The client went away, the fake cut the connection on purpose, or the fake is stopping. Decided here
                // rather than in a RequestAborted callback: the handler can finish before such a callback runs.
                if (http.RequestAborted.IsCancellationRequested)
                {
                    Update(record, true, static (r, _) => r.Aborted = !r.Cut);
                }
            }
            catch (Exception e)
            {
                Update(record, e.ToString(), static (r, error) => r.Error = error);
                if (!http.Response.HasStarted)
                {
                    http.Response.StatusCode = StatusCodes.Status500InternalServerError;
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            if (record is not null)
            {
                Update(record, true, static (r, _) => r.Finished = true);
            }
        }
    }

    /// <summary>A recorded wire response, sent as it is.</summary>
    private static async Task RawAsync(FakeExchange exchange, FakeBehavior behavior)
    {
        var body = behavior.RawBody!;
        var sse = body.StartsWith("event:", StringComparison.Ordinal) || body.StartsWith("data:", StringComparison.Ordinal);
        exchange.StartResponse(behavior.StatusCode ?? 200, behavior.RawContentType ?? (sse ? "text/event-stream; charset=utf-8" : "application/json"));
        await exchange.WriteRawAsync(Encoding.UTF8.GetBytes(body));
    }

    private static Dictionary<string, string> CopyHeaders(IHeaderDictionary headers)
    {
        var copy = new Dictionary<string, string>(headers.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in headers)
        {
            copy[name] = values.ToString();
        }

        return copy;
    }

    private void Add(RecordedRequest request)
    {
        lock (_lock)
        {
            _recorded.Enqueue(request);
            while (_recorded.Count > _options.RecordLimit)
            {
                _recorded.Dequeue();
            }

            NotifyLocked(request);
        }
    }

    private void NotifyLocked(RecordedRequest request)
    {
        foreach (var waiter in _waiters)
        {
            try
            {
                if (waiter.Predicate(request))
                {
                    waiter.Completion.TrySetResult(request);
                }
            }
            catch (Exception e)
            {
                waiter.Completion.TrySetException(e);
            }
        }
    }

    private sealed record Waiter(Func<RecordedRequest, bool> Predicate, TaskCompletionSource<RecordedRequest> Completion);
}
