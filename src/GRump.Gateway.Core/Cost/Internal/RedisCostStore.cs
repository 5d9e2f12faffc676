using System.Diagnostics.Metrics;
using GRump.Gateway.Errors;
using Microsoft.Extensions.Logging;

namespace GRump.Gateway.Cost.Internal;

/// <summary>
/// The ledger of a fleet: every replica talks to one Redis, so budgets hold for the whole fleet
/// (<see cref="RedisLedger"/>), and keeps serving while Redis is out:
/// <list type="bullet">
/// <item>every record is written to a local journal first (<see cref="LedgerJournal"/>) and applied to Redis from
/// there, exactly once (<see cref="JournalReplayer"/>): while Redis is out records stay in the journal and are replayed
/// when it is back;</item>
/// <item>admission during an outage uses the last known spend plus this replica's own, capped by a per-replica
/// allowance (<see cref="OutageAdmission"/>);</item>
/// <item>reservations made in Redis before an outage are settled by their journaled record (the replay drops the hold),
/// or, when released, dropped once Redis is back (they would lapse after the reservation TTL anyway).</item>
/// </list>
/// Reads (reports, budgets) come from Redis and fail with UNAVAILABLE while it is out; they are complete again once
/// the journal is replayed. Design and bounds: docs/cost.md.
/// </summary>
internal sealed class RedisCostStore : ICostStore, IAsyncDisposable
{
    private readonly RedisLedger _redis;
    private readonly LedgerJournal _journal;
    private readonly OutageAdmission _admission;
    private readonly LedgerJournalMetrics _metrics;
    private readonly JournalReplayer _replayer;

    public RedisCostStore(Caching.RedisConnection connection, string journalPath, CostOptions options, TimeProvider time, IMeterFactory meterFactory, ILogger logger)
    {
        _journal = new LedgerJournal(journalPath);
        _admission = new OutageAdmission(options.OutageAllowanceUsd);
        JournalReplayer? replayer = null;
        // The replayer wakes when the connection is restored instead of waiting for its next retry.
        _redis = new RedisLedger(connection, options.RedisKeyPrefix, options.ReservationTtl, options.JournalRetention, options.RawRecordRetention, () => replayer?.Wake());
        _metrics = new LedgerJournalMetrics(meterFactory, () => _journal.Depth, () => replayer?.InOutage == true);
        _replayer = replayer = new JournalReplayer(_journal, _redis, options, time, logger, _metrics, _admission.OutageEnded);
    }

    /// <summary>Redis is out or its journal not yet replayed: admission is local.</summary>
    public bool InOutage => _replayer.InOutage;

    public long JournalDepth => _journal.Depth;

    /// <summary>Completes when no outage is going on (at once, if none is).</summary>
    public Task WhenOutageEndsAsync(CancellationToken cancellationToken) => _replayer.WhenOutageEndsAsync(cancellationToken);

    public async ValueTask<BudgetReservation?> ReserveAsync(string tenant, double amountUsd, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!_replayer.InOutage)
        {
            try
            {
                var result = await _redis.ReserveAsync(tenant, amountUsd, now, cancellationToken).ConfigureAwait(false);
                _admission.Observe(tenant, result.Snapshot);
                if (result.RefusedPeriod is { } period)
                {
                    var s = result.Snapshot;
                    var daily = period == "daily";
                    // The same message as the SQLite store: which limit, which period, and what to do.
                    SqliteCostStore.Check(tenant, period, daily ? s.Day : s.Month, daily ? s.DailyLimitUsd : s.MonthlyLimitUsd,
                        daily ? s.SpentDayUsd : s.SpentMonthUsd, daily ? s.HeldDayUsd : s.HeldMonthUsd, amountUsd);
                    throw new InvalidOperationException("The reserve script reported a breach the check did not confirm.");
                }
                return result.Reservation;
            }
            catch (GatewayException ex) when (ex.Reason == "LEDGER_UNAVAILABLE")
            {
                _replayer.ReportFailure(ex);
            }
        }
        try
        {
            var reservation = _admission.Reserve(tenant, amountUsd, now);
            _metrics.Admission(admitted: true);
            _replayer.AdmittedLocally();
            return reservation;
        }
        catch (GatewayException)
        {
            _metrics.Admission(admitted: false);
            throw;
        }
    }

    public async ValueTask CommitAsync(CostRecord record, BudgetReservation? reservation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!double.IsFinite(record.CostUsd) || !double.IsFinite(record.CacheSavingsUsd) || !double.IsFinite(record.RoutingSavingsUsd))
        {
            // A script stops at the first failing command and does not roll back: refuse before anything is written.
            throw new ArgumentException("A cost record's amounts must be finite.", nameof(record));
        }
        var remoteHold = reservation is not null && !_admission.IsLocal(reservation);
        // The apply script drops the record's Redis hold in the same step that counts its cost.
        var hold = remoteHold && reservation!.Tenant == record.Tenant ? reservation.Id.ToString("N") : string.Empty;
        var applied = await _replayer.AppendAsync(record, hold).ConfigureAwait(false);
        _admission.Committed(record, reservation, applied);
        if (remoteHold && hold.Length == 0)
        {
            await ReleaseAsync(reservation!).ConfigureAwait(false);
        }
    }

    public async ValueTask ReleaseAsync(BudgetReservation reservation)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        if (_admission.Release(reservation))
        {
            return;
        }
        if (!_replayer.InOutage)
        {
            try
            {
                await _redis.ReleaseAsync(reservation).ConfigureAwait(false);
                return;
            }
            catch (GatewayException ex)
            {
                _replayer.ReportFailure(ex);
            }
        }
        _replayer.QueueRelease(reservation);
    }

    public async ValueTask<BudgetSettings?> GetBudgetAsync(string tenant, CancellationToken cancellationToken) =>
        await _redis.GetBudgetAsync(tenant, cancellationToken).ConfigureAwait(false);

    public async ValueTask SetBudgetAsync(string tenant, BudgetSettings budget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(budget);
        await _redis.SetBudgetAsync(tenant, budget, cancellationToken).ConfigureAwait(false);
        _admission.ObserveBudget(tenant, budget);
    }

    public async ValueTask<SpendStatus> GetSpendAsync(string tenant, DateTimeOffset now, CancellationToken cancellationToken) =>
        await _redis.GetSpendAsync(tenant, now, cancellationToken).ConfigureAwait(false);

    public async ValueTask<bool> TryMarkAlertAsync(string tenant, string period, CancellationToken cancellationToken) =>
        await _redis.TryMarkAlertAsync(tenant, period, cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<DailyAggregate>> GetDailyAsync(string tenant, DateOnly first, DateOnly last, CancellationToken cancellationToken) =>
        await _redis.GetDailyAsync(tenant, first, last, cancellationToken).ConfigureAwait(false);

    public async ValueTask<(double CostUsd, long Requests)> GetSinceAsync(string tenant, DateTimeOffset since, CancellationToken cancellationToken) =>
        await _redis.GetSinceAsync(tenant, since, cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<HourlyAggregate>> GetHourlyAsync(string tenant, DateTimeOffset since, CancellationToken cancellationToken) =>
        await _redis.GetHourlyAsync(tenant, since, cancellationToken).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        await _replayer.DisposeAsync().ConfigureAwait(false);
        await _redis.DisposeAsync().ConfigureAwait(false);
        _journal.Dispose();
    }
}
