using Microsoft.Data.Sqlite;

namespace GRump.Gateway.Cost.Internal;

/// <summary>One journaled record: its number in the journal, the record, and the Redis hold it settles ('' = none).</summary>
internal sealed record JournalEntry(long Seq, CostRecord Record, string Hold);

/// <summary>
/// The Redis store's local journal, <c>&lt;Gateway:DataPath&gt;/ledger-journal.db</c> (SQLite, WAL): every record is
/// written here before it goes to Redis and deleted once Redis applied it, so a record survives a Redis outage and a
/// killed process. Records are numbered by an AUTOINCREMENT key (never reused, even after deletes) and become visible
/// in that order (one writer); together with the journal's random id that number is what makes Redis apply each
/// record once (<see cref="RedisLedger.ApplyAsync"/>). One gateway per file.
/// <para>
/// <see cref="Append"/> (the writer) and <see cref="Delete"/> (the replayer) share one connection under a lock:
/// two writing connections would meet SQLite's BUSY, which Microsoft.Data.Sqlite answers by sleeping 150 ms.
/// <see cref="ReadOldest"/> (the replayer) has a connection of its own (WAL lets it read beside the writer).
/// </para>
/// </summary>
internal sealed class LedgerJournal : IDisposable
{
    private readonly Lock _writing = new();
    private readonly SqliteConnection _writer;
    private readonly SqliteConnection _reader;
    private readonly SqliteCommand _insert;
    private readonly SqliteParameter[] _recordParameters;
    private readonly SqliteParameter _holdParameter;
    private readonly SqliteCommand _select;
    private readonly SqliteCommand _delete;
    private long _depth;

    public LedgerJournal(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false, DefaultTimeout = 30 }.ToString();
        _writer = new SqliteConnection(connectionString);
        _writer.Open();
        using (var setup = _writer.CreateCommand())
        {
            setup.CommandText = """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = NORMAL;
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                INSERT OR IGNORE INTO meta(key, value) VALUES ('journal_id', $id);
                CREATE TABLE IF NOT EXISTS pending(
                  seq INTEGER PRIMARY KEY AUTOINCREMENT,
                  id TEXT NOT NULL, tenant TEXT NOT NULL, session TEXT NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL,
                  operation TEXT NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cost REAL NOT NULL,
                  cache_hit INTEGER NOT NULL, cache_savings REAL NOT NULL, routing_savings REAL NOT NULL, ts INTEGER NOT NULL,
                  day TEXT NOT NULL, hold TEXT NOT NULL,
                  cache_read_tokens INTEGER NOT NULL DEFAULT 0, cache_write_tokens INTEGER NOT NULL DEFAULT 0,
                  cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0, reasoning_tokens INTEGER NOT NULL DEFAULT 0);
                """;
            setup.Parameters.AddWithValue("$id", Guid.CreateVersion7().ToString("N"));
            setup.ExecuteNonQuery();
            setup.Parameters.Clear();
            // A journal left by a build before the token kinds (a record written then replays with 0 for them).
            LedgerRecordRows.AddMissingColumns(setup, "pending");
            setup.CommandText = "SELECT value FROM meta WHERE key = 'journal_id'";
            Id = (string)setup.ExecuteScalar()!;
            setup.CommandText = "SELECT COUNT(*) FROM pending";
            _depth = (long)setup.ExecuteScalar()!;
        }

        _insert = _writer.CreateCommand();
        _insert.CommandText = $"INSERT INTO pending({LedgerRecordRows.Columns}, hold) VALUES ({LedgerRecordRows.Values}, $hold) RETURNING seq";
        _recordParameters = LedgerRecordRows.AddParameters(_insert);
        _holdParameter = _insert.Parameters.Add(new SqliteParameter { ParameterName = "$hold" });

        _reader = new SqliteConnection(connectionString);
        _reader.Open();
        _select = _reader.CreateCommand();
        _select.CommandText = $"SELECT seq, hold, {LedgerRecordRows.Columns} FROM pending ORDER BY seq LIMIT $limit";
        _select.Parameters.Add(new SqliteParameter { ParameterName = "$limit" });
        _delete = _writer.CreateCommand();
        _delete.CommandText = "DELETE FROM pending WHERE seq = $seq";
        _delete.Parameters.Add(new SqliteParameter { ParameterName = "$seq" });
    }

    /// <summary>This journal's identity in Redis: random, kept in the file (a fresh data folder is a new journal).</summary>
    public string Id { get; }

    public string Path { get; }

    /// <summary>Records written and not yet deleted (applied).</summary>
    public long Depth => Interlocked.Read(ref _depth);

    /// <summary>
    /// Writes the records in one transaction and returns them numbered, durable. <see cref="Depth"/> counts them only
    /// when the writer says so (<see cref="Counted"/>), under the lock that also decides where they go next.
    /// </summary>
    public IReadOnlyList<JournalEntry> Append(IReadOnlyList<(CostRecord Record, string Hold)> items)
    {
        var entries = new JournalEntry[items.Count];
        lock (_writing)
        {
            using var transaction = _writer.BeginTransaction();
            _insert.Transaction = transaction;
            for (var i = 0; i < items.Count; i++)
            {
                LedgerRecordRows.Bind(_recordParameters, items[i].Record);
                _holdParameter.Value = items[i].Hold;
                entries[i] = new JournalEntry((long)_insert.ExecuteScalar()!, items[i].Record, items[i].Hold);
            }
            transaction.Commit();
        }
        return entries;
    }

    /// <summary>Adds written records to <see cref="Depth"/> (the writer calls this under the replayer's lock).</summary>
    public void Counted(int count) => Interlocked.Add(ref _depth, count);

    /// <summary>The oldest records not yet deleted, in order.</summary>
    public IReadOnlyList<JournalEntry> ReadOldest(int limit)
    {
        _select.Parameters[0].Value = limit;
        var entries = new List<JournalEntry>(limit);
        using var reader = _select.ExecuteReader();
        while (reader.Read())
        {
            entries.Add(new JournalEntry(reader.GetInt64(0), LedgerRecordRows.Read(reader, 2), reader.GetString(1)));
        }
        return entries;
    }

    /// <summary>Deletes applied records (one transaction); numbers already gone are ignored.</summary>
    public void Delete(IReadOnlyList<long> seqs)
    {
        if (seqs.Count == 0)
        {
            return;
        }
        var deleted = 0;
        lock (_writing)
        {
            using var transaction = _writer.BeginTransaction();
            _delete.Transaction = transaction;
            foreach (var seq in seqs)
            {
                _delete.Parameters[0].Value = seq;
                deleted += _delete.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        Interlocked.Add(ref _depth, -deleted);
    }

    public void Dispose()
    {
        _insert.Dispose();
        _select.Dispose();
        _delete.Dispose();
        _writer.Dispose();
        _reader.Dispose();
    }
}
