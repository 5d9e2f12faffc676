using GRump.Gateway.Cost;
using GRump.Gateway.Cost.Internal;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Tests.Cost;

/// <summary>Admission while the Redis ledger is out: last known spend + this replica's own, capped by the allowance.</summary>
public sealed class OutageAdmissionTests
{
    private static readonly DateTimeOffset Noon = new(2025, 6, 15, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Reserve_UnknownTenant_AdmitsUpToTheAllowanceThenUnavailable()
    {
        // Arrange: this replica never heard of the tenant (it may have a budget): only the allowance applies.
        var admission = new OutageAdmission(allowanceUsd: 0.10);

        // Act
        var first = admission.Reserve("t", 0.06, Noon);
        var second = admission.Reserve("t", 0.04, Noon);
        var error = Assert.Throws<GatewayException>(() => admission.Reserve("t", 0.01, Noon));

        // Assert
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Equal((GatewayErrorKind.Unavailable, "LEDGER_UNAVAILABLE"), (error.Kind, error.Reason));
        Assert.Equal("The cost ledger (Redis) is unreachable and this replica's outage allowance of $0.1 for tenant 't' is used up " +
            "($0.1 admitted, this request up to $0.01). Retry when the ledger is back.", error.Message);
    }

    [Fact]
    public void Reserve_KnownBudget_RefusesWhatTheLastKnownSpendPlusLocalHoldsWouldOverrun()
    {
        // Arrange: Redis said $0.70 spent and $0.10 held (this hold included) of $1.00 today.
        var admission = new OutageAdmission(allowanceUsd: 5);
        admission.Observe("t", new BudgetSnapshot(1.00, 0, "2025-06-15", "2025-06", 0.70, 0.70, 0.10, 0.10));

        // Act
        var fits = admission.Reserve("t", 0.15, Noon);
        var error = Assert.Throws<GatewayException>(() => admission.Reserve("t", 0.06, Noon));

        // Assert: the same refusal as Redis would give, counting the local hold.
        Assert.NotNull(fits);
        Assert.Equal((GatewayErrorKind.ResourceExhausted, "BUDGET_EXHAUSTED"), (error.Kind, error.Reason));
        Assert.StartsWith("Tenant 't' would exceed its daily budget of $1 for 2025-06-15 (spent $0.7, reserved $0.25, this request up to $0.06).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reserve_KnownToHaveNoBudget_AdmitsWithoutHoldingAnything()
    {
        // Arrange
        var admission = new OutageAdmission(allowanceUsd: 0);
        admission.Observe("t", BudgetSnapshot.NoBudget);

        // Act
        var reservation = admission.Reserve("t", 1_000, Noon);

        // Assert
        Assert.Null(reservation);
    }

    [Fact]
    public void Reserve_ZeroAllowance_RefusesEveryTenantThatMayHaveABudget()
    {
        // Arrange
        var admission = new OutageAdmission(allowanceUsd: 0);
        admission.Observe("budgeted", new BudgetSnapshot(10, 0, "2025-06-15", "2025-06", 0, 0, 0, 0));

        // Act
        var budgeted = Assert.Throws<GatewayException>(() => admission.Reserve("budgeted", 0.01, Noon));
        var unknown = Assert.Throws<GatewayException>(() => admission.Reserve("unknown", 0.01, Noon));

        // Assert
        Assert.Equal(GatewayErrorKind.Unavailable, budgeted.Kind);
        Assert.Equal(GatewayErrorKind.Unavailable, unknown.Kind);
    }

    [Fact]
    public void Committed_LocalHoldInTheOutage_ItsCostUsesTheAllowanceAndAReleaseFreesIt()
    {
        // Arrange
        var admission = new OutageAdmission(allowanceUsd: 0.10);
        var spent = admission.Reserve("t", 0.05, Noon)!;
        var released = admission.Reserve("t", 0.05, Noon)!;

        // Act: one request cost $0.03 (journaled), the other failed and released its hold.
        admission.Committed(Record("t", 0.03), spent, applied: false);
        var afterRelease = admission.Release(released);

        // Assert: $0.03 of the allowance is used; $0.07 is free again, not a cent more.
        Assert.True(afterRelease);
        Assert.False(admission.IsLocal(spent));
        Assert.NotNull(admission.Reserve("t", 0.07, Noon));
        Assert.Throws<GatewayException>(() => admission.Reserve("t", 0.001, Noon));
    }

    [Fact]
    public void Committed_RedisHoldFromBeforeTheOutage_MovesFromHeldToSpentWithoutUsingTheAllowance()
    {
        // Arrange: before the outage this replica held $0.50 in Redis (in the snapshot) of a $1.00 budget.
        var admission = new OutageAdmission(allowanceUsd: 0.40);
        var redisHold = new BudgetReservation(Guid.CreateVersion7(), "t", 0.50, "2025-06-15", "2025-06");
        admission.Observe("t", new BudgetSnapshot(1.00, 0, "2025-06-15", "2025-06", 0.20, 0.20, 0.50, 0.50));
        Assert.Throws<GatewayException>(() => admission.Reserve("t", 0.31, Noon)); // 0.2 + 0.5 + 0.31 > 1

        // Act: the request finished during the outage and cost $0.10 (journaled with its hold).
        admission.Committed(Record("t", 0.10), redisHold, applied: false);

        // Assert: spent 0.2 + 0.1 local, nothing held: 0.4 (the whole allowance) fits, and it is the allowance that stops more.
        Assert.False(admission.IsLocal(redisHold));
        Assert.NotNull(admission.Reserve("t", 0.40, Noon));
        Assert.Equal(GatewayErrorKind.Unavailable, Assert.Throws<GatewayException>(() => admission.Reserve("t", 0.01, Noon)).Kind);
    }

    [Fact]
    public void OutageEnded_TheNextOutageStartsWithAWholeAllowanceAndKnowsWhatWasSpent()
    {
        // Arrange: $0.80 of a $1.00 budget known; the outage spent the $0.15 allowance.
        var admission = new OutageAdmission(allowanceUsd: 0.15);
        admission.Observe("t", new BudgetSnapshot(1.00, 0, "2025-06-15", "2025-06", 0.80, 0.80, 0, 0));
        admission.Committed(Record("t", 0.15), admission.Reserve("t", 0.15, Noon), applied: false);
        Assert.Equal(GatewayErrorKind.Unavailable, Assert.Throws<GatewayException>(() => admission.Reserve("t", 0.01, Noon)).Kind);

        // Act: the journal was replayed; a second outage begins before any new reserve refreshed the view.
        admission.OutageEnded();

        // Assert: the allowance is whole again, but the $0.95 spent is remembered: only $0.05 fits.
        Assert.NotNull(admission.Reserve("t", 0.05, Noon));
        Assert.Equal(GatewayErrorKind.ResourceExhausted, Assert.Throws<GatewayException>(() => admission.Reserve("t", 0.01, Noon)).Kind);
    }

    [Fact]
    public void Reserve_SnapshotFromYesterday_CountsForTheMonthButNotForToday()
    {
        // Arrange: yesterday's snapshot: $9 of a $10 daily budget, $95 of $100 this month.
        var admission = new OutageAdmission(allowanceUsd: 50);
        admission.Observe("t", new BudgetSnapshot(10, 100, "2025-06-14", "2025-06", 9, 95, 0, 0));

        // Act
        var today = admission.Reserve("t", 4, Noon);
        var error = Assert.Throws<GatewayException>(() => admission.Reserve("t", 2, Noon));

        // Assert: the day is new (its $10 is free) but the month's $100 is not.
        Assert.NotNull(today);
        Assert.Contains("monthly budget of $100 for 2025-06", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ObserveBudget_SetThroughThisReplica_AppliesInTheOutage()
    {
        // Arrange
        var admission = new OutageAdmission(allowanceUsd: 10);
        admission.Observe("t", BudgetSnapshot.NoBudget);

        // Act
        admission.ObserveBudget("t", new BudgetSettings(0.5, 0));

        // Assert
        Assert.NotNull(admission.Reserve("t", 0.5, Noon));
        Assert.Equal(GatewayErrorKind.ResourceExhausted, Assert.Throws<GatewayException>(() => admission.Reserve("t", 0.01, Noon)).Kind);
    }

    private static CostRecord Record(string tenant, double cost) => new()
    {
        Id = Guid.CreateVersion7(),
        Tenant = tenant,
        Model = "moonshotai/kimi-k2.5",
        Provider = "nim",
        Operation = CostOperations.Chat,
        CostUsd = cost,
        Timestamp = Noon,
    };
}
