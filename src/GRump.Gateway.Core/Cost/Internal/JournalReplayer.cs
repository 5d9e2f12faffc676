using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace GRump.Gateway.Cost.Internal;

/// <summary>A record on its way into the journal, and its caller: told true once Redis applied it, false once it is
/// durable in the journal while Redis is out.</summary>
internal sealed record JournalWrite(CostRecord Record, string Hold, TaskCompletionSource<bool> Settled);

/// <summary>
/// Moves records journal → Redis, and owns the store's outage mode. Two loops:
/// <list type="bullet">
/// <item>the writer takes records from a bounded queue and appends them to the journal in batched transactions;</item>
/// <item>the sender applies them to Redis, one batch per tenant in flight, oldest first, and deletes what Redis applied.</item>
/// </list>
/// While healthy, the writer hands each durable record to the sender in memory and its caller waits until Redis
/// applied it (reports read what responses billed). The first Redis failure starts an outage: every waiting caller is
/// released (its record is durable), later records are released as soon as they are written, admission turns local
/// (<see cref="OutageAdmission"/>), and the sender retries from the journal's oldest record every
/// <c>OutageRetryInterval</c> or as soon as the connection is restored. The outage ends when the journal is empty,
/// Redis answers, and the holds released meanwhile are dropped in Redis. Leaving outage mode and handing records over
/// in memory are decided under one lock with the journal's depth, so no record can be written in outage mode and then
/// be missed by both the replay and the hand-over.
/// </summary>
internal sealed partial class JournalReplayer : IAsyncDisposable
{
    private const int MaxWriteBatch = 512;

    private readonly LedgerJournal _journal;
    private readonly RedisLedger _redis;
    private readonly LedgerWriteQueue<JournalWrite> _queue;
    private readonly ConcurrentQueue<JournalEntry> _handoff = new();
    private readonly ConcurrentQueue<BudgetReservation> _releases = new();
    private readonly WakeSignal _wake = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<long, TaskCompletionSource<bool>> _waiting = [];
    private readonly int _batchSize;
    private readonly TimeSpan _retryInterval;
    private readonly TimeSpan _batchPause;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LedgerJournalMetrics _metrics;
    private readonly Action _outageEnded;
    private readonly Task _writer;
    private readonly Task _sender;
    private volatile bool _outage;
    private TaskCompletionSource _outageOver = NewSignal(); // completed while no outage is going on
    private volatile bool _draining;
    private long _outageStarted;
    private long _replayedInOutage;
    private long _admittedInOutage;

    public JournalReplayer(LedgerJournal journal, RedisLedger redis, CostOptions options, TimeProvider time, ILogger logger, LedgerJournalMetrics metrics, Action outageEnded)
    {
        _journal = journal;
        _redis = redis;
        _queue = new LedgerWriteQueue<JournalWrite>(options.WriteQueueCapacity);
        _batchSize = options.ReplayBatchSize;
        _retryInterval = options.OutageRetryInterval;
        _batchPause = options.ReplayBatchPause;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _outageEnded = outageEnded;
        _outageOver.TrySetResult();
        if (journal.Depth > 0)
        {
            // Records an earlier run journaled and did not get into Redis: admission stays local until they are in.
            _outage = true;
            _outageStarted = time.GetTimestamp();
            _outageOver = NewSignal();
            Log.ReplayingEarlierRun(logger, journal.Depth, journal.Path);
        }
        _writer = Task.Run(WriteLoopAsync);
        _sender = Task.Run(SendLoopAsync);
    }

    /// <summary>Redis is out, or the journal holds records Redis has not applied yet: admission is local.</summary>
    public bool InOutage => _outage;

