using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using GRump.Gateway.Diagnostics;

namespace GRump.Gateway.Providers;

/// <summary>
/// Provider-side counters: calls whose usage the gateway had to estimate because the upstream sent none, and chat
/// calls in flight per provider (shown by CostService.GetStats and as <c>llm_upstream_in_flight</c>).
/// </summary>
public sealed class ProviderMetrics
{
    private readonly Counter<long> _usageEstimated;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, StrongBox<int>> _inFlight = new(StringComparer.Ordinal);

    public ProviderMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(GatewayTelemetry.Name);
        _usageEstimated = meter.CreateCounter<long>(
            GatewayTelemetry.Metrics.UsageEstimated,
            description: "Upstream calls that returned no token usage, counted with the gateway's tokenizer instead.");
        meter.CreateObservableGauge("llm_upstream_in_flight",
            () => _inFlight.Select(p => new Measurement<int>(Volatile.Read(ref p.Value.Value), new KeyValuePair<string, object?>("provider", p.Key))),
            description: "Chat calls in flight per provider.");
    }

    /// <summary>Counts one upstream chat call as in flight until the returned scope is disposed.</summary>
    public InFlightScope Begin(string provider)
    {
        var box = _inFlight.GetOrAdd(provider, static _ => new StrongBox<int>());
        Interlocked.Increment(ref box.Value);
        return new InFlightScope(box);
    }

    /// <summary>Chat calls in flight per provider, now.</summary>
    public IReadOnlyDictionary<string, int> InFlight() => _inFlight.ToDictionary(p => p.Key, p => Volatile.Read(ref p.Value.Value), StringComparer.Ordinal);

    public readonly struct InFlightScope(StrongBox<int> box) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref box.Value);
    }

    public void UsageEstimated(string provider) => _usageEstimated.Add(1, new KeyValuePair<string, object?>("provider", provider));
}
