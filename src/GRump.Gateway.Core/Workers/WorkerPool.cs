using System.Diagnostics.Metrics;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Errors;
using GRump.Gateway.Workers.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Workers;

/// <summary>
/// A bounded pool of N workers for CPU-bound request work (intent parsing, context building, large JSON), so that a
/// burst of heavy parses queues here — with a clear RESOURCE_EXHAUSTED when the queue is full — instead of starving
/// Kestrel's I/O threads. Workers start with the pool. On host shutdown the queue is completed and drained only after
/// the server has stopped (<see cref="IHostedLifecycleService.StoppedAsync"/>), so in-flight requests and streams
/// that still parse while Kestrel drains them are served.
/// </summary>
public sealed class WorkerPool : IHostedLifecycleService, IAsyncDisposable
{
    private readonly WorkQueue _queue;
    private readonly Task[] _workers;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly ILogger<WorkerPool> _logger;
    private readonly Counter<long> _tasks;
    private readonly Histogram<double> _waitSeconds;

    private int _active;
    private long _completed;
    private long _rejected;
    private long _timedOut;
    private long _failed;
    private long _waitTicks;
    private long _runTicks;

    public WorkerPool(IOptions<WorkerPoolOptions> options, TimeProvider time, IMeterFactory meterFactory, ILogger<WorkerPool> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meterFactory);
        _time = time;
        _logger = logger;
        _timeout = options.Value.TaskTimeout;
        _queue = new WorkQueue(options.Value.QueueCapacity);

        var meter = meterFactory.Create(GatewayTelemetry.Name);
        meter.CreateObservableGauge(GatewayTelemetry.Metrics.WorkerQueueDepth, () => _queue.Count, description: "Tasks waiting in the worker pool's queue.");
        meter.CreateObservableGauge(GatewayTelemetry.Metrics.WorkerActive, () => Volatile.Read(ref _active), description: "Tasks running on the worker pool.");
        var workerCount = Math.Max(1, options.Value.EffectiveWorkerCount);
        meter.CreateObservableGauge(GatewayTelemetry.Metrics.WorkerUtilization, () => Volatile.Read(ref _active) * 100d / workerCount, unit: "%",
            description: "Busy workers as a percentage of the pool.");
        _tasks = meter.CreateCounter<long>(GatewayTelemetry.Metrics.WorkerTasks, description: "Worker pool tasks by kind and outcome.");
        _waitSeconds = meter.CreateHistogram(
            GatewayTelemetry.Metrics.WorkerWait,
            unit: "s",
            description: "Time a task waited in the queue before a worker took it.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 1e-2, 0.1, 1, 10] });

        _workers = new Task[options.Value.EffectiveWorkerCount];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = Task.Run(RunWorkerAsync);
        }
    }

    /// <summary>
    /// Queues <paramref name="work"/> and waits for its result. Throws <see cref="GatewayException"/> with
    /// RESOURCE_EXHAUSTED when the queue is full and DEADLINE_EXCEEDED when queue wait plus run exceed the task timeout.
    /// </summary>
    public async Task<TResult> RunAsync<TState, TResult>(WorkKind kind, TState state, Func<TState, TResult> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        cancellationToken.ThrowIfCancellationRequested();
        var item = new WorkItem<TState, TResult>(kind, state, work, _time.GetTimestamp(), cancellationToken);
        if (!_queue.TryEnqueue(item))
        {
            if (_queue.IsCompleted)
            {
                GatewayErrors.ThrowShuttingDown();
            }

            Interlocked.Increment(ref _rejected);
            _tasks.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", "rejected"));
            GatewayErrors.ThrowQueueFull("worker", _queue.Capacity);
        }

        try
        {
            return await item.Task.WaitAsync(_timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!item.Task.IsCompleted)
        {
            // A task that never started is dropped; one already running finishes on its worker, unobserved.
            item.TryAbandon();
            Interlocked.Increment(ref _timedOut);
            _tasks.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", "timeout"));
            GatewayErrors.ThrowTimedOut($"The {kind} task", _timeout);
            throw; // unreachable: the helper above never returns
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            item.TryAbandon();
            throw;
        }
    }

    public WorkerPoolStats GetStats() => new(
        _workers.Length,
        _queue.Capacity,
        _queue.Count,
        Volatile.Read(ref _active),
        Interlocked.Read(ref _completed),
        Interlocked.Read(ref _rejected),
        Interlocked.Read(ref _timedOut),
        Interlocked.Read(ref _failed),
        TimeSpan.FromTicks(Interlocked.Read(ref _waitTicks)),
        TimeSpan.FromTicks(Interlocked.Read(ref _runTicks)));

    Task IHostedService.StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedLifecycleService.StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedLifecycleService.StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedLifecycleService.StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedLifecycleService.StoppedAsync(CancellationToken cancellationToken) => StopAsync(cancellationToken);

    /// <summary>Stops taking work and lets queued and running tasks finish, until <paramref name="cancellationToken"/> fires.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Complete();
        try
        {
            await Task.WhenAll(_workers).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            WorkerPoolLog.DrainTimedOut(_logger, _queue.Count);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Complete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }

    private async Task RunWorkerAsync()
    {
        await foreach (var item in _queue.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (!item.TryStart())
            {
                item.Cancel();
                continue;
            }

            var started = _time.GetTimestamp();
            var wait = _time.GetElapsedTime(item.EnqueuedAt, started);
            _waitSeconds.Record(wait.TotalSeconds, new KeyValuePair<string, object?>("kind", item.Kind));
            Interlocked.Increment(ref _active);
            var ok = item.Execute();
            Interlocked.Decrement(ref _active);
            Interlocked.Add(ref _waitTicks, wait.Ticks);
            Interlocked.Add(ref _runTicks, _time.GetElapsedTime(started).Ticks);
            Interlocked.Increment(ref ok ? ref _completed : ref _failed);
            _tasks.Add(1, new KeyValuePair<string, object?>("kind", item.Kind), new KeyValuePair<string, object?>("outcome", ok ? "completed" : "failed"));
            item.Complete();
        }
    }
}
