using System.Text.Json;

namespace GRump.Fakes.Internal;

/// <summary>The Anthropic Messages wire format: JSON body, or SSE with named events.</summary>
internal static class AnthropicResponder
{
    public static async Task MessagesAsync(FakeExchange x, bool hasVersionHeader)
    {
        if (!await x.PrologueAsync(x.Behavior.Latency, anthropic: true))
        {
            return;
        }

        // The checks the real API makes that an adapter bug would trip.
        var invalid = x.Request.Invalid
            ?? (hasVersionHeader ? null : "anthropic-version: header is required")
            ?? (x.Request.HasMaxTokens ? null : "max_tokens: Field required")
            ?? (x.Request.HasMessages ? null : "messages: Field required");
        if (invalid is not null)
        {
            await x.WriteErrorAsync(400, "invalid_request_error", null, invalid, anthropic: true);
            return;
        }

        var behavior = x.Behavior;
        var content = behavior.Content ?? FakeUpstream.DefaultContentFor(x.Request.LastUserText);
        var pieces = FakeUpstream.SplitContent(content, behavior.Chunks);
        var texts = x.Request.System is { } system ? x.Request.MessageTexts.Prepend(system) : x.Request.MessageTexts;
        var inputTokens = behavior.PromptTokens ?? FakeUpstream.PromptTokensFor(texts);
        var outputTokens = behavior.CompletionTokens ?? (behavior.CompletionTokensUpToLimit is { } unlimited ? x.Request.MaxTokens ?? unlimited : pieces.Count);
        var stopReason = behavior.FinishReason ?? "end_turn";
        var id = "msg_" + Guid.CreateVersion7().ToString("N");

        if (!x.Request.Stream)
        {
            x.StartResponse(200, "application/json");
            if (behavior.HoldBeforeFirstChunk is not null || behavior.FirstChunkDelay > TimeSpan.Zero)
            {
                await x.FlushAsync();
                await x.HoldAsync(behavior.HoldBeforeFirstChunk);
                await x.DelayAsync(behavior.FirstChunkDelay);
            }

            if (behavior.CutAfterChunks is not null)
            {
                await x.CutAsync();
                return;
            }

            var json = x.BeginJson();
            json.WriteStartObject();
            WriteMessageHead(json, id, x.Model);
            json.WriteStartArray("content"u8);
            json.WriteStartObject();
            json.WriteString("type"u8, "text"u8);
            json.WriteString("text"u8, content);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteString("stop_reason"u8, stopReason);
            json.WriteNull("stop_sequence"u8);
            if (behavior.IncludeUsage)
            {
                WriteUsage(json, inputTokens, outputTokens);
                x.ReportUsage(inputTokens, outputTokens);
            }

            json.WriteEndObject();
            x.EndJson();
            await x.FlushAsync();
            return;
        }

        x.StartResponse(200, "text/event-stream; charset=utf-8");

        var e = x.BeginEvent("message_start"u8);
        e.WriteStartObject();
        e.WriteString("type"u8, "message_start"u8);
        e.WriteStartObject("message"u8);
        WriteMessageHead(e, id, x.Model);
        e.WriteStartArray("content"u8);
        e.WriteEndArray();
        e.WriteNull("stop_reason"u8);
        e.WriteNull("stop_sequence"u8);
        if (behavior.IncludeUsage)
        {
            WriteUsage(e, inputTokens, 1);
            x.ReportUsage(inputTokens, 1);
        }

        e.WriteEndObject();
        e.WriteEndObject();
        await x.EndEventAsync();

        e = x.BeginEvent("content_block_start"u8);
        e.WriteStartObject();
        e.WriteString("type"u8, "content_block_start"u8);
        e.WriteNumber("index"u8, 0);
        e.WriteStartObject("content_block"u8);
        e.WriteString("type"u8, "text"u8);
        e.WriteString("text"u8, ""u8);
        e.WriteEndObject();
        e.WriteEndObject();
        await x.EndEventAsync();

        e = x.BeginEvent("ping"u8);
        e.WriteStartObject();
        e.WriteString("type"u8, "ping"u8);
        e.WriteEndObject();
        await x.EndEventAsync();

        await x.HoldAsync(behavior.HoldBeforeFirstChunk);
        await x.DelayAsync(behavior.FirstChunkDelay);
        for (var i = 0; i <= pieces.Count; i++)
        {
            if (FakeExchange.Due(behavior.CutAfterChunks, i, pieces.Count))
            {
                await x.CutAsync();
                return;
            }

            if (FakeExchange.Due(behavior.StreamErrorEvent, i, pieces.Count))
            {
                e = x.BeginEvent("error"u8);
                e.WriteStartObject();
                FakeExchange.WriteAnthropicError(e, behavior.ErrorType ?? "overloaded_error", behavior.ErrorMessage ?? "Overloaded");
                e.WriteEndObject();
                await x.EndEventAsync();
                return;
            }

            if (i == pieces.Count)
            {
                break;
            }

            if (i > 0)
            {
                await x.DelayAsync(behavior.ChunkDelay);
            }

            e = x.BeginEvent("content_block_delta"u8);
            e.WriteStartObject();
            e.WriteString("type"u8, "content_block_delta"u8);
            e.WriteNumber("index"u8, 0);
            e.WriteStartObject("delta"u8);
            e.WriteString("type"u8, "text_delta"u8);
            e.WriteString("text"u8, pieces[i]);
            e.WriteEndObject();
            e.WriteEndObject();
            await x.EndEventAsync();
        }

        e = x.BeginEvent("content_block_stop"u8);
        e.WriteStartObject();
        e.WriteString("type"u8, "content_block_stop"u8);
        e.WriteNumber("index"u8, 0);
        e.WriteEndObject();
        await x.EndEventAsync();

        e = x.BeginEvent("message_delta"u8);
        e.WriteStartObject();
        e.WriteString("type"u8, "message_delta"u8);
        e.WriteStartObject("delta"u8);
        e.WriteString("stop_reason"u8, stopReason);
        e.WriteNull("stop_sequence"u8);
        e.WriteEndObject();
        if (behavior.IncludeUsage)
        {
            e.WriteStartObject("usage"u8);
            e.WriteNumber("output_tokens"u8, outputTokens);
            e.WriteEndObject();
            x.ReportUsage(inputTokens, outputTokens);
        }

        e.WriteEndObject();
        await x.EndEventAsync();

        e = x.BeginEvent("message_stop"u8);
        e.WriteStartObject();
        e.WriteString("type"u8, "message_stop"u8);
        e.WriteEndObject();
        await x.EndEventAsync();
    }

    private static void WriteMessageHead(Utf8JsonWriter json, string id, string model)
    {
        json.WriteString("id"u8, id);
        json.WriteString("type"u8, "message"u8);
        json.WriteString("role"u8, "assistant"u8);
        json.WriteString("model"u8, model);
    }

    private static void WriteUsage(Utf8JsonWriter json, int inputTokens, int outputTokens)
    {
        json.WriteStartObject("usage"u8);
        json.WriteNumber("input_tokens"u8, inputTokens);
        json.WriteNumber("output_tokens"u8, outputTokens);
        json.WriteEndObject();
    }
}
