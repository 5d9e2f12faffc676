using GRump.Gateway.Caching;
using GRump.Gateway.Caching.Internal;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace GRump.Gateway.Tests.Caching;

/// <summary>
/// Builds <see cref="TieredCache"/>s for one test: a key prefix of its own in Redis (so tests never see each other's
/// keys), an L3 folder of its own, a fake clock and a meter factory. Caches made from one harness share all of them,
/// like two replicas (or a restart) on one Redis and one disk.
/// </summary>
internal sealed class CacheHarness : IAsyncDisposable
{
    private readonly List<TieredCache> _caches = [];
    private readonly List<RedisConnection> _connections = [];
    private ConnectionMultiplexer? _redis;

    public CacheHarness(string? redis)
    {
        Redis = redis;
        Prefix = $"grump:test:{Guid.CreateVersion7():N}:";
    }

    public string? Redis { get; set; }

    public string Prefix { get; }

    public string L3Path { get; set; } = Directory.CreateTempSubdirectory("grump-cache-").FullName;

    public FakeTimeProvider Time { get; } = new();

    public TestMeterFactory Meters { get; } = new();

    public RecordingLoggerProvider Logs { get; } = new();

    public TieredCache Create(Action<CacheOptions>? configure = null, string? l3Path = null)
    {
        var options = new CacheOptions { RedisKeyPrefix = Prefix, BreakDuration = TimeSpan.FromSeconds(15) };
        configure?.Invoke(options);
        // A connection of its own per cache: each cache is a replica (or a restarted process).
        var connection = new RedisConnection(Redis);
        _connections.Add(connection);
        var cache = new TieredCache(options, connection, l3Path ?? L3Path, Time, new CacheMetrics(Meters), Logs.CreateLogger("cache"));
        _caches.Add(cache);
        return cache;
    }

    /// <summary>A direct connection to the test's Redis, to look at what the cache stored.</summary>
    public async Task<IDatabase> RedisDatabaseAsync()
    {
        _redis ??= await ConnectionMultiplexer.ConnectAsync(Redis!);
        return _redis.GetDatabase();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var cache in _caches)
        {
            await cache.DisposeAsync();
        }

        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        if (Redis is not null)
        {
            try
            {
                // Leave nothing behind: this test's keys only.
                await RedisDatabaseAsync().WaitAsync(TestTimeouts.Default);
                var server = _redis!.GetServers()[0];
                var db = _redis.GetDatabase();
                await foreach (var key in server.KeysAsync(pattern: Prefix + "*"))
                {
                    await db.KeyDeleteAsync(key);
                }
            }
            catch (RedisException)
            {
                // The chaos test's server is gone already.
            }

            if (_redis is not null)
            {
                await _redis.DisposeAsync();
            }
        }

        Meters.Dispose();
        try
        {
            Directory.Delete(L3Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
