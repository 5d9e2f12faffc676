using System.Text.Json;
using GRump.Gateway.Auth;
using GRump.Gateway.Chat;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Errors;
using GRump.Gateway.OpenAi;

namespace GRump.Gateway.Anthropic;

/// <summary>
/// The Anthropic Messages door on the HTTP port (Claude Code and the Anthropic SDKs point <c>ANTHROPIC_BASE_URL</c>
/// here): <c>POST /v1/messages</c> through the one chat pipeline — key (<c>x-api-key</c> or Bearer), rate limit,
/// routing when the model is <c>auto</c>, cache, budget, provider, ledger — and <c>POST /v1/messages/count_tokens</c>.
/// <c>anthropic-version</c> and <c>anthropic-beta</c> headers are accepted and not needed. This file is the HTTP
/// plumbing; <see cref="MessagesReader"/> and <see cref="MessagesWriter"/> translate.
/// </summary>
internal static class AnthropicEndpoints
{
    public static IEndpointRouteBuilder MapAnthropicEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/messages", MessagesAsync);
        app.MapPost("/v1/messages/count_tokens", CountTokensAsync);
        return app;
    }

    private static async Task MessagesAsync(HttpContext context, ChatPipeline pipeline)
    {
        try
        {
            var caller = context.GetCaller();
            MessagesReader.Read request;
            using (var body = await JsonBody.ReadAsync(context, OpenAiEndpoints.MaxBodyBytes).ConfigureAwait(false))
            {
                request = MessagesReader.Parse(body.RootElement, countTokens: false);
            }

            request.Validate();
            if (request.Stream)
            {
                await StreamAsync(context, pipeline.StreamAsync(request.Chat, caller, context.RequestAborted)).ConfigureAwait(false);
                return;
            }

            var result = await pipeline.CompleteAsync(request.Chat, caller, context.RequestAborted).ConfigureAwait(false);
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
            using (var json = new Utf8JsonWriter(buffer))
            {
                // Written before the status leaves: a tool call the message cannot carry is still a clean error response.
                MessagesWriter.WriteMessage(json, result);
            }

            GrumpHeaders.WriteOutcome(context.Response, result.Outcome);
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
        }
        catch (GatewayException ex) when (!context.Response.HasStarted)
        {
            await AnthropicErrors.WriteAsync(context, ex).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; the pipeline cancelled the upstream call and billed what it produced.
        }
    }

    private static async Task StreamAsync(HttpContext context, IAsyncEnumerable<ChatEvent> events)
    {
        using var sse = new SseWriter(context);
        var stream = new MessagesStream(sse, context.RequestAborted);
        try
        {
            await foreach (var item in events.ConfigureAwait(false))
            {
                switch (item)
                {
                    case ChatStarted started:
                        GrumpHeaders.WriteStart(context.Response, started.Model, started.Provider, started.Cache);
                        SseWriter.Start(context);
                        await stream.StartAsync(started).ConfigureAwait(false);
                        break;
                    case ChatEnded ended:
                        await stream.EndAsync(ended).ConfigureAwait(false);
                        break;
                    default:
                        await stream.DeltaAsync(item).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (GatewayException ex) when (!context.Response.HasStarted)
        {
            await AnthropicErrors.WriteAsync(context, ex).ConfigureAwait(false);
        }
        catch (GatewayException ex)
        {
            // Mid-stream: Anthropic's error event, and no message_stop.
            await stream.ErrorAsync(ex).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The prompt's input tokens as the gateway counts them (its tokenizer, the same count that routes and reserves
    /// budget; Anthropic's own tokenizer may differ by a few percent). Authenticated and rate limited; no model is called.
    /// </summary>
    private static async Task CountTokensAsync(HttpContext context, ChatPipeline pipeline, Auth.TenantRateLimiter rateLimiter)
    {
        try
        {
            var caller = context.GetCaller();
            MessagesReader.Read request;
            using (var body = await JsonBody.ReadAsync(context, OpenAiEndpoints.MaxBodyBytes).ConfigureAwait(false))
            {
                request = MessagesReader.Parse(body.RootElement, countTokens: true);
            }

            request.Validate();
            await rateLimiter.AdmitAsync(caller.Tenant, 0, context.RequestAborted).ConfigureAwait(false);
            var route = await pipeline.AnalyzeAsync(request.Chat, context.RequestAborted).ConfigureAwait(false);
            context.Response.Headers[GrumpHeaders.Model] = route.Model.Id;
            context.Response.Headers[GrumpHeaders.Provider] = route.Model.Provider;
            context.Response.ContentType = "application/json";
            using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
            writer.WriteStartObject();
            writer.WriteNumber("input_tokens", route.InputTokens);
            writer.WriteEndObject();
            await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (GatewayException ex) when (!context.Response.HasStarted)
        {
            await AnthropicErrors.WriteAsync(context, ex).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
        }
    }
}
