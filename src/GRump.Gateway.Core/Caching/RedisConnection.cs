using StackExchange.Redis;

namespace GRump.Gateway.Caching;

/// <summary>
/// The gateway's connection to Redis, as each Redis user holds it (the L2 cache, the cost ledger, the rate limiter): connects lazily and
/// never aborts on a failed connect (it reconnects every second in the background); commands fail fast while it is
/// disconnected instead of queueing, so the caller degrades at once rather than after the command timeout; a connect
/// that threw (bad configuration, DNS) is retried on the next call, not cached forever.
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable
{
    private readonly ConfigurationOptions _configuration;
    private readonly Action<ConnectionMultiplexer>? _connected;
    private readonly Lock _lock = new();
    private Task<ConnectionMultiplexer>? _connecting;

    /// <summary><paramref name="configure"/> adjusts the parsed options; <paramref name="connected"/> sees the multiplexer once (e.g. to subscribe to its events).</summary>
    public RedisConnection(string configuration, string clientName, Action<ConfigurationOptions>? configure = null, Action<ConnectionMultiplexer>? connected = null)
    {
        _configuration = ConfigurationOptions.Parse(configuration);
        _configuration.AbortOnConnectFail = false;
        _configuration.BacklogPolicy = BacklogPolicy.FailFast;
        _configuration.ReconnectRetryPolicy ??= new LinearRetry(1000);
        _configuration.ClientName ??= clientName;
        configure?.Invoke(_configuration);
        _connected = connected;
    }

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
                _connecting = ConnectCoreAsync();
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

    private async Task<ConnectionMultiplexer> ConnectCoreAsync()
    {
        var connection = await ConnectionMultiplexer.ConnectAsync(_configuration).ConfigureAwait(false);
        _connected?.Invoke(connection);
        return connection;
    }
}
