using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using GRump.Gateway.Auth;
using GRump.Gateway.Chat;
using GRump.Gateway.Embeddings;
using GRump.Gateway.Errors;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing;
using GRump.Gateway.V1;
using Microsoft.AspNetCore.Http.Features;

namespace GRump.Gateway.OpenAi;

/// <summary>
/// The OpenAI-compatible API on the HTTP port, through the same pipeline as gRPC: <c>POST /v1/chat/completions</c>
/// (JSON, or SSE <c>data:</c> chunks ending <c>data: [DONE]</c>), <c>POST /v1/embeddings</c>, <c>GET /v1/models</c>.
/// Responses carry <c>x-grump-model</c>, <c>x-grump-provider</c>, <c>x-grump-cache</c>, <c>x-grump-cost-usd</c> and
/// <c>x-grump-overhead-ms</c>; a stream's cost is in its last chunk's <c>x_grump</c> object (headers are gone by then).
/// Other <c>/v1/*</c> paths fall through to the YARP passthrough.
/// </summary>
internal static class OpenAiEndpoints
{
    public static IEndpointRouteBuilder MapOpenAiEndpoints(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1");
        v1.MapPost("/chat/completions", ChatCompletionsAsync);
        v1.MapPost("/embeddings", EmbeddingsAsync);
        v1.MapGet("/models", ModelsAsync);
        v1.MapGet("/models/{**id}", OpenAiModels.GetAsync);
        return app;
    }

