using GRump.Gateway.Cost;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GRump.Gateway.Endpoints;

/// <summary>
/// Not ready while the cost ledger cannot record: every metered call (chat, embeddings, cost reports) would fail, so
/// a balancer should send work elsewhere and an operator should look (<c>/readyz</c>, grpc.health.v1).
/// </summary>
internal sealed class LedgerHealthCheck(ICostStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var problem = await store.CheckAsync(cancellationToken).ConfigureAwait(false);
        return problem is null ? HealthCheckResult.Healthy("ledger ok") : HealthCheckResult.Unhealthy($"cost ledger: {problem}");
    }
}
