using GRump.Gateway.Cost;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GRump.Gateway.Endpoints;

/// <summary>
/// Not ready while the cost ledger cannot record: every metered call (chat, embeddings, cost reports) would fail, so
/// a balancer should send work elsewhere and an operator should look (<c>/readyz</c>, grpc.health.v1). A singleton,
/// so that it logs the change of state once instead of every probe.
/// </summary>
internal sealed partial class LedgerHealthCheck(ICostStore store, ILogger<LedgerHealthCheck> logger) : IHealthCheck
{
    private int _unhealthy;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var problem = await store.CheckAsync(cancellationToken).ConfigureAwait(false);
        if (problem is null)
        {
            if (Interlocked.Exchange(ref _unhealthy, 0) == 1)
            {
                Recovered(logger);
            }
            return HealthCheckResult.Healthy("ledger ok");
        }
        if (Interlocked.Exchange(ref _unhealthy, 1) == 0)
        {
            NotReady(logger, problem);
        }
        return HealthCheckResult.Unhealthy($"cost ledger: {problem}");
    }

    [LoggerMessage(1, LogLevel.Warning, "Not ready: the cost ledger cannot record ({Problem}); metered calls fail until it can.")]
    private static partial void NotReady(ILogger logger, string problem);

    [LoggerMessage(2, LogLevel.Information, "Ready again: the cost ledger records.")]
    private static partial void Recovered(ILogger logger);
}
