using GRump.Gateway.Cost;
using GRump.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace GRump.Gateway.Tests.Cost;

/// <summary>
/// <see cref="CostLedger.RecordAsync"/> throws only when the record was not committed: callers take an exception as
/// "not billed" and bill the call again (the chat pipeline records its partial usage), so a failure after the commit
/// must not surface as one.
/// </summary>
public sealed class CostLedgerRecordTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AlertCheckFailsAfterTheCommit_RecordAsyncReturns_TheRecordIsInOnce()
    {
        await using var stores = LedgerStores.Sqlite();
        using var meters = new TestMeterFactory();
        var ledger = Ledger(new FailingStore(stores.Store) { FailBudgetRead = true }, meters);
        var record = ledger.NewRecord("tenant-a", "m", "p", "chat") with { CostUsd = 0.25 };

        await ledger.RecordAsync(record, null, Ct);

        Assert.Equal((0.25, 1L), await stores.Store.GetSinceAsync("tenant-a", record.Timestamp.AddMinutes(-1), Ct));
    }

    [Fact]
    public async Task CommitFails_RecordAsyncThrows_NothingIsIn()
    {
        await using var stores = LedgerStores.Sqlite();
        using var meters = new TestMeterFactory();
        var ledger = Ledger(new FailingStore(stores.Store) { FailCommit = true }, meters);
        var record = ledger.NewRecord("tenant-a", "m", "p", "chat") with { CostUsd = 0.25 };

        await Assert.ThrowsAsync<InvalidOperationException>(() => ledger.RecordAsync(record, null, Ct).AsTask());

        Assert.Equal((0.0, 0L), await stores.Store.GetSinceAsync("tenant-a", record.Timestamp.AddMinutes(-1), Ct));
    }

    [Fact]
    public async Task FreeRecord_ChecksNoAlert_APaidOneDoes()
    {
        await using var stores = LedgerStores.Sqlite();
        using var meters = new TestMeterFactory();
        var store = new FailingStore(stores.Store);
        var ledger = Ledger(store, meters);

        await ledger.RecordAsync(ledger.NewRecord("tenant-a", "m", "p", "chat") with { CacheHit = true, CacheSavingsUsd = 0.25 }, null, Ct);
        var afterFree = store.BudgetReads;
        await ledger.RecordAsync(ledger.NewRecord("tenant-a", "m", "p", "chat") with { CostUsd = 0.25 }, null, Ct);

        Assert.Equal((0, 1), (afterFree, store.BudgetReads));
    }

    private static CostLedger Ledger(ICostStore store, TestMeterFactory meters) =>
        new(store, new CostMetrics(meters), TimeProvider.System, NullLogger<CostLedger>.Instance);

    /// <summary>A real store that counts budget reads, with one step made to fail (a bug or a broken dependency, not an unreachable ledger).</summary>
    private sealed class FailingStore(ICostStore inner) : ICostStore
    {
        public bool FailCommit { get; init; }

        public bool FailBudgetRead { get; init; }

        public ValueTask<BudgetReservation?> ReserveAsync(string tenant, double amountUsd, DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.ReserveAsync(tenant, amountUsd, now, cancellationToken);

        public ValueTask CommitAsync(CostRecord record, BudgetReservation? reservation, CancellationToken cancellationToken) =>
            FailCommit ? throw new InvalidOperationException("commit failed") : inner.CommitAsync(record, reservation, cancellationToken);

        public ValueTask ReleaseAsync(BudgetReservation reservation) => inner.ReleaseAsync(reservation);

        public int BudgetReads { get; private set; }

        public ValueTask<BudgetSettings?> GetBudgetAsync(string tenant, CancellationToken cancellationToken)
        {
            BudgetReads++;
            return FailBudgetRead ? throw new InvalidOperationException("budget read failed") : inner.GetBudgetAsync(tenant, cancellationToken);
        }

        public ValueTask SetBudgetAsync(string tenant, BudgetSettings budget, CancellationToken cancellationToken) =>
            inner.SetBudgetAsync(tenant, budget, cancellationToken);

        public ValueTask<SpendStatus> GetSpendAsync(string tenant, DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.GetSpendAsync(tenant, now, cancellationToken);

        public ValueTask<bool> TryMarkAlertAsync(string tenant, string period, CancellationToken cancellationToken) =>
            inner.TryMarkAlertAsync(tenant, period, cancellationToken);

        public ValueTask<IReadOnlyList<DailyAggregate>> GetDailyAsync(string tenant, DateOnly first, DateOnly last, CancellationToken cancellationToken) =>
            inner.GetDailyAsync(tenant, first, last, cancellationToken);

        public ValueTask<(double CostUsd, long Requests)> GetSinceAsync(string tenant, DateTimeOffset since, CancellationToken cancellationToken) =>
            inner.GetSinceAsync(tenant, since, cancellationToken);

        public ValueTask<IReadOnlyList<HourlyAggregate>> GetHourlyAsync(string tenant, DateTimeOffset since, CancellationToken cancellationToken) =>
            inner.GetHourlyAsync(tenant, since, cancellationToken);
    }
}