    /// <summary>Completes when no outage is going on (at once, if none is).</summary>
    public Task WhenOutageEndsAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return _outage ? _outageOver.Task.WaitAsync(cancellationToken) : Task.CompletedTask;
        }
    }

    /// <summary>Journals the record; true once Redis applied it, false once it is durable in the journal during an outage.</summary>
    public async Task<bool> AppendAsync(CostRecord record, string hold)
    {
        var write = new JournalWrite(record, hold, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        // Not the caller's token: a record of tokens already paid for is written even if the client has gone.
        await _queue.WriteAsync(write, CancellationToken.None).ConfigureAwait(false);
        return await write.Settled.Task.ConfigureAwait(false);
    }

    /// <summary>A Redis call failed: start an outage (once; later failures only keep it going).</summary>
    public void ReportFailure(Exception error)
    {
        List<TaskCompletionSource<bool>> released;
        lock (_lock)
        {
            if (_outage)
            {
                return;
            }
            _outage = true;
            _outageOver = NewSignal();
            _outageStarted = _time.GetTimestamp();
            _replayedInOutage = 0;
            _admittedInOutage = 0;
            released = [.. _waiting.Values];
            _waiting.Clear();
        }
        // Their records are in the journal: the callers go on, Redis gets them at the replay.
        foreach (var waiter in released)
        {
            waiter.TrySetResult(false);
        }
        _metrics.OutageStarted();
        Log.OutageStarted(_logger, Describe(error), _journal.Path);
        _wake.Set();
    }

    /// <summary>Try Redis now (the connection was restored) rather than at the next retry.</summary>
    public void Wake() => _wake.Set();

    /// <summary>A Redis hold to drop when Redis is back (it would lapse by itself after the reservation TTL).</summary>
    public void QueueRelease(BudgetReservation reservation) => _releases.Enqueue(reservation);

    /// <summary>Counts a request admitted locally, for the line that ends the outage.</summary>
    public void AdmittedLocally() => Interlocked.Increment(ref _admittedInOutage);

    public async ValueTask DisposeAsync()
    {
        // Everything queued goes into the journal; what Redis has not applied by then is replayed at the next start.
        _queue.Complete();
        await _writer.ConfigureAwait(false);
        _draining = true;
        _wake.Set();
        await _sender.ConfigureAwait(false);
    }

    /// <summary>The cause without StackExchange.Redis's connection diagnostics (thread pools, counters), which fill a screen.</summary>
    private static string Describe(Exception error)
    {
        var message = error.InnerException?.Message ?? error.Message;
        var end = message.Length;
        foreach (var marker in (ReadOnlySpan<string>)[", mc: ", ", Idle/", ", last: ", ", IOCP: "])
        {
            var at = message.IndexOf(marker, StringComparison.Ordinal);
            if (at > 0 && at < end)
            {
                end = at;
            }
        }
        return message[..end];
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task WriteLoopAsync()
    {
        var batch = new List<JournalWrite>(MaxWriteBatch);
        var items = new List<(CostRecord, string)>(MaxWriteBatch);
        while (await _queue.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (batch.Count < MaxWriteBatch && _queue.TryRead(out var write))
            {
                batch.Add(write);
                items.Add((write.Record, write.Hold));
            }
            IReadOnlyList<JournalEntry> entries;
            try
            {
                entries = _journal.Append(items);
            }
            catch (Exception ex)
            {
                // Disk full, a broken file, a bug: these callers fail (their calls were not billed), the loop lives on.
                Log.JournalWriteFailed(_logger, batch.Count, ex);
                foreach (var write in batch)
                {
                    write.Settled.TrySetException(new Errors.GatewayException(Errors.GatewayErrorKind.Unavailable,
                        "The cost ledger could not record this call; it was not billed. Retry later.", null, ex) { Reason = "LEDGER_UNAVAILABLE" });
                }
                batch.Clear();
                items.Clear();
                continue;
            }
            bool journaledOnly;
            lock (_lock)
            {
                _journal.Counted(entries.Count);
                journaledOnly = _outage;
                if (!journaledOnly)
                {
                    for (var i = 0; i < entries.Count; i++)
                    {
                        _waiting.Add(entries[i].Seq, batch[i].Settled);
                        _handoff.Enqueue(entries[i]);
                    }
                }
            }
            if (journaledOnly)
            {
                foreach (var write in batch)
                {
                    write.Settled.TrySetResult(false);
                }
            }
            else
            {
                _wake.Set();
            }
            batch.Clear();
            items.Clear();
        }
    }

    private async Task SendLoopAsync()
    {
        // No stop token: the loop ends when disposal drains it (a Redis call it waits on is bounded by Redis's timeouts).
        while (true)
        {
            try
            {
                if (_outage)
                {
                    if (_draining)
                    {
                        return; // the rest is replayed at the next start
                    }
                    await ReplayAsync().ConfigureAwait(false);
                }
                else if (!_handoff.IsEmpty)
                {
                    var entries = new List<JournalEntry>(Math.Min(_batchSize, _handoff.Count));
                    while (entries.Count < _batchSize && _handoff.TryDequeue(out var entry))
                    {
                        entries.Add(entry);
                    }
                    if (await ApplyAsync(entries).ConfigureAwait(false) is { } failure)
                    {
                        ReportFailure(failure);
                    }
                }
                else if (_draining)
                {
                    return;
                }
                else
                {
                    await _wake.WaitAsync(Timeout.InfiniteTimeSpan, _time, CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (SqliteException ex)
            {
                // The journal could not be read or cleaned: nothing is lost (applied records are skipped when sent again).
                Log.JournalReadFailed(_logger, ex.Message);
                await _wake.WaitAsync(_retryInterval, _time, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // A bug, not an outage — but the loop must live on (callers wait on it): release them, retry from the journal.
                Log.SendFailed(_logger, ex);
                ReportFailure(ex);
                await _wake.WaitAsync(_retryInterval, _time, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One step of the outage: replay the oldest batch, or — with the journal empty — try to end the outage.</summary>
    private async Task ReplayAsync()
    {
        // Records handed over before the outage began are read from the journal below (once applied, skipped).
        while (_handoff.TryDequeue(out _))
        {
        }
        var entries = _journal.ReadOldest(_batchSize);
        if (entries.Count > 0)
        {
            if (await ApplyAsync(entries).ConfigureAwait(false) is null)
            {
                // The pause starts when the batch is in (before the log line, which tests wait for).
                var pause = _batchPause > TimeSpan.Zero ? Task.Delay(_batchPause, _time) : Task.CompletedTask;
                Log.Replayed(_logger, entries.Count, entries[^1].Seq, _journal.Depth);
                await pause.ConfigureAwait(false);
                return;
            }
            await _wake.WaitAsync(_retryInterval, _time, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        try
        {
            await _redis.PingAsync(CancellationToken.None).ConfigureAwait(false);
            while (_releases.TryPeek(out var reservation))
            {
                await _redis.ReleaseAsync(reservation).ConfigureAwait(false);
                _releases.TryDequeue(out _);
            }
        }
        catch (Errors.GatewayException)
        {
            await _wake.WaitAsync(_retryInterval, _time, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        lock (_lock)
        {
            if (_journal.Depth > 0)
            {
                return; // written meanwhile: replay that first
            }
            _outage = false;
        }
        _outageEnded();
        _outageOver.TrySetResult();
        Log.OutageEnded(_logger, _time.GetElapsedTime(_outageStarted).TotalSeconds, Interlocked.Read(ref _replayedInOutage), Interlocked.Read(ref _admittedInOutage));
    }

    /// <summary>Applies entries (oldest first), one Redis call per tenant; releases their callers and deletes what Redis has. Returns the first failure.</summary>
    private async Task<Exception?> ApplyAsync(IReadOnlyList<JournalEntry> entries)
    {
        var tenants = entries.GroupBy(e => e.Record.Tenant, StringComparer.Ordinal).ToList();
        var results = tenants.Count == 1
            ? [await ApplyTenantAsync(tenants[0].Key, entries).ConfigureAwait(false)]
            : await Task.WhenAll(tenants.Select(group => ApplyTenantAsync(group.Key, [.. group]))).ConfigureAwait(false);
        var done = new List<long>(entries.Count);
        Exception? failure = null;
        foreach (var (applied, error) in results)
        {
            done.AddRange(applied);
            failure ??= error;
        }
        _journal.Delete(done);
        return failure;
    }

    private async Task<(List<long> Done, Exception? Error)> ApplyTenantAsync(string tenant, IReadOnlyList<JournalEntry> entries)
    {
        long before;
        try
        {
            before = await _redis.ApplyAsync(tenant, _journal.Id, entries).ConfigureAwait(false);
        }
        catch (Errors.GatewayException ex)
        {
            return ([], ex);
        }
        var done = new List<long>(entries.Count);
        var replayed = 0;
        foreach (var entry in entries)
        {
            done.Add(entry.Seq);
            TaskCompletionSource<bool>? waiter;
            lock (_lock)
            {
                _waiting.Remove(entry.Seq, out waiter);
            }
            if (waiter is not null)
            {
                waiter.TrySetResult(true);
            }
            else if (entry.Seq > before)
            {
                replayed++; // nobody waited for it: journaled in an outage or by an earlier run
            }
        }
        if (replayed > 0)
        {
            Interlocked.Add(ref _replayedInOutage, replayed);
            _metrics.Replayed(replayed);
        }
        return (done, null);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "The cost ledger (Redis) is unreachable ({Error}): recording to the local journal {Path} and admitting with the last known spend plus the outage allowance until it is back")]
        public static partial void OutageStarted(ILogger logger, string error, string path);

        [LoggerMessage(2, LogLevel.Information, "The cost ledger (Redis) is back after {Seconds:0.0} s: replayed {Replayed} journaled records, {Admitted} requests were admitted locally")]
        public static partial void OutageEnded(ILogger logger, double seconds, long replayed, long admitted);

        [LoggerMessage(3, LogLevel.Information, "The cost ledger journal {Path} holds {Count} records an earlier run did not get into Redis: replaying them")]
        public static partial void ReplayingEarlierRun(ILogger logger, long count, string path);

        [LoggerMessage(4, LogLevel.Debug, "Replayed {Count} journaled records up to #{Seq} to Redis ({Depth} left)")]
        public static partial void Replayed(ILogger logger, int count, long seq, long depth);

        [LoggerMessage(5, LogLevel.Error, "The cost ledger journal failed to write {Count} records (they were not billed)")]
        public static partial void JournalWriteFailed(ILogger logger, int count, Exception exception);

        [LoggerMessage(6, LogLevel.Error, "The cost ledger journal could not be read or cleaned (retrying): {Error}")]
        public static partial void JournalReadFailed(ILogger logger, string error);

        [LoggerMessage(7, LogLevel.Error, "Sending journaled cost records to Redis failed unexpectedly (retrying from the journal)")]
        public static partial void SendFailed(ILogger logger, Exception exception);
    }
}
