using System.Diagnostics.Metrics;
using GRump.Gateway.Diagnostics;

namespace GRump.Gateway.Cost.Internal;

/// <summary>The Redis store's outage instruments: journal depth, replays, outages and local admissions.</summary>
internal sealed class LedgerJournalMetrics
{
    private readonly Counter<long> _replayed;
    private readonly Counter<long> _outages;
    private readonly Counter<long> _admissions;

    public LedgerJournalMetrics(IMeterFactory meterFactory, Func<long> depth, Func<bool> outage)
    {
        var meter = meterFactory.Create(GatewayTelemetry.Name);
        meter.CreateObservableGauge(GatewayTelemetry.Metrics.LedgerJournalDepth, depth,
            description: "Cost records in the local journal that Redis has not applied yet.");
        meter.CreateObservableGauge(GatewayTelemetry.Metrics.LedgerOutageActive, () => outage() ? 1 : 0,
            description: "1 while the Redis ledger is unreachable or its journal is being replayed (admission is local).");
        _replayed = meter.CreateCounter<long>(GatewayTelemetry.Metrics.LedgerJournalReplayed,
            description: "Journaled cost records applied to Redis after an outage or a restart.");
        _outages = meter.CreateCounter<long>(GatewayTelemetry.Metrics.LedgerOutages, description: "Redis ledger outages begun.");
        _admissions = meter.CreateCounter<long>(GatewayTelemetry.Metrics.LedgerOutageAdmissions,
            description: "Requests admitted or refused by local admission during an outage, by result.");
    }

    public void OutageStarted() => _outages.Add(1);

    public void Replayed(int count) => _replayed.Add(count);

    public void Admission(bool admitted) => _admissions.Add(1, new KeyValuePair<string, object?>("result", admitted ? "admitted" : "refused"));
}
