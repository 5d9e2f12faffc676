using StackExchange.Redis;

namespace GRump.Gateway.Caching.Internal;

/// <summary>
/// One StackExchange.Redis connection, made on first use (never at start: a Redis that is down must not stop the
/// gateway) and kept; a connect that threw (bad configuration, DNS) is retried on the next call instead of cached.
/// With <c>AbortOnConnectFail=false</c> the multiplexer reconnects in the background after an outage. Shared by the
/// Redis users that each keep a connection of their own (the L2 tier, the rate limiter).
/// </summary>
internal sealed class LazyRedisConnection(ConfigurationOptions configuration) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private Task<ConnectionMultiplexer>? _connecting;

    /// <summary>
    /// A connection whose commands fail at once while Redis is unreachable (no backlog) and time out after
    /// <paramref name="commandTimeout"/>: for callers that go on without Redis rather than wait for it.
    /// </summary>
    public static LazyRedisConnection FailFast(string configuration, TimeSpan commandTimeout, string clientName)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.AsyncTimeout = (int)Math.Max(50, commandTimeout.TotalMilliseconds);
        options.ReconnectRetryPolicy ??= new LinearRetry(1000);
        options.ClientName ??= clientName;
        return new LazyRedisConnection(options);
    }

    /// <summary>True when connected now (false before the first connect).</summary>
    public bool IsConnected => _connecting is { IsCompletedSuccessfully: true } task && task.Result.IsConnected;

    public Task<ConnectionMultiplexer> ConnectAsync()
    {
        var connecting = _connecting;
        if (connecting is { IsFaulted: false, IsCanceled: false })
        {
            return connecting;
        }

        lock (_lock)
        {
            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled)
            {
                _connecting = ConnectionMultiplexer.ConnectAsync(configuration);
            }

            return _connecting;
        }
    }

    /// <summary>Completes when the connection is, or next becomes, up (or down): a signal from the client's own events.</summary>
    public async Task WaitForConnectionAsync(bool connected, CancellationToken cancellationToken)
    {
        var connection = await ConnectAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check(object? sender, ConnectionFailedEventArgs? e)
        {
            if (connection.IsConnected == connected)
            {
                reached.TrySetResult();
            }
        }

        connection.ConnectionFailed += Check;
        connection.ConnectionRestored += Check;
        try
        {
            Check(null, null);
            await reached.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            connection.ConnectionFailed -= Check;
            connection.ConnectionRestored -= Check;
        }
    }

    public async ValueTask DisposeAsync()
    {
        var connecting = _connecting;
        if (connecting is { IsCompletedSuccessfully: true })
        {
            await connecting.Result.DisposeAsync().ConfigureAwait(false);
        }
    }
}
