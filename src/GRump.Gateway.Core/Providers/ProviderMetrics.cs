using System.Diagnostics.Metrics;
using GRump.Gateway.Diagnostics;

namespace GRump.Gateway.Providers;

/// <summary>Provider-side counters: calls whose usage the gateway had to estimate because the upstream sent none.</summary>
public sealed class ProviderMetrics
{
    private readonly Counter<long> _usageEstimated;

    public ProviderMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(GatewayTelemetry.Name);
        _usageEstimated = meter.CreateCounter<long>(
            GatewayTelemetry.Metrics.UsageEstimated,
            description: "Upstream calls that returned no token usage, counted with the gateway's tokenizer instead.");
    }

    public void UsageEstimated(string provider) => _usageEstimated.Add(1, new KeyValuePair<string, object?>("provider", provider));
}
