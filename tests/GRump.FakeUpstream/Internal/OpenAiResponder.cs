using System.Buffers.Binary;
using System.Text.Json;

namespace GRump.Fakes.Internal;

/// <summary>The OpenAI wire format: chat completions (JSON and SSE), embeddings, models, and the passthrough echo.</summary>
internal static class OpenAiResponder
{
    public static async Task ChatAsync(FakeExchange x)
    {
        if (!await x.PrologueAsync(x.Behavior.Latency, anthropic: false))
        {
            return;
        }

        var invalid = x.Request.Invalid ?? (x.Request.HasMessages ? null : "'messages' is a required property");
        if (invalid is not null)
        {
            await x.WriteErrorAsync(400, "invalid_request_error", null, invalid, anthropic: false);
            return;
        }

        var behavior = x.Behavior;
        var content = behavior.Content ?? FakeUpstream.DefaultContentFor(x.Request.LastUserText);
        var pieces = FakeUpstream.SplitContent(content, behavior.Chunks);
        var promptTokens = behavior.PromptTokens ?? FakeUpstream.PromptTokensFor(x.Request.MessageTexts);
        var completionTokens = behavior.CompletionTokens ?? (behavior.CompletionTokensUpToLimit is { } unlimited ? x.Request.MaxTokens ?? unlimited : pieces.Count);
        var finishReason = behavior.FinishReason ?? "stop";
        var id = "chatcmpl-" + Guid.CreateVersion7().ToString("N");

        if (!x.Request.Stream)
        {
            x.StartResponse(200, "application/json");
            if (!await BeforeBodyAsync(x))
            {
                return;
            }

            var json = x.BeginJson();
            json.WriteStartObject();
            WriteHeader(json, id, "chat.completion"u8, x);
            json.WriteStartArray("choices"u8);
            json.WriteStartObject();
            json.WriteNumber("index"u8, 0);
            json.WriteStartObject("message"u8);
            json.WriteString("role"u8, "assistant"u8);
            json.WriteString("content"u8, content);
            json.WriteEndObject();
            json.WriteString("finish_reason"u8, finishReason);
            json.WriteEndObject();
            json.WriteEndArray();
            if (behavior.IncludeUsage)
            {
                WriteUsage(json, promptTokens, completionTokens);
                x.ReportUsage(promptTokens, completionTokens);
            }

            json.WriteEndObject();
            x.EndJson();
            await x.FlushAsync();
            return;
        }

        var sendUsage = behavior.IncludeUsage && x.Request.IncludeUsage;
        x.StartResponse(200, "text/event-stream; charset=utf-8");
        await x.FlushAsync();
        await x.HoldAsync(behavior.HoldBeforeFirstChunk);
        await x.DelayAsync(behavior.FirstChunkDelay);
        for (var i = 0; i < pieces.Count; i++)
        {
            if (i > 0)
            {
                await x.DelayAsync(behavior.ChunkDelay);
            }

            if (await InterruptAsync(x, sent: i, pieces.Count))
            {
                return;
            }

            var last = i == pieces.Count - 1;
            var usageHere = last && sendUsage && behavior.UsageWithLastContentChunk;
            var json = x.BeginEvent(default);
            json.WriteStartObject();
            WriteHeader(json, id, "chat.completion.chunk"u8, x);
            json.WriteStartArray("choices"u8);
            json.WriteStartObject();
            json.WriteNumber("index"u8, 0);
            json.WriteStartObject("delta"u8);
            if (i == 0)
            {
                json.WriteString("role"u8, "assistant"u8);
            }

            json.WriteString("content"u8, pieces[i]);
            json.WriteEndObject();
            if (last)
            {
                json.WriteString("finish_reason"u8, finishReason);
            }
            else
            {
                json.WriteNull("finish_reason"u8);
            }

            json.WriteEndObject();
            json.WriteEndArray();
            if (usageHere)
            {
                WriteUsage(json, promptTokens, completionTokens);
                x.ReportUsage(promptTokens, completionTokens);
            }

            json.WriteEndObject();
            await x.EndEventAsync();
        }

        if (await InterruptAsync(x, sent: pieces.Count, pieces.Count))
        {
            return;
        }

        if (sendUsage && !behavior.UsageWithLastContentChunk)
        {
            var json = x.BeginEvent(default);
            json.WriteStartObject();
            WriteHeader(json, id, "chat.completion.chunk"u8, x);
            json.WriteStartArray("choices"u8);
            json.WriteEndArray();
            WriteUsage(json, promptTokens, completionTokens);
            json.WriteEndObject();
            x.ReportUsage(promptTokens, completionTokens);
            await x.EndEventAsync();
        }

        await x.WriteDoneAsync();
    }

