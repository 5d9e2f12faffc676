namespace GRump.Gateway.Cost;

/// <summary>
/// Where the ledger and budgets live: SQLite by default (one gateway), Redis when configured (shared by a fleet).
/// Reservations are atomic in the store, so concurrent requests can never overrun a budget together.
/// </summary>
public interface ICostStore
{
    /// <summary>Holds <paramref name="amountUsd"/> of the tenant's budget, or throws RESOURCE_EXHAUSTED naming the limit and period.</summary>
    ValueTask<BudgetReservation?> ReserveAsync(string tenant, double amountUsd, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Writes the record durably and releases its reservation (the actual cost replaces it). Completes once committed.</summary>
    ValueTask CommitAsync(CostRecord record, BudgetReservation? reservation, CancellationToken cancellationToken);

    ValueTask ReleaseAsync(BudgetReservation reservation);

    ValueTask<BudgetSettings?> GetBudgetAsync(string tenant, CancellationToken cancellationToken);

    ValueTask SetBudgetAsync(string tenant, BudgetSettings budget, CancellationToken cancellationToken);

    ValueTask<SpendStatus> GetSpendAsync(string tenant, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>True the first time it is called for a tenant and period key (alerts fire once per period).</summary>
    ValueTask<bool> TryMarkAlertAsync(string tenant, string period, CancellationToken cancellationToken);

    /// <summary>Per-day aggregates for the days in [first, last] that have any record.</summary>
    ValueTask<IReadOnlyList<DailyAggregate>> GetDailyAsync(string tenant, DateOnly first, DateOnly last, CancellationToken cancellationToken);

    /// <summary>Cost and request count since <paramref name="since"/>.</summary>
    ValueTask<(double CostUsd, long Requests)> GetSinceAsync(string tenant, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Cost and request count per UTC hour since <paramref name="since"/> (at most 24 hours back), hours with records only.</summary>
    ValueTask<IReadOnlyList<HourlyAggregate>> GetHourlyAsync(string tenant, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>
    /// Null when the store can record and answer now, else why not (readiness: <c>/readyz</c> and grpc.health report a
    /// gateway whose ledger cannot record as not ready, since every metered call would fail).
    /// </summary>
    ValueTask<string?> CheckAsync(CancellationToken cancellationToken) => ValueTask.FromResult<string?>(null);
}
