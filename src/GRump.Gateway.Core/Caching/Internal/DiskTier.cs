using System.Collections.Concurrent;
using System.IO.Hashing;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace GRump.Gateway.Caching.Internal;

/// <summary>
/// L3: every entry in one SQLite database, <c>{root}/l3.db</c> (WAL), with a hard cap on its size on disk that every
/// write enforces. Before a row is inserted the tier checks the pages in use; when the entry would not fit under the
/// budget, the oldest rows (insertion order) go first, in the same transaction. Freed pages are reused by later writes,
/// so the file grows only when nothing is free: it never exceeds the cap by more than the entry being written. Expired
/// rows go on a timer, which also gives surplus free pages back to the file system (incremental vacuum).
/// </summary>
/// <remarks>
/// Why not one file per entry (the first design): a file costs a whole file-system block (4 KiB) and an inode however
/// small the entry, so a 1 GiB cap counted in payload bytes meant 4.6 GB and a million files on disk, and keeping the
/// cap meant listing every file. Here the cap counts what is on disk — the database's pages, its write-ahead log (kept
/// under <see cref="WalAllowance"/> by checkpoints) and the WAL index — and finding the oldest rows is a b-tree walk.
/// Writers combine: whoever holds the write gate commits every queued write in one transaction (group commit), so a
/// burst of misses costs one commit, not one per entry. The cache's own writes go behind (<see cref="Queue"/>): they wait
/// up to <see cref="WriteBehindWindow"/> in memory for others to share their transaction, which at one connection is
/// the difference between a transaction per miss and one per several (and keeps the commit and its checkpoints off the
/// request).
/// </remarks>
internal sealed class DiskTier : IDisposable
{
    public const string FileName = "l3.db";

    /// <summary>The row format (<c>PRAGMA user_version</c>); a database of another version is deleted and recreated.</summary>
    public const int FormatVersion = 1;

    /// <summary>The smallest cap that leaves room for the schema, a WAL and a few entries.</summary>
    public const long MinimumCapBytes = 1024 * 1024;

    private const int ShmAllowance = 32 * 1024;

    /// <summary>How long a checkpoint waits for readers of old WAL frames (they read one row and are gone).</summary>
    private static readonly TimeSpan CheckpointWait = TimeSpan.FromSeconds(2);
    private const int RowOverhead = 96; // header columns, record header and the (ns, key) index entry, rounded up

    /// <summary>How long a queued write waits for others to share its transaction.</summary>
    internal static readonly TimeSpan WriteBehindWindow = TimeSpan.FromMilliseconds(5);

    private readonly long _capBytes;
    private readonly long _budgetBytes;
    private readonly long _slackBytes;
    private readonly ConcurrentQueue<WriteOp> _pending = new();
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly ConcurrentBag<Reader> _readers = [];
    private readonly Lock _openLock = new();
    private readonly string _connectionString;
    private readonly Action<Exception> _writeBehindFailed;
    private readonly Action _writeDropped;
    private readonly SemaphoreSlim _writeBehindQueued = new(0);
    private readonly ManualResetEventSlim _writeBehindStopped = new();
    private int _writeBehindSignalled;
    private long _queuedBytes;
    private Writer? _writer;
    private long _bytes;
    private int _pageSize = 4096;
    private bool _disposed;

