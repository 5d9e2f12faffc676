using System.Runtime.InteropServices;
using System.Text.Json;
using GRump.Gateway.Auth;
using GRump.Gateway.Caching;
using GRump.Gateway.Chat;
using GRump.Gateway.Embeddings;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Errors;
using GRump.Gateway.Hosting;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing;

namespace GRump.Gateway.OpenAi;

/// <summary>
/// The OpenAI-compatible door on the HTTP port, through the same pipelines as gRPC: <c>POST /v1/chat/completions</c>
/// (JSON, or SSE chunks ending <c>data: [DONE]</c>), <c>POST /v1/embeddings</c>, <c>GET /v1/models[/{id}]</c>. This file
/// is the HTTP plumbing; <see cref="ChatCompletionsReader"/> and <see cref="ChatCompletionsWriter"/> translate.
/// </summary>
internal static class OpenAiEndpoints
{
    /// <summary>The largest request body the OpenAI door reads (images travel inline as data URLs).</summary>
    public const long MaxBodyBytes = RequestLimits.OpenAiMaxBodyBytes;

    public static IEndpointRouteBuilder MapOpenAiEndpoints(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1");
        v1.MapPost("/chat/completions", ChatCompletionsAsync);
        v1.MapPost("/responses", ResponsesEndpoint.HandleAsync);
        v1.MapPost("/embeddings", EmbeddingsAsync);
        v1.MapGet("/models", ModelsAsync);
        v1.MapGet("/models/{**id}", ModelAsync);
        return app;
    }

