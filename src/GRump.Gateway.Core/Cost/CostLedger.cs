using System.Threading.Channels;
using GRump.Gateway.Cost.Internal;
using GRump.Gateway.Errors;
using Microsoft.Extensions.Logging;

namespace GRump.Gateway.Cost;

/// <summary>
/// The ledger as the request path sees it: reserve a request's worst-case cost before the upstream call, record what
/// it actually cost (durably, releasing the reservation), release everything on failure. Every record also feeds the
/// cost metrics, the WatchCost subscribers and the once-per-period budget alerts.
/// </summary>
public sealed partial class CostLedger(ICostStore store, CostMetrics metrics, TimeProvider time, ILogger<CostLedger> logger)
{
    // Rounding noise is not an overrun.
    private const double OverrunTolerance = 1e-12;

    // Copy-on-write: every record publishes, subscribers come and go rarely (a dashboard or WatchCost stream). Reading
    // a ConcurrentDictionary's Values took all its locks and copied them on every record (a hot lock under load).
    private readonly Lock _subscribersLock = new();
    private Subscriber[] _subscribers = [];

    public ICostStore Store => store;

    /// <summary>Holds <paramref name="worstCaseUsd"/> of the tenant's budget (null when it has none) or throws RESOURCE_EXHAUSTED.</summary>
    public ValueTask<BudgetReservation?> ReserveAsync(string tenant, double worstCaseUsd, CancellationToken cancellationToken) =>
        store.ReserveAsync(tenant, worstCaseUsd, time.GetUtcNow(), cancellationToken);

    public ValueTask ReleaseAsync(BudgetReservation? reservation) =>
        reservation is null ? ValueTask.CompletedTask : store.ReleaseAsync(reservation);

    /// <summary>A record stamped now with a new UUIDv7.</summary>
    public CostRecord NewRecord(string tenant, string model, string provider, string operation) => new()
    {
        Id = Uuid7.New(),
        Tenant = tenant,
        Model = model,
        Provider = provider,
        Operation = operation,
        Timestamp = Now,
    };

    /// <summary>The ledger's clock: what <see cref="NewRecord"/> stamps (the meter builds its records in one piece).</summary>
    internal DateTimeOffset Now => time.GetUtcNow();

