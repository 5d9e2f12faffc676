using GRump.Gateway.Cost;
using GRump.Gateway.Cost.Internal;
using GRump.Gateway.Errors;
using GRump.Gateway.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GRump.Gateway.Tests.Cost;

/// <summary>The embedded ledger's writer (SQLite's own API, LedgerInsert): what it writes, and how a failed batch ends.</summary>
public sealed class SqliteLedgerWriterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DateTimeOffset Noon = new(2026, 12, 6, 12, 0, 0, 123, TimeSpan.Zero);

    [Fact]
    public async Task Commit_EveryColumn_ReadsBackAsWritten()
    {
        await using var stores = LedgerStores.Sqlite();
        var full = new CostRecord
        {
            Id = Guid.CreateVersion7(),
            Tenant = "tenant-ü-雪",
            Session = "session 1",
            Model = "moonshotai/kimi-k2.5",
            Provider = "nim",
            Operation = CostOperations.Stream,
            InputTokens = 1_234_567_890_123,
            OutputTokens = 2,
            CacheReadTokens = 3,
            CacheWriteTokens = 4,
            CacheWrite1hTokens = 5,
            ReasoningTokens = 6,
            CostUsd = 0.000123456789,
            CacheHit = true,
            CacheSavingsUsd = 1.5,
            RoutingSavingsUsd = -0.25,
            Timestamp = Noon,
        };
        // Empty text is stored as '' (the columns are NOT NULL), never as NULL.
        var sparse = new CostRecord { Id = Guid.CreateVersion7(), Tenant = "t", Model = "m", Provider = "p", Operation = CostOperations.Chat, Timestamp = Noon };

        await stores.Store.CommitAsync(full, null, Ct).AsTask().DefaultTimeout();
        await stores.Store.CommitAsync(sparse, null, Ct).AsTask().DefaultTimeout();

        var rows = ReadRecords(stores);
        Assert.Equal(new[] { full, sparse }.OrderBy(r => r.Id), rows.Select(r => r.Record).OrderBy(r => r.Id));
        Assert.Equal(["2026-12-06", "2026-12-06"], rows.Select(r => r.Day));
        var spend = await stores.Store.GetSpendAsync(full.Tenant, Noon, Ct);
        Assert.Equal(full.CostUsd, spend.DailySpentUsd);
        Assert.Equal(full.CostUsd, spend.MonthlySpentUsd);
    }

    [Fact]
    public async Task Commit_BatchFails_CallerGetsUnavailableAndTheNextBatchCommits()
    {
        await using var stores = LedgerStores.Sqlite();
        // A fault inside the writer's transaction, after it began: the batch must end rolled back, not left open.
        using (var connection = Open(stores))
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "CREATE TRIGGER fail BEFORE INSERT ON records WHEN NEW.tenant = 'boom' BEGIN SELECT RAISE(ABORT, 'injected'); END";
            command.ExecuteNonQuery();
        }

        var failing = Record("boom");
        var error = await Assert.ThrowsAsync<GatewayException>(() => stores.Store.CommitAsync(failing, null, Ct).AsTask().DefaultTimeout());
        var next = Record("fine");
        await stores.Store.CommitAsync(next, null, Ct).AsTask().DefaultTimeout();

        Assert.Equal((GatewayErrorKind.Unavailable, "LEDGER_UNAVAILABLE"), (error.Kind, error.Reason));
        Assert.Equal([next], ReadRecords(stores).Select(r => r.Record));
        Assert.Equal(0, (await stores.Store.GetSpendAsync("boom", Noon, Ct)).DailySpentUsd);
        Assert.Equal(next.CostUsd, (await stores.Store.GetSpendAsync("fine", Noon, Ct)).DailySpentUsd);
    }

    [Fact]
    public async Task Commit_WriterCannotPrepare_CallerGetsUnavailable_AndTheWriterRecoversForTheNextBatch()
    {
        await using var stores = LedgerStores.Sqlite();
        // The writer opens its connection and prepares its insert for its first batch: with the table gone that fails.
        Execute(stores, "ALTER TABLE records RENAME TO records_away");

        var first = Record("early");
        var error = await Assert.ThrowsAsync<GatewayException>(() => stores.Store.CommitAsync(first, null, Ct).AsTask().DefaultTimeout());
        Execute(stores, "ALTER TABLE records_away RENAME TO records");
        var next = Record("later");
        await stores.Store.CommitAsync(next, null, Ct).AsTask().DefaultTimeout();

        Assert.Equal((GatewayErrorKind.Unavailable, "LEDGER_UNAVAILABLE"), (error.Kind, error.Reason));
        Assert.Equal([next], ReadRecords(stores).Select(r => r.Record));
    }

    [Fact]
    public async Task Commit_PastSqlitesCheckpointMark_NoCommitCheckpoints_TheTimerDoes()
    {
        // Arrange: a store on a fake clock. 600 records one at a time, a transaction each (~3 WAL pages each): far past
        // the 1,000 pages at which SQLite's automatic checkpoint would run inside a commit, with the callers waiting.
        var folder = Directory.CreateTempSubdirectory("grump-checkpoint-").FullName;
        var path = Path.Combine(folder, "ledger.db");
        var time = new FakeTimeProvider(Noon);
        try
        {
            await using var store = new SqliteCostStore(path, 64, NullLogger.Instance, time);
            for (var i = 0; i < 600; i++)
            {
                await store.CommitAsync(Record($"t{i}"), null, Ct).AsTask().DefaultTimeout();
            }

            // Act
            var beforeTheTick = RecordsInTheDatabaseFileAlone(path);
            var checkpointed = store.NextCheckpoint;
            time.Advance(SqliteCostStore.CheckpointInterval);
            await checkpointed.DefaultTimeout();
            var afterTheTick = RecordsInTheDatabaseFileAlone(path);
            var walAfterTheFirst600 = new FileInfo(path + "-wal").Length;
            // A checkpoint that caught up lets the next commit start the WAL over: it is reused, not grown.
            for (var i = 0; i < 600; i++)
            {
                await store.CommitAsync(Record($"u{i}"), null, Ct).AsTask().DefaultTimeout();
            }
            var walAfter1200 = new FileInfo(path + "-wal").Length;

            // Assert: every record was in the WAL only, until the timer's checkpoint moved them all.
            Assert.Equal(0, beforeTheTick);
            Assert.Equal(600, afterTheTick);
            Assert.InRange(walAfter1200, 1, walAfterTheFirst600 * 3 / 2); // grown, it would be twice the size
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Records in a copy of the database file without its WAL: what a checkpoint has moved there.</summary>
    private static long RecordsInTheDatabaseFileAlone(string path)
    {
        var copy = path + ".copy";
        File.Copy(path, copy, overwrite: true);
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = copy, Pooling = false }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            // The schema itself may not have been moved yet either.
            command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE name = 'records'";
            if ((long)command.ExecuteScalar()! == 0)
            {
                return 0;
            }

            command.CommandText = "SELECT COUNT(*) FROM records";
            return (long)command.ExecuteScalar()!;
        }
        finally
        {
            File.Delete(copy);
            File.Delete(copy + "-wal");
            File.Delete(copy + "-shm");
        }
    }

    private static void Execute(LedgerStores stores, string sql)
    {
        using var connection = Open(stores);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static CostRecord Record(string tenant) => new()
    {
        Id = Guid.CreateVersion7(),
        Tenant = tenant,
        Model = "m",
        Provider = "p",
        Operation = CostOperations.Chat,
        CostUsd = 0.01,
        Timestamp = Noon,
    };

    private static SqliteConnection Open(LedgerStores stores)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(stores.Folder, "ledger.db"), Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static List<DayRecord> ReadRecords(LedgerStores stores)
    {
        using var connection = Open(stores);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {LedgerRecordRows.Columns} FROM records";
        using var reader = command.ExecuteReader();
        var rows = new List<DayRecord>();
        while (reader.Read())
        {
            Assert.False(reader.IsDBNull(2), "session is NULL");
            rows.Add(new DayRecord(LedgerRecordRows.Read(reader, 0), reader.GetString(13)));
        }
        return rows;
    }

    /// <summary>A row: the record and its <c>day</c> column.</summary>
    private sealed record DayRecord(CostRecord Record, string Day);
}
