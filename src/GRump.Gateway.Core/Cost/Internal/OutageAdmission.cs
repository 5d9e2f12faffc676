using GRump.Gateway.Errors;

namespace GRump.Gateway.Cost.Internal;

/// <summary>
/// Admission while the Redis ledger is unreachable (or its journal not yet replayed): from the last known spend of
/// each tenant (what Redis reported at this replica's last reserve), plus what this replica has spent and holds since,
/// capped by a per-replica outage allowance. Each replica admits at most <c>allowance</c> of new spend per tenant per
/// outage, and Redis admitted everything else against the true fleet-wide spend, so a fleet of N replicas overshoots a
/// budget by at most N × allowance per outage (docs/cost.md).
/// <para>
/// The same view is kept current while Redis is healthy (every reserve replaces it, this replica's commits and
/// releases adjust it), so it is as fresh as possible when an outage begins. Tenants known to have no budget are
/// admitted without a limit, as Redis would; tenants this replica has never seen get only the allowance.
/// </para>
/// </summary>
internal sealed class OutageAdmission(double allowanceUsd)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, TenantView> _views = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, BudgetReservation> _local = [];

    public double AllowanceUsd => allowanceUsd;

    /// <summary>What Redis reported at a reserve on this replica.</summary>
    public void Observe(string tenant, BudgetSnapshot snapshot)
    {
        lock (_lock)
        {
            var view = View(tenant);
            view.Known = true;
            view.Snapshot = snapshot;
        }
    }

    /// <summary>A budget set through this replica.</summary>
    public void ObserveBudget(string tenant, BudgetSettings budget)
    {
        lock (_lock)
        {
            var view = View(tenant);
            var snapshot = view.Known ? view.Snapshot : BudgetSnapshot.NoBudget;
            view.Known = true;
            view.Snapshot = snapshot with { DailyLimitUsd = budget.DailyLimitUsd, MonthlyLimitUsd = budget.MonthlyLimitUsd };
        }
    }

    /// <summary>
    /// Holds <paramref name="amountUsd"/> locally, or throws: RESOURCE_EXHAUSTED when the budget as last known would be
    /// overrun (the same message as Redis), UNAVAILABLE when this replica's outage allowance for the tenant is used up.
    /// Null when the tenant is known to have no budget.
    /// </summary>
    public BudgetReservation? Reserve(string tenant, double amountUsd, DateTimeOffset now)
    {
        var day = Periods.Day(now);
        var month = Periods.Month(now);
        lock (_lock)
        {
            _views.TryGetValue(tenant, out var view);
            if (view is { Known: true, Snapshot: { DailyLimitUsd: <= 0, MonthlyLimitUsd: <= 0 } })
            {
                return null;
            }
            if (view is { Known: true })
            {
                var s = view.Snapshot;
                // Spent and held as Redis last said (for the same period), plus what this replica did since.
                SqliteCostStore.Check(tenant, "daily", day, s.DailyLimitUsd,
                    (s.Day == day ? s.SpentDayUsd : 0) + view.LocalSpentUsd, (s.Day == day ? s.HeldDayUsd : 0) + view.LocalHeldUsd, amountUsd);
                SqliteCostStore.Check(tenant, "monthly", month, s.MonthlyLimitUsd,
                    (s.Month == month ? s.SpentMonthUsd : 0) + view.LocalSpentUsd, (s.Month == month ? s.HeldMonthUsd : 0) + view.LocalHeldUsd, amountUsd);
            }
            var used = (view?.LocalHeldUsd ?? 0) + (view?.AllowanceSpentUsd ?? 0);
            if (used + amountUsd > allowanceUsd + 1e-12)
            {
                throw new GatewayException(GatewayErrorKind.Unavailable,
                    $"The cost ledger (Redis) is unreachable and this replica's outage allowance of ${allowanceUsd:0.######} for tenant '{tenant}' " +
                    $"is used up (${used:0.######} admitted, this request up to ${amountUsd:0.######}). Retry when the ledger is back.")
                {
                    Reason = "LEDGER_UNAVAILABLE",
                };
            }
            view ??= View(tenant);
            var reservation = new BudgetReservation(Uuid7.New(), tenant, amountUsd, day, month);
            _local.Add(reservation.Id, reservation);
            view.LocalHeldUsd += amountUsd;
            return reservation;
        }
    }

    /// <summary>True for a hold made here (<see cref="Reserve"/>) that is still open; false for a Redis hold.</summary>
    public bool IsLocal(BudgetReservation reservation)
    {
        lock (_lock)
        {
            return _local.ContainsKey(reservation.Id);
        }
    }

    /// <summary>
    /// A record was committed: <paramref name="applied"/> when Redis counts it now, else it waits in the journal. Its
    /// hold is settled (a Redis hold leaves the snapshot, a local one this replica's holds) and its cost is added where
    /// it is counted.
    /// </summary>
    public void Committed(CostRecord record, BudgetReservation? reservation, bool applied)
    {
        lock (_lock)
        {
            var view = View(record.Tenant);
            if (reservation is not null && _local.Remove(reservation.Id))
            {
                view.LocalHeldUsd = Math.Max(0, view.LocalHeldUsd - reservation.AmountUsd);
                if (!applied)
                {
                    view.AllowanceSpentUsd += record.CostUsd;
                }
            }
            else if (reservation is not null)
            {
                SettleRemote(reservation);
            }
            if (applied)
            {
                view.Snapshot = view.Snapshot with { SpentDayUsd = view.Snapshot.SpentDayUsd + record.CostUsd, SpentMonthUsd = view.Snapshot.SpentMonthUsd + record.CostUsd };
            }
            else
            {
                view.LocalSpentUsd += record.CostUsd;
            }
        }
    }

    /// <summary>Releases a local hold (true), or takes a Redis hold out of the snapshot (false: Redis must release it).</summary>
    public bool Release(BudgetReservation reservation)
    {
        lock (_lock)
        {
            if (_local.Remove(reservation.Id))
            {
                var view = View(reservation.Tenant);
                view.LocalHeldUsd = Math.Max(0, view.LocalHeldUsd - reservation.AmountUsd);
                return true;
            }
            SettleRemote(reservation);
            return false;
        }
    }

    /// <summary>The journal reached Redis: what was spent locally is in Redis's spend now, and a new outage starts with a whole allowance.</summary>
    public void OutageEnded()
    {
        lock (_lock)
        {
            foreach (var view in _views.Values)
            {
                view.Snapshot = view.Snapshot with
                {
                    SpentDayUsd = view.Snapshot.SpentDayUsd + view.LocalSpentUsd,
                    SpentMonthUsd = view.Snapshot.SpentMonthUsd + view.LocalSpentUsd,
                };
                view.LocalSpentUsd = 0;
                view.AllowanceSpentUsd = 0;
            }
        }
    }

    /// <summary>A Redis hold that is committed or released no longer holds budget (as far as this replica can tell).</summary>
    private void SettleRemote(BudgetReservation reservation)
    {
        if (_views.TryGetValue(reservation.Tenant, out var view) && view.Known)
        {
            var s = view.Snapshot;
            view.Snapshot = s with
            {
                HeldDayUsd = s.Day == reservation.Day ? Math.Max(0, s.HeldDayUsd - reservation.AmountUsd) : s.HeldDayUsd,
                HeldMonthUsd = s.Month == reservation.Month ? Math.Max(0, s.HeldMonthUsd - reservation.AmountUsd) : s.HeldMonthUsd,
            };
        }
    }

    private TenantView View(string tenant)
    {
        if (!_views.TryGetValue(tenant, out var view))
        {
            view = new TenantView();
            _views.Add(tenant, view);
        }
        return view;
    }

    private sealed class TenantView
    {
        /// <summary>Redis has told this replica the tenant's budget (else only the allowance applies).</summary>
        public bool Known { get; set; }

        public BudgetSnapshot Snapshot { get; set; } = BudgetSnapshot.NoBudget;

        /// <summary>Cost journaled and not yet in Redis.</summary>
        public double LocalSpentUsd { get; set; }

        /// <summary>Open local holds.</summary>
        public double LocalHeldUsd { get; set; }

        /// <summary>Cost committed against local holds in this outage (with the open holds, what the allowance caps).</summary>
        public double AllowanceSpentUsd { get; set; }
    }
}
