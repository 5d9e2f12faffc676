using System.Diagnostics.CodeAnalysis;
using GRump.Gateway.Errors;
using GRump.Gateway.Providers;
using GRump.Gateway.Tokens;
using Microsoft.Extensions.Logging;

namespace GRump.Gateway.Embeddings.Internal;

/// <summary>
/// Merges the texts of concurrent callers for one (provider, model) into upstream batches, continuously: texts
/// accumulate while a batch of this coalescer is in flight and go up when the upstream is idle again — at once for a
/// lone caller, who never waits for company. A forming batch is sent when it holds <see cref="Cap"/> distinct texts, when
/// the next text would push it past the token budget, when no batch is in flight and it has at least as many callers as
/// the batch that came back last (so the callers that batch answered, who ask again at once under load, ride together
/// instead of splitting into half-size batches), or when its oldest text has waited <see cref="EmbeddingOptions.MaxWait"/>
/// (0 = as soon as the queue is idle). A text identical to one queued or in flight
/// joins that one instead of being sent again. Vectors go back to each caller by index; a failed batch fails every
/// caller waiting on it. A caller that cancels withdraws its texts not yet sent.
/// </summary>
/// <remarks>
/// One reader task owns the forming batch; callers only write to the bounded queue. The slot table (texts queued in the
/// forming batch or in flight, for dedupe) is shared with batch completions and cancelling callers under one lock held
/// for O(1) work, or O(batch) when a caller withdraws.
/// </remarks>
internal sealed class EmbeddingCoalescer : IAsyncDisposable
{
    private readonly IEmbeddingProvider _provider;
    private readonly string _model;
    private readonly int _tokenBudget;
    private readonly TimeSpan _maxWait;
    private readonly SemaphoreSlim? _inFlightLimit;
    private readonly EmbeddingMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EmbeddingBatchQueue _queue;
    private readonly CancellationTokenSource _abort = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, TextSlot> _slots = new(StringComparer.Ordinal);
    private readonly List<TextSlot> _open = [];
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reader;
    private EmbeddingTicket? _carry;
    private int _openTokens;
    private int _running = 1; // the reader itself; batches add one each
    private int _inFlight;
    private int _lastReturned;
    private long _formingBatch;
    private int _openCallers;
    private TaskCompletionSource _batchReturned = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    public EmbeddingCoalescer(
        IEmbeddingProvider provider,
        string model,
        EmbeddingOptions options,
        SemaphoreSlim? inFlightLimit,
        EmbeddingMetrics metrics,
        TimeProvider time,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(options);
        _provider = provider;
        _model = model;
        Cap = Math.Max(1, Math.Min(Math.Min(256, options.MaxBatchSize), provider.MaxBatchSize));
        _tokenBudget = options.MaxBatchTokens;
        _maxWait = options.MaxWait;
        _inFlightLimit = inFlightLimit;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _queue = new EmbeddingBatchQueue(options.QueueCapacity, options.QueueMaxChars);
        _reader = Task.Run(RunAsync);
    }

    /// <summary>Most distinct texts per upstream batch: min(256, configured, provider limit).</summary>
    public int Cap { get; }

    public int QueueDepth => _queue.Count;

    /// <summary>Characters of text in the queue (reserved by callers, not yet taken by the reader).</summary>
    internal long QueuedChars => _queue.Chars;

