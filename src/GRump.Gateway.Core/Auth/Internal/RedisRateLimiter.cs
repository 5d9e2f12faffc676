using System.Globalization;
using GRump.Gateway.Caching;
using StackExchange.Redis;

namespace GRump.Gateway.Auth.Internal;

/// <summary>
/// The sliding-window log of <see cref="SlidingWindowLimiter"/> in Redis, so the limits hold for the whole fleet: one
/// Lua script trims both windows, checks both limits and records the request — atomic on the server whatever the
/// number of replicas. Keys: <c>{prefix}{tenant}:req</c> (sorted set of request ids by time), <c>…:tok</c> (members
/// <c>id:weight</c> by time) and <c>…:tok:sum</c> (the running weight sum); the tenant is a hash tag (one slot: Redis
/// Cluster works) and every key expires one window after its last write, so idle tenants leave nothing behind.
/// Time is the replicas' clock (their TimeProvider), passed in: skew between replicas shifts a window by the skew.
/// Commands fail fast while disconnected (no backlog), so the caller can fall back at once. The connection is the
/// gateway's shared one; this limiter bounds its own waits (connect and script) by <c>Auth:RateLimitRedisTimeout</c>.
/// </summary>
internal sealed class RedisRateLimiter
{
    // KEYS: requests zset, tokens zset, tokens sum.
    // ARGV: now (ms), window (ms), request limit, token limit, tokens, member id.
    private const string AdmitScript = """
        local now = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local cutoff = now - window
        local reqLimit = tonumber(ARGV[3])
        local tokLimit = tonumber(ARGV[4])
        local weight = tonumber(ARGV[5])
        if reqLimit > 0 then
          redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', cutoff)
          local count = redis.call('ZCARD', KEYS[1])
          if count >= reqLimit then
            local freeing = redis.call('ZRANGE', KEYS[1], count - reqLimit, count - reqLimit, 'WITHSCORES')
            return {'requests', tostring(tonumber(freeing[2]) + window - now)}
          end
        end
        if tokLimit > 0 and weight > 0 then
          local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', cutoff)
          local sum = tonumber(redis.call('GET', KEYS[3]) or '0')
          if #expired > 0 then
            for _, member in ipairs(expired) do
              sum = sum - (tonumber(string.match(member, ':(%d+)$')) or 0)
            end
            redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', cutoff)
          end
          if redis.call('ZCARD', KEYS[2]) == 0 or sum < 0 then sum = 0 end
          redis.call('SET', KEYS[3], sum, 'PX', window)
          if sum + weight > tokLimit then
            local entries = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
            local left = sum
            for i = 1, #entries, 2 do
              left = left - (tonumber(string.match(entries[i], ':(%d+)$')) or 0)
              if left + weight <= tokLimit then
                return {'tokens', tostring(tonumber(entries[i + 1]) + window - now)}
              end
            end
            return {'tokens', '1'}
          end
        end
        if reqLimit > 0 then
          redis.call('ZADD', KEYS[1], now, ARGV[6])
          redis.call('PEXPIRE', KEYS[1], window)
        end
        if tokLimit > 0 and weight > 0 then
          redis.call('ZADD', KEYS[2], now, ARGV[6] .. ':' .. ARGV[5])
          redis.call('PEXPIRE', KEYS[2], window)
          redis.call('INCRBY', KEYS[3], weight)
          redis.call('PEXPIRE', KEYS[3], window)
        end
        return {'ok'}
        """;

    private readonly RedisConnection _connection;
    private readonly string _prefix;
    private readonly TimeSpan _timeout;

    public RedisRateLimiter(RedisConnection connection, string prefix, TimeSpan timeout)
    {
        _connection = connection;
        _prefix = prefix;
        _timeout = timeout;
        // Connect now if nobody has yet (the gateway starts the shared connection at start): a first connect slower than
        // the timeout (a replica starting on a busy machine) would count as an outage and send the replica to
        // per-replica limits for a retry interval.
        connection.StartConnecting();
    }

    /// <summary>Admits and records one request for the fleet. Throws <see cref="RedisException"/> or <see cref="TimeoutException"/> when Redis cannot answer.</summary>
    public async Task<RateDecision> AdmitAsync(string tenant, RateAsk ask, long nowMs, CancellationToken cancellationToken)
    {
        // A first connect to a Redis that is down would wait for the connect timeout: bound it like a command.
        var connection = await _connection.ConnectAsync().WaitAsync(_timeout, cancellationToken).ConfigureAwait(false);
        if (!connection.IsConnected)
        {
            throw new RedisException("Redis is not connected.");
        }

        var root = string.Concat(_prefix, "{", tenant, "}:");
        RedisKey[] keys = [root + "req", root + "tok", root + "tok:sum"];
        RedisValue[] values =
        [
            nowMs, RateLimitWindow.LengthMs, ask.RequestLimit, ask.TokenLimit, ask.Tokens, Uuid7.New().ToString("N"),
        ];
        var result = (RedisResult[])(await connection.GetDatabase().ScriptEvaluateAsync(AdmitScript, keys, values)
            .WaitAsync(_timeout, cancellationToken).ConfigureAwait(false))!;
        return (string?)result[0] switch
        {
            "ok" => RateDecision.Admitted,
            "requests" => RateDecision.Refused(RateLimitKind.Requests, ParseMs(result[1])),
            _ => RateDecision.Refused(RateLimitKind.Tokens, ParseMs(result[1])),
        };
    }

    /// <summary>Completes when the connection is, or next becomes, up (or down).</summary>
    public Task WaitForConnectionAsync(bool connected, CancellationToken cancellationToken) => _connection.WaitForConnectionAsync(connected, cancellationToken);

    private static long ParseMs(RedisResult value) =>
        (long)Math.Ceiling(double.Parse((string)value!, NumberStyles.Float, CultureInfo.InvariantCulture));
}
