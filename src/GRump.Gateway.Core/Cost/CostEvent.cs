namespace GRump.Gateway.Cost;

/// <summary>What WatchCost streams: a new record, or a budget alert.</summary>
public sealed record CostEvent(CostRecord? Record, BudgetAlert? Alert);

/// <summary>A tenant's spend crossed its alert threshold for a period (fires once per period).</summary>
public sealed record BudgetAlert(string Tenant, string Period, double SpentUsd, double LimitUsd, double ThresholdPercent, DateTimeOffset At);

/// <summary>A WatchCost subscriber's feed; dispose to unsubscribe.</summary>
public sealed class CostSubscription(System.Threading.Channels.ChannelReader<CostEvent> reader, Action unsubscribe) : IDisposable
{
    public System.Threading.Channels.ChannelReader<CostEvent> Reader => reader;

    public void Dispose() => unsubscribe();
}
