using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace GRump.Gateway.Cost.Internal;

/// <summary>
/// The ledger writer's batched insert into <c>records</c> on SQLite's own API: BEGIN, the insert and COMMIT prepared
/// once per connection, each record's values bound straight from it (text as UTF-16 from the strings themselves, the
/// id formatted on the stack). Through <see cref="SqliteCommand"/> every record cost ~2 KB of garbage (a binder and a
/// UTF-8 copy per parameter, boxed numbers, a data reader per execution) and every batch prepared BEGIN and COMMIT
/// again — on the path of every metered call, cache hits included. Same columns as <see cref="LedgerRecordRows"/>.
/// </summary>
internal sealed class LedgerInsert : IDisposable
{
    // A NUL-terminated empty string: an empty span would be bound as NULL (its pinned pointer is null).
    private static readonly byte[] EmptyText = [0];

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _begin;
    private readonly sqlite3_stmt _commit;
    private readonly sqlite3_stmt _rollback;
    private readonly sqlite3_stmt _insert;

    /// <param name="connection">An open connection used by nothing else while this lives.</param>
    /// <param name="busyTimeout">How long a write waits for another connection's lock (the commands' own timeout).</param>
    public LedgerInsert(SqliteConnection connection, TimeSpan busyTimeout)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The ledger connection is not open.");
        // SqliteCommand retries a busy database for its timeout; SQLite's busy handler does the same here.
        Check(raw.sqlite3_busy_timeout(_db, (int)busyTimeout.TotalMilliseconds));
        // IMMEDIATE takes the write lock at BEGIN, where the busy handler applies; the batch only writes.
        _begin = Prepare("BEGIN IMMEDIATE");
        _commit = Prepare("COMMIT");
        _rollback = Prepare("ROLLBACK");
        _insert = Prepare($"INSERT OR IGNORE INTO records({LedgerRecordRows.Columns}) VALUES ({LedgerRecordRows.Values})");
    }

    public void Begin() => Run(_begin);

    public void Commit() => Run(_commit);

    /// <summary>Ends a failed batch's transaction, if one is still open (SQLite may have rolled it back itself).</summary>
    public void Rollback()
    {
        if (raw.sqlite3_get_autocommit(_db) == 0)
        {
            Run(_rollback);
        }
    }

    /// <summary>Inserts one record inside the open transaction (an id already there is ignored: a replay is idempotent).</summary>
    public void Insert(CostRecord r)
    {
        Span<char> id = stackalloc char[32];
        r.Id.TryFormat(id, out _, "N");
        // Parameter indexes are 1-based, in LedgerRecordRows.Columns' order.
        Text(1, id);
        Text(2, r.Tenant);
        Text(3, r.Session);
        Text(4, r.Model);
        Text(5, r.Provider);
        Text(6, r.Operation);
        Check(raw.sqlite3_bind_int64(_insert, 7, r.InputTokens));
        Check(raw.sqlite3_bind_int64(_insert, 8, r.OutputTokens));
        Check(raw.sqlite3_bind_double(_insert, 9, r.CostUsd));
        Check(raw.sqlite3_bind_int64(_insert, 10, r.CacheHit ? 1 : 0));
        Check(raw.sqlite3_bind_double(_insert, 11, r.CacheSavingsUsd));
        Check(raw.sqlite3_bind_double(_insert, 12, r.RoutingSavingsUsd));
        Check(raw.sqlite3_bind_int64(_insert, 13, r.Timestamp.ToUnixTimeMilliseconds()));
        Text(14, Periods.Day(r.Timestamp));
        Check(raw.sqlite3_bind_int64(_insert, 15, r.CacheReadTokens));
        Check(raw.sqlite3_bind_int64(_insert, 16, r.CacheWriteTokens));
        Check(raw.sqlite3_bind_int64(_insert, 17, r.CacheWrite1hTokens));
        Check(raw.sqlite3_bind_int64(_insert, 18, r.ReasoningTokens));
        Run(_insert);
    }

    public void Dispose()
    {
        _insert.Dispose();
        _rollback.Dispose();
        _commit.Dispose();
        _begin.Dispose();
        // The connection goes back to the pool as SqliteCommand expects it: no busy handler of ours.
        raw.sqlite3_busy_timeout(_db, 0);
    }

    private void Text(int index, ReadOnlySpan<char> value) =>
        Check(value.IsEmpty ? raw.sqlite3_bind_text(_insert, index, utf8z.FromSpan(EmptyText)) : raw.sqlite3_bind_text16(_insert, index, value));

    private sqlite3_stmt Prepare(string sql)
    {
        Check(raw.sqlite3_prepare_v2(_db, sql, out var statement));
        return statement;
    }

    /// <summary>Runs a statement to completion and resets it for the next run (its bindings stay).</summary>
    private void Run(sqlite3_stmt statement)
    {
        var rc = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        if (rc != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }
}
