using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Cost.Internal;

/// <summary>
/// Runs the ledger's roll-up every <see cref="CostOptions.RollupInterval"/> on the injected clock, when the store keeps
/// raw rows that it can roll up (<see cref="ILedgerRetention"/>). One run at a time; a failed run logs one warning and
/// the next interval tries again (nothing is lost: a roll-up moves rows and deletes them in one transaction).
/// </summary>
internal sealed partial class LedgerRetentionService(ICostStore store, IOptions<CostOptions> options, TimeProvider time, ILogger<LedgerRetentionService> logger)
    : IHostedService, IDisposable
{
    private readonly SemaphoreSlim _running = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private ITimer? _timer;
    private volatile bool _disposed;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (store is ILedgerRetention)
        {
            var interval = options.Value.RollupInterval;
            _timer = time.CreateTimer(static state => ((LedgerRetentionService)state!).Tick(), this, interval, interval);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_disposed)
        {
            return; // A host stopped again after its services were disposed (a test host's DisposeAsync after a shutdown).
        }

        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // Disposed while this stop was on its way (a test host stopped and disposed from two paths at once, seen in
            // CI): Dispose already stopped the timer, and no roll-up can start any more.
        }
    }

    /// <summary>The run the timer started last (tests await it after advancing the clock).</summary>
    internal Task<LedgerRollup?> LastRun { get; private set; } = Task.FromResult<LedgerRollup?>(null);

    private void Tick() => LastRun = RunOnceAsync();

    /// <summary>One roll-up now (the timer calls this; tests may too). Skipped when one is running; null when skipped or failed.</summary>
    internal async Task<LedgerRollup?> RunOnceAsync()
    {
        if (store is not ILedgerRetention retention || !await _running.WaitAsync(0).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            var now = time.GetUtcNow();
            var rolled = await retention.RollUpAsync(now - options.Value.RawRecordRetention, now - options.Value.HourlyRetention, _stopping.Token).ConfigureAwait(false);
            Log.RolledUp(logger, rolled.RawRecords, rolled.HourlyRows);
            return rolled;
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception exception) when (exception is Microsoft.Data.Sqlite.SqliteException or IOException or Errors.GatewayException)
        {
            Log.Failed(logger, exception.Message);
            return null;
        }
        finally
        {
            _running.Release();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _timer?.Dispose();
        _stopping.Dispose();
        _running.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Ledger roll-up: {Raw} raw records into hourly aggregates, {Hourly} hourly rows into daily ones.")]
        public static partial void RolledUp(ILogger logger, long raw, long hourly);

        [LoggerMessage(2, LogLevel.Warning, "Ledger roll-up failed ({Error}); it runs again at the next interval.")]
        public static partial void Failed(ILogger logger, string error);
    }
}
