using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GRump.Gateway.Hosting.Internal;

/// <summary>Not ready from the first moment of a shutdown: /readyz answers 503 and gRPC health NOT_SERVING.</summary>
internal sealed class DrainHealthCheck(GatewayDrain drain) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(drain.Phase == DrainPhase.Serving
            ? HealthCheckResult.Healthy("serving")
            : HealthCheckResult.Unhealthy("shutting down"));
}
