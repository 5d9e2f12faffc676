using StackExchange.Redis;

namespace GRump.Gateway.Caching.Internal;

/// <summary>
/// L2 over the gateway's shared <see cref="RedisConnection"/> (commands fail fast while it is down, so an outage costs
/// the request nothing). Each call is bounded by the caller's token — the tier guard's <c>L2Timeout</c> — not by the
/// connection's command timeout, which is the ledger's. Keys are <c>{prefix}{namespace}:{hash}</c>; Clear scans only
/// its own prefix and never flushes a database. The connection is not this tier's: disposing it only unsubscribes.
/// </summary>
internal sealed class RedisTier : IAsyncDisposable
{
    private readonly RedisConnection _connection;
    private readonly string _prefix;
    private readonly RedisChannel _channel;
    private Action<RedisChannel, RedisValue>? _handler;
    private readonly TimeSpan _commandTimeout;
    private int _subscribed;

    /// <summary><paramref name="commandTimeout"/> bounds each command of <see cref="ClearAsync"/>, which runs outside the guard's timeout.</summary>
    public RedisTier(RedisConnection connection, string prefix, TimeSpan commandTimeout)
    {
        _connection = connection;
        _prefix = prefix;
        _commandTimeout = commandTimeout;
        _channel = RedisChannel.Literal(prefix + "invalidate");
    }

    public string Prefix => _prefix;

    public bool IsConnected => _connection.IsConnected;

    /// <summary>Completes when the connection is, or next becomes, up (or down): a signal from the client's own events.</summary>
    public Task WaitForConnectionAsync(bool connected, CancellationToken cancellationToken) => _connection.WaitForConnectionAsync(connected, cancellationToken);

    public string KeyOf(CacheNamespace ns, CacheKey key) => string.Concat(_prefix, ns.Name(), ":", key.ToHex());

    // Redis commands take no token: WaitAsync lets the guard's timeout (cooperative in Polly) end the wait.
    public async ValueTask<byte[]?> GetAsync(CacheNamespace ns, CacheKey key, CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        return (byte[]?)await db.StringGetAsync(KeyOf(ns, key)).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<bool> SetAsync(CacheNamespace ns, CacheKey key, byte[] value, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        return await db.StringSetAsync(KeyOf(ns, key), value, ttl).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<bool> RemoveAsync(CacheNamespace ns, CacheKey key, CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        return await db.KeyDeleteAsync(KeyOf(ns, key)).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes this cache's keys of one namespace (or all), by SCAN over the prefix on every primary.</summary>
    public async ValueTask<long> ClearAsync(CacheNamespace? ns, CancellationToken cancellationToken)
    {
        var connection = await _connection.ConnectAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var db = connection.GetDatabase();
        var pattern = ns is { } one ? string.Concat(_prefix, one.Name(), ":*") : _prefix + "*";
        long removed = 0;
        var batch = new List<RedisKey>(500);
        foreach (var server in connection.GetServers())
        {
            if (server.IsReplica || !server.IsConnected)
            {
                continue;
            }

            // A clear may take long (many keys), but no single command may: each SCAN page and DEL is bounded.
            var keys = server.KeysAsync(db.Database, pattern, pageSize: 500).GetAsyncEnumerator(cancellationToken);
            await using (keys.ConfigureAwait(false))
            {
                while (await keys.MoveNextAsync().AsTask().WaitAsync(_commandTimeout, cancellationToken).ConfigureAwait(false))
                {
                    batch.Add(keys.Current);
                    if (batch.Count == 500)
                    {
                        removed += await db.KeyDeleteAsync([.. batch]).WaitAsync(_commandTimeout, cancellationToken).ConfigureAwait(false);
                        batch.Clear();
                    }
                }
            }
        }

        if (batch.Count > 0)
        {
            removed += await db.KeyDeleteAsync([.. batch]).WaitAsync(_commandTimeout, cancellationToken).ConfigureAwait(false);
        }

        return removed;
    }

    public async ValueTask<long> PublishAsync(string message, CancellationToken cancellationToken)
    {
        var connection = await _connection.ConnectAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return await connection.GetSubscriber().PublishAsync(_channel, message).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Subscribes to the invalidation channel; retried whenever the connection comes back until it took.</summary>
    public async Task SubscribeAsync(Action<string> onMessage)
    {
        _handler = (_, message) =>
        {
            if (message.HasValue)
            {
                onMessage(message.ToString());
            }
        };
        _connection.Restored += OnRestored;
        await TrySubscribeAsync().ConfigureAwait(false);
    }

    private void OnRestored() => _ = TrySubscribeAsync();

    private async Task TrySubscribeAsync()
    {
        if (_handler is not { } handler || Interlocked.CompareExchange(ref _subscribed, 1, 0) != 0)
        {
            return;
        }

        try
        {
            var connection = await _connection.ConnectAsync().ConfigureAwait(false);
            await connection.GetSubscriber().SubscribeAsync(_channel, handler).ConfigureAwait(false);
        }
        catch (RedisException)
        {
            Volatile.Write(ref _subscribed, 0);
        }
    }

    private async ValueTask<IDatabase> DatabaseAsync(CancellationToken cancellationToken) =>
        (await _connection.ConnectAsync().WaitAsync(cancellationToken).ConfigureAwait(false)).GetDatabase();

    /// <summary>Stops listening for invalidations; the shared connection stays open for its other users.</summary>
    public async ValueTask DisposeAsync()
    {
        _connection.Restored -= OnRestored;
        if (_handler is { } handler && _connection.IsConnected)
        {
            var connection = await _connection.ConnectAsync().ConfigureAwait(false);
            // Fire and forget: a stopping host does not wait on Redis.
            await connection.GetSubscriber().UnsubscribeAsync(_channel, handler, CommandFlags.FireAndForget).ConfigureAwait(false);
        }
    }
}
