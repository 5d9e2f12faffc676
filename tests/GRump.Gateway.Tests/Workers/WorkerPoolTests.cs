using GRump.Gateway.Errors;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Workers;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace GRump.Gateway.Tests.Workers;

public sealed class WorkerPoolTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task RunAsync_Work_ReturnsResultAndCountsIt()
    {
        // Arrange
        await using var pool = CreatePool(workers: 2, capacity: 10);

        // Act
        var result = await pool.RunAsync(WorkKind.ParseIntent, 20, static x => x + 1, TestContext.Current.CancellationToken).DefaultTimeout();

        // Assert
        Assert.Equal(21, result);
        Assert.Equal(1, pool.GetStats().Completed);
    }

    [Fact]
    public async Task RunAsync_QueueFull_ThrowsResourceExhausted()
    {
        // Arrange: one worker held busy, one queue slot taken.
        await using var pool = CreatePool(workers: 1, capacity: 1);
        var (gate, running) = await OccupyWorkerAsync(pool, result: 1);
        var queued = pool.RunAsync(WorkKind.ParseIntent, 0, _ => 2, TestContext.Current.CancellationToken);

        // Act
        var error = await Assert.ThrowsAsync<GatewayException>(() => pool.RunAsync(WorkKind.ParseIntent, 0, _ => 3, TestContext.Current.CancellationToken)).DefaultTimeout();
        gate.SetResult();

        // Assert
        Assert.Equal(GatewayErrorKind.ResourceExhausted, error.Kind);
        Assert.Equal("QUEUE_FULL", error.Reason);
        Assert.Equal(1, await running.DefaultTimeout());
        Assert.Equal(2, await queued.DefaultTimeout());
        Assert.Equal(1, pool.GetStats().Rejected);
    }

    [Fact]
    public async Task RunAsync_WaitsPastTaskTimeout_ThrowsDeadlineExceededAndSkipsTheTask()
    {
        // Arrange
        await using var pool = CreatePool(workers: 1, capacity: 10, timeout: TimeSpan.FromSeconds(30));
        var (gate, blocker) = await OccupyWorkerAsync(pool, result: 0);
        var ranLate = false;
        var waiting = pool.RunAsync(WorkKind.ParseIntent, 0, _ => ranLate = true, TestContext.Current.CancellationToken);

        // Act: the timeout covers queue wait plus run, so the running task's caller times out too.
        _time.Advance(TimeSpan.FromSeconds(31));
        var error = await Assert.ThrowsAsync<GatewayException>(() => waiting).DefaultTimeout();
        var runningError = await Assert.ThrowsAsync<GatewayException>(() => blocker).DefaultTimeout();
        gate.SetResult();
        await pool.StopAsync(TestContext.Current.CancellationToken).DefaultTimeout();

        // Assert
        Assert.Equal(GatewayErrorKind.DeadlineExceeded, error.Kind);
        Assert.Equal(GatewayErrorKind.DeadlineExceeded, runningError.Kind);
        Assert.Contains("30 s", error.Message, StringComparison.Ordinal);
        Assert.False(ranLate);
        Assert.Equal(2, pool.GetStats().TimedOut);
    }

    [Fact]
    public async Task RunAsync_CallerCancelsWhileQueued_ThrowsCancelledAndSkipsTheTask()
    {
        // Arrange
        await using var pool = CreatePool(workers: 1, capacity: 10);
        var (gate, blocker) = await OccupyWorkerAsync(pool, result: 0);
        using var cancel = new CancellationTokenSource();
        var ranLate = false;
        var waiting = pool.RunAsync(WorkKind.ParseIntent, 0, _ => ranLate = true, cancel.Token);

        // Act
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting).DefaultTimeout();
        gate.SetResult();
        await blocker.DefaultTimeout();
        await pool.StopAsync(TestContext.Current.CancellationToken).DefaultTimeout();

        // Assert
        Assert.False(ranLate);
    }

    [Fact]
    public async Task RunAsync_WorkThrows_CallerGetsTheExceptionAndPoolKeepsWorking()
    {
        // Arrange
        await using var pool = CreatePool(workers: 1, capacity: 10);

        // Act
        await Assert.ThrowsAsync<InvalidDataException>(() => pool.RunAsync<int, int>(WorkKind.LargeJson, 0, _ => throw new InvalidDataException("bad"), TestContext.Current.CancellationToken)).DefaultTimeout();
        var after = await pool.RunAsync(WorkKind.LargeJson, 5, static x => x * 2, TestContext.Current.CancellationToken).DefaultTimeout();

        // Assert
        Assert.Equal(10, after);
        Assert.Equal(1, pool.GetStats().Failed);
    }

    [Fact]
    public async Task StopAsync_WithQueuedWork_DrainsItAndRejectsNewWork()
    {
        // Arrange
        await using var pool = CreatePool(workers: 1, capacity: 100);
        var (gate, first) = await OccupyWorkerAsync(pool, result: -1);
        var queued = Enumerable.Range(0, 20).Select(i => pool.RunAsync(WorkKind.ParseIntent, i, static x => x, TestContext.Current.CancellationToken)).ToList();

        // Act
        var stopping = pool.StopAsync(TestContext.Current.CancellationToken);
        gate.SetResult();
        await stopping.DefaultTimeout();
        var late = await Assert.ThrowsAsync<GatewayException>(() => pool.RunAsync(WorkKind.ParseIntent, 0, static x => x, TestContext.Current.CancellationToken)).DefaultTimeout();

        // Assert
        Assert.Equal(-1, await first.DefaultTimeout());
        Assert.Equal(Enumerable.Range(0, 20), await Task.WhenAll(queued).DefaultTimeout());
        Assert.Equal(GatewayErrorKind.Unavailable, late.Kind);
    }

    [Fact]
    public async Task Metrics_QueueDepth_IsObservable()
    {
        // Arrange
        using var meterFactory = new TestMeterFactory();
        await using var pool = CreatePool(workers: 1, capacity: 10, meterFactory: meterFactory);
        using var depth = new MetricCollector<int>(meterFactory, "GRump.Gateway", "worker_queue_depth");
        var (gate, blocker) = await OccupyWorkerAsync(pool, result: 0);
        var queued = pool.RunAsync(WorkKind.ParseIntent, 0, static x => x, TestContext.Current.CancellationToken);

        // Act
        depth.RecordObservableInstruments();
        gate.SetResult();
        await Task.WhenAll(blocker, queued).DefaultTimeout();

        // Assert
        Assert.Equal(1, depth.LastMeasurement?.Value);
    }

    /// <summary>Puts a task on the pool that holds its worker until the returned gate is set.</summary>
    private static async Task<(TaskCompletionSource Gate, Task<int> Task)> OccupyWorkerAsync(WorkerPool pool, int result)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = pool.RunAsync(WorkKind.ParseIntent, result, x => { entered.SetResult(); gate.Task.Wait(TestTimeouts.Default); return x; }, TestContext.Current.CancellationToken);
        await entered.Task.DefaultTimeout();
        return (gate, task);
    }

    private WorkerPool CreatePool(int workers, int capacity, TimeSpan? timeout = null, TestMeterFactory? meterFactory = null) =>
        new(
            Options.Create(new WorkerPoolOptions { WorkerCount = workers, QueueCapacity = capacity, TaskTimeout = timeout ?? TimeSpan.FromSeconds(30) }),
            _time,
            meterFactory ?? new TestMeterFactory(),
            NullLogger<WorkerPool>.Instance);
}