    private static async Task ChatCompletionsAsync(HttpContext context, ChatPipeline pipeline, TimeProvider time)
    {
        try
        {
            var caller = context.GetCaller();
            ChatCompletionsReader.Read request;
            using (var body = await JsonBody.ReadAsync(context, MaxBodyBytes).ConfigureAwait(false))
            {
                request = ChatCompletionsReader.Parse(body.RootElement);
            }

            var created = time.GetUtcNow().ToUnixTimeSeconds();
            if (request.Stream)
            {
                await StreamAsync(context, pipeline.StreamAsync(request.Chat, caller, context.RequestAborted), created, request.IncludeUsage).ConfigureAwait(false);
                return;
            }

            var result = await pipeline.CompleteAsync(request.Chat, caller, context.RequestAborted).ConfigureAwait(false);
            GrumpHeaders.WriteOutcome(context.Response, result.Outcome);
            context.Response.ContentType = "application/json";
            using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
            ChatCompletionsWriter.WriteCompletion(writer, result, created);
            await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (GatewayException ex) when (!context.Response.HasStarted)
        {
            await OpenAiErrors.WriteAsync(context, ex).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; the pipeline cancelled the upstream call and billed what it produced.
        }
    }

    private static async Task StreamAsync(HttpContext context, IAsyncEnumerable<ChatEvent> events, long created, bool includeUsage)
    {
        using var sse = new SseWriter(context);
        var id = string.Empty;
        var model = string.Empty;
        try
        {
            await foreach (var item in events.ConfigureAwait(false))
            {
                if (item is ChatStarted started)
                {
                    id = started.Id;
                    model = started.Model;
                    GrumpHeaders.WriteStart(context.Response, started.Model, started.Provider, started.Cache);
                    SseWriter.Start(context);
                }

                ChatCompletionsWriter.WriteChunk(sse.BeginEvent(), item, id, created, model, includeUsage);
                await sse.EndEventAsync(context.RequestAborted).ConfigureAwait(false);
                if (item is ChatEnded { Outcome: { } outcome })
                {
                    if (includeUsage)
                    {
                        ChatCompletionsWriter.WriteUsageChunk(sse.BeginEvent(), outcome, id, created, model);
                        await sse.EndEventAsync(context.RequestAborted).ConfigureAwait(false);
                    }

                    await sse.WriteDataAsync("[DONE]"u8.ToArray(), context.RequestAborted).ConfigureAwait(false);
                }
            }
        }
        catch (GatewayException ex) when (!context.Response.HasStarted)
        {
            await OpenAiErrors.WriteAsync(context, ex).ConfigureAwait(false);
        }
        catch (GatewayException ex)
        {
            // Mid-stream: an error event (as OpenAI sends one) and no [DONE], so no client mistakes the partial answer
            // for a whole one. Not an abort: that could drop the error event still in the transport.
            OpenAiErrors.WriteObject(sse.BeginEvent(), ex);
            await sse.EndEventAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task EmbeddingsAsync(HttpContext context, EmbeddingPipeline pipeline)
    {
        try
        {
            var caller = context.GetCaller();
            string? model;
            List<string> inputs;
            bool base64;
            int? dimensions;
            CacheAccess cache;
            using (var body = await JsonBody.ReadAsync(context, MaxBodyBytes).ConfigureAwait(false))
            {
                var root = body.RootElement;
                model = JsonBody.String(root, "model", "model");
                // OpenAI names the field `input`: validate here so errors say so (the pipeline's own check names `inputs`).
                inputs = JsonBody.Strings(root, "input", "input", EmbeddingLimits.MaxInputs);
                if (inputs.Count == 0)
                {
                    throw JsonBody.Invalid("input", "must be a non-empty string or array of strings");
                }

                base64 = JsonBody.String(root, "encoding_format", "encoding_format") switch
                {
                    null or "" or "float" => false,
                    "base64" => true,
                    _ => throw JsonBody.Invalid("encoding_format", "must be 'float' or 'base64'"),
                };
                dimensions = JsonBody.Int(root, "dimensions", "dimensions");
                // The gateway's extension, as on chat: absent = on (embeddings are deterministic).
                cache = ChatCompletionsReader.CacheMode(JsonBody.String(root, "x_grump_cache", "x_grump_cache")).ToAccess();
            }

            EmbeddingLimits.Validate(inputs, "input");
            var result = await pipeline.EmbedAsync(caller.Tenant, model is null or "auto" ? string.Empty : model, inputs, dimensions, cache, context.RequestAborted).ConfigureAwait(false);
            GrumpHeaders.WriteEmbedding(context.Response, result.Model, result.Provider, result.Cache, result.CostUsd);
            context.Response.ContentType = "application/json";
            using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
            writer.WriteStartObject();
            writer.WriteString("object", "list");
            writer.WriteStartArray("data");
            for (var i = 0; i < result.Vectors.Count; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("object", "embedding");
                writer.WriteNumber("index", i);
                if (base64)
                {
                    writer.WriteBase64String("embedding", MemoryMarshal.AsBytes(result.Vectors[i].AsSpan()));
                }
                else
                {
                    writer.WritePropertyName("embedding");
                    EmbeddingJson.WriteVector(writer, result.Vectors[i]);
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
        catch (Exception ex) when (ex is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
        }
    }

    /// <summary>The models this gateway can serve: those whose provider is configured.</summary>
    private static async Task ModelsAsync(HttpContext context, IProviderDirectory providers, ModelRegistry registry)
    {
        context.Response.ContentType = "application/json";
        using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
        writer.WriteStartObject();
        writer.WriteString("object", "list");
        writer.WriteStartArray("data");
        foreach (var model in registry.Models)
        {
            if (providers.IsAvailable(model.Provider))
            {
                WriteModel(writer, model);
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task ModelAsync(HttpContext context, string id, IProviderDirectory providers, ModelRegistry registry)
    {
        if (!registry.TryGet(id, out var model) || !providers.IsAvailable(model.Provider))
        {
            await OpenAiErrors.WriteAsync(context, new GatewayException(GatewayErrorKind.NotFound, $"The model '{id}' does not exist on this gateway; GET /v1/models lists those it serves.")
            { Reason = "MODEL_NOT_FOUND" }).ConfigureAwait(false);
            return;
        }

        context.Response.ContentType = "application/json";
        using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
        WriteModel(writer, model);
        await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static void WriteModel(Utf8JsonWriter writer, ModelDefinition model)
    {
        writer.WriteStartObject();
        writer.WriteString("id", model.Id);
        writer.WriteString("object", "model");
        writer.WriteNumber("created", 0);
        writer.WriteString("owned_by", model.Provider);
        writer.WriteEndObject();
    }
}
