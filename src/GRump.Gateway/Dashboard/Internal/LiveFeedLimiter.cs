using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Dashboard.Internal;

/// <summary>
/// Caps the live cost feeds a tenant holds open at once (the dashboard's event stream and gRPC WatchCost): each is a
/// ledger subscription with its own buffer.
/// </summary>
internal sealed class LiveFeedLimiter(IOptions<DashboardOptions> options)
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    /// <summary>A lease to dispose when the feed ends, or null when the tenant is at its cap.</summary>
    public Lease? TryAcquire(string tenant)
    {
        var max = options.Value.MaxFeedsPerTenant;
        while (true)
        {
            var current = _open.GetOrAdd(tenant, 0);
            if (current >= max)
            {
                return null;
            }
            if (_open.TryUpdate(tenant, current + 1, current))
            {
                return new Lease(this, tenant);
            }
        }
    }

    /// <summary>The cap per tenant (Dashboard:MaxFeedsPerTenant).</summary>
    public int Max => options.Value.MaxFeedsPerTenant;

    /// <summary>Feeds open for a tenant now.</summary>
    public int Open(string tenant) => _open.GetValueOrDefault(tenant);

    private void Release(string tenant) => _open.AddOrUpdate(tenant, 0, (_, current) => Math.Max(0, current - 1));

    public sealed class Lease(LiveFeedLimiter owner, string tenant) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Release(tenant);
            }
        }
    }
}
