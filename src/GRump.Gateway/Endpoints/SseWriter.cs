using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace GRump.Gateway.Endpoints;

/// <summary>
/// Server-sent events onto a response, for the HTTP doors that stream (OpenAI Chat Completions and Responses,
/// Anthropic Messages): optional <c>event:</c> line, <c>data: </c> + one JSON object, a blank line, flushed so each event
/// leaves at once. One <see cref="Utf8JsonWriter"/> is reused for every event.
/// </summary>
internal sealed class SseWriter(HttpContext context) : IDisposable
{
    private readonly Utf8JsonWriter _json = new(context.Response.BodyWriter);

    /// <summary>Sets the streaming headers; call before the first event (headers leave with it).</summary>
    public static void Start(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["x-accel-buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    /// <summary>Begins an event and returns the writer for its JSON data; finish with <see cref="EndEventAsync"/>.</summary>
    public Utf8JsonWriter BeginEvent(ReadOnlySpan<byte> eventName = default)
    {
        var body = context.Response.BodyWriter;
        if (!eventName.IsEmpty)
        {
            body.Write("event: "u8);
            body.Write(eventName);
            body.Write("\n"u8);
        }

        body.Write("data: "u8);
        _json.Reset(body);
        return _json;
    }

    /// <summary>Ends the event and flushes it. <paramref name="cancellationToken"/> none for a last word (an error event).</summary>
    public async ValueTask EndEventAsync(CancellationToken cancellationToken)
    {
        _json.Flush();
        context.Response.BodyWriter.Write("\n\n"u8);
        await context.Response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A raw data line (OpenAI's <c>data: [DONE]</c>).</summary>
    public async ValueTask WriteDataAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var body = context.Response.BodyWriter;
        body.Write("data: "u8);
        body.Write(data.Span);
        body.Write("\n\n"u8);
        await body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _json.Dispose();
}
