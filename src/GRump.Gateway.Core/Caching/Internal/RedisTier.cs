using StackExchange.Redis;

namespace GRump.Gateway.Caching.Internal;

/// <summary>
/// L2 over StackExchange.Redis. Connects lazily and never aborts on a failed connect (it keeps reconnecting in the
/// background); commands fail fast while disconnected instead of queueing, so an outage costs the request nothing.
/// Keys are <c>{prefix}{namespace}:{hash}</c>; Clear scans only its own prefix and never flushes a database.
/// </summary>
internal sealed class RedisTier : IAsyncDisposable
{
    private readonly string _prefix;
    private readonly RedisChannel _channel;
    private readonly LazyRedisConnection _connection;
    private Action<string>? _onMessage;
    private int _subscribed;

    public RedisTier(string configuration, string prefix, TimeSpan commandTimeout)
    {
        _connection = LazyRedisConnection.FailFast(configuration, TimeSpan.FromMilliseconds(Math.Max(100, commandTimeout.TotalMilliseconds)), "grump-cache");
        _prefix = prefix;
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
        var connection = await ConnectAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
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

            await foreach (var key in server.KeysAsync(db.Database, pattern, pageSize: 500).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                batch.Add(key);
                if (batch.Count == 500)
                {
                    removed += await db.KeyDeleteAsync([.. batch]).ConfigureAwait(false);
                    batch.Clear();
                }
            }
        }

        if (batch.Count > 0)
        {
            removed += await db.KeyDeleteAsync([.. batch]).ConfigureAwait(false);
        }

        return removed;
    }

    public async ValueTask<long> PublishAsync(string message, CancellationToken cancellationToken)
    {
        var connection = await ConnectAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return await connection.GetSubscriber().PublishAsync(_channel, message).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Subscribes to the invalidation channel; retried whenever the connection comes back until it took.</summary>
    public async Task SubscribeAsync(Action<string> onMessage)
    {
        _onMessage = onMessage;
        var connection = await ConnectAsync().ConfigureAwait(false);
        connection.ConnectionRestored += (_, _) => _ = TrySubscribeAsync(connection);
        await TrySubscribeAsync(connection).ConfigureAwait(false);
    }

    private async Task TrySubscribeAsync(ConnectionMultiplexer connection)
    {
        if (_onMessage is not { } handler || Interlocked.CompareExchange(ref _subscribed, 1, 0) != 0)
        {
            return;
        }

        try
        {
            await connection.GetSubscriber().SubscribeAsync(_channel, (_, message) =>
            {
                if (message.HasValue)
                {
                    handler(message.ToString());
                }
            }).ConfigureAwait(false);
        }
        catch (RedisException)
        {
            Volatile.Write(ref _subscribed, 0);
        }
    }

    private async ValueTask<IDatabase> DatabaseAsync(CancellationToken cancellationToken) =>
        (await ConnectAsync().WaitAsync(cancellationToken).ConfigureAwait(false)).GetDatabase();

    private Task<ConnectionMultiplexer> ConnectAsync() => _connection.ConnectAsync();

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
