using System.Diagnostics.Metrics;
using GRump.Gateway.Caching;

namespace GRump.Gateway.Diagnostics;

/// <summary>
/// Instruments of the tiered cache: hits and misses by <c>layer</c> and <c>namespace</c>, size by layer, faults, dropped
/// writes and circuit state by layer, and <c>cache_savings_usd_total</c> (recorded by the cache itself at hit time).
/// </summary>
public sealed class CacheMetrics
{
    private static readonly KeyValuePair<string, object?>[] LayerTags =
        [new("layer", "MISS"), new("layer", "L1"), new("layer", "L2"), new("layer", "L3")];

    private static readonly KeyValuePair<string, object?>[] NamespaceTags =
        [new("namespace", "intents"), new("namespace", "chat"), new("namespace", "embeddings"), new("namespace", "plans")];

    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _faults;
    private readonly Counter<long> _writesDropped;
    private readonly Counter<double> _savings;
    private Func<CacheLayer, long>? _size;
    private Func<CacheLayer, bool>? _circuitOpen;

    public CacheMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(GatewayTelemetry.Name);
        _hits = meter.CreateCounter<long>(GatewayTelemetry.Metrics.CacheHits, description: "Cache lookups a tier served, by layer and namespace.");
        _misses = meter.CreateCounter<long>(GatewayTelemetry.Metrics.CacheMisses, description: "Cache lookups a tier could not serve, by layer and namespace.");
        _faults = meter.CreateCounter<long>(GatewayTelemetry.Metrics.CacheFaults, description: "Failed or timed-out L2/L3 calls (the request went on without that tier).");
        _writesDropped = meter.CreateCounter<long>(GatewayTelemetry.Metrics.CacheWritesDropped, description: "Writes a tier skipped because its write-behind queue was full (L3: the disk did not keep up); the entry stayed in the tiers above.");
        _savings = meter.CreateCounter<double>(GatewayTelemetry.Metrics.CacheSavings, description: "Upstream cost avoided by cache hits, at the price of the model that produced the entry.");
        meter.CreateObservableGauge(GatewayTelemetry.Metrics.CacheSize, ObserveSizes, unit: "By", description: "Bytes held per tier (L1 payloads, L3 files).");
        meter.CreateObservableGauge(GatewayTelemetry.Metrics.CacheCircuitOpen, ObserveCircuits, description: "1 while a tier's circuit breaker is open.");
    }

    internal void Attach(Func<CacheLayer, long> size, Func<CacheLayer, bool> circuitOpen)
    {
        _size = size;
        _circuitOpen = circuitOpen;
    }

    /// <summary>
    /// Adds 0 (no labels) to the seed's counters so that they are exported from the start: <c>curl /metrics | grep
    /// llm_cost</c> on a fresh gateway shows them at 0 instead of nothing. Sums are unchanged.
    /// </summary>
    public void ReportZero()
    {
        _hits.Add(0);
        _misses.Add(0);
        _savings.Add(0);
    }

    internal void Hit(CacheLayer layer, CacheNamespace ns) => _hits.Add(1, LayerTags[(int)layer], NamespaceTags[(int)ns]);

    internal void Miss(CacheLayer layer, CacheNamespace ns) => _misses.Add(1, LayerTags[(int)layer], NamespaceTags[(int)ns]);

    internal void Fault(CacheLayer layer) => _faults.Add(1, LayerTags[(int)layer]);

    internal void WriteDropped(CacheLayer layer) => _writesDropped.Add(1, LayerTags[(int)layer]);

    internal void Savings(double usd, CacheNamespace ns)
    {
        if (usd > 0)
        {
            _savings.Add(usd, NamespaceTags[(int)ns]);
        }
    }

    private IEnumerable<Measurement<long>> ObserveSizes()
    {
        if (_size is not { } size)
        {
            yield break;
        }

        yield return new Measurement<long>(size(CacheLayer.L1), LayerTags[1]);
        yield return new Measurement<long>(size(CacheLayer.L3), LayerTags[3]);
    }

    private IEnumerable<Measurement<int>> ObserveCircuits()
    {
        if (_circuitOpen is not { } open)
        {
            yield break;
        }

        yield return new Measurement<int>(open(CacheLayer.L2) ? 1 : 0, LayerTags[2]);
        yield return new Measurement<int>(open(CacheLayer.L3) ? 1 : 0, LayerTags[3]);
    }
}