    /// <summary>
    /// <paramref name="writeBehindFailed"/> hears of a queued write that could not be committed (nobody waits for it),
    /// <paramref name="writeDropped"/> of one the full queue did not take.
    /// </summary>
    public DiskTier(string root, long capBytes, Action<Exception>? writeBehindFailed = null, Action? writeDropped = null)
    {
        _writeBehindFailed = writeBehindFailed ?? (static _ => { });
        _writeDropped = writeDropped ?? (static () => { });
        Root = root;
        DatabasePath = Path.Combine(root, FileName);
        _capBytes = Math.Max(capBytes, MinimumCapBytes);
        WalAllowance = Math.Clamp(_capBytes / 8, 128 * 1024, 8 * 1024 * 1024);
        _budgetBytes = _capBytes - WalAllowance - ShmAllowance;
        _slackBytes = Math.Clamp(_budgetBytes / 64, 4096, 128 * 1024);
        MaxQueuedBytes = Math.Clamp(_budgetBytes / 16, 256 * 1024, 16 * 1024 * 1024);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            // Connections are kept by this tier (one writer, pooled readers); the driver's pool would only double them.
            Pooling = false,
            DefaultTimeout = 5,
        }.ToString();
    }

    public string Root { get; }

    public string DatabasePath { get; }

    /// <summary>What the write-ahead log may use of the cap; checkpoints keep it under this.</summary>
    public long WalAllowance { get; }

    /// <summary>Bytes of rows queued behind at most; a write that would pass it is dropped (see <see cref="Queue"/>).</summary>
    public long MaxQueuedBytes { get; }

    /// <summary>The background deletion of the old one-file-per-entry layout (tests wait for it).</summary>
    internal Task LegacyFilesDeleted { get; private set; } = Task.CompletedTask;

    /// <summary>Bytes on disk: the database, its WAL and WAL index, as of the last write or cleanup.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The entry under the key, expired or not (the caller checks); null when there is none. A local read, synchronous.</summary>
    public StoredEntry? Get(CacheNamespace ns, CacheKey key)
    {
        EnsureOpen();
        var reader = Rent();
        try
        {
            var found = reader.Find(ns, key);
            if (found.Corrupt)
            {
                // Damaged or foreign: a miss, and the row goes.
                Submit(WriteOp.Remove(ns, key));
            }

            return found.Entry;
        }
        finally
        {
            Return(reader);
        }
    }

    /// <summary>
    /// Queues the entry to be written behind, within <see cref="WriteBehindWindow"/>, in one transaction with the others
    /// queued by then. False when it is not taken: larger than a quarter of the tier, or the queue already holds
    /// <see cref="MaxQueuedBytes"/> (the disk is not keeping up; a cache may skip a write rather than grow in memory).
    /// A failure to commit it goes to the constructor's <c>writeBehindFailed</c>. Reads see it once committed; a remove
    /// or clear after it commits it first, so it cannot come back.
    /// </summary>
    public bool Queue(CacheNamespace ns, CacheKey key, CacheEntry entry, DateTimeOffset expiresAt)
    {
        var rowBytes = RowBytes(entry.Value.Length);
        if (rowBytes > _budgetBytes / 4)
        {
            // One entry may not take more than a quarter of the tier: it would evict most of the others.
            return false;
        }

        EnsureOpen();
        var queued = Interlocked.Add(ref _queuedBytes, rowBytes);
        if (queued > MaxQueuedBytes && queued != rowBytes)
        {
            // Full. (A write alone is always taken, so an entry larger than the queue's bound still gets stored.)
            Interlocked.Add(ref _queuedBytes, -rowBytes);
            _writeDropped();
            return false;
        }

        _pending.Enqueue(WriteOp.Set(ns, key, entry, expiresAt, queuedBytes: rowBytes));
        if (Interlocked.Exchange(ref _writeBehindSignalled, 1) == 0)
        {
            _writeBehindQueued.Release();
        }

        return true;
    }

    /// <summary>Commits every queued write now (tests; <see cref="Dispose"/> does it too).</summary>
    internal void Flush() => DrainQueued();

    /// <summary>For tests: holds every commit until the returned handle is disposed.</summary>
    internal IDisposable PauseWrites()
    {
        _writeGate.Wait();
        return new GateRelease(_writeGate);
    }

    public bool Remove(CacheNamespace ns, CacheKey key) => Submit(WriteOp.Remove(ns, key)) > 0;

    /// <summary>Deletes every entry (or one namespace's); returns how many.</summary>
    public long Clear(CacheNamespace? ns) => Submit(WriteOp.Clear(ns));

    /// <summary>
    /// Deletes expired rows, gives free pages beyond a small reserve back to the file system and re-reads the size.
    /// Returns how many rows went.
    /// </summary>
    public int Cleanup(DateTimeOffset now) => (int)Submit(WriteOp.Cleanup(now));

    /// <summary>For tests: whether a row for the key is stored (expired or not).</summary>
    internal bool Contains(CacheNamespace ns, CacheKey key)
    {
        EnsureOpen();
        var reader = Rent();
        try
        {
            return reader.Exists(ns, key);
        }
        finally
        {
            Return(reader);
        }
    }

    /// <summary>Commits what is queued behind, then closes the database.</summary>
    public void Dispose()
    {
        _writeGate.Wait();
        try
        {
            if (_writer is not null)
            {
                DrainQueuedUnderGate();
            }

            _disposed = true;
            _writeBehindStopped.Set(); // the write-behind thread sees the tier disposed and ends
            _writeBehindQueued.Release();
            _writer?.Dispose();
            _writer = null;
            while (_readers.TryTake(out var reader))
            {
                reader.Dispose();
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Queues a write and waits (synchronously) until it is committed, by this thread or by the current writer.</summary>
    private long Submit(WriteOp op)
    {
        EnsureOpen();
        _pending.Enqueue(op);
        _writeGate.Wait();
        try
        {
            DrainUntil(op);
        }
        finally
        {
            _writeGate.Release();
        }

        return op.Result;
    }

    /// <summary>
    /// The write-behind thread: once something is queued it waits <see cref="WriteBehindWindow"/> for more, then commits
    /// all of it. A thread of its own, not the pool's: under a steady stream of misses it commits, evicts and checkpoints
    /// (fsyncs) most of the time, blocking, and the pool should not lose a worker to that (it adds threads slowly).
    /// Started with the database; ends when the tier is disposed (which commits the rest itself).
    /// </summary>
    private void WriteBehind()
    {
        while (true)
        {
            _writeBehindQueued.Wait();
            if (_writeBehindStopped.Wait(WriteBehindWindow))
            {
                return;
            }

            // Before draining: a write queued from here on signals again and is committed by the next round at the latest.
            Volatile.Write(ref _writeBehindSignalled, 0);
            try
            {
                DrainQueued();
            }
            catch (Exception exception)
            {
                // Whatever it was, the loop goes on: without it queued writes would pile up to the bound and be dropped.
                _writeBehindFailed(exception);
            }
        }
    }

    private void DrainQueued()
    {
        _writeGate.Wait();
        try
        {
            DrainQueuedUnderGate();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Under the write gate: commits everything queued, unless the tier is disposed (which commits it first).</summary>
    private void DrainQueuedUnderGate()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            DrainUntil(null);
        }
        catch (Exception exception) when (exception is SqliteException or IOException or UnauthorizedAccessException)
        {
            // A batch's own failure is reported as it fails; this is the database's size not readable.
            _writeBehindFailed(exception);
        }
    }

    /// <summary>
    /// Under the write gate: commits queued writes, batch after batch, until <paramref name="mine"/> is done (null: until
    /// the queue is empty). A failed batch fails its ops; a queued write nobody waits for is reported.
    /// </summary>
    private void DrainUntil(WriteOp? mine)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (mine is null ? !_pending.IsEmpty : !mine.Done)
        {
            var writer = _writer ?? throw new InvalidOperationException("The L3 database is not open.");
            var batch = new List<WriteOp>();
            long walBytes = 0;
            // A batch's pages go to the WAL before a checkpoint can move them: keep one batch well under its allowance.
            // Clears and cleanups run alone, in transactions of their own. (One drainer at a time: peek, then take.)
            while (walBytes < WalAllowance / 4 && _pending.TryPeek(out var next))
            {
                var alone = next.Kind is WriteKind.Clear or WriteKind.Cleanup;
                if (alone && batch.Count > 0)
                {
                    break;
                }

                _pending.TryDequeue(out _);
                batch.Add(next);
                walBytes += next.Kind == WriteKind.Set ? PagesFor(next) : _pageSize;
                if (alone)
                {
                    break;
                }
            }

            if (batch.Count == 0)
            {
                // Someone else committed this op between its enqueue and our dequeue.
                break;
            }

            try
            {
                writer.Commit(batch, this);
                foreach (var op in batch)
                {
                    op.Done = true;
                }
            }
            catch (Exception exception) when (exception is SqliteException or IOException or UnauthorizedAccessException)
            {
                foreach (var op in batch)
                {
                    op.Fail(exception);
                }

                if (batch.Exists(op => op.QueuedBytes > 0))
                {
                    _writeBehindFailed(exception);
                }
            }
            finally
            {
                Interlocked.Add(ref _queuedBytes, -batch.Sum(op => op.QueuedBytes));
            }

            Interlocked.Exchange(ref _bytes, writer.BytesOnDisk());
        }

        mine?.ThrowIfFailed();
    }

    /// <summary>
    /// What writing one entry may take, in the database and in the WAL: the row, plus a page for each index it may split
    /// (the key index's order is random). Pessimistic on purpose: room is made before the batch's transaction for this
    /// much, so the batch itself never has to evict.
    /// </summary>
    private long PagesFor(WriteOp set) => RowBytes(set.Entry!.Value.Length) + (2L * _pageSize);

    /// <summary>
    /// Bytes a row takes in the database: small payloads share pages, a payload beyond a quarter page spills into
    /// overflow pages that it fills only partly.
    /// </summary>
    private long RowBytes(int payload)
    {
        var bytes = payload + RowOverhead + CacheKey.Size;
        return payload <= _pageSize / 4 ? bytes : (bytes + _pageSize - 1) / _pageSize * _pageSize;
    }

    private void EnsureOpen()
    {
        if (Volatile.Read(ref _writer) is not null)
        {
            return;
        }

        lock (_openLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_writer is not null)
            {
                return;
            }

            Directory.CreateDirectory(Root);
            Writer writer;
            try
            {
                try
                {
                    writer = Writer.Open(_connectionString, this);
                }
                catch (SqliteException e) when (e.SqliteErrorCode is 11 or 26)
                {
                    // SQLITE_CORRUPT / SQLITE_NOTADB: damaged or not ours; a cache may start over.
                    DeleteDatabaseFiles();
                    writer = Writer.Open(_connectionString, this);
                }
            }
            catch (SqliteException e)
            {
                throw new IOException($"The L3 database {DatabasePath} cannot be opened: {e.Message}", e);
            }

            _pageSize = writer.PageSize;
            Interlocked.Exchange(ref _bytes, writer.BytesOnDisk());
            Volatile.Write(ref _writer, writer);
            LegacyFilesDeleted = Task.Run(DeleteLegacyFiles);
            new Thread(WriteBehind) { IsBackground = true, Name = "L3 write-behind" }.Start();
        }
    }

    private void DeleteDatabaseFiles()
    {
        foreach (var suffix in (string[])["", "-wal", "-shm"])
        {
            File.Delete(DatabasePath + suffix);
        }
    }

    /// <summary>
    /// Entries of the one-file-per-entry layout (<c>{root}/{namespace}/{hash}.bin</c>) before this format: the cache
    /// starts over, and those files go in the background (there may be a million of them).
    /// </summary>
    private void DeleteLegacyFiles()
    {
        foreach (var ns in CacheNamespaces.All)
        {
            var folder = new DirectoryInfo(Path.Combine(Root, ns.Name()));
            try
            {
                if (!folder.Exists)
                {
                    continue;
                }

                foreach (var file in folder.EnumerateFiles())
                {
                    if (file.Extension is ".bin" or ".tmp")
                    {
                        file.Delete();
                    }
                }

                if (!folder.EnumerateFileSystemInfos().Any())
                {
                    folder.Delete();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left for the next start; they are not read any more.
            }
        }
    }

    private Reader Rent()
    {
        if (_readers.TryTake(out var reader))
        {
            return reader;
        }

        return new Reader(_connectionString);
    }

    private void Return(Reader reader)
    {
        // Keep a few open connections (each holds a small page cache); close the rest of a burst.
        if (!_disposed && _readers.Count < Environment.ProcessorCount * 2)
        {
            _readers.Add(reader);
        }
        else
        {
            reader.Dispose();
        }
    }

    private static void Bind(SqliteCommand command, CacheNamespace ns, CacheKey key)
    {
        var keyBytes = new byte[CacheKey.Size];
        key.CopyTo(keyBytes);
        command.Parameters[0].Value = (int)ns;
        command.Parameters[1].Value = keyBytes;
    }

    private sealed class GateRelease(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }

    private enum WriteKind
    {
        Set,
        Remove,
        Clear,
        Cleanup,
    }

    private sealed class WriteOp
    {
        private Exception? _error;

        private WriteOp(WriteKind kind) => Kind = kind;

        public WriteKind Kind { get; }

        public CacheNamespace? Namespace { get; private init; }

        public CacheKey Key { get; private init; }

        public CacheEntry? Entry { get; private init; }

        public DateTimeOffset At { get; private init; }

        /// <summary>Set by <see cref="Queue"/>: the row's bytes counted against <see cref="MaxQueuedBytes"/> until it is done.</summary>
        public long QueuedBytes { get; private init; }

        /// <summary>Rows affected (Set: 0 stored, -1 skipped).</summary>
        public long Result { get; set; }

        public volatile bool Done;

        public static WriteOp Set(CacheNamespace ns, CacheKey key, CacheEntry entry, DateTimeOffset expiresAt, long queuedBytes = 0) =>
            new(WriteKind.Set) { Namespace = ns, Key = key, Entry = entry, At = expiresAt, QueuedBytes = queuedBytes };

        public static WriteOp Remove(CacheNamespace ns, CacheKey key) => new(WriteKind.Remove) { Namespace = ns, Key = key };

        public static WriteOp Clear(CacheNamespace? ns) => new(WriteKind.Clear) { Namespace = ns };

        public static WriteOp Cleanup(DateTimeOffset now) => new(WriteKind.Cleanup) { At = now };

        public void Fail(Exception error)
        {
            _error = error;
            Done = true;
        }

        public void ThrowIfFailed()
        {
            if (_error is not null)
            {
                throw new IOException($"L3 write failed: {_error.Message}", _error);
            }
        }
    }

    /// <summary>
    /// A pooled read connection with its prepared lookups, on SQLite's own API (as the ledger's insert): the key is bound
    /// from the stack and the columns read straight from the row. Through <see cref="SqliteCommand"/> each lookup made a
    /// data reader, a parameter binder and a key array, on the path of every cache miss.
    /// </summary>
    private sealed class Reader : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _find;
        private readonly sqlite3_stmt _exists;

        public Reader(string connectionString)
        {
            _connection = new SqliteConnection(connectionString);
            _connection.Open();
            using (var pragma = _connection.CreateCommand())
            {
                // A small page cache per connection: the OS page cache holds the hot pages once for everyone.
                pragma.CommandText = "PRAGMA cache_size = -256; PRAGMA query_only = 1;";
                pragma.ExecuteNonQuery();
            }

            _db = _connection.Handle!;
            // What SqliteCommand did on a busy database (its timeout), done by SQLite's own busy handler.
            Check(raw.sqlite3_busy_timeout(_db, _connection.DefaultTimeout * 1000));
            _find = Prepare("SELECT created, expires, cost, crc, value FROM entries WHERE ns = ?1 AND key = ?2");
            _exists = Prepare("SELECT 1 FROM entries WHERE ns = ?1 AND key = ?2");
        }

        public (StoredEntry? Entry, bool Corrupt) Find(CacheNamespace ns, CacheKey key)
        {
            try
            {
                if (!Step(_find, ns, key))
                {
                    return (null, false);
                }

                if (raw.sqlite3_column_type(_find, 4) != raw.SQLITE_BLOB)
                {
                    // Not a value this tier wrote (NULL or text): damaged or foreign.
                    return (null, true);
                }

                var value = raw.sqlite3_column_blob(_find, 4).ToArray();
                var crc = unchecked((uint)raw.sqlite3_column_int64(_find, 3));
                var cost = raw.sqlite3_column_double(_find, 2);
                if (Crc32.HashToUInt32(value) != crc || !double.IsFinite(cost) || cost < 0)
                {
                    return (null, true);
                }

                var entry = new CacheEntry(value, DateTimeOffset.FromUnixTimeMilliseconds(raw.sqlite3_column_int64(_find, 0)), cost);
                return (new StoredEntry(entry, DateTimeOffset.FromUnixTimeMilliseconds(raw.sqlite3_column_int64(_find, 1))), false);
            }
            finally
            {
                raw.sqlite3_reset(_find);
            }
        }

        public bool Exists(CacheNamespace ns, CacheKey key)
        {
            try
            {
                return Step(_exists, ns, key);
            }
            finally
            {
                raw.sqlite3_reset(_exists);
            }
        }

        public void Dispose()
        {
            _find.Dispose();
            _exists.Dispose();
            _connection.Dispose();
        }

        /// <summary>Binds the key and steps once: true on a row, false when there is none.</summary>
        private bool Step(sqlite3_stmt statement, CacheNamespace ns, CacheKey key)
        {
            Span<byte> keyBytes = stackalloc byte[CacheKey.Size];
            key.CopyTo(keyBytes);
            Check(raw.sqlite3_bind_int64(statement, 1, (int)ns));
            // Copied by SQLite (SQLITE_TRANSIENT): the stack buffer may go.
            Check(raw.sqlite3_bind_blob(statement, 2, keyBytes));
            var rc = raw.sqlite3_step(statement);
            if (rc is not (raw.SQLITE_ROW or raw.SQLITE_DONE))
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }

            return rc == raw.SQLITE_ROW;
        }

        private sqlite3_stmt Prepare(string sql)
        {
            Check(raw.sqlite3_prepare_v2(_db, sql, out var statement));
            return statement;
        }

        private void Check(int rc)
        {
            if (rc != raw.SQLITE_OK)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
        }
    }

    /// <summary>The one write connection and its prepared statements; used only under the write gate.</summary>
    private sealed class Writer : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _upsert;
        private readonly SqliteCommand _remove;
        private readonly SqliteCommand _pages;
        private readonly SqliteCommand _evict;
        private readonly string _path;

        private Writer(SqliteConnection connection, string path, int pageSize)
        {
            _connection = connection;
            _path = path;
            PageSize = pageSize;
            _upsert = Command(
                // REPLACE deletes the old row and inserts a new one with the highest id: an overwrite counts as the newest entry.
                "INSERT OR REPLACE INTO entries(ns, key, created, expires, cost, crc, value) VALUES ($ns, $key, $created, $expires, $cost, $crc, $value)",
                ("$ns", SqliteType.Integer), ("$key", SqliteType.Blob), ("$created", SqliteType.Integer), ("$expires", SqliteType.Integer),
                ("$cost", SqliteType.Real), ("$crc", SqliteType.Integer), ("$value", SqliteType.Blob));
            _remove = Command("DELETE FROM entries WHERE ns = $ns AND key = $key", ("$ns", SqliteType.Integer), ("$key", SqliteType.Blob));
            _pages = Command("SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count())");
            // Insertion order: the oldest rows have the lowest ids.
            _evict = Command("DELETE FROM entries WHERE id IN (SELECT id FROM entries ORDER BY id LIMIT $n)", ("$n", SqliteType.Integer));
        }

        public int PageSize { get; }

        public static Writer Open(string connectionString, DiskTier tier)
        {
            var connection = new SqliteConnection(connectionString);
            try
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA user_version";
                var version = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
                command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'entries'";
                var hasTable = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
                if (hasTable && version != FormatVersion)
                {
                    // Another format: this is a cache, so it starts over rather than migrating rows.
                    command.CommandText = "DROP TABLE entries";
                    command.ExecuteNonQuery();
                    command.CommandText = "VACUUM";
                    command.ExecuteNonQuery();
                }

                command.CommandText = $"""
                    PRAGMA auto_vacuum = INCREMENTAL;
                    PRAGMA journal_mode = WAL;
                    PRAGMA synchronous = NORMAL;
                    PRAGMA cache_size = -1024;
                    PRAGMA wal_autocheckpoint = 0;
                    PRAGMA journal_size_limit = {tier.WalAllowance / 2};
                    PRAGMA busy_timeout = {(int)CheckpointWait.TotalMilliseconds};
                    CREATE TABLE IF NOT EXISTS entries(
                      id INTEGER PRIMARY KEY, ns INTEGER NOT NULL, key BLOB NOT NULL, created INTEGER NOT NULL,
                      expires INTEGER NOT NULL, cost REAL NOT NULL, crc INTEGER NOT NULL, value BLOB NOT NULL);
                    CREATE UNIQUE INDEX IF NOT EXISTS entries_key ON entries(ns, key);
                    CREATE INDEX IF NOT EXISTS entries_expires ON entries(expires);
                    PRAGMA user_version = {FormatVersion};
                    """;
                command.ExecuteNonQuery();
                command.CommandText = "PRAGMA page_size";
                var pageSize = (int)Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
                return new Writer(connection, tier.DatabasePath, pageSize);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        /// <summary>One transaction for the batch; each op's result is set on it.</summary>
        public void Commit(List<WriteOp> batch, DiskTier tier)
        {
            if (batch is [{ Kind: WriteKind.Clear or WriteKind.Cleanup } single])
            {
                single.Result = single.Kind == WriteKind.Clear ? Clear(single.Namespace, tier) : Cleanup(single.At, tier);
                return;
            }

            MakeRoom(batch.Sum(op => op.Kind == WriteKind.Set ? tier.PagesFor(op) : 0), tier);
            using (var transaction = _connection.BeginTransaction())
            {
                // Un-enlisted however the batch ends: commands left holding a disposed transaction would fail every
                // later batch ("transaction object is not associated with the same connection").
                Enlist(transaction);
                try
                {
                    foreach (var op in batch)
                    {
                        op.Result = op.Kind switch
                        {
                            WriteKind.Set => Insert(op),
                            WriteKind.Remove => Remove(op.Namespace!.Value, op.Key),
                            _ => throw new InvalidOperationException($"{op.Kind} runs alone."),
                        };
                    }

                    transaction.Commit();
                }
                finally
                {
                    Enlist(null);
                }
            }

            KeepWalSmall(tier);
        }

        /// <summary>
        /// Evicts the oldest rows until <paramref name="need"/> more bytes fit under the budget, a few at a time, each
        /// step its own transaction followed by the WAL check. Deleting a row dirties a page of the key index, whose
        /// order is random, so evicting a thousand small rows in one transaction writes megabytes of frames to the WAL
        /// — past its allowance, and so past the cap — before any checkpoint can move them.
        /// </summary>
        private void MakeRoom(long need, DiskTier tier)
        {
            var used = UsedBytes();
            if (used + need <= tier._budgetBytes)
            {
                return;
            }

            // How many rows a step may delete is learnt from what the last step added to the WAL: a step stays within
            // a quarter of the allowance, so the WAL stays under it between the checkpoints at half.
            var target = tier._budgetBytes - tier._slackBytes - need;
            var rows = (int)Math.Max(1, tier.WalAllowance / 4 / (3L * PageSize));
            while (used > target)
            {
                var walBefore = WalBytes();
                int deleted;
                using (var transaction = _connection.BeginTransaction())
                {
                    Enlist(transaction);
                    try
                    {
                        _evict.Parameters[0].Value = rows;
                        deleted = _evict.ExecuteNonQuery();
                        transaction.Commit();
                    }
                    finally
                    {
                        Enlist(null);
                    }
                }

                var grown = WalBytes() - walBefore;
                rows = grown < tier.WalAllowance / 16 ? Math.Min(rows * 2, 4096) : grown > tier.WalAllowance / 4 ? Math.Max(1, rows / 2) : rows;
                KeepWalSmall(tier);
                if (deleted == 0)
                {
                    break;
                }

                used = UsedBytes();
            }
        }

        private long WalBytes()
        {
            var wal = new FileInfo(_path + "-wal");
            return wal.Exists ? wal.Length : 0;
        }

        /// <summary>Bytes on disk of the database, its WAL and its WAL index.</summary>
        public long BytesOnDisk()
        {
            long total = 0;
            foreach (var suffix in (string[])["", "-wal", "-shm"])
            {
                var file = new FileInfo(_path + suffix);
                total += file.Exists ? file.Length : 0;
            }

            return total;
        }

        public void Dispose()
        {
            _upsert.Dispose();
            _remove.Dispose();
            _pages.Dispose();
            _evict.Dispose();
            _connection.Dispose();
        }

        private long Insert(WriteOp op)
        {
            var value = op.Entry!.Value;
            var keyBytes = new byte[CacheKey.Size];
            op.Key.CopyTo(keyBytes);
            var payload = value.ToArray();
            _upsert.Parameters[0].Value = (int)op.Namespace!.Value;
            _upsert.Parameters[1].Value = keyBytes;
            _upsert.Parameters[2].Value = op.Entry.CreatedAt.ToUnixTimeMilliseconds();
            _upsert.Parameters[3].Value = op.At.ToUnixTimeMilliseconds();
            _upsert.Parameters[4].Value = op.Entry.CostUsd;
            _upsert.Parameters[5].Value = (long)Crc32.HashToUInt32(payload);
            _upsert.Parameters[6].Value = payload;
            _upsert.ExecuteNonQuery();
            return 0;
        }

        private long Remove(CacheNamespace ns, CacheKey key)
        {
            Bind(_remove, ns, key);
            return _remove.ExecuteNonQuery();
        }

        private long Clear(CacheNamespace? ns, DiskTier tier)
        {
            long removed;
            using (var command = _connection.CreateCommand())
            {
                // Without a WHERE clause SQLite drops the table's pages wholesale (few WAL frames for any size).
                command.CommandText = ns is null ? "SELECT count(*) FROM entries" : "SELECT count(*) FROM entries WHERE ns = $ns";
                command.Parameters.AddWithValue("$ns", (int)(ns ?? 0));
                removed = (long)command.ExecuteScalar()!;
                command.CommandText = ns is null ? "DELETE FROM entries" : "DELETE FROM entries WHERE ns = $ns";
                command.ExecuteNonQuery();
            }

            Vacuum(keepFreePages: 0, tier);
            return removed;
        }

        private long Cleanup(DateTimeOffset now, DiskTier tier)
        {
            long removed = 0;
            using (var command = _connection.CreateCommand())
            {
                // In chunks, each its own transaction, so the WAL stays within its allowance however much expired.
                command.CommandText = "DELETE FROM entries WHERE id IN (SELECT id FROM entries WHERE expires <= $now LIMIT 512)";
                command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
                int deleted;
                do
                {
                    deleted = command.ExecuteNonQuery();
                    removed += deleted;
                    KeepWalSmall(tier);
                }
                while (deleted > 0);
            }

            // Keep free pages worth the slack for the next writes; give the rest back.
            Vacuum(keepFreePages: tier._slackBytes / PageSize, tier);
            return removed;
        }

        /// <summary>Returns free pages beyond <paramref name="keepFreePages"/> to the file system, in WAL-sized steps.</summary>
        private void Vacuum(long keepFreePages, DiskTier tier)
        {
            using var command = _connection.CreateCommand();
            while (true)
            {
                command.CommandText = "PRAGMA freelist_count";
                var free = (long)command.ExecuteScalar()!;
                var surplus = free - keepFreePages;
                if (surplus <= 0)
                {
                    break;
                }

                command.CommandText = $"PRAGMA incremental_vacuum({Math.Min(surplus, 2048)})";
                command.ExecuteNonQuery();
                KeepWalSmall(tier);
            }

            // In WAL mode the file shrinks when the checkpoint writes the truncation back.
            Checkpoint();
        }

        private long UsedBytes() => (long)_pages.ExecuteScalar()! * PageSize;

        /// <summary>
        /// A checkpoint that truncates the WAL when it passed half its allowance (readers are brief; it waits for them).
        /// The only checkpoints: SQLite's automatic ones are off, so the WAL file grows by exactly what each transaction
        /// wrote until this truncates it — which is how <see cref="MakeRoom"/> measures a step.
        /// </summary>
        private void KeepWalSmall(DiskTier tier)
        {
            if (WalBytes() > tier.WalAllowance / 2)
            {
                Checkpoint();
            }
        }

        /// <summary>
        /// Moves the WAL into the database and truncates it. It waits (up to <see cref="CheckpointWait"/>, SQLite's busy
        /// timeout) for readers still on the old WAL frames — without that wait a gateway whose misses read L3 all the
        /// time never finds a moment free of readers, and the WAL grows past the cap.
        /// </summary>
        private void Checkpoint()
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            command.ExecuteNonQuery();
        }

        private void Enlist(SqliteTransaction? transaction)
        {
            _upsert.Transaction = transaction;
            _remove.Transaction = transaction;
            _pages.Transaction = transaction;
            _evict.Transaction = transaction;
        }

        private SqliteCommand Command(string sql, params (string Name, SqliteType Type)[] parameters)
        {
            var command = _connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, type) in parameters)
            {
                command.Parameters.Add(name, type);
            }

            return command;
        }
    }
}
