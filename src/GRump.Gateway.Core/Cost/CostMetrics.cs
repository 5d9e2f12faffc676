using System.Diagnostics.Metrics;
using GRump.Gateway.Diagnostics;

namespace GRump.Gateway.Cost;

/// <summary>
/// Cost instruments, fed only from ledger records so that /metrics, the ledger and responses agree: every committed
/// record adds its cost to <c>llm_cost_usd_total</c> and <c>llm_cost_per_request_usd</c>. (Cache and routing savings
/// are counted where they arise, with the same numbers the records carry.)
/// </summary>
public sealed class CostMetrics
{
    private readonly Counter<double> _cost;
    private readonly Histogram<double> _perRequest;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _alerts;
    private readonly Counter<double> _overrun;

    public CostMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(GatewayTelemetry.Name);
        _cost = meter.CreateCounter<double>(GatewayTelemetry.Metrics.CostTotal, description: "USD spent upstream, per model, provider and operation.");
        _perRequest = meter.CreateHistogram(GatewayTelemetry.Metrics.CostPerRequest, description: "USD per metered request.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1] });
        _tokens = meter.CreateCounter<long>(GatewayTelemetry.Metrics.TokensTotal, description: "Tokens metered, by type: input, output, and their parts cache_read, cache_write, cache_write_1h (of input) and reasoning (of output).");
        _alerts = meter.CreateCounter<long>(GatewayTelemetry.Metrics.BudgetAlerts, description: "Budget alert thresholds crossed (once per tenant and period).");
        _overrun = meter.CreateCounter<double>(GatewayTelemetry.Metrics.BudgetOverrun,
            description: "USD billed beyond what calls had reserved (an upstream that returned more than the output cap, or more input than estimated).");
    }

    public void Record(CostRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var model = new KeyValuePair<string, object?>("model", record.Model);
        var provider = new KeyValuePair<string, object?>("provider", record.Provider);
        var operation = new KeyValuePair<string, object?>("operation", record.Operation);
        _cost.Add(record.CostUsd, model, provider, operation);
        _perRequest.Record(record.CostUsd, model, provider);
        _tokens.Add(record.InputTokens, new KeyValuePair<string, object?>("type", "input"), model);
        _tokens.Add(record.OutputTokens, new KeyValuePair<string, object?>("type", "output"), model);
        // Parts of input and output, by kind (a sum over every type counts them twice: filter by type).
        AddPart(record.CacheReadTokens, "cache_read", model);
        AddPart(record.CacheWriteTokens, "cache_write", model);
        AddPart(record.CacheWrite1hTokens, "cache_write_1h", model);
        AddPart(record.ReasoningTokens, "reasoning", model);
    }

    private void AddPart(long tokens, string type, KeyValuePair<string, object?> model)
    {
        if (tokens > 0)
        {
            _tokens.Add(tokens, new KeyValuePair<string, object?>("type", type), model);
        }
    }

    public void Alert(string period) => _alerts.Add(1, new KeyValuePair<string, object?>("period", period));

    public void Overrun(CostRecord record, double usd)
    {
        ArgumentNullException.ThrowIfNull(record);
        _overrun.Add(usd, new KeyValuePair<string, object?>("model", record.Model), new KeyValuePair<string, object?>("provider", record.Provider),
            new KeyValuePair<string, object?>("operation", record.Operation));
    }
}
