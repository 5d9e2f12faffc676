using System.Runtime.CompilerServices;
using System.Threading.Channels;
using GRump.Gateway.Auth;
using GRump.Gateway.Caching;
using GRump.Gateway.Cost;
using GRump.Gateway.Errors;
using GRump.Gateway.Routing;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Chat;

/// <summary>
/// The one chat path every door shares: plan (validate, intent, route, rate limit) → cache (a hit replays and is
/// metered as savings) → reserve the worst case → invoke (fallback before the first byte) → relay the events → record
/// the usage (partial when cut) → store a clean answer. A call is a stream of <see cref="ChatEvent"/>s; a whole
/// completion is that stream folded. Streams end with <see cref="ChatEnded"/> carrying the outcome, or throw: a cut
/// stream is never a success, and the tokens it produced are still billed.
/// </summary>
public sealed class ChatPipeline(
    ChatPlanner planner,
    ChatInvoker invoker,
    ChatCacheStore cache,
    CostMeter meter,
    ModelRouter router,
    ModelRegistry registry,
    ChatMetrics metrics,
    IOptions<ChatOptions> options,
    TimeProvider time)
{
    /// <summary>The routing decision for a request, without calling a model or counting the decision (AnalyzeComplexity).</summary>
    public ValueTask<RoutingResult> AnalyzeAsync(ChatRequest request, CancellationToken cancellationToken) =>
        planner.AnalyzeAsync(request, cancellationToken);

    /// <summary>One whole completion (the upstream is asked for a whole answer; identical concurrent requests share it).</summary>
    public Task<ChatResult> CompleteAsync(ChatRequest request, Caller caller, CancellationToken cancellationToken) =>
        CompleteAsync(request, caller, CostOperations.Chat, cancellationToken);

    /// <summary>One whole completion metered as <paramref name="operation"/> (<see cref="CostOperations"/>: workflows meter their phases by name).</summary>
    public Task<ChatResult> CompleteAsync(ChatRequest request, Caller caller, string operation, CancellationToken cancellationToken) =>
        ChatResult.FoldAsync(RunAsync(request, caller, operation, stream: false, cancellationToken), cancellationToken);

    /// <summary>Started → deltas → Ended (usage and cost). Throws if the upstream fails; after Started that is the stream's error.</summary>
    public IAsyncEnumerable<ChatEvent> StreamAsync(ChatRequest request, Caller caller, CancellationToken cancellationToken) =>
        RunAsync(request, caller, CostOperations.Stream, stream: true, cancellationToken);

    /// <inheritdoc cref="StreamAsync(ChatRequest, Caller, CancellationToken)"/>
    public IAsyncEnumerable<ChatEvent> StreamAsync(ChatRequest request, Caller caller, string operation, CancellationToken cancellationToken) =>
        RunAsync(request, caller, operation, stream: true, cancellationToken);

    /// <summary>
    /// Many completions with at most <see cref="ChatOptions.MaxParallel"/> (≤ 32) upstream calls in flight; each result
    /// is yielded as it finishes, with its index. One item's failure (invalid input included; a null item is one the
    /// door could not translate) is that item's error.
    /// </summary>
    public async IAsyncEnumerable<ParallelChatResult> ParallelAsync(
        IReadOnlyList<ChatRequest?> requests, int maxConcurrency, Caller caller, [EnumeratorCancellation] CancellationToken cancellationToken)
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
        var results = Channel.CreateBounded<ParallelChatResult>(new BoundedChannelOptions(requests.Count)
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
                        ParallelChatResult item;
                        try
                        {
                            // A null item fails validation ("chat is required") like any other invalid one.
                            item = new ParallelChatResult(index, await CompleteAsync(requests[index]!, caller, token).ConfigureAwait(false), null);
                        }
                        catch (GatewayException ex)
                        {
                            item = new ParallelChatResult(index, null, ex);
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

    private async IAsyncEnumerable<ChatEvent> RunAsync(ChatRequest request, Caller caller, string operation, bool stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var clock = new CallClock(time);
        var plan = await planner.PlanAsync(request, caller, operation, cancellationToken).ConfigureAwait(false);
        if (plan.Cacheable && plan.Access.CanRead())
        {
            CacheLookup lookup;
            List<ChatEvent>? produced = null;
            using (var span = Diagnostics.GatewayTelemetry.ActivitySource.StartActivity("cache.lookup"))
            {
                if (stream)
                {
                    lookup = await cache.LookupAsync(plan, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    // Whole answers go through single-flight: identical concurrent requests share one upstream call.
                    var fill = new SingleFlight(this, plan, clock);
                    lookup = await cache.GetOrProduceAsync(plan, fill, static (f, ct) => f.ProduceAsync(ct), cancellationToken).ConfigureAwait(false);
                    produced = fill.Events;
                }

                span?.SetTag("grump.cache.result", produced is not null ? "MISS" : lookup.Layer.Name());
            }

            if (produced is not null)
            {
                // This call ran the upstream for everyone waiting on the key: its own events, its own cost.
                foreach (var item in produced)
                {
                    yield return item;
                }

                yield break;
            }

            if (lookup.Entry is { } entry)
            {
                // A hit — or a single-flight waiter, answered as an L1 hit: it paid nothing upstream.
                var layer = lookup.IsHit ? lookup.Layer : CacheLayer.L1;
                await foreach (var item in ReplayAsync(plan, clock, layer, CachedCompletion.Deserialize(entry.Value.Span), cancellationToken).ConfigureAwait(false))
                {
                    yield return item;
                }

                yield break;
            }
        }

        await foreach (var item in CallUpstreamAsync(plan, clock, stream, store: plan.Cacheable && plan.Access.CanWrite(), cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    /// <summary>Reserve → invoke → relay → record (partial when cut) → store a clean answer. Yields Started, deltas, Ended.</summary>
    private async IAsyncEnumerable<ChatEvent> CallUpstreamAsync(ChatPlan plan, CallClock clock, bool stream, bool store, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reservation = await meter.ReserveAsync(plan.Caller.Tenant, plan.WorstCaseUsd, cancellationToken).ConfigureAwait(false);
        UpstreamAnswer upstream;
        try
        {
            upstream = await invoker.OpenAsync(plan, stream, clock, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await meter.ReleaseAsync(reservation).ConfigureAwait(false);
            throw;
        }

        var model = upstream.Model;
        if (stream)
        {
            metrics.FirstToken(model.Id, model.Provider, clock.Elapsed, clock.SinceUpstreamStarted);
        }

        var deltas = new List<ChatEvent>();
        var finished = false;
        try
        {
            yield return new ChatStarted(NewId(), model.Id, model.Provider, plan.DecisionFor(model), CacheLayer.Miss);
            while (true)
            {
                if (upstream.Current is ChatEnded end)
                {
                    var (cost, routingSavings) = await RecordAsync(plan, clock, model, end.Usage, reservation).ConfigureAwait(false);
                    finished = true;
                    upstream.Finished(end);
                    if (stream)
                    {
                        metrics.StreamEnded(model.Id, model.Provider, clock.Elapsed);
                    }

                    if (store)
                    {
                        await cache.StoreAsync(plan, new CachedCompletion
                        {
                            Model = model.Id,
                            Provider = model.Provider,
                            FinishReason = end.FinishReason,
                            Usage = end.Usage,
                            CostUsd = cost,
                            Deltas = deltas,
                        }).ConfigureAwait(false);
                    }

                    var outcome = new ChatOutcome(model.Id, model.Provider, plan.DecisionFor(model), CacheLayer.Miss, end.Usage)
                    {
                        CostUsd = cost,
                        RoutingSavingsUsd = routingSavings,
                        Overhead = MeasureOverhead(plan, clock),
                    };
                    yield return end with { Outcome = outcome };
                    yield break;
                }

                deltas.Add(upstream.Current);
                yield return upstream.Current;
                if (!await upstream.MoveNextAsync().ConfigureAwait(false))
                {
                    throw new GatewayException(GatewayErrorKind.Unavailable, $"The upstream '{model.Provider}' answer ended without its final event.")
                    { Reason = "UPSTREAM_STREAM_CUT" };
                }
            }
        }
        finally
        {
            if (!finished)
            {
                upstream.Failed("the answer ended early");
                // Cut, failed or cancelled after the upstream began answering: what it produced is still billed.
                var usage = new TokenUsage(plan.Route.InputTokens, ChatTokens.CountAnswer(deltas), Estimated: true);
                await meter.RecordPartialAsync(new MeteredCall(plan.Caller.Tenant, model, plan.Operation, usage) { Session = plan.Request.SessionId }, reservation).ConfigureAwait(false);
            }

            await upstream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A cache hit: the stored events with the original usage, $0 upstream, the entry's original cost saved.</summary>
    private async IAsyncEnumerable<ChatEvent> ReplayAsync(ChatPlan plan, CallClock clock, CacheLayer layer, CachedCompletion cached, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await meter.RecordHitAsync(plan.Caller.Tenant, cached.Model, cached.Provider, plan.Operation, plan.Request.SessionId, cached.CostUsd, cancellationToken).ConfigureAwait(false);
        var decision = plan.DecisionFor(registry.TryGet(cached.Model, out var known) ? known : plan.Route.Model);
        yield return new ChatStarted(NewId(), cached.Model, cached.Provider, decision, layer);
        for (var deltaIndex = 0; deltaIndex < cached.Deltas.Count; deltaIndex++)
        {
            yield return cached.Deltas[deltaIndex];
        }

        var outcome = new ChatOutcome(cached.Model, cached.Provider, decision, layer, cached.Usage)
        {
            CacheSavingsUsd = cached.CostUsd,
            Overhead = MeasureOverhead(plan, clock),
        };
        yield return new ChatEnded(cached.FinishReason, cached.Usage) { Outcome = outcome };
    }

    /// <summary>Meters an upstream answer: its cost at the model's prices, and what routing saved against the premium model.</summary>
    private async ValueTask<(double CostUsd, double RoutingSavingsUsd)> RecordAsync(ChatPlan plan, CallClock clock, ModelDefinition model, TokenUsage usage, Cost.BudgetReservation? reservation)
    {
        metrics.UpstreamCall(model.Id, model.Provider, usage, clock.SinceUpstreamStarted);
        clock.UpstreamEnded();
        var savings = router.RecordOutcome(plan.Route, model, usage);
        var cost = await meter.RecordAsync(new MeteredCall(plan.Caller.Tenant, model, plan.Operation, usage)
        {
            Session = plan.Request.SessionId,
            RoutingSavingsUsd = savings,
        }, reservation).ConfigureAwait(false);
        return (cost, savings);
    }

    /// <summary>
    /// The gateway's own time as the call ends, measured once and recorded once (the outcome is built after it, in one
    /// piece: building it first and copying it with the overhead allocated it twice on every call).
    /// </summary>
    private TimeSpan MeasureOverhead(ChatPlan plan, CallClock clock)
    {
        var overhead = clock.Overhead;
        metrics.Overhead(plan.Operation, overhead);
        return overhead;
    }

    /// <summary><c>chatcmpl-</c> and a UUIDv7 in 32 hex digits, formatted straight into the one string it becomes.</summary>
    private static string NewId() => string.Create(IdPrefix.Length + 32, Uuid7.New(), static (chars, id) =>
    {
        IdPrefix.CopyTo(chars);
        id.TryFormat(chars[IdPrefix.Length..], out _, "N");
    });

    private const string IdPrefix = "chatcmpl-";

    /// <summary>The single-flight producer: runs the upstream call and keeps its events for the caller that ran it.</summary>
    private sealed class SingleFlight(ChatPipeline pipeline, ChatPlan plan, CallClock clock)
    {
        public List<ChatEvent>? Events { get; private set; }

        public async ValueTask<CachedCompletion> ProduceAsync(CancellationToken cancellationToken)
        {
            var events = new List<ChatEvent>();
            await foreach (var item in pipeline.CallUpstreamAsync(plan, clock, stream: false, store: false, cancellationToken).ConfigureAwait(false))
            {
                events.Add(item);
            }

            Events = events;
            var started = (ChatStarted)events[0];
            var end = (ChatEnded)events[^1];
            return new CachedCompletion
            {
                Model = started.Model,
                Provider = started.Provider,
                FinishReason = end.FinishReason,
                Usage = end.Usage,
                CostUsd = end.Outcome!.CostUsd,
                Deltas = events.GetRange(1, events.Count - 2),
            };
        }
    }
}

/// <summary>One item of <see cref="ChatPipeline.ParallelAsync"/>: its index and its result or its error.</summary>
public sealed record ParallelChatResult(int Index, ChatResult? Result, GatewayException? Error);
