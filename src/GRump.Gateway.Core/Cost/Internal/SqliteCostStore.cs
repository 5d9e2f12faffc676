using System.Globalization;
using GRump.Gateway.Errors;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SQLitePCL;

namespace GRump.Gateway.Cost.Internal;

/// <summary>
/// The embedded ledger: <c>data/ledger.db</c> in WAL mode. Records go through a bounded queue to one writer that
/// commits them in batched transactions; a caller's commit completes only after its transaction did, so a response
/// that finished has its record on disk (WAL with synchronous=NORMAL survives a killed process; an OS crash may lose
/// the last transactions). Budgets and the current day's and month's spend are mirrored in memory, and reservations
/// are held there under one lock: admission never waits for I/O and concurrent requests cannot overrun a budget.
/// One gateway per database file; a fleet uses the Redis store.
/// </summary>
internal sealed partial class SqliteCostStore : ICostStore, ILedgerRetention, IAsyncDisposable
{
    private const int MaxBatch = 512;

    /// <summary>
    /// How often the WAL is moved into the database, when anything was written since: by a timer, never by a commit.
    /// SQLite's own automatic checkpoint (every 1,000 pages) runs inside the commit that passes the mark, fsyncs
    /// included, while every call of the batch waits for it (at one connection, every ~300 calls: a third of the p99
    /// and half of the p99.9 there; docs/performance.md, "The ledger's tail"). The WAL holds ~half a second of writes
    /// (at one connection each call is a transaction of ~3–5 pages: ~15 MB; its file reached 30 MB in the soak).
    /// </summary>
    internal static readonly TimeSpan CheckpointInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// SQLite's automatic checkpoint stays on, far above what the timer lets the WAL reach (30 MB in a 5,500 rps soak):
    /// a backstop for a timer that does not tick (a host on a fake clock) or checkpoints that keep failing.
    /// </summary>
    private const int BackstopCheckpointPages = 16_384;