    public static async Task EmbeddingsAsync(FakeExchange x)
    {
        if (!await x.PrologueAsync(x.Behavior.EmbeddingLatency ?? x.Behavior.Latency, anthropic: false))
        {
            return;
        }

        var invalid = x.Request.Invalid ?? (x.Request.Inputs.Count == 0 ? "'input' is a required property" : null);
        if (invalid is not null)
        {
            await x.WriteErrorAsync(400, "invalid_request_error", null, invalid, anthropic: false);
            return;
        }

        var dimensions = x.Behavior.EmbeddingDimensions ?? x.Request.Dimensions ?? FakeUpstream.DefaultEmbeddingDimensions;
        var promptTokens = x.Behavior.PromptTokens ?? FakeUpstream.EmbeddingTokensFor(x.Request.Inputs);
        x.StartResponse(200, "application/json");
        if (!await BeforeBodyAsync(x))
        {
            return;
        }

        var json = x.BeginJson();
        json.WriteStartObject();
        json.WriteString("object"u8, "list"u8);
        json.WriteStartArray("data"u8);
        var bytes = x.Request.Base64 ? new byte[dimensions * sizeof(float)] : null;
        for (var i = 0; i < x.Request.Inputs.Count; i++)
        {
            var vector = FakeUpstream.VectorFor(x.Request.Inputs[i], dimensions);
            json.WriteStartObject();
            json.WriteString("object"u8, "embedding"u8);
            json.WriteNumber("index"u8, i);
            if (bytes is not null)
            {
                for (var j = 0; j < vector.Length; j++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(j * sizeof(float)), vector[j]);
                }

                json.WriteBase64String("embedding"u8, bytes);
            }
            else
            {
                json.WriteStartArray("embedding"u8);
                foreach (var value in vector)
                {
                    json.WriteNumberValue(value);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteString("model"u8, x.Model);
        if (x.Behavior.IncludeUsage)
        {
            json.WriteStartObject("usage"u8);
            json.WriteNumber("prompt_tokens"u8, promptTokens);
            json.WriteNumber("total_tokens"u8, promptTokens);
            json.WriteEndObject();
            x.ReportUsage(promptTokens, 0);
        }

        json.WriteEndObject();
        x.EndJson();
        await x.FlushAsync();
    }

    public static async Task ModelsAsync(FakeExchange x, IReadOnlyList<string> models)
    {
        if (!await x.PrologueAsync(x.Behavior.Latency, anthropic: false))
        {
            return;
        }

        x.StartResponse(200, "application/json");
        var json = x.BeginJson();
        json.WriteStartObject();
        json.WriteString("object"u8, "list"u8);
        json.WriteStartArray("data"u8);
        foreach (var model in models)
        {
            json.WriteStartObject();
            json.WriteString("id"u8, model);
            json.WriteString("object"u8, "model"u8);
            json.WriteNumber("created"u8, x.Created);
            json.WriteString("owned_by"u8, "fake"u8);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        x.EndJson();
        await x.FlushAsync();
    }

    public static async Task PassthroughAsync(FakeExchange x, string method, string path)
    {
        if (!await x.PrologueAsync(x.Behavior.Latency, anthropic: false))
        {
            return;
        }

        x.StartResponse(200, "application/json");
        var json = x.BeginJson();
        json.WriteStartObject();
        json.WriteString("path"u8, path);
        json.WriteString("method"u8, method);
        json.WriteEndObject();
        x.EndJson();
        await x.FlushAsync();
    }

    /// <summary>Non-stream bodies: the first-chunk gate and a programmed cut apply before the body; false when cut.</summary>
    private static async Task<bool> BeforeBodyAsync(FakeExchange x)
    {
        if (x.Behavior.HoldBeforeFirstChunk is not null || x.Behavior.FirstChunkDelay > TimeSpan.Zero)
        {
            await x.FlushAsync();
            await x.HoldAsync(x.Behavior.HoldBeforeFirstChunk);
            await x.DelayAsync(x.Behavior.FirstChunkDelay);
        }

        if (x.Behavior.CutAfterChunks is not null)
        {
            await x.CutAsync();
            return false;
        }

        return true;
    }

    /// <summary>A programmed cut or in-stream error after <paramref name="sent"/> content chunks; true when the stream ended.</summary>
    private static async Task<bool> InterruptAsync(FakeExchange x, int sent, int total)
    {
        if (FakeExchange.Due(x.Behavior.CutAfterChunks, sent, total))
        {
            await x.CutAsync();
            return true;
        }

        if (FakeExchange.Due(x.Behavior.StreamErrorEvent, sent, total))
        {
            var json = x.BeginEvent(default);
            json.WriteStartObject();
            FakeExchange.WriteOpenAiError(json, x.Behavior.ErrorType ?? "server_error", null, x.Behavior.ErrorMessage ?? "Fake upstream stream error.");
            json.WriteEndObject();
            await x.EndEventAsync();
            return true;
        }

        return false;
    }

    private static void WriteHeader(Utf8JsonWriter json, string id, ReadOnlySpan<byte> objectName, FakeExchange x)
    {
        json.WriteString("id"u8, id);
        json.WriteString("object"u8, objectName);
        json.WriteNumber("created"u8, x.Created);
        json.WriteString("model"u8, x.Model);
    }

    private static void WriteUsage(Utf8JsonWriter json, int promptTokens, int completionTokens)
    {
        json.WriteStartObject("usage"u8);
        json.WriteNumber("prompt_tokens"u8, promptTokens);
        json.WriteNumber("completion_tokens"u8, completionTokens);
        json.WriteNumber("total_tokens"u8, promptTokens + completionTokens);
        json.WriteEndObject();
    }
}
