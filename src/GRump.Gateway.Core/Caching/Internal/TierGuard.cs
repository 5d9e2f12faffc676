using GRump.Gateway.Diagnostics;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace GRump.Gateway.Caching.Internal;

/// <summary>
/// Runs L2/L3 calls behind a timeout and a circuit breaker (Polly, on the injected clock). A failed call never
/// throws to the request: it counts as a fault, the first fault of an outage logs one warning, and the caller gets
/// "no result" and goes on with the other tiers. Only the caller's own cancellation propagates.
/// </summary>
internal sealed class TierGuard
{
    private readonly CacheLayer _layer;
    private readonly ResiliencePipeline _pipeline;
    private readonly CacheMetrics _metrics;
    private readonly ILogger _logger;
    private int _faulted;
    private long _faults;
    private volatile bool _open;

    public TierGuard(CacheLayer layer, TimeSpan timeout, TimeSpan breakDuration, TimeProvider time, CacheMetrics metrics, ILogger logger)
    {
        _layer = layer;
        _metrics = metrics;
        _logger = logger;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time, Name = $"cache-{layer}" }
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
            })
            .AddTimeout(timeout)
            .Build();
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