    private static async Task ChatCompletionsAsync(HttpContext context, ChatPipeline pipeline, TimeProvider time)
    {
        try
        {
            var caller = context.GetCaller();
            var body = await OpenAiRequestReader.ReadAsync(context, OpenAiJsonContext.Default.OpenAiChatRequest).ConfigureAwait(false);
            var request = ToChatRequest(body);
            if (body.Stream == true)
            {
                await StreamAsync(context, pipeline, time, caller, request, body.StreamOptions?.IncludeUsage == true).ConfigureAwait(false);
                return;
            }
            var response = await pipeline.CompleteAsync(request, caller, context.RequestAborted).ConfigureAwait(false);
            SetHeaders(context.Response, response.Outcome);
            context.Response.ContentType = "application/json";
            using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
            writer.WriteStartObject();
            writer.WriteString("id", response.Id);
            writer.WriteString("object", "chat.completion");
            writer.WriteNumber("created", time.GetUtcNow().ToUnixTimeSeconds());
            writer.WriteString("model", response.Outcome.Model);
            writer.WriteStartArray("choices");
            writer.WriteStartObject();
            writer.WriteNumber("index", 0);
            writer.WriteStartObject("message");
            writer.WriteString("role", "assistant");
            writer.WriteString("content", response.Content);
            writer.WriteEndObject();
            writer.WriteString("finish_reason", response.FinishReason);
            writer.WriteEndObject();
            writer.WriteEndArray();
            WriteUsage(writer, response.Outcome);
            WriteGrump(writer, response.Outcome);
            writer.WriteEndObject();
            await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (GatewayException ex) when (!context.Response.HasStarted)
        {
            await OpenAiErrors.WriteAsync(context, ex).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; the pipeline cancelled the upstream call.
        }
    }

    private static async Task StreamAsync(HttpContext context, ChatPipeline pipeline, TimeProvider time, Caller caller, ChatRequest request, bool includeUsage)
    {
        var response = context.Response;
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        var id = string.Empty;
        var model = string.Empty;
        using var writer = new Utf8JsonWriter(response.BodyWriter);
        try
        {
            await foreach (var item in pipeline.StreamAsync(request, caller, context.RequestAborted).ConfigureAwait(false))
            {
                switch (item.EventCase)
                {
                    case StreamCompleteResponse.EventOneofCase.Start:
                        id = item.Start.Id;
                        model = item.Start.Model;
                        response.Headers["x-grump-model"] = item.Start.Model;
                        response.Headers["x-grump-provider"] = item.Start.Provider;
                        response.Headers["x-grump-cache"] = CacheHeader(item.Start.Cache);
                        response.Headers.CacheControl = "no-cache";
                        response.Headers["x-accel-buffering"] = "no";
                        response.ContentType = "text/event-stream";
                        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
                        await WriteChunkAsync(context, writer, id, created, model, role: true, content: string.Empty, finish: null).ConfigureAwait(false);
                        break;
                    case StreamCompleteResponse.EventOneofCase.Delta:
                        await WriteChunkAsync(context, writer, id, created, model, role: false, item.Delta.Content, finish: null).ConfigureAwait(false);
                        break;
                    case StreamCompleteResponse.EventOneofCase.End:
                        await WriteChunkAsync(context, writer, id, created, model, role: false, content: null, item.End.FinishReason,
                            outcome: includeUsage ? null : item.End.Outcome).ConfigureAwait(false);
                        if (includeUsage)
                        {
                            await WriteUsageChunkAsync(context, writer, id, created, model, item.End.Outcome).ConfigureAwait(false);
                        }
                        response.BodyWriter.Write("data: [DONE]\n\n"u8);
                        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                        break;
                    default:
                        break;
                }
            }
        }
        catch (GatewayException ex) when (!response.HasStarted)
        {
            await OpenAiErrors.WriteAsync(context, ex).ConfigureAwait(false);
        }
        catch (GatewayException ex)
        {
            // Mid-stream: an error event (as OpenAI sends one) and no [DONE], so no client mistakes the partial answer
            // for a whole one. Not an abort: that could drop the error event still in the transport.
            BeginEvent(context, writer);
            OpenAiErrors.WriteObject(writer, ex);
            await EndEventAsync(context, writer, CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
    }

    private static async ValueTask WriteChunkAsync(HttpContext context, Utf8JsonWriter writer, string id, long created, string model, bool role,
        string? content, string? finish, ChatOutcome? outcome = null)
    {
        BeginEvent(context, writer);
        writer.WriteStartObject();
        WriteChunkHeader(writer, id, created, model);
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WriteStartObject("delta");
        if (role)
        {
            writer.WriteString("role", "assistant");
        }
        if (content is not null)
        {
            writer.WriteString("content", content);
        }
        writer.WriteEndObject();
        if (finish is null)
        {
            writer.WriteNull("finish_reason");
        }
        else
        {
            writer.WriteString("finish_reason", finish);
        }
        writer.WriteEndObject();
        writer.WriteEndArray();
        if (outcome is not null)
        {
            WriteGrump(writer, outcome);
        }
        writer.WriteEndObject();
        await EndEventAsync(context, writer, context.RequestAborted).ConfigureAwait(false);
    }

    private static async ValueTask WriteUsageChunkAsync(HttpContext context, Utf8JsonWriter writer, string id, long created, string model, ChatOutcome outcome)
    {
        BeginEvent(context, writer);
        writer.WriteStartObject();
        WriteChunkHeader(writer, id, created, model);
        writer.WriteStartArray("choices");
        writer.WriteEndArray();
        WriteUsage(writer, outcome);
        WriteGrump(writer, outcome);
        writer.WriteEndObject();
        await EndEventAsync(context, writer, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>An SSE event: <c>data: </c>, the JSON the writer writes, a blank line; flushed so it leaves now.</summary>
    private static void BeginEvent(HttpContext context, Utf8JsonWriter writer)
    {
        context.Response.BodyWriter.Write("data: "u8);
        writer.Reset(context.Response.BodyWriter);
    }

    private static async ValueTask EndEventAsync(HttpContext context, Utf8JsonWriter writer, CancellationToken cancellationToken)
    {
        writer.Flush();
        context.Response.BodyWriter.Write("\n\n"u8);
        await context.Response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void WriteChunkHeader(Utf8JsonWriter writer, string id, long created, string model)
    {
        writer.WriteString("id", id);
        writer.WriteString("object", "chat.completion.chunk");
        writer.WriteNumber("created", created);
        writer.WriteString("model", model);
    }

    private static void WriteUsage(Utf8JsonWriter writer, ChatOutcome outcome)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", outcome.Usage.InputTokens);
        writer.WriteNumber("completion_tokens", outcome.Usage.OutputTokens);
        writer.WriteNumber("total_tokens", outcome.Usage.InputTokens + outcome.Usage.OutputTokens);
        writer.WriteEndObject();
    }

    /// <summary>The gateway's account of the call, as an extension object OpenAI clients ignore.</summary>
    private static void WriteGrump(Utf8JsonWriter writer, ChatOutcome outcome)
    {
        writer.WriteStartObject("x_grump");
        writer.WriteString("provider", outcome.Provider);
        writer.WriteString("cache", CacheHeader(outcome.Cache));
        writer.WriteNumber("cost_usd", outcome.CostUsd);
        writer.WriteNumber("cache_savings_usd", outcome.CacheSavingsUsd);
        writer.WriteNumber("routing_savings_usd", outcome.RoutingSavingsUsd);
        writer.WriteNumber("overhead_ms", outcome.OverheadMs);
        writer.WriteBoolean("usage_estimated", outcome.Usage.Estimated);
        if (outcome.Routing is { } routing)
        {
            writer.WriteNumber("complexity", routing.Score);
            writer.WriteString("tier", routing.Tier.ToString().ToLowerInvariant());
            writer.WriteString("reason", routing.Reason);
        }
        writer.WriteEndObject();
    }

    private static void SetHeaders(HttpResponse response, ChatOutcome outcome)
    {
        response.Headers["x-grump-model"] = outcome.Model;
        response.Headers["x-grump-provider"] = outcome.Provider;
        response.Headers["x-grump-cache"] = CacheHeader(outcome.Cache);
        response.Headers["x-grump-cost-usd"] = outcome.CostUsd.ToString("0.#########", CultureInfo.InvariantCulture);
        response.Headers["x-grump-overhead-ms"] = outcome.OverheadMs.ToString("0.###", CultureInfo.InvariantCulture);
    }

    private static string CacheHeader(CacheTier tier) => tier switch
    {
        CacheTier.L1 => "L1",
        CacheTier.L2 => "L2",
        CacheTier.L3 => "L3",
        _ => "MISS",
    };

    private static async Task EmbeddingsAsync(HttpContext context, EmbeddingPipeline pipeline)
    {
        try
        {
            var caller = context.GetCaller();
            var body = await OpenAiRequestReader.ReadAsync(context, OpenAiJsonContext.Default.OpenAiEmbeddingRequest).ConfigureAwait(false);
            // OpenAI names the field `input`: validate here so errors say so (the pipeline's own check names `inputs`).
            var inputs = Strings(body.Input, "input", EmbeddingLimits.MaxInputs);
            if (inputs.Count == 0)
            {
                GatewayErrors.ThrowInvalidArgument("input", "must be a non-empty string or array of strings");
            }
            EmbeddingLimits.Validate(inputs, "input");
            var base64 = body.EncodingFormat switch
            {
                null or "" or "float" => false,
                "base64" => true,
                _ => throw new GatewayException(GatewayErrorKind.InvalidArgument, "encoding_format: must be 'float' or 'base64'", [new("encoding_format", "must be 'float' or 'base64'")]),
            };
            var result = await pipeline.EmbedAsync(caller.Tenant, body.Model ?? string.Empty, inputs, body.Dimensions, context.RequestAborted).ConfigureAwait(false);
            var vectors = result.Vectors;
            context.Response.Headers["x-grump-model"] = result.Model;
            context.Response.Headers["x-grump-provider"] = result.Provider;
            context.Response.Headers["x-grump-cache"] = result.Cache;
            context.Response.Headers["x-grump-cost-usd"] = result.CostUsd.ToString("0.#########", CultureInfo.InvariantCulture);
            context.Response.ContentType = "application/json";
            using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
            writer.WriteStartObject();
            writer.WriteString("object", "list");
            writer.WriteStartArray("data");
            for (var i = 0; i < vectors.Count; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("object", "embedding");
                writer.WriteNumber("index", i);
                if (base64)
                {
                    writer.WriteBase64String("embedding", MemoryMarshal.AsBytes(vectors[i].AsSpan()));
                }
                else
                {
                    writer.WriteStartArray("embedding");
                    foreach (var value in vectors[i])
                    {
                        writer.WriteNumberValue(value);
                    }
                    writer.WriteEndArray();
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteString("model", result.Model);
            writer.WriteStartObject("usage");
            writer.WriteNumber("prompt_tokens", result.InputTokens);
            writer.WriteNumber("total_tokens", result.InputTokens);
            writer.WriteEndObject();
            writer.WriteEndObject();
            await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (GatewayException ex) when (!context.Response.HasStarted)
        {
            await OpenAiErrors.WriteAsync(context, ex).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
    }

    private static async Task ModelsAsync(HttpContext context, IProviderDirectory providers, ModelRegistry registry)
    {
        try
        {
            _ = context.GetCaller();
        }
        catch (GatewayException ex)
        {
            await OpenAiErrors.WriteAsync(context, ex).ConfigureAwait(false);
            return;
        }
        context.Response.ContentType = "application/json";
        using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
        writer.WriteStartObject();
        writer.WriteString("object", "list");
        writer.WriteStartArray("data");
        foreach (var model in OpenAiModels.Available(providers, registry))
        {
            OpenAiModels.Write(writer, model);
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static ChatRequest ToChatRequest(OpenAiChatRequest body)
    {
        if (body.Messages is not { Count: > 0 })
        {
            GatewayErrors.ThrowInvalidArgument("messages", "must be a non-empty array of {role, content}");
        }
        if (body.N is { } n && n != 1)
        {
            GatewayErrors.ThrowInvalidArgument("n", "only 1 choice per request is supported");
        }
        var request = new ChatRequest
        {
            Model = body.Model is null or "auto" ? string.Empty : body.Model,
            MaxTokens = body.MaxCompletionTokens ?? body.MaxTokens ?? 0,
            Cache = body.Cache?.ToUpperInvariant() switch
            {
                null or "" or "ON" => CacheMode.On,
                "OFF" => CacheMode.Off,
                "READ_ONLY" => CacheMode.ReadOnly,
                "WRITE_ONLY" => CacheMode.WriteOnly,
                _ => throw new GatewayException(GatewayErrorKind.InvalidArgument, "x_grump_cache: must be ON, OFF, READ_ONLY or WRITE_ONLY",
                    [new("x_grump_cache", "must be ON, OFF, READ_ONLY or WRITE_ONLY")]),
            },
        };
        if (body.Temperature is { } temperature)
        {
            request.Temperature = temperature;
        }
        if (body.TopP is { } topP)
        {
            request.TopP = topP;
        }
        if (body.Seed is { } seed)
        {
            request.Seed = seed;
        }
        request.Stop.AddRange(Strings(body.Stop, "stop", ChatLimits.MaxStopSequences));
        for (var i = 0; i < body.Messages.Count; i++)
        {
            var message = body.Messages[i];
            request.Messages.Add(new ChatMessage { Role = message.Role ?? string.Empty, Content = Content(message.Content, i) });
        }
        return request;
    }

    /// <summary>A message's text: a string, or the concatenated <c>text</c> parts of a content array.</summary>
    private static string Content(JsonElement content, int index)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return OpenAiRequestReader.Text(content, $"messages[{index}].content");
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return string.Empty;
            case JsonValueKind.Array:
                var parts = new List<string>();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var type) && type.ValueEquals("text"u8)
                        && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        parts.Add(OpenAiRequestReader.Text(text, $"messages[{index}].content"));
                        continue;
                    }
                    GatewayErrors.ThrowInvalidArgument($"messages[{index}].content", "only text content parts are supported");
                }
                return string.Concat(parts);
            default:
                GatewayErrors.ThrowInvalidArgument($"messages[{index}].content", "must be a string or an array of text parts");
                return string.Empty;
        }
    }

    private static List<string> Strings(JsonElement value, string field, int max)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return [];
            case JsonValueKind.String:
                return [OpenAiRequestReader.Text(value, field)];
            case JsonValueKind.Array:
                var count = value.GetArrayLength();
                if (count > max)
                {
                    GatewayErrors.ThrowInvalidArgument(field, $"has {count} items; at most {max} are allowed");
                }
                var list = new List<string>(count);
                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        GatewayErrors.ThrowInvalidArgument(field, "must contain only strings");
                    }
                    list.Add(OpenAiRequestReader.Text(item, field));
                }
                return list;
            default:
                GatewayErrors.ThrowInvalidArgument(field, "must be a string or an array of strings");
                return [];
        }
    }
}
