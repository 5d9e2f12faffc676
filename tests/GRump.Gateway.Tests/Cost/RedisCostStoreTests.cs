using GRump.Gateway.Caching;
using GRump.Gateway.Cost;
using GRump.Gateway.Cost.Internal;
using GRump.Gateway.Errors;
using GRump.Gateway.Tests.Caching;
using GRump.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace GRump.Gateway.Tests.Cost;

/// <summary>
/// The Redis ledger against a real Redis; the behaviours both stores share run as theories over SQLite (temp folder)
/// and Redis (own key prefix per test), so the two cannot drift apart.
/// </summary>
public sealed class RedisCostStoreTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static readonly DateTimeOffset Noon = new(2025, 6, 15, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Stores => ["sqlite", "redis"];

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Reserve_NoBudget_ReturnsNullAndHoldsNothing(string kind)
    {
        // Arrange
        await using var store = Create(kind);

        // Act
        var reservation = await store.Store.ReserveAsync("t", 5, Noon, Ct);

        // Assert
        Assert.Null(reservation);
        Assert.Equal(new SpendStatus(0, 0, 0), await store.Store.GetSpendAsync("t", Noon, Ct));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Budget_SetThenGet_RoundTrips(string kind)
    {
        // Arrange
        await using var store = Create(kind);
        Assert.Null(await store.Store.GetBudgetAsync("t", Ct));

        // Act
        await store.Store.SetBudgetAsync("t", new BudgetSettings(1.25, 30.5, 75), Ct);

        // Assert
        Assert.Equal(new BudgetSettings(1.25, 30.5, 75), await store.Store.GetBudgetAsync("t", Ct));
        Assert.Null(await store.Store.GetBudgetAsync("other", Ct));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Reserve_WithinBudget_HoldsTheAmount(string kind)
    {
        // Arrange
        await using var store = Create(kind);
        await store.Store.SetBudgetAsync("t", new BudgetSettings(1, 0), Ct);

        // Act
        var reservation = await store.Store.ReserveAsync("t", 0.25, Noon, Ct);

        // Assert
        Assert.NotNull(reservation);
        Assert.Equal(("t", 0.25, "2025-06-15", "2025-06"), (reservation.Tenant, reservation.AmountUsd, reservation.Day, reservation.Month));
        Assert.Equal(new SpendStatus(0, 0, 0.25), await store.Store.GetSpendAsync("t", Noon, Ct));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Reserve_OverDailyBudget_ThrowsResourceExhaustedNamingLimitAndPeriod(string kind)
    {
        // Arrange
        await using var store = Create(kind);
        await store.Store.SetBudgetAsync("t", new BudgetSettings(1, 0), Ct);
        await store.Store.CommitAsync(NewRecord("t", 0.25, Noon.AddHours(-1)), null, Ct);
        await store.Store.ReserveAsync("t", 0.5, Noon, Ct);

        // Act
        var error = await Assert.ThrowsAsync<GatewayException>(async () => await store.Store.ReserveAsync("t", 0.5, Noon, Ct));

        // Assert
        Assert.Equal(GatewayErrorKind.ResourceExhausted, error.Kind);
        Assert.Equal("BUDGET_EXHAUSTED", error.Reason);
        Assert.Equal("Tenant 't' would exceed its daily budget of $1 for 2025-06-15 (spent $0.25, reserved $0.5, this request up to $0.5). " +
            "Raise the budget with POST /api/cost/budget or wait for the next period.", error.Message);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Reserve_OverMonthlyBudget_ThrowsNamingTheMonth(string kind)
    {
        // Arrange: spent earlier in the month, so today's daily spend is 0 but the month is nearly gone.
        await using var store = Create(kind);
        await store.Store.SetBudgetAsync("t", new BudgetSettings(0, 2), Ct);
        await store.Store.CommitAsync(NewRecord("t", 1.5, new DateTimeOffset(2025, 6, 1, 8, 0, 0, TimeSpan.Zero)), null, Ct);
        await store.Store.CommitAsync(NewRecord("t", 9, new DateTimeOffset(2025, 5, 31, 8, 0, 0, TimeSpan.Zero)), null, Ct);

        // Act
        var error = await Assert.ThrowsAsync<GatewayException>(async () => await store.Store.ReserveAsync("t", 0.6, Noon, Ct));
        var fits = await store.Store.ReserveAsync("t", 0.5, Noon, Ct);

        // Assert
        Assert.Equal(GatewayErrorKind.ResourceExhausted, error.Kind);
        Assert.Contains("monthly budget of $2 for 2025-06 (spent $1.5, reserved $0,", error.Message, StringComparison.Ordinal);
        Assert.NotNull(fits);
        Assert.Equal(new SpendStatus(0, 1.5, 0.5), await store.Store.GetSpendAsync("t", Noon, Ct));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Commit_WithReservation_ReplacesItWithTheActualCost(string kind)
    {
        // Arrange
        await using var store = Create(kind);
        await store.Store.SetBudgetAsync("t", new BudgetSettings(1, 0), Ct);
        var reservation = await store.Store.ReserveAsync("t", 0.5, Noon, Ct);

        // Act
        await store.Store.CommitAsync(NewRecord("t", 0.2, Noon), reservation, Ct);

        // Assert: 0.2 spent, nothing held, so exactly 0.8 more fits and not a cent beyond.
        Assert.Equal(new SpendStatus(0.2, 0.2, 0), await store.Store.GetSpendAsync("t", Noon, Ct));
        Assert.NotNull(await store.Store.ReserveAsync("t", 0.8, Noon, Ct));
        await Assert.ThrowsAsync<GatewayException>(async () => await store.Store.ReserveAsync("t", 0.01, Noon, Ct));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Release_FreesTheWholeReservation(string kind)
    {
        // Arrange
        await using var store = Create(kind);
        await store.Store.SetBudgetAsync("t", new BudgetSettings(1, 0), Ct);
        var reservation = await store.Store.ReserveAsync("t", 1, Noon, Ct);
        await Assert.ThrowsAsync<GatewayException>(async () => await store.Store.ReserveAsync("t", 0.01, Noon, Ct));

        // Act
        await store.Store.ReleaseAsync(reservation!);

        // Assert
        Assert.Equal(new SpendStatus(0, 0, 0), await store.Store.GetSpendAsync("t", Noon, Ct));
        Assert.NotNull(await store.Store.ReserveAsync("t", 1, Noon, Ct));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task GetDaily_Records_AggregatesByDayModelAndOperation(string kind)
    {
        // Arrange
        await using var store = Create(kind);
        var yesterday = Noon.AddDays(-1);
        await store.Store.CommitAsync(NewRecord("t", 0.5, yesterday, "moonshotai/kimi-k2.5", CostOperations.Chat) with { RoutingSavingsUsd = 0.25 }, null, Ct);
        await store.Store.CommitAsync(NewRecord("t", 0.125, Noon, "moonshotai/kimi-k2.5", CostOperations.Stream), null, Ct);
        await store.Store.CommitAsync(NewRecord("t", 2, Noon, "claude-sonnet-4-5", CostOperations.Chat) with { RoutingSavingsUsd = 0.5, CacheReadTokens = 6, CacheWriteTokens = 2, CacheWrite1hTokens = 1, ReasoningTokens = 9 }, null, Ct);
        await store.Store.CommitAsync(NewRecord("t", 0, Noon, "vendor:model:v1", CostOperations.Chat) with { CacheHit = true, CacheSavingsUsd = 0.75 }, null, Ct);
        await store.Store.CommitAsync(NewRecord("other", 100, Noon), null, Ct);

        // Act
        var days = await store.Store.GetDailyAsync("t", DateOnly.FromDateTime(yesterday.UtcDateTime.AddDays(-3)), DateOnly.FromDateTime(Noon.UtcDateTime.AddDays(2)), Ct);
        var onlyToday = await store.Store.GetDailyAsync("t", new DateOnly(2025, 6, 15), new DateOnly(2025, 6, 15), Ct);

        // Assert
        Assert.Equal([new DateOnly(2025, 6, 14), new DateOnly(2025, 6, 15)], days.Select(d => d.Day));
        Assert.Equal((0.5, 1L, 0L, 0.0, 0.25), (days[0].CostUsd, days[0].Requests, days[0].CacheHits, days[0].CacheSavingsUsd, days[0].RoutingSavingsUsd));
        var today = Assert.Single(onlyToday);
        Assert.Equal((2.125, 3L, 1L, 0.75, 0.5), (today.CostUsd, today.Requests, today.CacheHits, today.CacheSavingsUsd, today.RoutingSavingsUsd));
        Assert.Equal(new ModelAggregate(0.125, 1), today.ByModel["moonshotai/kimi-k2.5"]);
        Assert.Equal(new ModelAggregate(2, 1), today.ByModel["claude-sonnet-4-5"]);
        Assert.Equal(new ModelAggregate(0, 1), today.ByModel["vendor:model:v1"]);
        Assert.Equal(3, today.ByModel.Count);
        Assert.Equal(2, today.CostByOperation[CostOperations.Chat]);
        Assert.Equal(0.125, today.CostByOperation[CostOperations.Stream]);
        Assert.Equal(new TokenTotals(30, 60, 6, 2, 1, 9), today.Tokens);
        Assert.Equal(new TokenTotals(10, 20, 0, 0, 0, 0), days[0].Tokens);
        Assert.Empty(await store.Store.GetDailyAsync("t", new DateOnly(2025, 6, 16), new DateOnly(2025, 6, 20), Ct));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task GetDaily_AtTheEndsOfTheCalendar_AnswersEmpty(string kind)
    {
        // Arrange
        await using var store = Create(kind);
        await store.Store.CommitAsync(NewRecord("t", 0.5, Noon), null, Ct);

        // Act
        var first = await store.Store.GetDailyAsync("t", DateOnly.MinValue, DateOnly.MinValue.AddDays(2), Ct);
        var last = await store.Store.GetDailyAsync("t", DateOnly.MaxValue.AddDays(-2), DateOnly.MaxValue, Ct);

        // Assert
        Assert.Empty(first);
        Assert.Empty(last);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task GetSince_LastHourAndDay_CountsOnlyLaterRecords(string kind)
    {
        // Arrange (records well away from the minute boundaries: the Redis store is exact to the minute)
        await using var store = Create(kind);
        await store.Store.CommitAsync(NewRecord("t", 0.5, Noon.AddMinutes(-30)), null, Ct);
        await store.Store.CommitAsync(NewRecord("t", 0.25, Noon.AddHours(-2)), null, Ct);
        await store.Store.CommitAsync(NewRecord("t", 8, Noon.AddHours(-30)), null, Ct);

        // Act
        var hour = await store.Store.GetSinceAsync("t", Noon.AddHours(-1), Ct);
        var day = await store.Store.GetSinceAsync("t", Noon.AddHours(-24), Ct);

        // Assert
        Assert.Equal((0.5, 1L), hour);
        Assert.Equal((0.75, 2L), day);
        Assert.Equal((0.0, 0L), await store.Store.GetSinceAsync("other", Noon.AddHours(-24), Ct));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task TryMarkAlert_SamePeriodTwice_TrueOnlyTheFirstTime(string kind)
    {
        // Arrange
        await using var store = Create(kind);

        // Act
        var first = await store.Store.TryMarkAlertAsync("t", "daily:2025-06-15", Ct);
        var second = await store.Store.TryMarkAlertAsync("t", "daily:2025-06-15", Ct);
        var nextDay = await store.Store.TryMarkAlertAsync("t", "daily:2025-06-16", Ct);
        var otherTenant = await store.Store.TryMarkAlertAsync("u", "daily:2025-06-15", Ct);

        // Assert
        Assert.Equal((true, false, true, true), (first, second, nextDay, otherTenant));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Reserve_1000Concurrent_AdmitsAtMostTheBudgetAndCommitsStayWithinIt(string kind)
    {
        // Arrange: $1.00 a day, each request holds $0.01.
        await using var store = Create(kind);
        await store.Store.SetBudgetAsync("t", new BudgetSettings(1, 0), Ct);

        // Act
        var admitted = await ReserveConcurrentlyAsync([store.Store], 1000, 0.01);
        await Task.WhenAll(admitted.Select(r => store.Store.CommitAsync(NewRecord("t", 0.0099, Noon), r, Ct).AsTask())).DefaultTimeout();

        // Assert: never more than the budget holds; and not fewer either (the check is not over-cautious).
        Assert.Equal(100, admitted.Count);
        var spend = await store.Store.GetSpendAsync("t", Noon, Ct);
        Assert.Equal(0, spend.ReservedUsd);
        Assert.InRange(spend.DailySpentUsd, 0.99 - 1e-9, 1.0);
    }

    [Fact]
    public async Task Reserve_TwoReplicasRacing_AdmitAtMostTheBudgetTogether()
    {
        // Arrange: two stores, two connections, one Redis — two gateway replicas.
        await using var first = LedgerStores.Redis(redis.Require());
        await using var second = LedgerStores.Redis(redis.Require(), first.Prefix);
        await first.Store.SetBudgetAsync("t", new BudgetSettings(1, 0), Ct);

        // Act
        var admitted = await ReserveConcurrentlyAsync([first.Store, second.Store], 1000, 0.01);

        // Assert
        Assert.Equal(100, admitted.Count);
        Assert.Equal(1, (await second.Store.GetSpendAsync("t", Noon, Ct)).ReservedUsd, 1e-9);
        await Assert.ThrowsAsync<GatewayException>(async () => await second.Store.ReserveAsync("t", 0.01, Noon, Ct));
    }

    [Fact]
    public async Task Reserve_AfterTheReservationTtl_ACrashedReplicasHoldNoLongerCounts()
    {
        // Arrange: a replica reserved the whole budget and died without commit or release.
        await using var store = LedgerStores.Redis(redis.Require());
        await store.Store.SetBudgetAsync("t", new BudgetSettings(1, 0), Ct);
        await store.Store.ReserveAsync("t", 1, Noon, Ct);

        // Act
        var beforeTtl = await Record.ExceptionAsync(async () => await store.Store.ReserveAsync("t", 0.5, Noon.AddMinutes(9), Ct));
        var afterTtl = await store.Store.ReserveAsync("t", 0.5, Noon.AddMinutes(10).AddMilliseconds(1), Ct);

        // Assert
        Assert.IsType<GatewayException>(beforeTtl);
        Assert.NotNull(afterTtl);
        Assert.Equal(0.5, (await store.Store.GetSpendAsync("t", Noon.AddMinutes(11), Ct)).ReservedUsd);
    }

    [Fact]
    public async Task Commit_ThousandsOfOddAmounts_SumsExactTo1e9AndEveryRecordIsInTheStream()
    {
        // Arrange: amounts like real per-token prices (not representable in binary), committed concurrently.
        await using var store = LedgerStores.Redis(redis.Require());
        const int Count = 3000;
        var records = Enumerable.Range(0, Count)
            .Select(i => NewRecord("t", (17 + i % 997) * 0.60e-6 + (i % 41) * 2.50e-6 + i * 1e-13, Noon.AddSeconds(-i)) with { CacheSavingsUsd = i * 3.3e-7 })
            .ToList();

        // Act
        await Task.WhenAll(records.Select(r => store.Store.CommitAsync(r, null, Ct).AsTask())).DefaultTimeout();

        // Assert: Redis's sums agree with an exact decimal sum and with the plain double sum the reports compare to.
        var exact = records.Sum(r => (decimal)r.CostUsd);
        var day = Assert.Single(await store.Store.GetDailyAsync("t", new DateOnly(2025, 6, 15), new DateOnly(2025, 6, 15), Ct));
        Assert.Equal((double)exact, day.CostUsd, 1e-9);
        Assert.Equal(records.Sum(r => r.CostUsd), day.CostUsd, 1e-9);
        Assert.Equal((double)records.Sum(r => (decimal)r.CacheSavingsUsd), day.CacheSavingsUsd, 1e-9);
        Assert.Equal(day.CostUsd, day.ByModel.Values.Sum(m => m.CostUsd), 1e-12);
        Assert.Equal((double)exact, (await store.Store.GetSpendAsync("t", Noon, Ct)).MonthlySpentUsd, 1e-9);
        Assert.Equal(Count, day.Requests);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Require()).DefaultTimeout();
        Assert.Equal(Count, await connection.GetDatabase().StreamLengthAsync(store.Prefix + "{t}:records").DefaultTimeout());
    }

    [Fact]
    public async Task Commit_RawRecordsOlderThanTheRetention_LeaveTheStreamButTheTotalsStay()
    {
        // Arrange: no raw-record window at all, so every earlier record is beyond it at the next write.
        await using var stores = LedgerStores.Redis(redis.Require(), options: new CostOptions { RawRecordRetention = TimeSpan.Zero });
        var store = stores.Store;
        var prefix = stores.Prefix;
        const int Count = 600;

        // Act: one after another, so the stream's ids span many milliseconds and whole nodes fall out of the window.
        for (var i = 0; i < Count; i++)
        {
            await store.CommitAsync(NewRecord("t", 0.001, Noon), null, Ct);
        }

        // Assert
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Require()).DefaultTimeout();
        var length = await connection.GetDatabase().StreamLengthAsync(prefix + "{t}:records").DefaultTimeout();
        Assert.InRange(length, 1, Count - 100);
        var day = Assert.Single(await store.GetDailyAsync("t", new DateOnly(2025, 6, 15), new DateOnly(2025, 6, 15), Ct));
        Assert.Equal(Count, day.Requests);
        Assert.Equal(0.6, day.CostUsd, 1e-9);
    }

    [Theory]
    [InlineData("Redis:Configuration", typeof(RedisCostStore))]
    [InlineData(RedisOptions.EnvironmentVariable, typeof(RedisCostStore))]
    [InlineData("Unrelated", typeof(SqliteCostStore))]
    public async Task AddCostLedger_RedisConfigured_ChoosesTheRedisStore(string setting, Type expected)
    {
        // Arrange
        var data = Directory.CreateTempSubdirectory("grump-ledger-").FullName;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [setting] = "127.0.0.1:1",
            ["Gateway:DataPath"] = data,
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddMetrics();

        // Act
        services.AddCostLedger();
        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<ICostStore>();

        // Assert
        Assert.IsType(expected, store);
        await provider.DisposeAsync();
        Directory.Delete(data, recursive: true);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private LedgerStores Create(string kind) => kind == "redis" ? LedgerStores.Redis(redis.Require()) : LedgerStores.Sqlite();

    private static CostRecord NewRecord(string tenant, double cost, DateTimeOffset at, string model = "moonshotai/kimi-k2.5", string operation = CostOperations.Chat) => new()
    {
        Id = Guid.CreateVersion7(),
        Tenant = tenant,
        Model = model,
        Provider = "nim",
        Operation = operation,
        InputTokens = 10,
        OutputTokens = 20,
        CostUsd = cost,
        Timestamp = at,
    };

    /// <summary>Starts every reservation at once (spread over the stores), returns the admitted ones; refusals must be budget refusals.</summary>
    private static async Task<List<BudgetReservation>> ReserveConcurrentlyAsync(ICostStore[] stores, int count, double amount)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                return await stores[i % stores.Length].ReserveAsync("t", amount, Noon, Ct);
            }
            catch (GatewayException ex) when (ex.Kind == GatewayErrorKind.ResourceExhausted && ex.Reason == "BUDGET_EXHAUSTED")
            {
                return null;
            }
        }, Ct)).ToList();
        start.SetResult();
        var results = await Task.WhenAll(attempts).DefaultTimeout();
        return [.. results.OfType<BudgetReservation>()];
    }

}
