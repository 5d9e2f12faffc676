using System.Globalization;
using Grpc.Core;
using GRump.Gateway.Auth;
using GRump.Gateway.Caching;
using GRump.Gateway.Cost;
using GRump.Gateway.Dashboard.Internal;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Errors;
using GRump.Gateway.Hosting;
using GRump.Gateway.Providers;
using GRump.Gateway.V1;
using GRump.Gateway.Workers;

namespace GRump.Gateway.Services;

/// <summary>
/// CostService over gRPC and REST (the seed's <c>/api/cost/*</c>): every answer is scoped to the caller's tenant; a
/// <c>userId</c> naming another tenant is PERMISSION_DENIED unless the key is an admin's.
/// </summary>
internal sealed class CostGrpcService(CostReports reports, CostLedger ledger, WorkerPool workers, PerformanceMonitor monitor, ITieredCache cache, ProviderMetrics providers,
    RecentActivity recent, UpstreamHealth upstreams, ApiKeyAuthenticator authenticator, GatewayDrain drain, LiveFeedLimiter feeds) : CostService.CostServiceBase
{
    public override async Task<GetSummaryResponse> GetSummary(GetSummaryRequest request, ServerCallContext context) =>
        CostMapper.ToProto(await reports.SummaryAsync(Tenant(context, request.UserId), request.StartDate, request.EndDate, context.CancellationToken).ConfigureAwait(false));

    public override async Task<GetBudgetResponse> GetBudget(GetBudgetRequest request, ServerCallContext context)
    {
        var report = await reports.BudgetAsync(Tenant(context, request.UserId), context.CancellationToken).ConfigureAwait(false);
        return new GetBudgetResponse { Budget = CostMapper.ToBudget(report), Status = CostMapper.ToStatus(report) };
    }

    public override async Task<SetBudgetResponse> SetBudget(SetBudgetRequest request, ServerCallContext context)
    {
        var caller = context.GetHttpContext().GetCaller();
        var tenant = caller.ActFor(request.UserId);
        // An admin's limits are caps the tenant's own key cannot raise or remove (anonymous mode has no admin).
        await reports.SetBudgetAsync(tenant, request.DailyLimitUsd, request.MonthlyLimitUsd, request.AlertThresholdPercent, caller.IsAdmin, context.CancellationToken).ConfigureAwait(false);
        var report = await reports.BudgetAsync(tenant, context.CancellationToken).ConfigureAwait(false);
        return new SetBudgetResponse { Budget = CostMapper.ToBudget(report), Status = CostMapper.ToStatus(report) };
    }

    public override async Task<GetRecommendationsResponse> GetRecommendations(GetRecommendationsRequest request, ServerCallContext context) =>
        CostMapper.ToProto(await reports.RecommendationsAsync(Tenant(context, request.UserId), context.CancellationToken).ConfigureAwait(false));

    public override async Task<GetRealtimeResponse> GetRealtime(GetRealtimeRequest request, ServerCallContext context) =>
        CostMapper.ToProto(await reports.RealtimeAsync(Tenant(context, request.UserId), context.CancellationToken).ConfigureAwait(false));

    public override async Task<GetSavingsResponse> GetSavings(GetSavingsRequest request, ServerCallContext context) =>
        CostMapper.ToProto(await reports.SavingsAsync(Tenant(context, request.UserId), context.CancellationToken).ConfigureAwait(false));

    public override async Task<GetSnippetResponse> GetSnippet(GetSnippetRequest request, ServerCallContext context) =>
        CostMapper.ToProto(await reports.SnippetAsync(Tenant(context, request.UserId), context.CancellationToken).ConfigureAwait(false));

    public override Task<GetStatsResponse> GetStats(GetStatsRequest request, ServerCallContext context)
    {
        var pool = workers.GetStats();
        var sample = monitor.Latest;
        var cacheStats = cache.GetStats();
        var advice = PerformanceAdvisor.Evaluate(sample, Readings(cacheStats, pool));
        // Upstream addresses are the operator's (internal hosts): only an admin, or anyone in anonymous (loopback) mode, sees them.
        var caller = context.GetHttpContext().GetCaller();
        var showAddresses = caller.IsAdmin || !authenticator.Enabled;
        var overhead = recent.Overhead();
        var batches = recent.EmbeddingBatches();
        return Task.FromResult(new GetStatsResponse
        {
            Overhead = new OverheadStats
            {
                Count = overhead.Count,
                P50Ms = overhead.P50,
                P99Ms = overhead.P99,
                MaxMs = overhead.Max,
                WindowSeconds = overhead.Span.TotalSeconds,
            },
            EmbeddingBatches = new EmbeddingBatchStats
            {
                Batches = batches.Count,
                Inputs = (long)batches.Sum,
                MeanSize = batches.Mean,
                P50Size = (int)batches.P50,
                MaxSize = (int)batches.Max,
                Deduplicated = recent.DeduplicatedTexts,
                WindowSeconds = batches.Span.TotalSeconds,
            },
            Upstreams =
            {
                upstreams.Snapshot().Select(u => new UpstreamStatus
                {
                    Provider = u.Provider,
                    InFlight = u.InFlight,
                    Destinations =
                    {
                        u.Destinations.Select(d => new UpstreamDestination
                        {
                            Id = d.Id,
                            Address = showAddresses ? d.Address : string.Empty,
                            ActiveHealth = d.ActiveHealth,
                            PassiveHealth = d.PassiveHealth,
                            Circuit = d.Circuit,
                        }),
                    },
                }),
            },
            Cache = CacheGrpcService.ToResponse(cacheStats),
            ProviderInFlight = { providers.InFlight().ToDictionary() },
            Performance = new V1.PerformanceAdvice { IsHighLoad = advice.IsHighLoad, Recommendations = { advice.Recommendations } },
            Workers = new V1.WorkerPoolStats
            {
                Workers = pool.Workers,
                QueueCapacity = pool.QueueCapacity,
                QueueDepth = pool.QueueDepth,
                Active = pool.Active,
                Completed = pool.Completed,
                Rejected = pool.Rejected,
                TimedOut = pool.TimedOut,
                Failed = pool.Failed,
                MeanWaitMs = pool.MeanWaitMs,
                MeanRunMs = pool.MeanRunMs,
            },
            Process = new ProcessStats
            {
                CpuPercent = sample.CpuPercent,
                WorkingSetBytes = sample.WorkingSetBytes,
                GcHeapBytes = sample.GcHeapBytes,
                Gen0Collections = sample.Gen0Collections,
                Gen1Collections = sample.Gen1Collections,
                Gen2Collections = sample.Gen2Collections,
                ThreadPoolQueueLength = sample.ThreadPoolQueueLength,
                ThreadPoolThreads = sample.ThreadPoolThreads,
                SchedulingLagMs = sample.SchedulingLagMs,
                UptimeSeconds = sample.Uptime.TotalSeconds,
                GcPausePercent = sample.GcPausePercent,
                MemoryPercentOfLimit = sample.MemoryPercentOfLimit,
                RequestRatePerSecond = sample.RequestRate,
            },
        });
    }

    public override async Task WatchCost(WatchCostRequest request, IServerStreamWriter<WatchCostResponse> responseStream, ServerCallContext context)
    {
        var tenant = Tenant(context, request.UserId);
        // Each watch is a ledger subscription with its own event buffer: it counts against the same per-tenant cap as
        // the dashboard's live feeds, so a tenant cannot hold memory by opening streams without end.
        using var lease = feeds.TryAcquire(tenant) ?? throw new GatewayException(GatewayErrorKind.ResourceExhausted,
            $"Tenant '{tenant}' already has {feeds.Max} live cost feeds open (WatchCost streams and dashboard pages): close one or raise Dashboard:MaxFeedsPerTenant.")
        { Reason = "TOO_MANY_FEEDS" };
        using var subscription = ledger.Subscribe(tenant);
        // Headers go out once subscribed, so a client knows that no later event will be missed.
        await context.WriteResponseHeadersAsync([]).ConfigureAwait(false);
        // A shutdown ends the watch (it never ends by itself) with UNAVAILABLE: the client reconnects elsewhere.
        using var watchEnds = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, drain.Refusing);
        try
        {
            await foreach (var item in subscription.Reader.ReadAllAsync(watchEnds.Token).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(ToResponse(item), watchEnds.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (drain.Refusing.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            GatewayErrors.ThrowShuttingDown();
        }
    }

    /// <summary>A ledger event as WatchCost sends it (also the data of the dashboard's live feed).</summary>
    public static WatchCostResponse ToResponse(CostEvent item)
    {
        var response = new WatchCostResponse();
        if (item.Record is { } record)
        {
            response.Record = new V1.CostRecord
            {
                Id = record.Id.ToString(),
                UserId = record.Tenant,
                SessionId = record.Session,
                Model = record.Model,
                Provider = record.Provider,
                Operation = record.Operation,
                InputTokens = record.InputTokens,
                OutputTokens = record.OutputTokens,
                CostUsd = record.CostUsd,
                CacheHit = record.CacheHit,
                CacheSavingsUsd = record.CacheSavingsUsd,
                RoutingSavingsUsd = record.RoutingSavingsUsd,
                Timestamp = record.Timestamp.ToString("O", CultureInfo.InvariantCulture),
            };
        }
        else if (item.Alert is { } alert)
        {
            response.Alert = new V1.BudgetAlert
            {
                UserId = alert.Tenant,
                Period = alert.Period,
                SpentUsd = alert.SpentUsd,
                LimitUsd = alert.LimitUsd,
                ThresholdPercent = alert.ThresholdPercent,
                Timestamp = alert.At.ToString("O", CultureInfo.InvariantCulture),
            };
        }
        return response;
    }

    /// <summary>The cache and worker readings the performance advisor weighs besides the process sample.</summary>
    public static GatewayHealthReadings Readings(CacheStats cacheStats, Workers.WorkerPoolStats pool)
    {
        var lookups = cacheStats.Namespaces.Sum(n => n.Hits + n.Misses);
        var hits = cacheStats.Namespaces.Sum(n => n.Hits);
        var redis = cacheStats.Tiers.FirstOrDefault(t => t.Layer == CacheLayer.L2);
        return new GatewayHealthReadings(lookups, lookups == 0 ? 0 : (double)hits / lookups, cacheStats.Tiers.Any(t => t.CircuitOpen),
            redis.Enabled, redis.Enabled && redis.CircuitOpen, pool.QueueDepth, pool.QueueCapacity);
    }

    private static string Tenant(ServerCallContext context, string userId) => context.GetHttpContext().GetCaller().ActFor(userId);
}
