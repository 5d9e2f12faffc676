using System.Diagnostics;
using System.Diagnostics.Metrics;
using GRump.Gateway.Routing;

namespace GRump.Gateway.Diagnostics;

/// <summary>
/// Instruments of the router: selections by tier and model, the complexity distribution, routing savings, the embedding
/// router's prompt lookups and the shadow strategy's comparisons.
/// </summary>
public sealed class RoutingMetrics
{
    private readonly Counter<long> _selections;
    private readonly Counter<double> _savings;
    private readonly Histogram<int> _complexity;
    private readonly Counter<long> _disagreements;
    private readonly Counter<long> _shadowCompared;
    private readonly Counter<long> _shadowDropped;
    private readonly Counter<long> _embeddingLookups;

    public RoutingMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(GatewayTelemetry.Name);
        _selections = meter.CreateCounter<long>(
            GatewayTelemetry.Metrics.ModelSelection,
            description: "Routed requests by complexity tier and chosen model.");

        // No unit: the Prometheus exporter would append it to a name the product already fixes (DESIGN.md).
        _savings = meter.CreateCounter<double>(
            GatewayTelemetry.Metrics.RoutingSavings,
            description: "USD saved by routing: the premium model's price for the same tokens minus the actual cost.");
        _complexity = meter.CreateHistogram(
            GatewayTelemetry.Metrics.TaskComplexity,
            description: "Complexity score (0-100) of routed requests.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100] });
        _disagreements = meter.CreateCounter<long>(
            GatewayTelemetry.Metrics.RoutingDisagreement,
            description: "Routed requests on which the shadow strategy chose another tier than the active one.");
        _shadowCompared = meter.CreateCounter<long>(
            GatewayTelemetry.Metrics.RoutingShadowCompared,
            description: "Routed requests the shadow strategy decided too (the denominator of the disagreement rate).");
        _shadowDropped = meter.CreateCounter<long>(
            GatewayTelemetry.Metrics.RoutingShadowDropped,
            description: "Routed requests not compared because the shadow queue was full.");
        _embeddingLookups = meter.CreateCounter<long>(
            GatewayTelemetry.Metrics.RoutingEmbeddingLookups,
            description: "Prompt vectors the embedding router needed, by cache result (a miss runs the sentence model).");
    }

    public void RecordShadow(string active, string shadow, string activeTier, string shadowTier)
    {
        var strategies = new TagList { { "active", active }, { "shadow", shadow } };
        _shadowCompared.Add(1, strategies);
        if (!string.Equals(activeTier, shadowTier, StringComparison.Ordinal))
        {
            strategies.Add("active_tier", activeTier);
            strategies.Add("shadow_tier", shadowTier);
            _disagreements.Add(1, strategies);
        }
    }

    public void RecordShadowDropped() => _shadowDropped.Add(1);

    public void RecordEmbeddingLookup(bool cached) => _embeddingLookups.Add(1, new KeyValuePair<string, object?>("cache", cached ? "hit" : "miss"));

    public void RecordSelection(RoutingDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var tier = ComplexityTiers.Name(decision.Tier);
        _selections.Add(1, new KeyValuePair<string, object?>("tier", tier), new KeyValuePair<string, object?>("model", decision.Model));
        _complexity.Record(decision.Score);
    }

    public void RecordSavings(string model, double usd)
    {
        if (usd > 0)
        {
            _savings.Add(usd, new KeyValuePair<string, object?>("model", model));
        }
    }
}
