using GRump.Gateway.Cost;
using GRump.Gateway.Cost.Internal;
using GRump.Gateway.Errors;
using GRump.Gateway.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace GRump.Gateway.Tests.Cost;

/// <summary>The SQLite ledger keeps raw rows for a window and rolls older ones up; every report reads the same totals.</summary>
public sealed class LedgerRetentionTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Noon = new(2025, 6, 15, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] Models = ["moonshotai/kimi-k2.5", "claude-sonnet-4-5"];
    private static readonly string[] Operations = [CostOperations.Chat, CostOperations.Stream, CostOperations.Embed];

    private readonly string _folder = Directory.CreateTempSubdirectory("grump-retention-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string DatabasePath => Path.Combine(_folder, "ledger.db");

    [Fact]
    public async Task RollUp_RawRowsBeyondTheWindow_EveryReportReadsTheSameTotals()
    {
        // Arrange: 400 records, one every 36 minutes back from noon (10 days), two tenants, mixed models, operations, hits.
        await using var store = Open();
        await CommitSpreadAsync(store, 400);
        var before = await ReportsAsync(store);

        // Act: raw rows older than 2 days become hourly rows, hourly rows older than 5 days daily rows.
        var rolled = await store.RollUpAsync(Noon.AddDays(-2), Noon.AddDays(-5), Ct);
        var again = await store.RollUpAsync(Noon.AddDays(-2), Noon.AddDays(-5), Ct);

        // Assert
        var after = await ReportsAsync(store);
        Assert.Equal(before.Count, after.Count);
        for (var i = 0; i < before.Count; i++)
        {
            Assert.Equal((before[i].Label, before[i].Requests), (after[i].Label, after[i].Requests));
            Assert.True(Math.Abs(before[i].Cost - after[i].Cost) < 1e-9, $"{before[i].Label}: {before[i].Cost} before, {after[i].Cost} after");
        }

        var (raw, hourly, daily) = await CountRowsAsync();
        Assert.Equal(400 - RawWithin(TimeSpan.FromDays(2), 400), rolled.RawRecords);
        Assert.Equal(RawWithin(TimeSpan.FromDays(2), 400), raw);
        Assert.InRange(hourly, 1, 3 * 24 * 2 * Models.Length * Operations.Length);
        Assert.InRange(daily, 1, 6 * 2 * Models.Length * Operations.Length);
        Assert.True(rolled.HourlyRows > 0);
        Assert.Equal(new LedgerRollup(0, 0), again);
    }

    [Fact]
    public async Task RollUp_ThenRestart_AdmissionSeesTheRolledUpSpend()
    {
        // Arrange: today's spend, all of it rolled up (a window that ends in the future).
        await using (var first = Open())
        {
            await first.SetBudgetAsync("t0", new BudgetSettings(DailyLimitUsd: 1, MonthlyLimitUsd: 0), Ct);
            for (var i = 0; i < 10; i++)
            {
                await first.CommitAsync(Record("t0", 0.09, Noon.AddMinutes(-i), i), null, Ct);
            }

            await first.RollUpAsync(Noon.AddHours(1), Noon.AddDays(-5), Ct);
            Assert.Equal(0, (await CountRowsAsync()).Raw);
        }

        // Act
        await using var reopened = Open();
        var spend = await reopened.GetSpendAsync("t0", Noon, Ct);
        var refused = await Assert.ThrowsAsync<GatewayException>(async () => await reopened.ReserveAsync("t0", 0.2, Noon, Ct));

        // Assert
        Assert.Equal(0.9, spend.DailySpentUsd, 1e-9);
        Assert.Equal(GatewayErrorKind.ResourceExhausted, refused.Kind);
    }

    [Fact]
    public async Task RollUp_InChunksWhileRecordsAndABudgetAreWritten_NothingIsLostOrCountedTwice()
    {
        // Arrange: 5,000 raw rows from yesterday, which the roll-up moves in three transactions (2,000 rows each at most).
        await using var store = Open();
        await Task.WhenAll(Enumerable.Range(0, 5000).Select(i => store.CommitAsync(Record("t0", 0.001, Noon.AddDays(-1).AddSeconds(i), i), null, Ct).AsTask())).DefaultTimeout();

        // Act: records of this hour and a budget are written while it runs (when each gets the write turn is up to the
        // scheduler: this checks what comes out, not the order).
        var rollUp = store.RollUpAsync(Noon.AddHours(-1), Noon.AddDays(-5), Ct).AsTask();
        var writes = Enumerable.Range(0, 300).Select(i => store.CommitAsync(Record("t0", 0.002, Noon.AddSeconds(-i), i), null, Ct).AsTask())
            .Append(store.SetBudgetAsync("t0", new BudgetSettings(DailyLimitUsd: 5, MonthlyLimitUsd: 0), Ct).AsTask());
        await Task.WhenAll(writes.Append(rollUp)).DefaultTimeout();

        // Assert
        Assert.Equal(new LedgerRollup(5000, 0), await rollUp);
        var (raw, hourly, _) = await CountRowsAsync().DefaultTimeout();
        Assert.Equal(300, raw);
        Assert.InRange(hourly, 1, 2 * Models.Length * Operations.Length);
        var (cost, requests) = await store.GetSinceAsync("t0", Noon.AddDays(-2), Ct).AsTask().DefaultTimeout();
        Assert.Equal(5300, requests);
        Assert.Equal(5000 * 0.001 + 300 * 0.002, cost, 1e-9);
        Assert.Equal(5, (await store.GetBudgetAsync("t0", Ct).AsTask().DefaultTimeout())?.DailyLimitUsd);
    }

    [Fact]
    public async Task RetentionService_OnTheClock_RollsUpEveryInterval()
    {
        // Arrange
        await using var store = Open();
        await CommitSpreadAsync(store, 100);
        var time = new FakeTimeProvider(Noon);
        var options = Options.Create(new CostOptions { RawRecordRetention = TimeSpan.FromDays(1), RollupInterval = TimeSpan.FromMinutes(10) });
        using var service = new LedgerRetentionService(store, options, time, NullLogger<LedgerRetentionService>.Instance);
        await service.StartAsync(Ct);

        // Act
        time.Advance(TimeSpan.FromMinutes(10));
        var rolled = await service.LastRun.DefaultTimeout();
        await service.StopAsync(Ct);

        // Assert
        Assert.NotNull(rolled);
        Assert.Equal(100 - RawWithin(TimeSpan.FromDays(1) - TimeSpan.FromMinutes(10), 100), rolled.Value.RawRecords);
    }

    [Fact]
    public void Options_HourlyWindowShorterThanTheRawWindow_FailValidation()
    {
        // Arrange
        var options = new CostOptions { RawRecordRetention = TimeSpan.FromDays(30), HourlyRetention = TimeSpan.FromDays(7) };

        // Act
        var result = new CostOptionsValidator().Validate(null, options);

        // Assert
        Assert.True(result.Failed);
        Assert.Contains("Cost:HourlyRetention", result.FailureMessage, StringComparison.Ordinal);
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }

        return ValueTask.CompletedTask;
    }

    private SqliteCostStore Open() => new(DatabasePath, 1000, NullLogger.Instance);

    /// <summary>How many of <paramref name="count"/> records (one every 36 minutes back from noon) are newer than noon − <paramref name="window"/>.</summary>
    private static int RawWithin(TimeSpan window, int count) =>
        Enumerable.Range(0, count).Count(i => Noon.AddMinutes(-36 * i) >= Noon - window);

    private static async Task CommitSpreadAsync(SqliteCostStore store, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await store.CommitAsync(Record($"t{i % 2}", 0.001 * (1 + (i % 7)), Noon.AddMinutes(-36 * i), i), null, Ct);
        }
    }

    private static CostRecord Record(string tenant, double cost, DateTimeOffset at, int i) => new()
    {
        Id = Guid.CreateVersion7(),
        Tenant = tenant,
        Model = Models[i % Models.Length],
        Provider = "nim",
        Operation = Operations[i % Operations.Length],
        InputTokens = 10 + i,
        OutputTokens = 20,
        CostUsd = cost,
        CacheReadTokens = i % 3,
        CacheWriteTokens = i % 4 == 0 ? 5 : 0,
        CacheWrite1hTokens = i % 6 == 0 ? 2 : 0,
        ReasoningTokens = 7,
        CacheHit = i % 5 == 0,
        CacheSavingsUsd = i % 5 == 0 ? 0.002 : 0,
        RoutingSavingsUsd = 0.0005,
        Timestamp = at,
    };

    /// <summary>Every read the cost API makes, flattened to (label, requests, cost) for both tenants.</summary>
    private static async Task<List<(string Label, long Requests, double Cost)>> ReportsAsync(SqliteCostStore store)
    {
        var rows = new List<(string, long, double)>();
        foreach (var tenant in (string[])["t0", "t1"])
        {
            foreach (var day in await store.GetDailyAsync(tenant, DateOnly.FromDateTime(Noon.UtcDateTime).AddDays(-30), DateOnly.FromDateTime(Noon.UtcDateTime), Ct))
            {
                rows.Add(($"{tenant} day {day.Day}", day.Requests, day.CostUsd));
                rows.Add(($"{tenant} day {day.Day} hits", day.CacheHits, day.CacheSavingsUsd + day.RoutingSavingsUsd));
                rows.Add(($"{tenant} day {day.Day} tokens", day.Tokens.Input + day.Tokens.Output, day.Tokens.CacheRead + (1e3 * day.Tokens.CacheWrite) + (1e6 * day.Tokens.CacheWrite1h) + (1e9 * day.Tokens.Reasoning)));
                foreach (var (model, aggregate) in day.ByModel.OrderBy(m => m.Key, StringComparer.Ordinal))
                {
                    rows.Add(($"{tenant} day {day.Day} {model}", aggregate.Requests, aggregate.CostUsd));
                }

                foreach (var (operation, cost) in day.CostByOperation.OrderBy(o => o.Key, StringComparer.Ordinal))
                {
                    rows.Add(($"{tenant} day {day.Day} {operation}", 0, cost));
                }
            }

            // Rolling windows are exact within the hourly window when they start on the hour (beyond it, a day counts
            // from its start): the API asks for the last hour and day, which the raw and hourly windows always cover.
            foreach (var hours in (int[])[1, 24, 72, 120])
            {
                var (cost, requests) = await store.GetSinceAsync(tenant, Noon.AddHours(-hours), Ct);
                rows.Add(($"{tenant} since {hours} h", requests, cost));
            }

            foreach (var hour in await store.GetHourlyAsync(tenant, Noon.AddHours(-24), Ct))
            {
                rows.Add(($"{tenant} hour {hour.Hour:O}", hour.Requests, hour.CostUsd));
            }
        }

        return rows;
    }

    private async Task<(long Raw, long Hourly, long Daily)> CountRowsAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT COUNT(*) FROM records), (SELECT COUNT(*) FROM records_hourly), (SELECT COUNT(*) FROM records_daily)";
        await using var reader = await command.ExecuteReaderAsync(Ct);
        await reader.ReadAsync(Ct);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }
}
