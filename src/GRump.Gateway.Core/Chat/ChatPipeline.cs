using System.Runtime.CompilerServices;
using System.Threading.Channels;
using GRump.Gateway.Auth;
using GRump.Gateway.Caching;
using System.Diagnostics;
using GRump.Gateway.Cost;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Errors;
using GRump.Gateway.Intent;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing;
using GRump.Gateway.Tokens;
using GRump.Gateway.V1;
using GRump.Gateway.Workers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Chat;

/// <summary>
/// The chat request path every front door shares (gRPC, REST, <c>/v1/chat/completions</c>):
/// validate → intent → route → rate limit → cache (a hit is served and metered as savings) → budget reservation →
/// provider (falling back to the next model only while nothing has reached the client) → ledger → response.
/// Streams end with an End event carrying usage and cost, or with an error: a cut stream is never a success, and
/// the tokens it already produced are still metered.
/// </summary>
public sealed partial class ChatPipeline(
    IProviderDirectory providers,
    ModelRegistry registry,
    ModelRouter router,
    IIntentCompiler intents,
    WorkerPool workers,
    ITieredCache cache,
    CostLedger ledger,
    TenantRateLimiter rateLimiter,
    ChatMetrics metrics,
    ProviderMetrics providerMetrics,
    IOptions<ChatOptions> options,
    IOptions<IntentOptions> intentOptions,
    TimeProvider time,
    ILogger<ChatPipeline> logger)
{
    /// <summary>The routing decision for a request, without calling a model or counting the decision (AnalyzeComplexity).</summary>
    public async Task<RoutingResult> AnalyzeAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        ChatLimits.Validate(request);
        return router.Analyze(request, await CompileIntentAsync(request, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>One whole completion.</summary>
    public async Task<CompleteResponse> CompleteAsync(ChatRequest request, Caller caller, CancellationToken cancellationToken)
    {
        var call = await BeginAsync(request, caller, CostOperations.Chat, cancellationToken).ConfigureAwait(false);
        CachedCompletion answer;
        CacheLayer layer;
        if (call.Cacheable)
        {
            // Concurrent identical requests share one upstream call (single-flight); only the one that runs it pays.
            var state = new FillState(this, call);
            using var span = GatewayTelemetry.ActivitySource.StartActivity("cache.lookup");
            var lookup = await cache.GetOrCreateAsync(CacheNamespace.Chat, call.CacheKey, state,
                static (s, ct) => s.Pipeline.FillAsync(s, ct), call.Access, cancellationToken).ConfigureAwait(false);
            answer = state.Produced ?? CachedCompletion.Deserialize(lookup.Entry!.Value.Span);
            layer = state.Produced is not null ? CacheLayer.Miss : lookup.IsHit ? lookup.Layer : CacheLayer.L1;
            span?.SetTag("grump.cache.result", layer.Name());
        }
        else
        {
            answer = await CallUpstreamAsync(call, cancellationToken).ConfigureAwait(false);
            layer = CacheLayer.Miss;
        }

        ChatOutcome outcome;
        if (layer == CacheLayer.Miss)
        {
            outcome = call.Outcome!;
        }
        else
        {
            outcome = await RecordHitAsync(call, answer, layer, cancellationToken).ConfigureAwait(false);
        }
        var overhead = call.Overhead(time);
        outcome.OverheadMs = overhead.TotalMilliseconds;
        metrics.Overhead(call.Operation, overhead);
        return new CompleteResponse { Id = NewId(), Content = answer.Content, FinishReason = answer.FinishReason, Outcome = outcome };
    }

    /// <summary>Start → deltas → End (usage and cost). Throws if the upstream fails; after Start that is the stream's error.</summary>
    public async IAsyncEnumerable<StreamCompleteResponse> StreamAsync(ChatRequest request, Caller caller, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var call = await BeginAsync(request, caller, CostOperations.Stream, cancellationToken).ConfigureAwait(false);
        var id = NewId();

        if (call.Cacheable && call.Access.CanRead())
        {
            CacheLookup lookup;
            using (var span = GatewayTelemetry.ActivitySource.StartActivity("cache.lookup"))
            {
                lookup = await cache.GetAsync(CacheNamespace.Chat, call.CacheKey, call.Access, cancellationToken).ConfigureAwait(false);
                span?.SetTag("grump.cache.result", lookup.Layer.Name());
            }
            if (lookup.IsHit)
            {
                // A replay: the original chunking, then the usage the original call reported — and no cost.
                var cached = CachedCompletion.Deserialize(lookup.Entry!.Value.Span);
                var outcome = await RecordHitAsync(call, cached, lookup.Layer, cancellationToken).ConfigureAwait(false);
                yield return Start(id, call.Route.Model, lookup.Layer.ToProto(), outcome.Routing);
                foreach (var chunk in cached.Chunks)
                {
                    yield return new StreamCompleteResponse { Delta = new StreamDelta { Content = chunk } };
                }
                outcome.OverheadMs = call.Overhead(time).TotalMilliseconds;
                metrics.Overhead(call.Operation, call.Overhead(time));
                yield return new StreamCompleteResponse { End = new StreamEnd { FinishReason = cached.FinishReason, Outcome = outcome } };
                yield break;
            }
        }

        await ReserveAsync(call, cancellationToken).ConfigureAwait(false);
        var (upstream, model, upstreamSpan) = await OpenStreamAsync(call, cancellationToken).ConfigureAwait(false);
        using var inFlight = providerMetrics.Begin(model.Provider);
        metrics.FirstToken(model.Id, model.Provider, time.GetElapsedTime(call.Started), call.SinceUpstreamStarted(time));
        var chunks = new List<string>();
        var finished = false;
        try
        {
            yield return Start(id, model, CacheTier.Miss, Decision(call, model));
            while (true)
            {
                var current = upstream.Current;
                if (current.Kind == ChatStreamEventKind.End)
                {
                    var outcome = await RecordUpstreamAsync(call, model, current.Usage, cancellationToken).ConfigureAwait(false);
                    finished = true;
                    Finish(upstreamSpan, current.FinishReason, current.Usage);
                    metrics.StreamEnded(model.Id, model.Provider, time.GetElapsedTime(call.Started));
                    if (call.Cacheable && call.Access.CanWrite())
                    {
                        var entry = new CachedCompletion
                        {
                            Model = model.Id, Provider = model.Provider, FinishReason = current.FinishReason, Usage = current.Usage,
                            CostUsd = outcome.CostUsd, Chunks = chunks,
                        };
                        await cache.SetAsync(CacheNamespace.Chat, call.CacheKey, entry.Serialize(), outcome.CostUsd, call.Access, CancellationToken.None).ConfigureAwait(false);
                    }
                    outcome.OverheadMs = call.Overhead(time).TotalMilliseconds;
                    metrics.Overhead(call.Operation, call.Overhead(time));
                    yield return new StreamCompleteResponse { End = new StreamEnd { FinishReason = current.FinishReason, Outcome = outcome } };
                    yield break;
                }
                chunks.Add(current.Text);
                yield return new StreamCompleteResponse { Delta = new StreamDelta { Content = current.Text } };
                if (!await upstream.MoveNextAsync().ConfigureAwait(false))
                {
                    throw new GatewayException(GatewayErrorKind.Unavailable, $"The upstream '{model.Provider}' stream ended without its final event.")
                    { Reason = "UPSTREAM_STREAM_CUT" };
                }
            }
        }
        finally
        {
            await upstream.DisposeAsync().ConfigureAwait(false);
            if (!finished)
            {
                upstreamSpan?.SetStatus(ActivityStatusCode.Error, "the stream ended early");
                // Cut, failed or cancelled after the upstream began answering: what it produced is still billed.
                await RecordPartialAsync(call, model, chunks).ConfigureAwait(false);
            }
            upstreamSpan?.Dispose();
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

    /// <summary>Everything before the upstream: limits, intent, route, rate limit, cache key.</summary>
    private async Task<ChatCall> BeginAsync(ChatRequest request, Caller caller, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var started = time.GetTimestamp();
        ChatLimits.Validate(request);
        V1.Intent intent;
        using (GatewayTelemetry.ActivitySource.StartActivity("intent.compile"))
        {
            intent = await CompileIntentAsync(request, cancellationToken).ConfigureAwait(false);
        }
        RoutingResult route;
        using (var span = GatewayTelemetry.ActivitySource.StartActivity("routing.decide"))
        {
            route = router.Route(request, intent);
            span?.SetTag("grump.complexity", route.Decision.Score);
            span?.SetTag("grump.tier", route.Decision.Tier.ToString());
            span?.SetTag("gen_ai.request.model", route.Model.Id);
        }
        await rateLimiter.AdmitAsync(caller.Tenant, route.InputTokens + route.MaxOutputTokens, cancellationToken).ConfigureAwait(false);

        var call = new ChatCall(request, caller, operation, route, started)
        {
            Candidates = Candidates(route.Model),
            Access = CacheAccessModes.FromProto(request.Cache),
        };
        call.WorstCaseUsd = call.Candidates.Max(m => m.Cost(route.InputTokens, route.MaxOutputTokens));
        var upstreamRequest = ToProvider(request, route.Model, route.MaxOutputTokens);
        call.UpstreamRequest = upstreamRequest;
        call.Cacheable = ChatCachePolicy.IsCacheable(upstreamRequest, call.Access, optIn: request.Cache == CacheMode.On);
        if (call.Cacheable)
        {
            call.CacheKey = CacheKeys.ForChat(caller.Tenant, route.Model.Provider, upstreamRequest);
        }
        return call;
    }

    private ValueTask<V1.Intent> CompileIntentAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        var task = ComplexityAnalyzer.TaskText(request);
        return task.Length <= intentOptions.Value.InlineMaxChars
            ? ValueTask.FromResult(intents.Compile(task))
            : new ValueTask<V1.Intent>(workers.RunAsync(WorkKind.ParseIntent, (Compiler: intents, Task: task), static s => s.Compiler.Compile(s.Task), cancellationToken));
    }

    private async ValueTask<CacheFill> FillAsync(FillState state, CancellationToken cancellationToken)
    {
        var answer = await CallUpstreamAsync(state.Call, cancellationToken).ConfigureAwait(false);
        state.Produced = answer;
        return new CacheFill(answer.Serialize(), answer.CostUsd, Store: answer.FinishReason is "stop" or "length");
    }

    /// <summary>Reserve, call (with fallback before the first byte), record. The outcome lands on <paramref name="call"/>.</summary>
    private async Task<CachedCompletion> CallUpstreamAsync(ChatCall call, CancellationToken cancellationToken)
    {
        await ReserveAsync(call, cancellationToken).ConfigureAwait(false);
        try
        {
            for (var i = 0; ; i++)
            {
                var model = call.Candidates[i];
                call.UpstreamStarted(time);
                ChatCompletion completion;
                using var span = StartUpstreamSpan(call, model);
                using var inFlight = providerMetrics.Begin(model.Provider);
                try
                {
                    completion = await providers.GetChat(model.Provider).CompleteAsync(call.RequestFor(model), cancellationToken).ConfigureAwait(false);
                }
                catch (GatewayException ex) when (i + 1 < call.Candidates.Count && CanFallBack(ex))
                {
                    span?.SetStatus(ActivityStatusCode.Error, ex.Message);
                    Log.FallingBack(logger, model.Id, call.Candidates[i + 1].Id, ex.Message);
                    continue;
                }
                catch (GatewayException ex)
                {
                    span?.SetStatus(ActivityStatusCode.Error, ex.Message);
                    throw;
                }
                Finish(span, completion.FinishReason, completion.Usage);
                var outcome = await RecordUpstreamAsync(call, model, completion.Usage, cancellationToken).ConfigureAwait(false);
                return CachedCompletion.FromCompletion(model.Id, model.Provider, completion, outcome.CostUsd);
            }
        }
        catch
        {
            await ledger.ReleaseAsync(call.Reservation).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Opens the upstream stream and reads its first event, falling back to the next model until one answers.</summary>
    private async Task<(IAsyncEnumerator<ChatStreamEvent> Upstream, ModelDefinition Model, Activity? Span)> OpenStreamAsync(ChatCall call, CancellationToken cancellationToken)
    {
        for (var i = 0; ; i++)
        {
            var model = call.Candidates[i];
            call.UpstreamStarted(time);
            var span = StartUpstreamSpan(call, model);
            var events = providers.GetChat(model.Provider).StreamAsync(call.RequestFor(model), cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                // Nothing reaches the client before the upstream's first event: until then another model may answer.
                if (!await events.MoveNextAsync().ConfigureAwait(false))
                {
                    throw new GatewayException(GatewayErrorKind.Unavailable, $"The upstream '{model.Provider}' sent an empty stream.") { Reason = "UPSTREAM_STREAM_CUT" };
                }
                return (events, model, span);
            }
            catch (GatewayException ex) when (i + 1 < call.Candidates.Count && CanFallBack(ex))
            {
                span?.SetStatus(ActivityStatusCode.Error, ex.Message);
                span?.Dispose();
                await events.DisposeAsync().ConfigureAwait(false);
                Log.FallingBack(logger, model.Id, call.Candidates[i + 1].Id, ex.Message);
            }
            catch (Exception ex)
            {
                span?.SetStatus(ActivityStatusCode.Error, ex.Message);
                span?.Dispose();
                await events.DisposeAsync().ConfigureAwait(false);
                await ledger.ReleaseAsync(call.Reservation).ConfigureAwait(false);
                throw;
            }
        }
    }

    private async Task<ChatOutcome> RecordUpstreamAsync(ChatCall call, ModelDefinition model, ProviderUsage usage, CancellationToken cancellationToken)
    {
        metrics.UpstreamCall(model.Id, model.Provider, usage, call.SinceUpstreamStarted(time));
        call.UpstreamEnded(time);
        var cost = model.Cost(usage.InputTokens, usage.OutputTokens);
        var savings = router.RecordOutcome(call.Route, model, usage);
        var record = ledger.NewRecord(call.Caller.Tenant, model.Id, model.Provider, call.Operation) with
        {
            Session = call.Request.SessionId,
            InputTokens = usage.InputTokens,
            OutputTokens = usage.OutputTokens,
            CostUsd = cost,
            RoutingSavingsUsd = savings,
        };
        await ledger.RecordAsync(record, call.Reservation, CancellationToken.None).ConfigureAwait(false);
        call.Reservation = null;
        return call.Outcome = new ChatOutcome
        {
            Model = model.Id,
            Provider = model.Provider,
            Routing = Decision(call, model),
            Cache = CacheTier.Miss,
            Usage = new TokenUsage { InputTokens = usage.InputTokens, OutputTokens = usage.OutputTokens, Estimated = usage.Estimated },
            CostUsd = cost,
            RoutingSavingsUsd = savings,
        };
    }

    /// <summary>A cache hit: $0 upstream, the entry's original cost saved. (The cache counts cache_savings_usd_total.)</summary>
    private async Task<ChatOutcome> RecordHitAsync(ChatCall call, CachedCompletion answer, CacheLayer layer, CancellationToken cancellationToken)
    {
        var record = ledger.NewRecord(call.Caller.Tenant, answer.Model, answer.Provider, call.Operation) with
        {
            Session = call.Request.SessionId,
            CacheHit = true,
            CacheSavingsUsd = answer.CostUsd,
        };
        await ledger.RecordAsync(record, null, cancellationToken).ConfigureAwait(false);
        var model = registry.TryGet(answer.Model, out var known) ? known : call.Route.Model;
        return new ChatOutcome
        {
            Model = answer.Model,
            Provider = answer.Provider,
            Routing = Decision(call, model),
            Cache = layer.ToProto(),
            Usage = new TokenUsage { InputTokens = answer.Usage.InputTokens, OutputTokens = answer.Usage.OutputTokens, Estimated = answer.Usage.Estimated },
            CostUsd = 0,
            CacheSavingsUsd = answer.CostUsd,
        };
    }

    /// <summary>A stream that ended early: its prompt and the text it produced, counted with the tokenizer and billed.</summary>
    private async Task RecordPartialAsync(ChatCall call, ModelDefinition model, List<string> chunks)
    {
        try
        {
            var output = TokenCounter.Shared.Count(string.Concat(chunks));
            var usage = new ProviderUsage(call.Route.InputTokens, output, Estimated: true);
            await RecordUpstreamAsync(call, model, usage, CancellationToken.None).ConfigureAwait(false);
        }
        catch (GatewayException ex)
        {
            Log.PartialNotRecorded(logger, model.Id, ex.Message);
            await ledger.ReleaseAsync(call.Reservation).ConfigureAwait(false);
        }
    }

    private async Task ReserveAsync(ChatCall call, CancellationToken cancellationToken)
    {
        using var span = GatewayTelemetry.ActivitySource.StartActivity("budget.reserve");
        span?.SetTag("grump.budget.worst_case_usd", call.WorstCaseUsd);
        call.Reservation = await ledger.ReserveAsync(call.Caller.Tenant, call.WorstCaseUsd, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The upstream call's span, per the GenAI semantic conventions (its HTTP request becomes a child).</summary>
    private static Activity? StartUpstreamSpan(ChatCall call, ModelDefinition model)
    {
        var span = GatewayTelemetry.ActivitySource.StartActivity($"chat {model.Id}", ActivityKind.Client);
        if (span is not null)
        {
            span.SetTag("gen_ai.operation.name", "chat");
            span.SetTag("gen_ai.provider.name", model.Provider);
            span.SetTag("gen_ai.request.model", model.Id);
            if (call.Request.MaxTokens > 0)
            {
                span.SetTag("gen_ai.request.max_tokens", call.Request.MaxTokens);
            }
            if (call.Request.HasTemperature)
            {
                span.SetTag("gen_ai.request.temperature", call.Request.Temperature);
            }
        }
        return span;
    }

    private static void Finish(Activity? span, string finishReason, ProviderUsage usage)
    {
        if (span is not null)
        {
            span.SetTag("gen_ai.response.finish_reasons", new[] { finishReason });
            span.SetTag("gen_ai.usage.input_tokens", usage.InputTokens);
            span.SetTag("gen_ai.usage.output_tokens", usage.OutputTokens);
        }
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

    /// <summary>The upstream request; its max_tokens is the output limit the budget reservation covers (never left open).</summary>
    private static ProviderChatRequest ToProvider(ChatRequest request, ModelDefinition model, int maxOutputTokens) => new()
    {
        Model = model.Id,
        Messages = [.. request.Messages.Select(m => new ChatTurn(m.Role, m.Content))],
        Temperature = request.HasTemperature ? request.Temperature : null,
        TopP = request.HasTopP ? request.TopP : null,
        MaxTokens = model.OutputLimit(maxOutputTokens, maxOutputTokens),
        Seed = request.HasSeed ? request.Seed : null,
        Stop = [.. request.Stop],
    };

    private static StreamCompleteResponse Start(string id, ModelDefinition model, CacheTier tier, RoutingDecision decision) => new()
    {
        Start = new StreamStart { Id = id, Model = model.Id, Provider = model.Provider, Routing = decision, Cache = tier },
    };

    /// <summary>The router's decision, restated when a fallback model answered instead.</summary>
    private static RoutingDecision Decision(ChatCall call, ModelDefinition model)
    {
        if (model.Id == call.Route.Model.Id)
        {
            return call.Route.Decision;
        }
        var decision = call.Route.Decision.Clone();
        decision.Model = model.Id;
        decision.Provider = model.Provider;
        decision.Reason = $"{call.Route.Model.Id} failed before answering; fell back to {model.Id}. Routed: {call.Route.Decision.Reason}";
        decision.EstimatedCostUsd = model.Cost(call.Route.InputTokens, call.Route.MaxOutputTokens);
        return decision;
    }

    private static string NewId() => "chatcmpl-" + Guid.CreateVersion7().ToString("N");

    /// <summary>One chat call on its way through the pipeline.</summary>
    private sealed class ChatCall(ChatRequest request, Caller caller, string operation, RoutingResult route, long started)
    {
        private long _upstreamStarted;
        private TimeSpan _upstream;

        public ChatRequest Request => request;

        public Caller Caller => caller;

        public string Operation => operation;

        public RoutingResult Route => route;

        public required List<ModelDefinition> Candidates { get; init; }

        public required CacheAccess Access { get; init; }

        public bool Cacheable { get; set; }

        public CacheKey CacheKey { get; set; }

        public double WorstCaseUsd { get; set; }

        /// <summary>The upstream request for the routed model (built once: the cache key hashes it too).</summary>
        public ProviderChatRequest? UpstreamRequest { get; set; }

        /// <summary>The upstream request for <paramref name="model"/>: the routed one, or a fallback's.</summary>
        public ProviderChatRequest RequestFor(ModelDefinition model) =>
            UpstreamRequest is { } routed && routed.Model == model.Id ? routed : ToProvider(request, model, route.MaxOutputTokens);

        public BudgetReservation? Reservation { get; set; }

        public ChatOutcome? Outcome { get; set; }

        public long Started => started;

        public void UpstreamStarted(TimeProvider time) => _upstreamStarted = time.GetTimestamp();

        /// <summary>Time since the current upstream call began (zero when none is running).</summary>
        public TimeSpan SinceUpstreamStarted(TimeProvider time) => _upstreamStarted == 0 ? TimeSpan.Zero : time.GetElapsedTime(_upstreamStarted);

        public void UpstreamEnded(TimeProvider time)
        {
            if (_upstreamStarted != 0)
            {
                _upstream += time.GetElapsedTime(_upstreamStarted);
                _upstreamStarted = 0;
            }
        }

        /// <summary>Time spent in the gateway: the whole call minus the time waiting for the upstream.</summary>
        public TimeSpan Overhead(TimeProvider time) => time.GetElapsedTime(started) - _upstream;
    }

    private sealed class FillState(ChatPipeline pipeline, ChatCall call)
    {
        public ChatPipeline Pipeline => pipeline;

        public ChatCall Call => call;

        public CachedCompletion? Produced { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Model {Model} failed before the first byte; falling back to {Fallback}: {Error}")]
        public static partial void FallingBack(ILogger logger, string model, string fallback, string error);

        [LoggerMessage(2, LogLevel.Warning, "The partial usage of an interrupted {Model} stream could not be recorded: {Error}")]
        public static partial void PartialNotRecorded(ILogger logger, string model, string error);
    }
}
