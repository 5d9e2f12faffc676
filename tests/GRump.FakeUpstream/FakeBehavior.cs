namespace GRump.Fakes;

/// <summary>
/// What the fake does for one request. Every property is optional; <c>new FakeBehavior()</c> answers successfully with
/// the default echo content in <see cref="Chunks"/> pieces and usage included.
/// </summary>
public sealed record FakeBehavior
{
    /// <summary>Answer with this HTTP status and an error body in the endpoint's wire format (OpenAI or Anthropic).</summary>
    public int? StatusCode { get; init; }

    /// <summary>Overrides the error type in the error body (default derived from <see cref="StatusCode"/>).</summary>
    public string? ErrorType { get; init; }

    /// <summary>Overrides the error message in the error body.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>Sent as a <c>retry-after</c> header (whole seconds, rounded up) with any response.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Sent as a <c>location</c> header with any response (with a 3xx <see cref="StatusCode"/>: a redirect).</summary>
    public string? Location { get; init; }

    /// <summary>The answer text; default <c>"Echo: " + last user message text</c>.</summary>
    public string? Content { get; init; }

    /// <summary>How many pieces the content is split into (fewer when the content is shorter); they concatenate exactly to the content.</summary>
    public int Chunks { get; init; } = 4;

    /// <summary>Real-time delay before the response headers.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>Replaces <see cref="Latency"/> for <c>/v1/embeddings</c> requests when set.</summary>
    public TimeSpan? EmbeddingLatency { get; init; }

    /// <summary>Real-time delay after the headers, before the first content chunk.</summary>
    public TimeSpan FirstChunkDelay { get; init; }

    /// <summary>Real-time delay between content chunks.</summary>
    public TimeSpan ChunkDelay { get; init; }

    /// <summary>The fake awaits this before sending headers (complete a TaskCompletionSource to release; no sleeping).</summary>
    public Task? HoldBeforeHeaders { get; init; }

    /// <summary>
    /// The fake awaits this after the headers are flushed, before the first content chunk (for Anthropic streams after
    /// <c>message_start</c>, <c>content_block_start</c> and <c>ping</c>; for non-stream responses before the body).
    /// </summary>
    public Task? HoldBeforeFirstChunk { get; init; }

    /// <summary>When false no usage is sent at all (neither in a body nor in a stream).</summary>
    public bool IncludeUsage { get; init; } = true;

    /// <summary>OpenAI streams: put usage on the chunk that carries <c>finish_reason</c> instead of a separate chunk.</summary>
    public bool UsageWithLastContentChunk { get; init; }

    /// <summary>Reported prompt tokens; default see <see cref="FakeUpstream.PromptTokensFor"/>.</summary>
    public int? PromptTokens { get; init; }

    /// <summary>Reported completion tokens; default the number of content chunks.</summary>
    public int? CompletionTokens { get; init; }

    /// <summary>
    /// An upstream that produces as much as it is allowed: report the request's <c>max_tokens</c> as completion tokens, or
    /// this many when the request sets none. <see cref="CompletionTokens"/> wins when both are set.
    /// </summary>
    public int? CompletionTokensUpToLimit { get; init; }

    /// <summary>Send this many content chunks, then abort the connection (no finish, no <c>[DONE]</c>/<c>message_stop</c>).</summary>
    public int? CutAfterChunks { get; init; }

    /// <summary>
    /// Send this many content chunks, then an in-stream error and end the response: Anthropic <c>event: error</c>, OpenAI
    /// <c>data: {"error":{…}}</c>. The error type comes from <see cref="ErrorType"/> (default <c>overloaded_error</c> / <c>server_error</c>).
    /// </summary>
    public int? StreamErrorEvent { get; init; }

    /// <summary>Overrides <c>finish_reason</c> (OpenAI, default <c>stop</c>) / <c>stop_reason</c> (Anthropic, default <c>end_turn</c>).</summary>
    public string? FinishReason { get; init; }

    /// <summary>
    /// Serve exactly this body (a recorded wire response: a JSON completion or a whole SSE stream) with status 200 (or
    /// <see cref="StatusCode"/>) and <see cref="RawContentType"/>, whatever the request asked. For golden fixtures.
    /// </summary>
    public string? RawBody { get; init; }

    /// <summary>The content type of <see cref="RawBody"/>; default <c>text/event-stream</c> when it starts with <c>event:</c> or <c>data:</c>, else JSON.</summary>
    public string? RawContentType { get; init; }

    /// <summary>Embedding vector length; default the request's <c>dimensions</c>, else <see cref="FakeUpstream.DefaultEmbeddingDimensions"/>.</summary>
    public int? EmbeddingDimensions { get; init; }
}
