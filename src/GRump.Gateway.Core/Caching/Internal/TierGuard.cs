using GRump.Gateway.Diagnostics;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace GRump.Gateway.Caching.Internal;

/// <summary>
/// Runs L2/L3 calls behind a circuit breaker and, for L2's asynchronous calls, a timeout (Polly, on the injected clock). A failed call never
/// throws to the request: it counts as a fault, the first fault of an outage logs one warning, and the caller gets
/// "no result" and goes on with the other tiers. Only the caller's own cancellation propagates.
/// </summary>
internal sealed class TierGuard
{
    private readonly CacheLayer _layer;
    private readonly ResiliencePipeline _pipeline;
    private readonly TimeProvider _time;
    private readonly TimeSpan _breakDuration;
    private readonly CacheMetrics _metrics;
    private readonly ILogger _logger;
    private int _faulted;
    private long _faults;
    private volatile bool _open;
    private long _writesPausedUntil;

    /// <summary>
    /// <paramref name="timeout"/> bounds one asynchronous call (L2); null for a tier whose calls run synchronously (L3's
    /// SQLite reads and queued writes), which a cancellation could not cut short.
    /// </summary>
    public TierGuard(CacheLayer layer, TimeSpan? timeout, TimeSpan breakDuration, TimeProvider time, CacheMetrics metrics, ILogger logger)
    {
        _layer = layer;
        _time = time;
        _breakDuration = breakDuration;
        _metrics = metrics;
        _logger = logger;
        var builder = new ResiliencePipelineBuilder { TimeProvider = time, Name = $"cache-{layer}" }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // A cache tier is optional: trip early (half of at least 4 calls) and probe again after the break.
                FailureRatio = 0.5,
                MinimumThroughput = 4,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = breakDuration,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null and not OperationCanceledException),
                OnOpened = args =>
                {
                    _open = true;
                    CachingLog.CircuitOpened(_logger, _layer.Name(), args.BreakDuration.TotalSeconds);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    _open = false;
                    CachingLog.CircuitClosed(_logger, _layer.Name());
                    return ValueTask.CompletedTask;
                },
            });
        _pipeline = (timeout is { } bound ? builder.AddTimeout(bound) : builder).Build();
    }

    public long Faults => Interlocked.Read(ref _faults);

    public bool CircuitOpen => _open;

    /// <summary>Runs <paramref name="operation"/>; <c>Ok</c> is false when the tier failed, timed out or its circuit is open.</summary>
    public async ValueTask<(bool Ok, T? Value)> RunAsync<TState, T>(TState state, Func<TState, CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            var value = await _pipeline.ExecuteAsync(operation, state, cancellationToken).ConfigureAwait(false);
            Succeeded();
            return (true, value);
        }
        catch (BrokenCircuitException)
        {
            return (false, default);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            Failed(exception);
            return (false, default);
        }
    }

    /// <summary>
    /// Runs a synchronous <paramref name="operation"/> (an L3 read) behind the circuit breaker; <c>Ok</c> is false when it
    /// failed or the circuit is open.
    /// </summary>
    public (bool Ok, T? Value) Run<TState, T>(TState state, Func<TState, T> operation)
    {
        if (!TryExecute(state, operation, out var value))
        {
            return (false, default);
        }

        Succeeded();
        return (true, value);
    }

    /// <summary>
    /// Queues a write behind (L3): runs <paramref name="operation"/> behind the circuit breaker; false when it failed,
    /// the circuit is open, or a queued write failed to commit less than the break duration ago
    /// (<see cref="WriteBehindFailed"/>). A queued write is not yet a success, so it does not end an outage.
    /// </summary>
    public bool QueueWrite<TState>(TState state, Func<TState, bool> operation) =>
        _time.GetUtcNow().UtcTicks >= Interlocked.Read(ref _writesPausedUntil) && TryExecute(state, operation, out var taken) && taken;

    /// <summary>A synchronous call behind the breaker: false when the circuit is open or the call failed (a fault).</summary>
    private bool TryExecute<TState, T>(TState state, Func<TState, T> operation, out T? value)
    {
        try
        {
            value = _pipeline.Execute(static (s, _) => s.Operation(s.State), (State: state, Operation: operation));
            return true;
        }
        catch (BrokenCircuitException)
        {
            value = default;
            return false;
        }
        catch (Exception exception)
        {
            Failed(exception);
            value = default;
            return false;
        }
    }

    /// <summary>For calls that must not be cut by the per-call timeout (clear, cleanup): faults count the same way.</summary>
    public async ValueTask<(bool Ok, T? Value)> RunUnboundedAsync<TState, T>(TState state, Func<TState, CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            var value = await operation(state, cancellationToken).ConfigureAwait(false);
            Succeeded();
            return (true, value);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            Failed(exception);
            return (false, default);
        }
    }

    /// <summary>
    /// A queued write failed to commit, with nobody waiting for it: a fault like any other, and queueing pauses for the
    /// break duration (a full disk would otherwise fail every batch while reads keep succeeding).
    /// </summary>
    public void WriteBehindFailed(Exception exception)
    {
        Interlocked.Exchange(ref _writesPausedUntil, (_time.GetUtcNow() + _breakDuration).UtcTicks);
        Failed(exception);
    }

    public void Failed(Exception exception)
    {
        Interlocked.Increment(ref _faults);
        _metrics.Fault(_layer);
        if (Interlocked.Exchange(ref _faulted, 1) == 0)
        {
            CachingLog.TierFaulted(_logger, _layer.Name(), $"{exception.GetType().Name}: {exception.Message}");
        }
    }

    private void Succeeded()
    {
        if (Volatile.Read(ref _faulted) == 1 && Interlocked.Exchange(ref _faulted, 0) == 1)
        {
            CachingLog.TierRecovered(_logger, _layer.Name());
        }
    }
}