    /// <summary>
    /// Queues <paramref name="texts"/> and waits for their vectors (in order; the arrays may be shared with other callers
    /// and must not be changed). RESOURCE_EXHAUSTED when the queue cannot take all of them; the batch's failure otherwise.
    /// </summary>
    public Task<(IReadOnlyList<float[]> Vectors, long InputTokens)> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken) =>
        EmbedAsync(texts, tokenCounts: null, cancellationToken);

    /// <summary>As <see cref="EmbedAsync(IReadOnlyList{string}, CancellationToken)"/>, with each text's token count already known (the caller counted them for its budget).</summary>
    public async Task<(IReadOnlyList<float[]> Vectors, long InputTokens)> EmbedAsync(IReadOnlyList<string> texts, IReadOnlyList<int>? tokenCounts, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var waiter = new EmbeddingWaiter(texts.Count);
        var now = _time.GetTimestamp();
        long chars = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            chars += texts[i].Length;
        }
        if (!_queue.TryReserve(chars))
        {
            Reject(texts.Count, $"{chars:N0} characters asked for, {_queue.Chars:N0} of its {_queue.MaxChars:N0} characters of text waiting");
        }

        // From here every character reserved and not yet queued (chars) is given back on every way out.
        try
        {
            for (var i = 0; i < texts.Count; i++)
            {
                var text = texts[i];
                if (!_queue.TryEnqueue(new EmbeddingTicket(waiter, i, text, Math.Max(1, tokenCounts?[i] ?? TokenCounter.Shared.Count(text)), now)))
                {
                    Reject(texts.Count - i, $"{_queue.Capacity:N0} texts waiting");
                }
                chars -= text.Length;
            }
        }
        catch
        {
            // The texts already queued are skipped by the reader (counted as cancelled): the call is all or nothing.
            waiter.Abandon();
            _queue.Unreserve(chars);
            throw;
        }

        try
        {
            await waiter.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !waiter.Completion.IsCompleted)
        {
            Withdraw(waiter);
            throw;
        }
        return (waiter.Vectors, waiter.InputTokens);
    }

    [DoesNotReturn]
    private void Reject(int texts, string full)
    {
        _metrics.Texts(_provider.Name, EmbeddingOutcomes.Rejected, texts);
        if (_queue.IsCompleted)
        {
            GatewayErrors.ThrowShuttingDown();
        }
        EmbeddingsLog.QueueFull(_logger, _provider.Name, _model, full);
        GatewayErrors.ThrowQueueFull($"embedding ({_provider.Name}/{_model})", full);
    }

    /// <summary>Stops taking texts, sends what is queued and waits for in-flight batches; aborts them when <paramref name="cancellationToken"/> fires.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        _queue.Complete();
        try
        {
            await _idle.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            EmbeddingsLog.DrainTimedOut(_logger, _provider.Name, _model, _queue.Count);
            await _abort.CancelAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _queue.Complete();
        await _abort.CancelAsync().ConfigureAwait(false);
        // Aborted: the reader fails what is queued and every batch in flight ends promptly.
        await _idle.Task.ConfigureAwait(false);
        _abort.Dispose();
    }

    private async Task RunAsync()
    {
        Task<bool>? readable = null;
        try
        {
            while (true)
            {
                if (Fill())
                {
                    await FlushAsync().ConfigureAwait(false);
                    continue;
                }

                int open;
                int callers;
                long oldest;
                lock (_lock)
                {
                    open = _open.Count;
                    callers = _openCallers;
                    oldest = open > 0 ? _open[0].EnqueuedAt : 0;
                }

                readable ??= _queue.WaitToReadAsync(CancellationToken.None).AsTask();
                if (open == 0)
                {
                    if (!await readable.ConfigureAwait(false))
                    {
                        return; // completed and drained
                    }
                    readable = null;
                    continue;
                }

                // Armed before reading the count: a batch that returns after the read still wakes this wait.
                var returned = Volatile.Read(ref _batchReturned).Task;
                var remaining = _maxWait - _time.GetElapsedTime(oldest);
                if ((Volatile.Read(ref _inFlight) == 0 && callers >= Volatile.Read(ref _lastReturned))
                    || remaining <= TimeSpan.Zero || readable.IsCompleted && !readable.Result)
                {
                    // The upstream is idle and the last batch's callers are back (or there were none), or the oldest
                    // text waited long enough (0 = the queue is idle now), or nothing more will come.
                    await FlushAsync().ConfigureAwait(false);
                    continue;
                }

                using var delay = new CancellationTokenSource();
                var timer = Task.Delay(remaining, _time, delay.Token);
                // The clock may have moved on between reading it and arming the timer: then don't wait for the timer.
                if (_time.GetElapsedTime(oldest) < _maxWait && await Task.WhenAny(readable, timer, returned).ConfigureAwait(false) == readable)
                {
                    readable = readable.Result ? null : readable;
                }
                await delay.CancelAsync().ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // Nobody may be left hanging: everyone still waiting gets an error.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            GatewayException error;
            if (exception is OperationCanceledException && _abort.IsCancellationRequested)
            {
                error = new GatewayException(GatewayErrorKind.Unavailable, "The gateway is shutting down; retry on another replica or after restart.") { Reason = "SHUTTING_DOWN" };
            }
            else
            {
                EmbeddingsLog.ReaderFailed(_logger, _provider.Name, _model, exception);
                error = new GatewayException(GatewayErrorKind.Unavailable, $"The embedding coalescer for '{_model}' stopped unexpectedly; retry.", innerException: exception);
            }
            List<TextSlot> open;
            lock (_lock)
            {
                open = [.. _open];
                _open.Clear();
            }
            Fail(open, error);
            _queue.Complete();
            if (_carry is { } carried)
            {
                carried.Waiter.Fail(error);
            }
            while (_queue.TryDequeue(out var ticket))
            {
                ticket.Waiter.Fail(error);
            }
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Moves queued texts into the forming batch; true when it must be sent now (full, or over the token budget).</summary>
    private bool Fill()
    {
        while (true)
        {
            EmbeddingTicket ticket;
            if (_carry is { } carried)
            {
                ticket = carried;
                _carry = null;
            }
            else if (!_queue.TryDequeue(out ticket))
            {
                return false;
            }

            lock (_lock)
            {
                if (ticket.Waiter.Abandoned)
                {
                    _metrics.Texts(_provider.Name, EmbeddingOutcomes.Cancelled, 1);
                    continue;
                }
                if (_slots.TryGetValue(ticket.Text, out var existing))
                {
                    if (existing.Batch == _formingBatch)
                    {
                        Count(ticket.Waiter);
                    }

                    existing.Waiters.Add((ticket.Waiter, ticket.Index));
                    _metrics.Texts(_provider.Name, EmbeddingOutcomes.Deduplicated, 1);
                    continue;
                }
                if (_open.Count > 0 && _openTokens + ticket.Tokens > _tokenBudget)
                {
                    _carry = ticket;
                    return true;
                }
                var slot = new TextSlot(ticket.Text, ticket.Tokens, ticket.EnqueuedAt) { Batch = _formingBatch };
                slot.Waiters.Add((ticket.Waiter, ticket.Index));
                Count(ticket.Waiter);
                _slots.Add(ticket.Text, slot);
                _open.Add(slot);
                _openTokens += ticket.Tokens;
                if (_open.Count >= Cap || _openTokens >= _tokenBudget)
                {
                    return true;
                }
            }
        }
    }

    private async Task FlushAsync()
    {
        if (_inFlightLimit is not null)
        {
            // Texts keep queueing meanwhile (bounded): that is the backpressure. Callers may still withdraw.
            await _inFlightLimit.WaitAsync(_abort.Token).ConfigureAwait(false);
        }

        TextSlot[] batch;
        int callers;
        lock (_lock)
        {
            batch = [.. _open];
            _open.Clear();
            _openTokens = 0;
            callers = _openCallers;
            _openCallers = 0;
            _formingBatch++;
        }
        if (batch.Length == 0)
        {
            _inFlightLimit?.Release();
            return;
        }

        var now = _time.GetTimestamp();
        foreach (var slot in batch)
        {
            _metrics.Wait(_provider.Name, _time.GetElapsedTime(slot.EnqueuedAt, now));
        }
        _metrics.Batch(_provider.Name, _model, batch.Length);
        _metrics.Texts(_provider.Name, EmbeddingOutcomes.Batched, batch.Length);
        Interlocked.Increment(ref _running);
        Interlocked.Increment(ref _inFlight);
        _ = SendAsync(batch, callers);
    }

    /// <summary>Counts a caller once in the forming batch (under the lock).</summary>
    private void Count(EmbeddingWaiter waiter)
    {
        if (waiter.CountedInBatch != _formingBatch)
        {
            waiter.CountedInBatch = _formingBatch;
            _openCallers++;
        }
    }

    private async Task SendAsync(TextSlot[] batch, int callers)
    {
        try
        {
            var texts = new string[batch.Length];
            double estimated = 0;
            for (var i = 0; i < batch.Length; i++)
            {
                texts[i] = batch[i].Text;
                estimated += batch[i].Tokens;
            }

            EmbeddingBatchResult result;
            try
            {
                result = await _provider.EmbedAsync(_model, texts, _abort.Token).ConfigureAwait(false);
                if (result.Vectors.Count != texts.Length)
                {
                    throw new GatewayException(GatewayErrorKind.Unavailable,
                        $"The upstream '{_provider.Name}' returned {result.Vectors.Count} embeddings for {texts.Length} inputs.") { Reason = "UPSTREAM_PROTOCOL" };
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException || _abort.IsCancellationRequested)
            {
                var error = exception switch
                {
                    GatewayException gateway => gateway,
                    OperationCanceledException => new GatewayException(GatewayErrorKind.Unavailable, "The gateway is shutting down; retry on another replica or after restart.") { Reason = "SHUTTING_DOWN" },
                    _ => new GatewayException(GatewayErrorKind.Unavailable,
                        $"The embeddings upstream '{_provider.Name}' failed for a batch of {texts.Length} inputs ({exception.GetType().Name}); retry.", innerException: exception)
                    { Reason = "UPSTREAM_FAILED" },
                };
                EmbeddingsLog.BatchFailed(_logger, _provider.Name, _model, texts.Length, error.Kind, error.Message);
                Fail(batch, error);
                return;
            }

            for (var i = 0; i < batch.Length; i++)
            {
                var share = estimated > 0 ? result.InputTokens * batch[i].Tokens / estimated : 0;
                foreach (var (waiter, index) in Detach(batch[i]))
                {
                    waiter.Deliver(index, result.Vectors[i], share);
                }
            }
        }
        finally
        {
            _inFlightLimit?.Release();
            Volatile.Write(ref _lastReturned, callers);
            Interlocked.Decrement(ref _inFlight);
            // Wake the reader: what accumulated while this batch was out may go now.
            Interlocked.Exchange(ref _batchReturned, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            Release();
        }
    }

    private void Fail(IEnumerable<TextSlot> slots, Exception error)
    {
        long failed = 0;
        foreach (var slot in slots)
        {
            foreach (var (waiter, _) in Detach(slot))
            {
                waiter.Fail(error);
                failed++;
            }
        }
        _metrics.Texts(_provider.Name, EmbeddingOutcomes.Failed, failed);
    }

    /// <summary>Takes the slot out of the dedupe table; from then on nobody joins it, so its waiter list is final.</summary>
    private List<(EmbeddingWaiter Waiter, int Index)> Detach(TextSlot slot)
    {
        lock (_lock)
        {
            _slots.Remove(slot.Text);
        }
        return slot.Waiters;
    }

    /// <summary>A cancelled caller's texts leave every batch not yet sent; texts still queued are skipped when read.</summary>
    private void Withdraw(EmbeddingWaiter waiter)
    {
        waiter.Abandon();
        long removed = 0;
        lock (_lock)
        {
            if (waiter.CountedInBatch == _formingBatch)
            {
                _openCallers--;
                waiter.CountedInBatch = -1;
            }

            for (var i = _open.Count - 1; i >= 0; i--)
            {
                var slot = _open[i];
                removed += slot.Waiters.RemoveAll(w => ReferenceEquals(w.Waiter, waiter));
                if (slot.Waiters.Count == 0)
                {
                    _open.RemoveAt(i);
                    _slots.Remove(slot.Text);
                    _openTokens -= slot.Tokens;
                }
            }
        }
        _metrics.Texts(_provider.Name, EmbeddingOutcomes.Cancelled, removed);
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _running) == 0)
        {
            _idle.TrySetResult();
        }
    }

    /// <summary>One distinct text in the forming batch or in flight, and everyone waiting for its vector.</summary>
    private sealed class TextSlot(string text, int tokens, long enqueuedAt)
    {
        public string Text { get; } = text;

        public int Tokens { get; } = tokens;

        public long EnqueuedAt { get; } = enqueuedAt;

        /// <summary>The forming batch it was opened in (callers joining it later count toward that batch).</summary>
        public long Batch { get; init; }

        public List<(EmbeddingWaiter Waiter, int Index)> Waiters { get; } = new(1);
    }
}