    /// <summary>
    /// Commits the record (completes once it is durable), then updates metrics, subscribers and alerts. Throws only when
    /// the commit failed: once the record is in, a failing alert check is logged, never thrown, because callers take an
    /// exception as "not billed" (the chat pipeline then bills the call's partial usage: a second record).
    /// </summary>
    public async ValueTask RecordAsync(CostRecord record, BudgetReservation? reservation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await store.CommitAsync(record, reservation, cancellationToken).ConfigureAwait(false);
        metrics.Record(record);
        if (reservation is not null && record.CostUsd > reservation.AmountUsd + OverrunTolerance)
        {
            // Billed in full (the tokens were produced); the budget overshoots by at most this one call's excess.
            var overrun = record.CostUsd - reservation.AmountUsd;
            metrics.Overrun(record, overrun);
            Log.Overrun(logger, record.Tenant, record.Model, record.Provider, reservation.AmountUsd, record.CostUsd);
        }
        Publish(record.Tenant, record, null);
        if (record.CostUsd <= 0)
        {
            // A cache hit or a free model: the spend did not move, so no threshold can have been crossed (on the Redis
            // store the check is a round trip per record).
            return;
        }
        try
        {
            await CheckAlertsAsync(record.Tenant).ConfigureAwait(false);
        }
        catch (GatewayException ex) when (ex.Reason == "LEDGER_UNAVAILABLE")
        {
            // The record is safe (journaled); the alert is checked again at the next commit once the ledger answers.
            Log.AlertCheckSkipped(logger, record.Tenant, ex.Message);
        }
#pragma warning disable CA1031 // After the commit nothing may throw: a caller would take the call as unbilled and bill it again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.AlertCheckFailed(logger, record.Tenant, ex);
        }
    }

    /// <summary>
    /// Live records and alerts of one tenant (null = every tenant, for admins), from now until disposed. A slow reader
    /// loses the oldest events rather than slowing the request path.
    /// </summary>
    public CostSubscription Subscribe(string? tenant)
    {
        var channel = Channel.CreateBounded<CostEvent>(new BoundedChannelOptions(1024)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropOldest,
            AllowSynchronousContinuations = false,
        });
        var subscriber = new Subscriber(tenant, channel.Writer);
        lock (_subscribersLock)
        {
            _subscribers = [.. _subscribers, subscriber];
        }
        return new CostSubscription(channel.Reader, () => Unsubscribe(subscriber));
    }

    private void Unsubscribe(Subscriber subscriber)
    {
        lock (_subscribersLock)
        {
            var index = Array.IndexOf(_subscribers, subscriber);
            if (index >= 0)
            {
                _subscribers = [.. _subscribers.AsSpan(0, index), .. _subscribers.AsSpan(index + 1)];
            }
        }
    }

    private void Publish(string tenant, CostRecord? record, BudgetAlert? alert)
    {
        var subscribers = Volatile.Read(ref _subscribers);
        CostEvent? item = null;
        foreach (var subscriber in subscribers)
        {
            if (subscriber.Tenant is null || subscriber.Tenant == tenant)
            {
                // Built only when someone listens: most records have no subscriber at all.
                item ??= new CostEvent(record, alert);
                subscriber.Writer.TryWrite(item);
            }
        }
    }

    private async Task CheckAlertsAsync(string tenant)
    {
        var budget = await store.GetBudgetAsync(tenant, CancellationToken.None).ConfigureAwait(false);
        if (budget is null || (budget.DailyLimitUsd <= 0 && budget.MonthlyLimitUsd <= 0))
        {
            return;
        }
        var now = time.GetUtcNow();
        var spend = await store.GetSpendAsync(tenant, now, CancellationToken.None).ConfigureAwait(false);
        await CheckAsync(tenant, budget, now, "daily", Periods.Day(now), spend.DailySpentUsd, budget.DailyLimitUsd).ConfigureAwait(false);
        await CheckAsync(tenant, budget, now, "monthly", Periods.Month(now), spend.MonthlySpentUsd, budget.MonthlyLimitUsd).ConfigureAwait(false);
    }

    // A method, not a local function: one capturing the parameters put a closure on every record, budget or not.
    private async Task CheckAsync(string tenant, BudgetSettings budget, DateTimeOffset now, string name, string period, double spent, double limit)
    {
        if (limit <= 0 || spent * 100 < limit * budget.AlertThresholdPercent)
        {
            return;
        }
        if (await store.TryMarkAlertAsync(tenant, $"{name}:{period}", CancellationToken.None).ConfigureAwait(false))
        {
            Log.BudgetAlert(logger, tenant, name, period, spent, limit, budget.AlertThresholdPercent);
            metrics.Alert(name);
            Publish(tenant, null, new BudgetAlert(tenant, $"{name}:{period}", spent, limit, budget.AlertThresholdPercent, now));
        }
    }

    // A class, not a record: unsubscribing finds it by reference (two subscribers of one tenant are equal as records).
    private sealed class Subscriber(string? tenant, ChannelWriter<CostEvent> writer)
    {
        public string? Tenant => tenant;

        public ChannelWriter<CostEvent> Writer => writer;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Budget alert: tenant {Tenant} spent ${Spent} of its {Period} budget ${Limit} for {Key} (threshold {Threshold} %)")]
        public static partial void BudgetAlert(ILogger logger, string tenant, string period, string key, double spent, double limit, double threshold);

        [LoggerMessage(2, LogLevel.Warning, "Tenant {Tenant}: a {Model} call on {Provider} cost ${Actual} but had reserved ${Reserved}; billed in full (budget_overrun_usd_total)")]
        public static partial void Overrun(ILogger logger, string tenant, string model, string provider, double reserved, double actual);
        [LoggerMessage(3, LogLevel.Debug, "Budget alert check for tenant {Tenant} skipped: {Error}")]
        public static partial void AlertCheckSkipped(ILogger logger, string tenant, string error);

        [LoggerMessage(4, LogLevel.Warning, "Budget alert check for tenant {Tenant} failed after its record was committed (the record stands)")]
        public static partial void AlertCheckFailed(ILogger logger, string tenant, Exception exception);
    }
}
