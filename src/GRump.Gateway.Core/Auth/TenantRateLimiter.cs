using System.Threading.RateLimiting;
using GRump.Gateway.Errors;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Auth;

/// <summary>
/// Per-tenant limits on requests and estimated tokens per minute (System.Threading.RateLimiting, token buckets
/// refilled continuously). Over a limit → RESOURCE_EXHAUSTED with a retry-after. Per replica: a fleet shares them only
/// by dividing the limits by its replica count.
/// </summary>
public sealed class TenantRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _requests;
    private readonly PartitionedRateLimiter<string>? _tokens;
    private readonly int _tokensPerMinute;

    public TenantRateLimiter(IOptions<AuthOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        _tokensPerMinute = value.TokensPerMinute;
        if (value.RequestsPerMinute > 0)
        {
            _requests = Bucket(value.RequestsPerMinute);
        }
        if (value.TokensPerMinute > 0)
        {
            _tokens = Bucket(value.TokensPerMinute);
        }
    }

    /// <summary>Admits one request of <paramref name="estimatedTokens"/> for <paramref name="tenant"/> or throws.</summary>
    public void Admit(string tenant, long estimatedTokens)
    {
        if (_requests is not null)
        {
            using var lease = _requests.AttemptAcquire(tenant, 1);
            if (!lease.IsAcquired)
            {
                throw Limited(lease, $"Tenant '{tenant}' is over its request rate limit.");
            }
        }
        if (_tokens is not null && estimatedTokens > 0)
        {
            using var lease = _tokens.AttemptAcquire(tenant, (int)Math.Min(estimatedTokens, _tokensPerMinute));
            if (!lease.IsAcquired)
            {
                throw Limited(lease, $"Tenant '{tenant}' is over its token rate limit ({_tokensPerMinute} tokens per minute).");
            }
        }
    }

    public void Dispose()
    {
        _requests?.Dispose();
        _tokens?.Dispose();
    }

    private static PartitionedRateLimiter<string> Bucket(int perMinute) =>
        PartitionedRateLimiter.Create<string, string>(tenant => RateLimitPartition.GetTokenBucketLimiter(tenant, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = Math.Max(1, perMinute / 60),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    private static GatewayException Limited(RateLimitLease lease, string message)
    {
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        return new GatewayException(GatewayErrorKind.ResourceExhausted, $"{message} Retry after {Math.Ceiling(retryAfter.TotalSeconds)} s.")
        {
            Reason = "RATE_LIMITED",
            RetryAfter = retryAfter,
        };
    }
}
