using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace GRump.Fakes.Internal;

/// <summary>One request being answered: the behaviour, the parsed body, and small helpers to pace and write the response.</summary>
internal sealed class FakeExchange(
    FakeUpstream owner,
    HttpContext http,
    RecordedRequest record,
    FakeBehavior behavior,
    ParsedRequest request,
    TimeProvider timeProvider,
    CancellationToken cancellationToken) : IDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private Utf8JsonWriter? _json;

    public FakeBehavior Behavior => behavior;

    public ParsedRequest Request => request;

    public RecordedRequest Record => record;

    public CancellationToken Cancellation => cancellationToken;

    public long Created { get; } = timeProvider.GetUtcNow().ToUnixTimeSeconds();

    public string Model => request.Model ?? "fake-model";

    private PipeWriter Body => http.Response.BodyWriter;

    /// <summary>Latency and the header gate; then, when the behaviour asks for an error status, writes it and returns false.</summary>
    public async Task<bool> PrologueAsync(TimeSpan latency, bool anthropic)
    {
        await DelayAsync(latency);
        await HoldAsync(behavior.HoldBeforeHeaders);
        if (behavior.StatusCode is not { } status)
        {
            return true;
        }

        var (openAiType, openAiCode, anthropicType) = ErrorKind(status);
        await WriteErrorAsync(status, anthropic ? anthropicType : openAiType, anthropic ? null : openAiCode, behavior.ErrorMessage ?? $"Fake upstream error {status}.", anthropic);
        return false;
    }

    /// <summary>True when a "after n chunks" setting fires now; n beyond the last chunk fires after the last one.</summary>
    public static bool Due(int? afterChunks, int sent, int total) =>
        afterChunks is { } n && Math.Clamp(n, 0, total) == sent;

    /// <summary>
    /// The programmed latency, on the fake's <see cref="TimeProvider"/>: a test gives the fake a fake clock and advances
    /// it (no real waiting); the standalone fake of the load tests runs on the system clock. The record counts the delay
    /// once its timer exists, so advancing the clock after seeing the count always releases it.
    /// </summary>
    public Task DelayAsync(TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }

        var delayed = Task.Delay(delay, timeProvider, cancellationToken);
        owner.Update(record, 0, static (r, _) => r.Delays++);
        return delayed;
    }

    public async Task HoldAsync(Task? gate)
    {
        if (gate is not null)
        {
            await gate.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Sets status and headers; they go out with the first flush.</summary>
    public void StartResponse(int status, string contentType)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = contentType;
        if (contentType.StartsWith("text/event-stream", StringComparison.Ordinal))
        {
            http.Response.Headers.CacheControl = "no-cache";
        }

        if (behavior.RetryAfter is { } retryAfter)
        {
            http.Response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        if (behavior.Location is { } location)
        {
            http.Response.Headers.Location = location;
        }

        owner.Update(record, status, static (r, s) => r.StatusCode = s);
    }

    /// <summary>Writes bytes as they are and flushes them.</summary>
    public async Task WriteRawAsync(ReadOnlyMemory<byte> bytes)
    {
        await Body.WriteAsync(bytes, cancellationToken);
        await FlushAsync();
    }

    public async Task FlushAsync()
    {
        await Body.FlushAsync(cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>A writer for one JSON value straight into the response body; end it with <see cref="EndJson"/>.</summary>
    public Utf8JsonWriter BeginJson()
    {
        if (_json is null)
        {
            _json = new Utf8JsonWriter(Body, WriterOptions);
        }
        else
        {
            _json.Reset(Body);
        }

        return _json;
    }

    public void EndJson() => _json!.Flush();

    /// <summary>Starts an SSE event (<c>event:</c> line when named) and returns the writer for its <c>data:</c> JSON.</summary>
    public Utf8JsonWriter BeginEvent(ReadOnlySpan<byte> eventName)
    {
        if (!eventName.IsEmpty)
        {
            Body.Write("event: "u8);
            Body.Write(eventName);
            Body.Write("\n"u8);
        }

        Body.Write("data: "u8);
        return BeginJson();
    }

    public Task EndEventAsync()
    {
        EndJson();
        Body.Write("\n\n"u8);
        return FlushAsync();
    }

    public Task WriteDoneAsync()
    {
        Body.Write("data: [DONE]\n\n"u8);
        return FlushAsync();
    }

    public void ReportUsage(int promptTokens, int completionTokens) =>
        owner.Update(record, (promptTokens, completionTokens), static (r, t) =>
        {
            r.ReportedPromptTokens = t.promptTokens;
            r.ReportedCompletionTokens = t.completionTokens;
        });

    /// <summary>Aborts the connection on purpose: the client sees a truncated response.</summary>
    public async Task CutAsync()
    {
        await FlushAsync();
        owner.Update(record, true, static (r, _) => r.Cut = true);
        http.Abort();
    }

    public async Task WriteErrorAsync(int status, string type, string? code, string message, bool anthropic)
    {
        StartResponse(status, "application/json");
        var json = BeginJson();
        json.WriteStartObject();
        if (anthropic)
        {
            WriteAnthropicError(json, type, message);
        }
        else
        {
            WriteOpenAiError(json, type, code, message);
        }

        json.WriteEndObject();
        EndJson();
        await FlushAsync();
    }

    /// <summary>The inside of <c>{"type":"error","error":{…}}</c>, shared by the error body and the stream error event.</summary>
    public static void WriteAnthropicError(Utf8JsonWriter json, string type, string message)
    {
        json.WriteString("type"u8, "error"u8);
        json.WriteStartObject("error"u8);
        json.WriteString("type"u8, type);
        json.WriteString("message"u8, message);
        json.WriteEndObject();
    }

    /// <summary>The inside of <c>{"error":{…}}</c>.</summary>
    public static void WriteOpenAiError(Utf8JsonWriter json, string type, string? code, string message)
    {
        json.WriteStartObject("error"u8);
        json.WriteString("message"u8, message);
        json.WriteString("type"u8, type);
        json.WriteNull("param"u8);
        if (code is null)
        {
            json.WriteNull("code"u8);
        }
        else
        {
            json.WriteString("code"u8, code);
        }

        json.WriteEndObject();
    }

    /// <summary>OpenAI type and code, Anthropic type, for an HTTP status (as the real APIs name them).</summary>
    private (string OpenAiType, string? OpenAiCode, string AnthropicType) ErrorKind(int status)
    {
        var kind = status switch
        {
            400 => ("invalid_request_error", null, "invalid_request_error"),
            401 => ("invalid_request_error", "invalid_api_key", "authentication_error"),
            403 => ("invalid_request_error", null, "permission_error"),
            404 => ("invalid_request_error", "model_not_found", "not_found_error"),
            413 => ("invalid_request_error", null, "request_too_large"),
            429 => ("requests", "rate_limit_exceeded", "rate_limit_error"),
            503 or 529 => ("server_error", null, "overloaded_error"),
            _ => ((string, string?, string))("server_error", null, "api_error"),
        };
        return behavior.ErrorType is { } type ? (type, kind.Item2, type) : kind;
    }

    public void Dispose() => _json?.Dispose();
}