    private readonly string _connectionString;
    private readonly LedgerWriteQueue<PendingRecord> _queue;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, BudgetSettings> _budgets = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Tenant, string Period), double> _spend = [];
    private readonly Dictionary<Guid, BudgetReservation> _reservations = [];
    // Held amounts per (tenant, day), (tenant, month) and (tenant, "" = all): admission reads two sums, not every hold.
    private readonly Dictionary<(string Tenant, string Period), double> _reserved = [];
    private readonly Dictionary<string, int> _holds = new(StringComparer.Ordinal);
    private readonly Task _writer;
    private readonly ITimer _checkpointTimer;
    private int _written;
    private readonly Lock _checkpointGate = new();
    private Task _checkpoint = Task.CompletedTask;
    private int _checkpointFailing;
    private TaskCompletionSource _checkpointed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // One writer at a time, handed over in arrival order: the record writer, the roll-up (per chunk), budget and alert
    // writes and the checkpoint's catch-up take turns per transaction. Left to SQLite's busy handler, a writer that finds
    // the lock taken sleeps 1, 2, 5 … 100 ms and retries, and a roll-up committing chunk after chunk kept it out for most
    // of a pass (p99 52–77 ms against 14–16 with the turn; docs/performance.md, "The ledger's tail").
    private readonly SemaphoreSlim _writeTurn = new(1, 1);
    private volatile string? _lastCommitError;

    public SqliteCostStore(string path, int queueCapacity, ILogger logger, TimeProvider? time = null)
    {
        var fullPath = Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = fullPath, Pooling = true, DefaultTimeout = 30 }.ToString();
        _queue = new LedgerWriteQueue<PendingRecord>(queueCapacity);
        _logger = logger;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
            // Reads every table (budgets, and each record for the spend mirror): a damaged file fails here, at start.
            Initialize();
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            SqliteConnection.ClearAllPools();
            throw new CostLedgerUnusableException($"The cost ledger {fullPath} cannot be used: {ex.Message.ReplaceLineEndings(" ").TrimEnd('.')}. " +
                "If the file is damaged, move it aside (a new, empty ledger is created) or restore it from a backup.", ex);
        }
        Log.Opened(logger, fullPath);
        _writer = Task.Run(WriteLoopAsync);
        _checkpointTimer = (time ?? TimeProvider.System).CreateTimer(static s => ((SqliteCostStore)s!).CheckpointIfWritten(), this, CheckpointInterval, CheckpointInterval);
    }

    public ValueTask<BudgetReservation?> ReserveAsync(string tenant, double amountUsd, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var day = Periods.Day(now);
        var month = Periods.Month(now);
        lock (_lock)
        {
            if (!_budgets.TryGetValue(tenant, out var budget) || (budget.DailyLimitUsd <= 0 && budget.MonthlyLimitUsd <= 0))
            {
                return ValueTask.FromResult<BudgetReservation?>(null);
            }
            Check(tenant, "daily", day, budget.DailyLimitUsd, Spent(tenant, day), _reserved.GetValueOrDefault((tenant, day)), amountUsd);
            Check(tenant, "monthly", month, budget.MonthlyLimitUsd, Spent(tenant, month), _reserved.GetValueOrDefault((tenant, month)), amountUsd);
            var reservation = new BudgetReservation(Uuid7.New(), tenant, amountUsd, day, month);
            _reservations.Add(reservation.Id, reservation);
            Hold(reservation, +1);
            return ValueTask.FromResult<BudgetReservation?>(reservation);
        }
    }

    public ValueTask CommitAsync(CostRecord record, BudgetReservation? reservation, CancellationToken cancellationToken)
    {
        var pending = new PendingRecord(record, reservation, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        // Not the caller's token: a record of tokens already paid for is written even if the client has gone.
        var queued = _queue.WriteAsync(pending, CancellationToken.None);
        // Queued at once (the usual case): the caller awaits the commit itself, with no state machine of ours around it.
        return queued.IsCompletedSuccessfully ? new ValueTask(pending.Committed.Task) : CommitWhenQueuedAsync(queued, pending);
    }

    private static async ValueTask CommitWhenQueuedAsync(ValueTask queued, PendingRecord pending)
    {
        await queued.ConfigureAwait(false);
        await pending.Committed.Task.ConfigureAwait(false);
    }

    public ValueTask ReleaseAsync(BudgetReservation reservation)
    {
        lock (_lock)
        {
            Release(reservation.Id);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<BudgetSettings?> GetBudgetAsync(string tenant, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_budgets.TryGetValue(tenant, out var budget) ? budget : null);
        }
    }

    public ValueTask SetBudgetAsync(string tenant, BudgetSettings budget, CancellationToken cancellationToken) =>
        Guarded(SetBudgetCoreAsync(tenant, budget, cancellationToken));

    private async ValueTask SetBudgetCoreAsync(string tenant, BudgetSettings budget, CancellationToken cancellationToken)
    {
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO budgets(tenant, daily, monthly, threshold, cap_daily, cap_monthly) VALUES ($t, $d, $m, $a, $cd, $cm) " +
            "ON CONFLICT(tenant) DO UPDATE SET daily = $d, monthly = $m, threshold = $a, cap_daily = $cd, cap_monthly = $cm";
        command.Parameters.AddWithValue("$t", tenant);
        command.Parameters.AddWithValue("$d", budget.DailyLimitUsd);
        command.Parameters.AddWithValue("$m", budget.MonthlyLimitUsd);
        command.Parameters.AddWithValue("$a", budget.AlertThresholdPercent);
        command.Parameters.AddWithValue("$cd", budget.DailyCapUsd);
        command.Parameters.AddWithValue("$cm", budget.MonthlyCapUsd);
        await ExecuteInTurnAsync(command, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _budgets[tenant] = budget;
        }
    }

    public ValueTask<SpendStatus> GetSpendAsync(string tenant, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var day = Periods.Day(now);
        var month = Periods.Month(now);
        lock (_lock)
        {
            return ValueTask.FromResult(new SpendStatus(Spent(tenant, day), Spent(tenant, month), _reserved.GetValueOrDefault((tenant, string.Empty))));
        }
    }

    public ValueTask<bool> TryMarkAlertAsync(string tenant, string period, CancellationToken cancellationToken) =>
        Guarded(TryMarkAlertCoreAsync(tenant, period, cancellationToken));

    private async ValueTask<bool> TryMarkAlertCoreAsync(string tenant, string period, CancellationToken cancellationToken)
    {
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR IGNORE INTO alerts(tenant, period) VALUES ($t, $p)";
        command.Parameters.AddWithValue("$t", tenant);
        command.Parameters.AddWithValue("$p", period);
        return await ExecuteInTurnAsync(command, cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>A write of the API's (budget, alert) in the store's write turn; returns the rows changed.</summary>
    private async Task<int> ExecuteInTurnAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        await _writeTurn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeTurn.Release();
            Written();
        }
    }

    public ValueTask<IReadOnlyList<DailyAggregate>> GetDailyAsync(string tenant, DateOnly first, DateOnly last, CancellationToken cancellationToken) =>
        Guarded(GetDailyCoreAsync(tenant, first, last, cancellationToken));

    private async ValueTask<IReadOnlyList<DailyAggregate>> GetDailyCoreAsync(string tenant, DateOnly first, DateOnly last, CancellationToken cancellationToken)
    {
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var days = new SortedDictionary<string, (double Cost, long Requests, long Hits, double CacheSavings, double RoutingSavings, Dictionary<string, ModelAggregate> Models, Dictionary<string, double> Operations, TokenTotals Tokens)>(StringComparer.Ordinal);
        using (var command = Query(connection, tenant, first, last,
            "SELECT day, model, operation, SUM(cost), SUM(requests), SUM(cache_hits), SUM(cache_savings), SUM(routing_savings), " +
            "SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), SUM(cache_write_tokens), SUM(cache_write_1h_tokens), SUM(reasoning_tokens) FROM ledger " +
            "WHERE tenant = $t AND day >= $from AND day <= $to GROUP BY day, model, operation"))
        {
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var day = reader.GetString(0);
                if (!days.TryGetValue(day, out var entry))
                {
                    entry = (0, 0, 0, 0, 0, new Dictionary<string, ModelAggregate>(StringComparer.Ordinal), new Dictionary<string, double>(StringComparer.Ordinal), TokenTotals.Zero);
                }
                var (model, operation, cost, count) = (reader.GetString(1), reader.GetString(2), reader.GetDouble(3), reader.GetInt64(4));
                entry.Cost += cost;
                entry.Requests += count;
                entry.Hits += reader.GetInt64(5);
                entry.CacheSavings += reader.GetDouble(6);
                entry.RoutingSavings += reader.GetDouble(7);
                entry.Tokens = entry.Tokens.Add(new TokenTotals(reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(10), reader.GetInt64(11), reader.GetInt64(12), reader.GetInt64(13)));
                entry.Models[model] = entry.Models.TryGetValue(model, out var m) ? new ModelAggregate(m.CostUsd + cost, m.Requests + count) : new ModelAggregate(cost, count);
                entry.Operations[operation] = entry.Operations.GetValueOrDefault(operation) + cost;
                days[day] = entry;
            }
        }
        return [.. days.Select(d => new DailyAggregate(DateOnly.ParseExact(d.Key, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            d.Value.Cost, d.Value.Requests, d.Value.Hits, d.Value.CacheSavings, d.Value.RoutingSavings, d.Value.Models, d.Value.Operations) { Tokens = d.Value.Tokens })];
    }

    public ValueTask<(double CostUsd, long Requests)> GetSinceAsync(string tenant, DateTimeOffset since, CancellationToken cancellationToken) =>
        Guarded(GetSinceCoreAsync(tenant, since, cancellationToken));

    private async ValueTask<(double CostUsd, long Requests)> GetSinceCoreAsync(string tenant, DateTimeOffset since, CancellationToken cancellationToken)
    {
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        // Beyond the raw-row window the ledger has hourly rows: those count from the start of their hour.
        command.CommandText = "SELECT COALESCE(SUM(cost), 0), COALESCE(SUM(requests), 0) FROM ledger WHERE tenant = $t AND ts >= $since";
        command.Parameters.AddWithValue("$t", tenant);
        command.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetDouble(0), reader.GetInt64(1));
    }

    public ValueTask<IReadOnlyList<HourlyAggregate>> GetHourlyAsync(string tenant, DateTimeOffset since, CancellationToken cancellationToken) =>
        Guarded(GetHourlyCoreAsync(tenant, since, cancellationToken));

    private async ValueTask<IReadOnlyList<HourlyAggregate>> GetHourlyCoreAsync(string tenant, DateTimeOffset since, CancellationToken cancellationToken)
    {
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT ts / 3600000 AS hour, SUM(cost), SUM(requests) FROM ledger WHERE tenant = $t AND ts >= $since GROUP BY hour ORDER BY hour";
        command.Parameters.AddWithValue("$t", tenant);
        command.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var hours = new List<HourlyAggregate>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            hours.Add(new HourlyAggregate(DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0) * 3_600_000), reader.GetDouble(1), reader.GetInt64(2)));
        }
        return hours;
    }

    public async ValueTask<string?> CheckAsync(CancellationToken cancellationToken)
    {
        if (_writer.IsCompleted)
        {
            return "the ledger writer has stopped";
        }
        if (_lastCommitError is { } error)
        {
            return $"the last commit failed: {error}";
        }
        try
        {
            // Both tables answer: the file is still a readable database (it can be damaged or replaced while running).
            using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM budgets LIMIT 1)) + (SELECT COUNT(*) FROM (SELECT 1 FROM records LIMIT 1))";
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (SqliteException ex)
        {
            return ex.Message;
        }
    }

    public async ValueTask<LedgerRollup> RollUpAsync(DateTimeOffset rawBefore, DateTimeOffset hourlyBefore, CancellationToken cancellationToken)
    {
        using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // Off the caller's thread; each chunk takes the write turn, so the record writer commits between chunks.
        await Task.Yield();
        LedgerRollup rolled;
        try
        {
            rolled = await SqliteLedgerRollup.RunAsync(connection, rawBefore, hourlyBefore, _writeTurn, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Written();
        }
        PruneSpendMirror(before: Periods.Month(rawBefore));
        return rolled;
    }

    /// <summary>
    /// Admission needs the current day and month only: mirrored spend of months before <paramref name="before"/>
    /// (<c>yyyy-MM</c>) goes, so the mirror stays bounded however long the gateway runs.
    /// </summary>
    private void PruneSpendMirror(string before)
    {
        lock (_lock)
        {
            // Days ("yyyy-MM-dd") and months ("yyyy-MM") of earlier months sort before the month's own "yyyy-MM".
            foreach (var key in _spend.Keys.Where(k => string.CompareOrdinal(k.Period, before) < 0).ToList())
            {
                _spend.Remove(key);
            }
        }
    }

    /// <summary>Completes after the next checkpoint the timer runs (tests).</summary>
    internal Task NextCheckpoint => Volatile.Read(ref _checkpointed).Task;

    private void Written() => Volatile.Write(ref _written, 1);

    /// <summary>
    /// The checkpoint timer's tick: when anything was written since the last one, moves the WAL into the database on a
    /// connection of its own, in two PASSIVE checkpoints. The first copies and fsyncs the bulk while the writer goes on
    /// committing. The second takes the write turn and copies what was committed meanwhile, a few milliseconds' worth,
    /// so its fsyncs are short; a checkpoint that caught up with the last commit lets the next one start the WAL over
    /// (one that never catches up, as the first alone would under steady writes, grows the WAL without end). Frames a
    /// reader still needs stay for the next tick. A tick that finds one still running skips.
    /// </summary>
    private void CheckpointIfWritten()
    {
        lock (_checkpointGate)
        {
            if (Volatile.Read(ref _written) == 1 && _checkpoint.IsCompleted)
            {
                _checkpoint = Task.Run(CheckpointAsync);
            }
        }
    }

    private async Task CheckpointAsync()
    {
        try
        {
            Volatile.Write(ref _written, 0);
            using var connection = await OpenAsync(CancellationToken.None).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
            command.ExecuteNonQuery();
            await _writeTurn.WaitAsync().ConfigureAwait(false);
            try
            {
                command.ExecuteNonQuery();
            }
            finally
            {
                _writeTurn.Release();
            }

            Volatile.Write(ref _checkpointFailing, 0);
        }
#pragma warning disable CA1031 // A failed checkpoint is retried by the next tick; nothing may escape a timer's task.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // The WAL grows until a later tick succeeds (up to the backstop); one warning per run of failures.
            Volatile.Write(ref _written, 1);
            if (Interlocked.Exchange(ref _checkpointFailing, 1) == 0)
            {
                Log.CheckpointFailed(_logger, CheckpointInterval.TotalMilliseconds, ex.Message);
            }
        }
        finally
        {
            Interlocked.Exchange(ref _checkpointed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _checkpointTimer.DisposeAsync().ConfigureAwait(false);
        Task checkpoint;
        lock (_checkpointGate)
        {
            checkpoint = _checkpoint;
        }
        await checkpoint.ConfigureAwait(false);
        _queue.Complete();
        await _writer.ConfigureAwait(false);
        SqliteConnection.ClearAllPools();
    }

    private double Spent(string tenant, string period) => _spend.GetValueOrDefault((tenant, period));

    /// <summary>Drops a hold (under the lock); a second release of the same hold does nothing.</summary>
    private void Release(Guid id)
    {
        if (_reservations.Remove(id, out var reservation))
        {
            Hold(reservation, -1);
        }
    }

    private void Hold(BudgetReservation reservation, int sign)
    {
        var tenant = reservation.Tenant;
        var count = _holds.GetValueOrDefault(tenant) + sign;
        if (count == 0)
        {
            // Nothing held any more: drop the sums, and with them any rounding residue.
            _holds.Remove(tenant);
            _reserved.Remove((tenant, reservation.Day));
            _reserved.Remove((tenant, reservation.Month));
            _reserved.Remove((tenant, string.Empty));
            return;
        }
        _holds[tenant] = count;
        Add((tenant, reservation.Day));
        Add((tenant, reservation.Month));
        Add((tenant, string.Empty));

        void Add((string, string) key) => _reserved[key] = _reserved.GetValueOrDefault(key) + sign * reservation.AmountUsd;
    }

    internal static void Check(string tenant, string period, string key, double limit, double spent, double reserved, double amount)
    {
        if (limit > 0 && spent + reserved + amount > limit + 1e-12)
        {
            throw new GatewayException(GatewayErrorKind.ResourceExhausted,
                $"Tenant '{tenant}' would exceed its {period} budget of ${limit:0.######} for {key} " +
                $"(spent ${spent:0.######}, reserved ${reserved:0.######}, this request up to ${amount:0.######}). " +
                "Raise the budget with POST /api/cost/budget or wait for the next period.")
            {
                Reason = "BUDGET_EXHAUSTED",
            };
        }
    }

    private void Initialize()
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            CREATE TABLE IF NOT EXISTS records(
              id TEXT PRIMARY KEY, tenant TEXT NOT NULL, session TEXT NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL,
              operation TEXT NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cost REAL NOT NULL,
              cache_hit INTEGER NOT NULL, cache_savings REAL NOT NULL, routing_savings REAL NOT NULL, ts INTEGER NOT NULL, day TEXT NOT NULL,
              cache_read_tokens INTEGER NOT NULL DEFAULT 0, cache_write_tokens INTEGER NOT NULL DEFAULT 0,
              cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0, reasoning_tokens INTEGER NOT NULL DEFAULT 0);
            CREATE INDEX IF NOT EXISTS records_tenant_day ON records(tenant, day);
            CREATE INDEX IF NOT EXISTS records_tenant_ts ON records(tenant, ts);
            CREATE TABLE IF NOT EXISTS budgets(tenant TEXT PRIMARY KEY, daily REAL NOT NULL, monthly REAL NOT NULL, threshold REAL NOT NULL,
              cap_daily REAL NOT NULL DEFAULT 0, cap_monthly REAL NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS alerts(tenant TEXT NOT NULL, period TEXT NOT NULL, PRIMARY KEY(tenant, period));
            """;
        command.ExecuteNonQuery();

        // Token kinds were added later: a ledger from before gains the columns (0 for its old records).
        LedgerRecordRows.AddMissingColumns(command, "records");

        // A ledger written before admin caps existed: add their columns (no caps = 0).
        command.CommandText = "SELECT COUNT(*) FROM pragma_table_info('budgets') WHERE name = 'cap_daily'";
        if (Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
        {
            command.CommandText = "ALTER TABLE budgets ADD COLUMN cap_daily REAL NOT NULL DEFAULT 0; ALTER TABLE budgets ADD COLUMN cap_monthly REAL NOT NULL DEFAULT 0;";
            command.ExecuteNonQuery();
        }

        command.CommandText = "SELECT tenant, daily, monthly, threshold, cap_daily, cap_monthly FROM budgets";
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                _budgets[reader.GetString(0)] = new BudgetSettings(reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4), reader.GetDouble(5));
            }
        }
        command.CommandText = SqliteLedgerRollup.Schema;
        command.ExecuteNonQuery();

        // Spend per tenant per day and month, for admission without I/O (earlier months leave the mirror at the next roll-up).
        command.CommandText = "SELECT tenant, day, SUM(cost) FROM ledger GROUP BY tenant, day";
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var (tenant, day, cost) = (reader.GetString(0), reader.GetString(1), reader.GetDouble(2));
                _spend[(tenant, day)] = _spend.GetValueOrDefault((tenant, day)) + cost;
                _spend[(tenant, day[..7])] = _spend.GetValueOrDefault((tenant, day[..7])) + cost;
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingRecord>(MaxBatch);
        // Opened (and its statements prepared) for the first batch, and again for the next batch after an open or a
        // prepare failed: a writer that cannot start fails each batch as a failed commit would, and never leaves a caller
        // waiting for a commit that nothing will make.
        SqliteConnection? connection = null;
        LedgerInsert? insert = null;
        try
        {
            while (await _queue.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (batch.Count < MaxBatch && _queue.TryRead(out var item))
                {
                    batch.Add(item);
                }

                await _writeTurn.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                try
                {
                    insert ??= OpenWriter(ref connection);
                    WriteBatch(insert, batch);
                }
                catch (SqliteException ex)
                {
                    _lastCommitError = ex.Message;
                    Log.CommitFailed(_logger, batch.Count, ex.Message);
                    foreach (var item in batch)
                    {
                        item.Committed.TrySetException(new GatewayException(GatewayErrorKind.Unavailable,
                            "The cost ledger could not record this call; it was not billed. Retry later.", null, ex) { Reason = "LEDGER_UNAVAILABLE" });
                    }
                }
                finally
                {
                    _writeTurn.Release();
                }

                batch.Clear();
            }
        }
        finally
        {
            insert?.Dispose();
            connection?.Dispose();
        }
    }

    /// <summary>The writer's connection and prepared insert; on failure nothing is left open (the next batch tries again).</summary>
    private LedgerInsert OpenWriter(ref SqliteConnection? connection)
    {
        connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            // Commits do not checkpoint: the timer does (CheckpointInterval); SQLite's own only as a backstop.
            raw.sqlite3_wal_autocheckpoint(connection.Handle, BackstopCheckpointPages);
            return new LedgerInsert(connection, TimeSpan.FromSeconds(connection.DefaultTimeout));
        }
        catch
        {
            connection.Dispose();
            connection = null;
            throw;
        }
    }

    /// <summary>One batch in one transaction, then the spend mirror and the callers; a failure rolls the transaction back and throws.</summary>
    private void WriteBatch(LedgerInsert insert, List<PendingRecord> batch)
    {
        insert.Begin();
        try
        {
            foreach (var (record, _, _) in batch)
            {
                insert.Insert(record);
            }
            insert.Commit();
        }
        catch
        {
            insert.Rollback();
            throw;
        }
        Written();
        lock (_lock)
        {
            foreach (var (record, reservation, _) in batch)
            {
                var day = Periods.Day(record.Timestamp);
                var month = Periods.Month(record.Timestamp);
                _spend[(record.Tenant, day)] = Spent(record.Tenant, day) + record.CostUsd;
                _spend[(record.Tenant, month)] = Spent(record.Tenant, month) + record.CostUsd;
                if (reservation is not null)
                {
                    Release(reservation.Id);
                }
            }
        }
        foreach (var item in batch)
        {
            item.Committed.TrySetResult();
        }
        _lastCommitError = null;
    }

    /// <summary>A read or write that fails in SQLite (a damaged or vanished file) is UNAVAILABLE for the caller, not a bug.</summary>
    private static async ValueTask<T> Guarded<T>(ValueTask<T> operation)
    {
        try
        {
            return await operation.ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw Unavailable(ex);
        }
    }

    private static async ValueTask Guarded(ValueTask operation)
    {
        try
        {
            await operation.ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw Unavailable(ex);
        }
    }

    private static GatewayException Unavailable(SqliteException ex) =>
        new(GatewayErrorKind.Unavailable, $"The cost ledger cannot be read or written ({ex.Message}); retry later.", null, ex) { Reason = "LEDGER_UNAVAILABLE" };

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Commits do not checkpoint: the timer does (CheckpointInterval); SQLite's own only as a backstop.
        raw.sqlite3_wal_autocheckpoint(connection.Handle, BackstopCheckpointPages);
        return connection;
    }

    private static SqliteCommand Query(SqliteConnection connection, string tenant, DateOnly from, DateOnly to, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$t", tenant);
        command.Parameters.AddWithValue("$from", from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$to", to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        return command;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "The cost ledger failed to commit {Count} records: {Error}")]
        public static partial void CommitFailed(ILogger logger, int count, string error);

        [LoggerMessage(2, LogLevel.Information, "Cost ledger: SQLite at {Path}")]
        public static partial void Opened(ILogger logger, string path);

        [LoggerMessage(3, LogLevel.Warning, "The cost ledger's WAL checkpoint failed; it is retried every {IntervalMs} ms and the WAL grows until one succeeds: {Error}")]
        public static partial void CheckpointFailed(ILogger logger, double intervalMs, string error);
    }
}

/// <summary>Budget periods: UTC day <c>yyyy-MM-dd</c> and UTC month <c>yyyy-MM</c>.</summary>
internal static class Periods
{
    // Every reservation and record asks for the current day and month: their strings are built once a day, not per call.
    private static Names? s_current;

    public static string Day(DateTimeOffset at) => For(at).Day;

    public static string Month(DateTimeOffset at) => For(at).Month;

    private static Names For(DateTimeOffset at)
    {
        var day = at.UtcTicks / TimeSpan.TicksPerDay;
        var current = Volatile.Read(ref s_current);
        if (current is not null && current.DayNumber == day)
        {
            return current;
        }

        var utc = at.UtcDateTime;
        current = new Names(day, utc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), utc.ToString("yyyy-MM", CultureInfo.InvariantCulture));
        Volatile.Write(ref s_current, current);
        return current;
    }

    private sealed record Names(long DayNumber, string Day, string Month);
}
