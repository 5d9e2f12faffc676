using System.Diagnostics.Metrics;
using System.Globalization;
using GRump.Gateway.Auth.Internal;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Errors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace GRump.Gateway.Auth;

/// <summary>
/// Per-tenant limits on requests and on estimated tokens (prompt + output limit) per minute, for every operation that
/// can cost money (chat, embeddings, the <c>/v1</c> passthrough). A sliding window of 60 s: <c>5</c> per minute admits
/// 5 in any 60 s — all 5 at once if they come at once (the burst is the whole minute's allowance), then the next as
/// the first leaves the window. Over a limit → RESOURCE_EXHAUSTED with the time until a request fits.
/// <para>
/// With Redis configured the window lives in Redis and holds for the whole fleet. While Redis cannot answer (down, or
/// slower than <see cref="AuthOptions.RateLimitRedisTimeout"/>) each replica enforces the limits on its own (so a fleet
/// of N admits up to N × the limit during an outage), says so once in the log and in <c>rate_limit_shared</c> = 0 /
/// <c>rate_limit_fallback_total</c>, and tries Redis again after <see cref="AuthOptions.RateLimitRedisRetryInterval"/>.
/// </para>
/// </summary>
public sealed partial class TenantRateLimiter
{
    private readonly int _requestsPerMinute;
    private readonly int _tokensPerMinute;
    private readonly TimeSpan _retryInterval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SlidingWindowLimiter _local = new();
    private readonly RedisRateLimiter? _redis;
    private readonly Counter<long> _limited;
    private readonly Counter<long> _fallback;
    private long _redisRetryAt;
    private int _degraded;

    /// <summary><paramref name="redis"/>: the gateway's shared Redis connection (not configured = limits per replica).</summary>
    public TenantRateLimiter(IOptions<AuthOptions> options, Caching.RedisConnection redis, TimeProvider time, IMeterFactory meterFactory, ILogger<TenantRateLimiter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(meterFactory);
        var value = options.Value;
        _requestsPerMinute = value.RequestsPerMinute;
        _tokensPerMinute = value.TokensPerMinute;
        _retryInterval = value.RateLimitRedisRetryInterval;
        _time = time;
        _logger = logger;
        // The fleet's Redis (Redis:Configuration, else GRUMP_REDIS), the connection the cache and the ledger use too.
        if (Enabled && redis.IsConfigured)
        {
            _redis = new RedisRateLimiter(redis, value.RateLimitRedisKeyPrefix, value.RateLimitRedisTimeout);
        }

        var meter = meterFactory.Create(GatewayTelemetry.Name);
        _limited = meter.CreateCounter<long>(GatewayTelemetry.Metrics.RateLimited, description: "Requests refused by a per-tenant rate limit, by limit (requests, tokens).");
        _fallback = meter.CreateCounter<long>(GatewayTelemetry.Metrics.RateLimitFallback,
            description: "Rate-limit decisions this replica made on its own because Redis could not answer (the limits were per replica for them).");
        meter.CreateObservableGauge(GatewayTelemetry.Metrics.RateLimitShared, () => _redis is null ? 0 : Volatile.Read(ref _degraded) == 0 ? 1 : 0,
            description: "1 while rate limits are shared by the fleet over Redis; 0 when they are per replica (no Redis configured, or Redis unreachable).");
    }

    /// <summary>True when any limit is configured.</summary>
    public bool Enabled => _requestsPerMinute > 0 || _tokensPerMinute > 0;

    /// <summary>True when a token limit is configured (callers may skip counting tokens otherwise).</summary>
    public bool LimitsTokens => _tokensPerMinute > 0;

    /// <summary>
    /// Admits one request of <paramref name="estimatedTokens"/> (prompt + output limit) for <paramref name="tenant"/>,
    /// or throws RESOURCE_EXHAUSTED (reason RATE_LIMITED) with the time until it would fit. A single request larger than
    /// the token limit is admitted when the window is otherwise empty (counted as the whole limit).
    /// </summary>
    public ValueTask AdmitAsync(string tenant, long estimatedTokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        if (!Enabled)
        {
            return ValueTask.CompletedTask;
        }

        var ask = new RateAsk(_requestsPerMinute, _tokensPerMinute, _tokensPerMinute > 0 ? Math.Clamp(estimatedTokens, 0, _tokensPerMinute) : 0);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_redis is not null && now >= Volatile.Read(ref _redisRetryAt))
        {
            return AdmitSharedAsync(tenant, ask, now, cancellationToken);
        }

        if (_redis is not null)
        {
            _fallback.Add(1);
        }

        Enforce(tenant, _local.Admit(tenant, ask, now));
        return ValueTask.CompletedTask;
    }

    /// <summary>For tests: completes when the shared (Redis) limiter's connection is up, or down.</summary>
    internal Task WaitForRedisAsync(bool connected, CancellationToken cancellationToken) =>
        _redis?.WaitForConnectionAsync(connected, cancellationToken) ?? Task.CompletedTask;

    private async ValueTask AdmitSharedAsync(string tenant, RateAsk ask, long now, CancellationToken cancellationToken)
    {
        RateDecision decision;
        try
        {
            decision = await _redis!.AdmitAsync(tenant, ask, now, cancellationToken).ConfigureAwait(false);
            if (Interlocked.Exchange(ref _degraded, 0) == 1)
            {
                Log.SharedAgain(_logger);
            }

            if (decision.IsAdmitted)
            {
                // Mirrored locally, so a fallback starts from this replica's recent traffic instead of an empty window.
                _local.Admit(tenant, ask, now, force: true);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            Volatile.Write(ref _redisRetryAt, now + (long)_retryInterval.TotalMilliseconds);
            if (Interlocked.Exchange(ref _degraded, 1) == 0)
            {
                Log.FallingBack(_logger, ex.Message, _retryInterval.TotalSeconds);
            }

            _fallback.Add(1);
            decision = _local.Admit(tenant, ask, now);
        }

        Enforce(tenant, decision);
    }

    private void Enforce(string tenant, RateDecision decision)
    {
        if (decision.IsAdmitted)
        {
            return;
        }

        var kind = decision.RefusedBy == RateLimitKind.Requests ? "requests" : "tokens";
        _limited.Add(1, new KeyValuePair<string, object?>("limit", kind));
        var retryAfter = TimeSpan.FromMilliseconds(decision.RetryAfterMs);
        var what = decision.RefusedBy == RateLimitKind.Requests
            ? string.Create(CultureInfo.InvariantCulture, $"its request rate limit ({_requestsPerMinute} per minute)")
            : string.Create(CultureInfo.InvariantCulture, $"its token rate limit ({_tokensPerMinute} tokens per minute, prompt + output limit)");
        throw new GatewayException(GatewayErrorKind.ResourceExhausted,
            string.Create(CultureInfo.InvariantCulture, $"Tenant '{tenant}' is over {what}. Retry after {Math.Ceiling(retryAfter.TotalSeconds)} s."))
        {
            Reason = "RATE_LIMITED",
            RetryAfter = retryAfter,
        };
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Rate limits: Redis cannot answer ({Error}); each replica enforces the limits on its own until it can (retrying every {RetrySeconds} s). Counted in rate_limit_fallback_total.")]
        public static partial void FallingBack(ILogger logger, string error, double retrySeconds);

        [LoggerMessage(2, LogLevel.Information, "Rate limits: Redis answers again; the limits are shared by the fleet.")]
        public static partial void SharedAgain(ILogger logger);
    }
}
