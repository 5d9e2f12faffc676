using System.Collections.Concurrent;

namespace GRump.LoadTests.Fleet;

/// <summary>
/// Steady traffic through the balancer: closed-loop workers (gRPC unary, gRPC streams, /v1 SSE), each pausing
/// <see cref="Think"/> between calls so 2 shared cores are not saturated. Every call is recorded.
/// </summary>
internal sealed class FleetTraffic : IDisposable
{
    private static readonly TimeSpan Think = TimeSpan.FromMilliseconds(20);
    private readonly ConcurrentQueue<CallRecord> _records = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];
    private long _sequence;

    public IReadOnlyCollection<CallRecord> Records => _records;

    public static FleetTraffic Start(FleetCalls calls, int unary, int streams, int sse)
    {
        var traffic = new FleetTraffic();
        for (var i = 0; i < unary; i++)
        {
            traffic._workers.Add(traffic.RunAsync(ct => calls.CompleteAsync(FleetKeys.Traffic, FleetCalls.Request(traffic.Prompt(), cached: false), ct)));
        }

        for (var i = 0; i < streams; i++)
        {
            traffic._workers.Add(traffic.RunAsync(ct => calls.StreamAsync(FleetKeys.Traffic, FleetCalls.Request(traffic.Prompt(), cached: false), ct)));
        }

        for (var i = 0; i < sse; i++)
        {
            traffic._workers.Add(traffic.RunAsync(ct => calls.SseAsync(FleetKeys.Traffic, traffic.Prompt(), ct)));
        }

        return traffic;
    }

    private string Prompt() => $"Fleet traffic call {Interlocked.Increment(ref _sequence)}: say hello";

    private async Task RunAsync(Func<CancellationToken, Task<CallRecord>> call)
    {
        await Task.Yield();
        while (!_stop.IsCancellationRequested)
        {
            // Calls are not cancelled by the stop: the ones running finish, so none is counted as an error.
            _records.Enqueue(await call(CancellationToken.None).ConfigureAwait(false));

            try
            {
                await Task.Delay(Think, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Stops starting calls and waits (at most a minute) for those in flight.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_workers).WaitAsync(TimeSpan.FromMinutes(1)).ConfigureAwait(false);
    }

    public void Dispose() => _stop.Dispose();
}
