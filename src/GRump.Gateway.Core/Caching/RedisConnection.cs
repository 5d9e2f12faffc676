using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace GRump.Gateway.Caching;

/// <summary>
/// The gateway's one connection to Redis: one StackExchange.Redis multiplexer per process (registered once by
/// <see cref="CachingServiceCollectionExtensions.AddRedisOptions"/>), shared by the L2 cache and its invalidation
/// channel, the cost ledger and the rate limiter. A multiplexer pipelines every caller's commands over one socket and
/// is built to be shared; one per user tripled the sockets, reconnect loops and heartbeats for nothing.
/// <para>
/// It connects as the gateway starts and never aborts on a failed connect (it reconnects every second in the
/// background); commands fail fast while it is disconnected instead of queueing, so each user degrades at once rather
/// than after a timeout; a connect that threw (bad configuration, DNS) is retried on the next call, not cached forever.
/// </para>
/// <para>
/// Timeouts stay each user's own: the multiplexer's command timeout is StackExchange.Redis's (<c>asyncTimeout</c>,
/// 5 s unless the connection string says otherwise) — the ledger's bound —, while the L2 tier (<c>Cache:L2Timeout</c>,
/// through its guard's token) and the rate limiter (<c>Auth:RateLimitRedisTimeout</c>) stop waiting for their own
/// commands sooner with <c>WaitAsync</c>. Redis commands take no cancellation token, so that is the per-command bound.
/// </para>
/// </summary>
public sealed class RedisConnection : IAsyncDisposable
{
    /// <summary>The client name the gateway's connections show in <c>CLIENT LIST</c> unless the connection string sets <c>name=</c>.</summary>
    public const string DefaultClientName = "grump-gateway";

    private readonly ConfigurationOptions? _configuration;
    private readonly Lock _lock = new();
    private Task<ConnectionMultiplexer>? _connecting;
    private bool _disposed;

    /// <summary>From the <c>Redis</c> section (empty = <c>GRUMP_REDIS</c>; both empty = no Redis).</summary>
    public RedisConnection(IOptions<RedisOptions> options)
        : this(options?.Value.Configuration)
    {
    }

    /// <summary>One connection for <paramref name="configuration"/> (a StackExchange.Redis connection string; empty = none).</summary>
    internal RedisConnection(string? configuration)
    {
        if (string.IsNullOrWhiteSpace(configuration))
        {
            return;
        }

        _configuration = ConfigurationOptions.Parse(configuration);
        _configuration.AbortOnConnectFail = false;
        _configuration.BacklogPolicy = BacklogPolicy.FailFast;
        _configuration.ReconnectRetryPolicy ??= new LinearRetry(1000);
        _configuration.ClientName ??= DefaultClientName;
    }

    /// <summary>False when no Redis is configured: the cache runs without L2, the ledger on SQLite, rate limits per replica.</summary>
    public bool IsConfigured => _configuration is not null;

    public bool IsConnected => _connecting is { IsCompletedSuccessfully: true } task && task.Result.IsConnected;

    /// <summary>Raised when the connection comes back after a failure (once per socket the multiplexer restores).</summary>
    internal event Action? Restored;

    /// <summary>Starts connecting without waiting (as the gateway starts): the first request must not pay for the connect.</summary>
    internal void StartConnecting()
    {
        if (IsConfigured)
        {
            // Observed here: a connect that threw is retried by the next ConnectAsync.
            _ = ConnectAsync().ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    internal Task<ConnectionMultiplexer> ConnectAsync()
    {
        var connecting = _connecting;
        if (connecting is { IsFaulted: false, IsCanceled: false })
        {
            return connecting;
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_configuration is null)
            {
                throw new InvalidOperationException("Redis is not configured (Redis:Configuration or GRUMP_REDIS).");
            }

            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled)
            {
                _connecting = ConnectCoreAsync(_configuration);
            }

            return _connecting;
        }
    }

    /// <summary>Completes when the connection is, or next becomes, up (or down): a signal from the client's own events.</summary>
    internal async Task WaitForConnectionAsync(bool connected, CancellationToken cancellationToken)
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
        Task<ConnectionMultiplexer>? connecting;
        lock (_lock)
        {
            _disposed = true;
            connecting = _connecting;
        }

        if (connecting is { IsCompletedSuccessfully: true })
        {
            await connecting.Result.DisposeAsync().ConfigureAwait(false);
        }
        else if (connecting is { IsCompleted: false })
        {
            // A host stopped while Redis was still being reached (a connect waits up to connectTimeout): close it when it is.
            _ = connecting.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
    }

    private async Task<ConnectionMultiplexer> ConnectCoreAsync(ConfigurationOptions configuration)
    {
        var connection = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        connection.ConnectionRestored += (_, _) => Restored?.Invoke();
        return connection;
    }
}
