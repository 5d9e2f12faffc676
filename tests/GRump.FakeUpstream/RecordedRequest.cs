namespace GRump.Fakes;

/// <summary>Which wire format a request was answered in.</summary>
public enum FakeEndpoint
{
    /// <summary>POST /v1/chat/completions (OpenAI).</summary>
    ChatCompletions,

    /// <summary>POST /v1/embeddings (OpenAI).</summary>
    Embeddings,

    /// <summary>GET /v1/models (OpenAI).</summary>
    Models,

    /// <summary>POST /v1/messages (Anthropic).</summary>
    Messages,

    /// <summary>Any other path under /v1/.</summary>
    Passthrough,
}

/// <summary>
/// One request the fake received. Request fields are fixed at arrival; outcome fields change while it is handled
/// (wait for them with <see cref="FakeUpstream.WaitForRequestAsync"/>).
/// </summary>
public sealed class RecordedRequest
{
    /// <summary>Arrival order, starting at 1 (not reset by <see cref="FakeUpstream.Reset"/>).</summary>
    public required long Sequence { get; init; }

    public required FakeEndpoint Endpoint { get; init; }

    public required string Method { get; init; }

    public required string Path { get; init; }

    public string QueryString { get; init; } = "";

    /// <summary>A copy of the request headers (case-insensitive names, multiple values joined with a comma).</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    public required string Body { get; init; }

    public string? Model { get; init; }

    public bool Stream { get; init; }

    /// <summary>The embedding inputs, in order (empty for other endpoints).</summary>
    public IReadOnlyList<string> Inputs { get; init; } = [];

    /// <summary>The full response was written (a success or an error status).</summary>
    public bool Completed { get; internal set; }

    /// <summary>The request's RequestAborted fired before the response finished (the client went away); not set by a programmed cut.</summary>
    public bool Aborted { get; internal set; }

    /// <summary>The fake cut the connection on purpose (<see cref="FakeBehavior.CutAfterChunks"/>).</summary>
    public bool Cut { get; internal set; }

    /// <summary>The handler has returned, whatever the outcome.</summary>
    public bool Finished { get; internal set; }

    /// <summary>Programmed delays (latency, chunk delays) started so far; each one's timer exists once it is counted.</summary>
    public int Delays { get; internal set; }

    /// <summary>The status code the fake chose (0 until the response starts).</summary>
    public int StatusCode { get; internal set; }

    /// <summary>Prompt (input) tokens the fake reported in the response, 0 if none.</summary>
    public int ReportedPromptTokens { get; internal set; }

    /// <summary>Completion (output) tokens the fake reported in the response, 0 if none.</summary>
    public int ReportedCompletionTokens { get; internal set; }

    /// <summary>An unexpected exception inside the fake (a bug in the fake), else null.</summary>
    public string? Error { get; internal set; }

    /// <summary>The header value, or null when absent.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public override string ToString() =>
        $"#{Sequence} {Method} {Path} model={Model} stream={Stream} status={StatusCode} completed={Completed} aborted={Aborted} cut={Cut} finished={Finished} error={Error}";
}
