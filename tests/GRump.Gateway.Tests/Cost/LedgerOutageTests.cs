using GRump.Gateway.Cost;
using GRump.Gateway.Cost.Internal;
using GRump.Gateway.Errors;
using GRump.Gateway.Tests.Caching;
using GRump.Gateway.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace GRump.Gateway.Tests.Cost;

/// <summary>
/// The Redis store while its Redis is killed and restarted (a real redis-server of the test's own, with an append-only
/// file so a restart keeps what it acknowledged): it keeps admitting and recording, and the journal reaches Redis once.
/// </summary>
public sealed class LedgerOutageTests
{
    private static readonly DateTimeOffset Noon = new(2025, 6, 15, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Outage_ReservesAndCommitsKeepWorking_AndTheReplayAppliesEveryRecordOnce()
    {
        // Arrange: a budget, some spend, and two requests in flight holding budget in Redis when it dies. (300 holds
        // of $0.01 at once: the outage allowance must cover them.)
        await using var server = await RedisServer.StartAsync(Ct, persistent: true);
        var logs = new RecordingLoggerProvider();
        await using var store = LedgerStores.Redis(server.Configuration, options: new CostOptions { OutageAllowanceUsd = 5 }, logger: logs.CreateLogger("ledger"));
        await store.Store.SetBudgetAsync("t", new BudgetSettings(10, 0), Ct);
        var before = await CommitAllAsync(store.Store, Amounts(20, seed: 1), Ct);
        var finishesInOutage = await store.Store.ReserveAsync("t", 0.05, Noon, Ct);
        var failsInOutage = await store.Store.ReserveAsync("t", 0.05, Noon, Ct);

        // Act: Redis dies; requests go on (admitted locally, recorded in the journal).
        await server.KillAsync();
        await store.Store.CommitAsync(NewRecord("t", 0.04) with { CacheReadTokens = 7, CacheWrite1hTokens = 2, ReasoningTokens = 5 }, finishesInOutage, Ct).AsTask().DefaultTimeout();
        await store.Store.ReleaseAsync(failsInOutage!).AsTask().DefaultTimeout();
        var during = await CommitAllAsync(store.Store, Amounts(300, seed: 2), Ct, reserveEach: 0.01);
        var depth = store.RedisStore.JournalDepth;
        var wasOut = store.RedisStore.InOutage;
        var started = await logs.WaitForAsync(e => e.Message.Contains("is unreachable", StringComparison.Ordinal), Ct);
        await server.StartAgainAsync(Ct);
        var ended = await logs.WaitForAsync(e => e.Message.Contains("is back after", StringComparison.Ordinal), Ct);

        // Assert: everything is in Redis exactly once, and no hold is left.
        Assert.True(wasOut);
        Assert.Equal(301, depth);
        Assert.Equal(LogLevel.Warning, started.Level);
        Assert.Contains("replayed 301 journaled records, 300 requests were admitted locally", ended.Message, StringComparison.Ordinal);
        Assert.Single(logs.Entries, e => e.Message.Contains("is unreachable", StringComparison.Ordinal));
        Assert.Equal(0, store.RedisStore.JournalDepth);
        Assert.False(store.RedisStore.InOutage);
        var expected = before.Concat([0.04]).Concat(during).ToList();
        await AssertLedgerAsync(store, server, expected);
        Assert.Equal(0, (await store.Store.GetSpendAsync("t", Noon, Ct)).ReservedUsd);
        var day = Assert.Single(await store.Store.GetDailyAsync("t", new DateOnly(2025, 6, 15), new DateOnly(2025, 6, 15), Ct));
        Assert.Equal(new TokenTotals(10L * expected.Count, 20L * expected.Count, 7, 0, 2, 5), day.Tokens);
        logs.AssertNoErrors();
    }

    [Fact]
    public async Task Journal_LeftByABuildBeforeTheTokenKinds_GainsTheColumnsAndKeepsItsRecords()
    {
        // Arrange: a journal file with the first schema's pending table and one record in it.
        var folder = Directory.CreateTempSubdirectory("grump-journal-").FullName;
        var path = Path.Combine(folder, "journal.db");
        var old = NewRecord("t", 0.25);
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                INSERT INTO meta(key, value) VALUES ('journal_id', 'j1');
                CREATE TABLE pending(
                  seq INTEGER PRIMARY KEY AUTOINCREMENT,
                  id TEXT NOT NULL, tenant TEXT NOT NULL, session TEXT NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL,
                  operation TEXT NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cost REAL NOT NULL,
                  cache_hit INTEGER NOT NULL, cache_savings REAL NOT NULL, routing_savings REAL NOT NULL, ts INTEGER NOT NULL,
                  day TEXT NOT NULL, hold TEXT NOT NULL);
                INSERT INTO pending(id, tenant, session, model, provider, operation, input_tokens, output_tokens, cost, cache_hit,
                  cache_savings, routing_savings, ts, day, hold)
                VALUES ($id, 't', '', 'moonshotai/kimi-k2.5', 'nim', 'chat', 10, 20, 0.25, 0, 0, 0, $ts, '2025-06-15', '');
                """;
            command.Parameters.AddWithValue("$id", old.Id.ToString("N"));
            command.Parameters.AddWithValue("$ts", old.Timestamp.ToUnixTimeMilliseconds());
            command.ExecuteNonQuery();
        }

        try
        {
            // Act
            IReadOnlyList<JournalEntry> entries;
            using (var journal = new LedgerJournal(path))
            {
                journal.Append([(NewRecord("t", 0.5) with { CacheReadTokens = 3, CacheWriteTokens = 4, CacheWrite1hTokens = 5, ReasoningTokens = 6 }, "")]);
                entries = journal.ReadOldest(10);
                Assert.Equal("j1", journal.Id);
            }

            // Assert: the old record reads with no token kinds, the new one with its own.
            Assert.Equal(2, entries.Count);
            Assert.Equal((old.Id, 0.25), (entries[0].Record.Id, entries[0].Record.CostUsd));
            Assert.Equal(new TokenTotals(10, 20, 0, 0, 0, 0), TokenTotals.Of(entries[0].Record));
            Assert.Equal(new TokenTotals(10, 20, 3, 4, 5, 6), TokenTotals.Of(entries[1].Record));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Replay_JournalSentAgainAfterRedisAppliedIt_CountsNothingTwice()
    {
        // Arrange: records journaled during an outage, and a copy of the journal as it was before the replay — the
        // state a replica killed after Redis applied a batch and before it deleted it restarts with.
        await using var server = await RedisServer.StartAsync(Ct, persistent: true);
        var folder = Directory.CreateTempSubdirectory("grump-ledger-").FullName;
        var copy = Directory.CreateTempSubdirectory("grump-ledger-copy-").FullName;
        var prefix = $"grump:test:{Guid.CreateVersion7():N}:";
        var logs = new RecordingLoggerProvider();
        List<double> amounts;
        await using (var store = LedgerStores.Redis(server.Configuration, prefix, folder, logger: logs.CreateLogger("ledger")))
        {
            await store.Store.SetBudgetAsync("t", new BudgetSettings(100, 0), Ct);
            await server.KillAsync();
            amounts = await CommitAllAsync(store.Store, Amounts(500, seed: 3), Ct, reserveEach: 0.001);
            Snapshot(store.JournalPath, Path.Combine(copy, "ledger-journal.db"));
            await server.StartAgainAsync(Ct);
            await logs.WaitForAsync(e => e.Message.Contains("is back after", StringComparison.Ordinal), Ct);
        }

        // Act: a replica starts on the stale journal and replays all of it again.
        var again = new RecordingLoggerProvider();
        await using var restarted = LedgerStores.Redis(server.Configuration, prefix, copy, logger: again.CreateLogger("ledger"));
        var replaying = await again.WaitForAsync(e => e.Message.Contains("earlier run", StringComparison.Ordinal), Ct);
        var ended = await again.WaitForAsync(e => e.Message.Contains("is back after", StringComparison.Ordinal), Ct);

        // Assert: Redis skipped all 500 (already applied); the journal is empty; totals unchanged.
        Assert.Contains("holds 500 records", replaying.Message, StringComparison.Ordinal);
        Assert.Contains("replayed 0 journaled records", ended.Message, StringComparison.Ordinal);
        Assert.Equal(0, restarted.RedisStore.JournalDepth);
        await AssertLedgerAsync(restarted, server, amounts);
    }

    [Fact]
    public async Task Restart_WithRecordsStillInTheJournal_ReplaysThemAtStart()
    {
        // Arrange: the gateway stops while Redis is still down, its journal holding what Redis has not seen.
        await using var server = await RedisServer.StartAsync(Ct, persistent: true);
        var folder = Directory.CreateTempSubdirectory("grump-ledger-").FullName;
        var prefix = $"grump:test:{Guid.CreateVersion7():N}:";
        List<double> amounts;
        await using (var store = LedgerStores.Redis(server.Configuration, prefix, folder))
        {
            amounts = await CommitAllAsync(store.Store, Amounts(5, seed: 4), Ct);
            await server.KillAsync();
            amounts.AddRange(await CommitAllAsync(store.Store, Amounts(40, seed: 5), Ct));
            Assert.Equal(40, store.RedisStore.JournalDepth);
        }

        // Act
        await server.StartAgainAsync(Ct);
        var logs = new RecordingLoggerProvider();
        await using var restarted = LedgerStores.Redis(server.Configuration, prefix, folder, logger: logs.CreateLogger("ledger"));
        await logs.WaitForAsync(e => e.Message.Contains("is back after", StringComparison.Ordinal), Ct);

        // Assert
        await AssertLedgerAsync(restarted, server, amounts);
    }

    [Fact]
    public async Task Outage_TwoReplicas_OvershootTheBudgetByAtMostTwiceTheAllowance()
    {
        // Arrange: a $1.00 budget with $0.90 spent, two replicas that know it, an outage allowance of $0.25 each.
        await using var server = await RedisServer.StartAsync(Ct, persistent: true);
        var options = () => new CostOptions { OutageAllowanceUsd = 0.25 };
        await using var first = LedgerStores.Redis(server.Configuration, options: options());
        await using var second = LedgerStores.Redis(server.Configuration, first.Prefix, options: options());
        await first.Store.SetBudgetAsync("t", new BudgetSettings(1, 0), Ct);
        await CommitAllAsync(first.Store, [0.90], Ct, reserveEach: 0.90);
        await second.Store.CommitAsync(NewRecord("t", 0), await second.Store.ReserveAsync("t", 0.001, Noon, Ct), Ct); // second sees $0.90

        // Act: Redis dies; both replicas admit $0.01 requests (each billing all of it) until refused.
        await server.KillAsync();
        var admitted = new[] { await SpendUntilRefusedAsync(first.Store), await SpendUntilRefusedAsync(second.Store) };
        await server.StartAgainAsync(Ct);
        await WaitForOutageEndAsync(first.RedisStore);
        await WaitForOutageEndAsync(second.RedisStore);

        // Assert: each replica stopped at the budget as it knew it ($0.10 more), together under $1.00 + 2 × $0.25.
        Assert.Equal([10, 10], admitted.Select(a => a.Count));
        Assert.All(admitted, a => Assert.Equal(GatewayErrorKind.ResourceExhausted, a.Refusal.Kind));
        var spend = await first.Store.GetSpendAsync("t", Noon, Ct);
        Assert.Equal(1.10, spend.DailySpentUsd, 1e-9);
        Assert.InRange(spend.DailySpentUsd, 0, 1.00 + (2 * 0.25));
        await Assert.ThrowsAsync<GatewayException>(async () => await first.Store.ReserveAsync("t", 0.01, Noon, Ct));
    }

    [Fact]
    public async Task Outage_BudgetLeftButAllowanceUsed_EachReplicaStopsAtItsAllowance()
    {
        // Arrange: plenty of budget left; the allowance ($0.05 per replica) is what bounds the outage.
        await using var server = await RedisServer.StartAsync(Ct, persistent: true);
        var options = () => new CostOptions { OutageAllowanceUsd = 0.05 };
        await using var first = LedgerStores.Redis(server.Configuration, options: options());
        await using var second = LedgerStores.Redis(server.Configuration, first.Prefix, options: options());
        await first.Store.SetBudgetAsync("t", new BudgetSettings(100, 0), Ct);

        // Act
        await server.KillAsync();
        var admitted = new[] { await SpendUntilRefusedAsync(first.Store), await SpendUntilRefusedAsync(second.Store) };
        await server.StartAgainAsync(Ct);
        await WaitForOutageEndAsync(first.RedisStore);
        await WaitForOutageEndAsync(second.RedisStore);

        // Assert: 5 × $0.01 each, refused as UNAVAILABLE (retry when the ledger is back), $0.10 in all — then Redis admits again.
        Assert.Equal([5, 5], admitted.Select(a => a.Count));
        Assert.All(admitted, a => Assert.Equal((GatewayErrorKind.Unavailable, "LEDGER_UNAVAILABLE"), (a.Refusal.Kind, a.Refusal.Reason)));
        Assert.Equal(0.10, (await first.Store.GetSpendAsync("t", Noon, Ct)).DailySpentUsd, 1e-9);
        Assert.NotNull(await first.Store.ReserveAsync("t", 0.01, Noon, Ct));
    }

    [Fact]
    public async Task Outage_ConnectionRestored_WakesTheReplayBeforeTheRetryInterval()
    {
        // Arrange: a retry interval no test would wait for; the store's clock never moves.
        await using var server = await RedisServer.StartAsync(Ct, persistent: true);
        var logs = new RecordingLoggerProvider();
        await using var store = LedgerStores.Redis(server.Configuration, options: new CostOptions { OutageRetryInterval = TimeSpan.FromMinutes(10) },
            logger: logs.CreateLogger("ledger"), time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Noon));
        var amounts = await CommitAllAsync(store.Store, Amounts(3, seed: 6), Ct);
        await server.KillAsync();
        amounts.AddRange(await CommitAllAsync(store.Store, Amounts(7, seed: 7), Ct));

        // Act
        await server.StartAgainAsync(Ct);
        await logs.WaitForAsync(e => e.Message.Contains("is back after", StringComparison.Ordinal), Ct);

        // Assert
        await AssertLedgerAsync(store, server, amounts);
    }

    [Fact]
    public async Task Replay_WithABatchPause_SendsTheNextBatchOnlyAfterThePause()
    {
        // Arrange: 6 records journaled in an outage, replayed in batches of 2 with a minute between them on a fake clock.
        await using var server = await RedisServer.StartAsync(Ct, persistent: true);
        var logs = new RecordingLoggerProvider();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Noon);
        var options = new CostOptions { OutageRetryInterval = TimeSpan.FromMinutes(10), ReplayBatchSize = 2, ReplayBatchPause = TimeSpan.FromMinutes(1) };
        await using var store = LedgerStores.Redis(server.Configuration, options: options, logger: logs.CreateLogger("ledger"), time: time);
        var amounts = await CommitAllAsync(store.Store, Amounts(3, seed: 8), Ct);
        await server.KillAsync();
        amounts.AddRange(await CommitAllAsync(store.Store, Amounts(6, seed: 9), Ct));

        // Act: Redis comes back (which wakes the replay); the clock moves one pause at a time.
        await server.StartAgainAsync(Ct);
        await logs.WaitForAsync(e => e.Message.Contains("(4 left)", StringComparison.Ordinal), Ct);
        var afterTheFirstBatch = store.RedisStore.JournalDepth;
        time.Advance(TimeSpan.FromMinutes(1));
        await logs.WaitForAsync(e => e.Message.Contains("(2 left)", StringComparison.Ordinal), Ct);
        var afterTheSecond = store.RedisStore.JournalDepth;
        time.Advance(TimeSpan.FromMinutes(1));
        await logs.WaitForAsync(e => e.Message.Contains("(0 left)", StringComparison.Ordinal), Ct);
        time.Advance(TimeSpan.FromMinutes(1));
        await logs.WaitForAsync(e => e.Message.Contains("is back after", StringComparison.Ordinal), Ct);

        // Assert: each batch waited for its pause (the clock only moved after a batch was in), and nothing was lost.
        Assert.Equal((4, 2), (afterTheFirstBatch, afterTheSecond));
        Assert.Equal(0, store.RedisStore.JournalDepth);
        await AssertLedgerAsync(store, server, amounts);
    }

    [Fact]
    public async Task Commit_NonFiniteAmount_IsRefusedBeforeTheJournal()
    {
        // Arrange
        await using var server = await RedisServer.StartAsync(Ct);
        await using var store = LedgerStores.Redis(server.Configuration);

        // Act
        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await store.Store.CommitAsync(NewRecord("t", double.NaN), null, Ct));

        // Assert
        Assert.Contains("finite", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, store.RedisStore.JournalDepth);
    }

    /// <summary>Odd amounts like real per-token prices (not representable in binary).</summary>
    private static List<double> Amounts(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (random.Next(1, 2000) * 0.60e-6) + (random.Next(1, 900) * 2.50e-6))];
    }

    /// <summary>Commits one record per amount, concurrently (each with a reservation when <paramref name="reserveEach"/> is set).</summary>
    private static async Task<List<double>> CommitAllAsync(ICostStore store, List<double> amounts, CancellationToken ct, double reserveEach = 0)
    {
        await Task.WhenAll(amounts.Select(amount => Task.Run(async () =>
        {
            var reservation = reserveEach > 0 ? await store.ReserveAsync("t", reserveEach, Noon, ct) : null;
            await store.CommitAsync(NewRecord("t", amount), reservation, ct);
        }, ct))).DefaultTimeout();
        return amounts;
    }

    private static async Task<(int Count, GatewayException Refusal)> SpendUntilRefusedAsync(ICostStore store)
    {
        for (var count = 0; ; count++)
        {
            BudgetReservation? reservation;
            try
            {
                reservation = await store.ReserveAsync("t", 0.01, Noon, Ct).AsTask().DefaultTimeout();
            }
            catch (GatewayException ex)
            {
                return (count, ex);
            }
            await store.CommitAsync(NewRecord("t", 0.01), reservation, Ct).AsTask().DefaultTimeout();
        }
    }

    /// <summary>Waits (on the store's own signal: its journal drained and Redis answered) for the outage to end.</summary>
    private static async Task WaitForOutageEndAsync(RedisCostStore store)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TestTimeouts.Default);
        await store.WhenOutageEndsAsync(cts.Token);
    }

    /// <summary>Redis's day aggregate, month spend and stream hold exactly these records (sums to 1e-9 of the exact decimal sum).</summary>
    private static async Task AssertLedgerAsync(LedgerStores store, RedisServer server, List<double> amounts)
    {
        var exact = (double)amounts.Sum(a => (decimal)a);
        var day = Assert.Single(await store.Store.GetDailyAsync("t", new DateOnly(2025, 6, 15), new DateOnly(2025, 6, 15), Ct));
        Assert.Equal(amounts.Count, day.Requests);
        Assert.Equal(exact, day.CostUsd, 1e-9);
        Assert.Equal(exact, (await store.Store.GetSpendAsync("t", Noon, Ct)).MonthlySpentUsd, 1e-9);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(server.Configuration).DefaultTimeout();
        Assert.Equal(amounts.Count, await connection.GetDatabase().StreamLengthAsync(store.Prefix + "{t}:records").DefaultTimeout());
    }

    /// <summary>A consistent copy of a live SQLite database (the backup API; the WAL is included).</summary>
    private static void Snapshot(string source, string destination)
    {
        using var from = new SqliteConnection($"Data Source={source};Pooling=False");
        using var to = new SqliteConnection($"Data Source={destination};Pooling=False");
        from.Open();
        to.Open();
        from.BackupDatabase(to);
    }

    private static CostRecord NewRecord(string tenant, double cost) => new()
    {
        Id = Guid.CreateVersion7(),
        Tenant = tenant,
        Model = "moonshotai/kimi-k2.5",
        Provider = "nim",
        Operation = CostOperations.Chat,
        InputTokens = 10,
        OutputTokens = 20,
        CostUsd = cost,
        Timestamp = Noon,
    };
}
