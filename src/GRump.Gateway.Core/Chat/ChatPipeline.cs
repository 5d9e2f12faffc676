using System.Runtime.CompilerServices;
using System.Threading.Channels;
using GRump.Gateway.Auth;
using GRump.Gateway.Errors;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing;
using GRump.Gateway.Tokens;
using GRump.Gateway.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Chat;

/// <summary>
/// The chat request path every front door shares (gRPC, REST, <c>/v1/chat/completions</c>): validate → route → call the
/// provider (falling back to the next model only while nothing has reached the client) → price the usage. Streams
/// end with an End event carrying usage and cost, or with an error — a cut stream is never a success.
/// </summary>
public sealed partial class ChatPipeline(
    IProviderDirectory providers,
    ModelRegistry registry,
    TenantRateLimiter rateLimiter,
    IOptions<ChatOptions> options,
    TimeProvider time,
    ILogger<ChatPipeline> logger)
{
    /// <summary>One whole completion.</summary>
    public async Task<CompleteResponse> CompleteAsync(ChatRequest request, Caller caller, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        ChatLimits.Validate(request);
        var route = Route(request);
        rateLimiter.Admit(caller.Tenant, route.InputTokens + request.MaxTokens);
        var candidates = Candidates(route.Model);
        for (var i = 0; ; i++)
        {
            var model = candidates[i];
            var beforeUpstream = time.GetElapsedTime(started);
            ChatCompletion completion;
            try
            {
                completion = await providers.GetChat(model.Provider).CompleteAsync(ToProvider(request, model), cancellationToken).ConfigureAwait(false);
            }
            catch (GatewayException ex) when (i + 1 < candidates.Count && CanFallBack(ex))
            {
                Log.FallingBack(logger, model.Id, candidates[i + 1].Id, ex.Message);
                continue;
            }
            var afterUpstream = time.GetTimestamp();
            var response = new CompleteResponse
            {
                Id = NewId(),
                Content = completion.Content,
                FinishReason = completion.FinishReason,
                Outcome = Outcome(route, model, completion.Usage),
            };
            response.Outcome.OverheadMs = (beforeUpstream + time.GetElapsedTime(afterUpstream)).TotalMilliseconds;
            return response;
        }
    }

    /// <summary>Start → deltas → End (usage and cost). Throws if the upstream fails; after Start that is the stream's error.</summary>
    public async IAsyncEnumerable<StreamCompleteResponse> StreamAsync(ChatRequest request, Caller caller, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        ChatLimits.Validate(request);
        var route = Route(request);
        rateLimiter.Admit(caller.Tenant, route.InputTokens + request.MaxTokens);
        var candidates = Candidates(route.Model);

        IAsyncEnumerator<ChatStreamEvent>? upstream = null;
        ModelDefinition model = route.Model;
        var beforeUpstream = TimeSpan.Zero;
        for (var i = 0; upstream is null; i++)
        {
            model = candidates[i];
            beforeUpstream = time.GetElapsedTime(started);
            var events = providers.GetChat(model.Provider).StreamAsync(ToProvider(request, model), cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                // Nothing reaches the client before the upstream's first event: until then another model may answer.
                if (!await events.MoveNextAsync().ConfigureAwait(false))
                {
                    throw new GatewayException(GatewayErrorKind.Unavailable, $"The upstream '{model.Provider}' sent an empty stream.") { Reason = "UPSTREAM_STREAM_CUT" };
                }
                upstream = events;
            }
            catch (GatewayException ex) when (i + 1 < candidates.Count && CanFallBack(ex))
            {
                await events.DisposeAsync().ConfigureAwait(false);
                Log.FallingBack(logger, model.Id, candidates[i + 1].Id, ex.Message);
            }
            catch
            {
                await events.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        await using (upstream.ConfigureAwait(false))
        {
            var id = NewId();
            var decision = Decision(route, model);
            yield return new StreamCompleteResponse
            {
                Start = new StreamStart { Id = id, Model = model.Id, Provider = model.Provider, Routing = decision, Cache = CacheTier.Miss },
            };
            while (true)
            {
                var current = upstream.Current;
                if (current.Kind == ChatStreamEventKind.End)
                {
                    var afterUpstream = time.GetTimestamp();
                    var outcome = Outcome(route, model, current.Usage);
                    outcome.OverheadMs = (beforeUpstream + time.GetElapsedTime(afterUpstream)).TotalMilliseconds;
                    yield return new StreamCompleteResponse { End = new StreamEnd { FinishReason = current.FinishReason, Outcome = outcome } };
                    yield break;
                }
                yield return new StreamCompleteResponse { Delta = new StreamDelta { Content = current.Text } };
                if (!await upstream.MoveNextAsync().ConfigureAwait(false))
                {
                    throw new GatewayException(GatewayErrorKind.Unavailable, $"The upstream '{model.Provider}' stream ended without its final event.")
                    { Reason = "UPSTREAM_STREAM_CUT" };
                }
            }
        }
    }

    /// <summary>
    /// Many completions with at most <see cref="ChatOptions.MaxParallel"/> (≤ 32) upstream calls in flight; each result
    /// is yielded as it finishes, with its index. One item's failure (invalid input included) is that item's error, not the call's.
    /// </summary>
    public async IAsyncEnumerable<ParallelCompleteResponse> ParallelAsync(
        IReadOnlyList<ChatRequest> requests, int maxConcurrency, Caller caller, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.Count == 0)
        {
            GatewayErrors.ThrowInvalidArgument("requests", "must contain at least one request");
        }
        if (requests.Count > ChatLimits.MaxParallelRequests)
        {
            GatewayErrors.ThrowInvalidArgument("requests", $"has {requests.Count} requests; at most {ChatLimits.MaxParallelRequests} are allowed");
        }
        if (maxConcurrency < 0)
        {
            GatewayErrors.ThrowInvalidArgument("max_concurrency", "must be 0 (default) or positive");
        }

        var limit = Math.Min(maxConcurrency == 0 ? options.Value.MaxParallel : maxConcurrency, options.Value.MaxParallel);
        var results = Channel.CreateBounded<ParallelCompleteResponse>(new BoundedChannelOptions(requests.Count)
        {
            SingleReader = true,
            AllowSynchronousContinuations = false,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var work = Task.Run(async () =>
        {
            try
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, requests.Count), new ParallelOptions { MaxDegreeOfParallelism = limit, CancellationToken = stop.Token },
                    async (index, token) =>
                    {
                        ParallelCompleteResponse item;
                        try
                        {
                            item = new ParallelCompleteResponse { Index = index, Response = await CompleteAsync(requests[index], caller, token).ConfigureAwait(false) };
                        }
                        catch (GatewayException ex)
                        {
                            item = new ParallelCompleteResponse { Index = index, Error = new ItemError { Code = (int)GatewayStatus.ToStatusCode(ex.Kind), Message = ex.Message } };
                        }
                        results.Writer.TryWrite(item);
                    }).ConfigureAwait(false);
                results.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                results.Writer.TryComplete(ex);
            }
        }, CancellationToken.None);

        try
        {
            await foreach (var item in results.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await work.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private ChatRoute Route(ChatRequest request)
    {
        var inputTokens = TokenCounter.Shared.CountPrompt(request.Messages.Select(m => new ChatTurn(m.Role, m.Content)).ToArray());
        if (request.Model.Length > 0)
        {
            if (!registry.TryGet(request.Model, out var named))
            {
                GatewayErrors.ThrowInvalidArgument("model", $"'{request.Model}' is not a known model; known: {string.Join(", ", registry.Models.Where(m => !m.Has("embedding")).Select(m => m.Id))}");
            }
            if (!providers.IsAvailable(named.Provider))
            {
                throw new GatewayException(GatewayErrorKind.FailedPrecondition,
                    $"Model '{named.Id}' is served by provider '{named.Provider}', which is not configured on this gateway.") { Reason = "PROVIDER_NOT_CONFIGURED" };
            }
            return new ChatRoute(named, inputTokens, Explicit: true, "the request named this model");
        }
        // Until the complexity router lands: the first configured of the default chat models.
        var model = registry.Models.First(m => !m.Has("embedding") && providers.IsAvailable(m.Provider));
        return new ChatRoute(model, inputTokens, Explicit: false, $"default model of the configured providers ({string.Join(", ", providers.Available)})");
    }

    private List<ModelDefinition> Candidates(ModelDefinition first)
    {
        var candidates = new List<ModelDefinition> { first };
        if (options.Value.FallbackModels.TryGetValue(first.Id, out var fallbacks))
        {
            foreach (var id in fallbacks)
            {
                if (registry.TryGet(id, out var fallback) && providers.IsAvailable(fallback.Provider) && !candidates.Contains(fallback))
                {
                    candidates.Add(fallback);
                }
            }
        }
        return candidates;
    }

    private static bool CanFallBack(GatewayException error) =>
        error.Kind is GatewayErrorKind.Unavailable or GatewayErrorKind.DeadlineExceeded or GatewayErrorKind.ResourceExhausted;

    private static ProviderChatRequest ToProvider(ChatRequest request, ModelDefinition model) => new()
    {
        Model = model.Id,
        Messages = [.. request.Messages.Select(m => new ChatTurn(m.Role, m.Content))],
        Temperature = request.HasTemperature ? request.Temperature : null,
        TopP = request.HasTopP ? request.TopP : null,
        MaxTokens = request.MaxTokens,
        Seed = request.HasSeed ? request.Seed : null,
        Stop = [.. request.Stop],
    };

    private static RoutingDecision Decision(ChatRoute route, ModelDefinition model) => new()
    {
        Model = model.Id,
        Provider = model.Provider,
        ExplicitModel = route.Explicit,
        Reason = model == route.Model ? route.Reason : $"{route.Model.Id} failed before answering; fell back to {model.Id}",
        EstimatedCostUsd = model.Cost(route.InputTokens, 0),
    };

    private ChatOutcome Outcome(ChatRoute route, ModelDefinition model, ProviderUsage usage)
    {
        var cost = model.Cost(usage.InputTokens, usage.OutputTokens);
        var savings = 0d;
        if (!route.Explicit && registry.TryGet(registry.PremiumModel, out var premium) && providers.IsAvailable(premium.Provider))
        {
            savings = Math.Max(0, premium.Cost(usage.InputTokens, usage.OutputTokens) - cost);
        }
        return new ChatOutcome
        {
            Model = model.Id,
            Provider = model.Provider,
            Routing = Decision(route, model),
            Cache = CacheTier.Miss,
            Usage = new TokenUsage { InputTokens = usage.InputTokens, OutputTokens = usage.OutputTokens, Estimated = usage.Estimated },
            CostUsd = cost,
            RoutingSavingsUsd = savings,
        };
    }

    private static string NewId() => "chatcmpl-" + Guid.CreateVersion7().ToString("N");

    private sealed record ChatRoute(ModelDefinition Model, long InputTokens, bool Explicit, string Reason);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Model {Model} failed before the first byte; falling back to {Fallback}: {Error}")]
        public static partial void FallingBack(ILogger logger, string model, string fallback, string error);
    }
}
