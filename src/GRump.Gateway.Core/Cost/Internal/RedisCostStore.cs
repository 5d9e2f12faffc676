using System.Globalization;
using GRump.Gateway.Errors;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace GRump.Gateway.Cost.Internal;

/// <summary>
/// The ledger of a fleet: every replica talks to one Redis, so budgets hold for the whole fleet. Admission and commit
/// are Lua scripts (atomic on the server): reserve checks the tenant's budget against spent + held for the UTC day and
/// month and adds the hold; commit appends the record to the tenant's stream, adds it to the day, month and hour
/// aggregates and drops the hold — all or nothing. A hold expires after <c>reservationTtl</c> (cleaned lazily by the
/// next reserve), so a replica that crashed mid-request does not keep budget forever.
/// <para>
/// Keys (see docs/cost.md): <c>{prefix}{tenant}:…</c> — the tenant is a hash tag, so every key one script touches
/// lives in one slot and the scripts work on Redis Cluster too. Money is sent as round-trip doubles and summed with
/// HINCRBYFLOAT/INCRBYFLOAT, which add in long double and store 17 decimals: sums stay exact to far below 1e-9.
/// Values are never turned into Lua numbers and back (Lua would print 14 digits).
/// </para>
/// <para>
/// Durability is Redis's: a commit completes when Redis applied it (AOF with <c>appendfsync everysec</c> may lose the
/// last second on a host crash). While Redis is unreachable longer than the backlog timeout, reserve and commit fail
/// with UNAVAILABLE (fail closed: no unmetered calls).
/// </para>
/// </summary>
internal sealed partial class RedisCostStore : ICostStore, IAsyncDisposable
{
    private static readonly TimeSpan HourBucketTtl = TimeSpan.FromHours(26);
    private static readonly TimeSpan AlertTtl = TimeSpan.FromDays(62);

    // KEYS: budget, holds, hold expiries, day aggregate, month spend.
    // ARGV: id, amount, day, month, now (ms), expires at (ms), key ttl (ms).
    private const string ReserveScript = """
        local budget = redis.call('HMGET', KEYS[1], 'daily', 'monthly')
        local daily = tonumber(budget[1]) or 0
        local monthly = tonumber(budget[2]) or 0
        if daily <= 0 and monthly <= 0 then return {'none'} end
        local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[5])
        for i = 1, #expired, 500 do
          redis.call('HDEL', KEYS[2], unpack(expired, i, math.min(i + 499, #expired)))
        end
        if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[5]) end
        local amount = tonumber(ARGV[2])
        local heldDay, heldMonth = 0, 0
        for _, v in ipairs(redis.call('HVALS', KEYS[2])) do
          local d, m, a = string.match(v, '^([^|]*)|([^|]*)|(.*)$')
          a = tonumber(a) or 0
          if d == ARGV[3] then heldDay = heldDay + a end
          if m == ARGV[4] then heldMonth = heldMonth + a end
        end
        local spentDay = tonumber(redis.call('HGET', KEYS[4], 'cost')) or 0
        local spentMonth = tonumber(redis.call('GET', KEYS[5])) or 0
        if daily > 0 and spentDay + heldDay + amount > daily + 1e-12 then
          return {'over', 'daily', ARGV[3], budget[1], string.format('%.17g', spentDay), string.format('%.17g', heldDay)}
        end
        if monthly > 0 and spentMonth + heldMonth + amount > monthly + 1e-12 then
          return {'over', 'monthly', ARGV[4], budget[2], string.format('%.17g', spentMonth), string.format('%.17g', heldMonth)}
        end
        redis.call('HSET', KEYS[2], ARGV[1], ARGV[3] .. '|' .. ARGV[4] .. '|' .. ARGV[2])
        redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
        redis.call('PEXPIRE', KEYS[2], ARGV[7])
        redis.call('PEXPIRE', KEYS[3], ARGV[7])
        return {'ok'}
        """;

    // KEYS: records stream, day aggregate, month spend, hour buckets, holds, hold expiries.
    // ARGV: hold id ('' = none), cost, cache hit (0/1), cache savings, routing savings, model, operation, minute,
    //       hour bucket ttl (ms), tokens (input, output, cache read, cache write 5m, cache write 1h, reasoning),
    //       raw record retention (ms), then the stream entry's field/value pairs.
    // The stream holds the raw records for the retention window only, trimmed on every write by the server's clock (the
    // ids '*' makes are server time; '~' trims whole macro nodes, so it is cheap); the day and hour aggregates the cost
    // API reads are kept apart from it.
    private const string CommitScript = """
        local now = redis.call('TIME')
        redis.call('XADD', KEYS[1], 'MINID', '~', string.format('%.0f', (tonumber(now[1]) * 1000) + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[16])), '*', unpack(ARGV, 17))
        for i, kind in ipairs({'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cache_write_1h_tokens', 'reasoning_tokens'}) do
          if ARGV[9 + i] ~= '0' then redis.call('HINCRBY', KEYS[2], kind, ARGV[9 + i]) end
        end
        redis.call('HINCRBYFLOAT', KEYS[2], 'cost', ARGV[2])
        redis.call('HINCRBY', KEYS[2], 'requests', 1)
        redis.call('HINCRBY', KEYS[2], 'cache_hits', ARGV[3])
        redis.call('HINCRBYFLOAT', KEYS[2], 'cache_savings', ARGV[4])
        redis.call('HINCRBYFLOAT', KEYS[2], 'routing_savings', ARGV[5])
        redis.call('HINCRBYFLOAT', KEYS[2], 'model:' .. ARGV[6] .. ':cost', ARGV[2])
        redis.call('HINCRBY', KEYS[2], 'model:' .. ARGV[6] .. ':requests', 1)
        redis.call('HINCRBYFLOAT', KEYS[2], 'op:' .. ARGV[7] .. ':cost', ARGV[2])
        redis.call('INCRBYFLOAT', KEYS[3], ARGV[2])
        redis.call('HINCRBYFLOAT', KEYS[4], ARGV[8] .. ':cost', ARGV[2])
        redis.call('HINCRBY', KEYS[4], ARGV[8] .. ':requests', 1)
        redis.call('PEXPIRE', KEYS[4], ARGV[9])
        if ARGV[1] ~= '' then
          redis.call('HDEL', KEYS[5], ARGV[1])
          redis.call('ZREM', KEYS[6], ARGV[1])
        end
        return 1
        """;

    // KEYS: holds, hold expiries. ARGV: hold id.
    private const string ReleaseScript = """
        redis.call('HDEL', KEYS[1], ARGV[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        return 1
        """;

    // KEYS: day aggregate, month spend, holds, hold expiries. ARGV: now (ms).
    private const string SpendScript = """
        local held = 0
        local live = redis.call('ZRANGEBYSCORE', KEYS[4], '(' .. ARGV[1], '+inf')
        for i = 1, #live, 500 do
          for _, v in ipairs(redis.call('HMGET', KEYS[3], unpack(live, i, math.min(i + 499, #live)))) do
            if v then held = held + (tonumber(string.match(v, '([^|]*)$')) or 0) end
          end
        end
        return {redis.call('HGET', KEYS[1], 'cost') or '0', redis.call('GET', KEYS[2]) or '0', string.format('%.17g', held)}
        """;

    private readonly ConfigurationOptions _configuration;
    private readonly string _prefix;
    private readonly TimeSpan _reservationTtl;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Task<ConnectionMultiplexer>? _connecting;

    public RedisCostStore(string configuration, string prefix, TimeSpan reservationTtl, ILogger logger)
    {
        _configuration = ConfigurationOptions.Parse(configuration);
        _configuration.AbortOnConnectFail = false;
        _configuration.ClientName ??= "grump-ledger";
        _prefix = prefix;
        _reservationTtl = reservationTtl;
        _logger = logger;
    }

    /// <summary>How long raw records stay in the tenant's records stream (<see cref="CostOptions.RawRecordRetention"/>).</summary>
    public TimeSpan RawRecordRetention { get; init; } = TimeSpan.FromDays(7);

    public async ValueTask<BudgetReservation?> ReserveAsync(string tenant, double amountUsd, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reservation = new BudgetReservation(Guid.CreateVersion7(), tenant, amountUsd, Periods.Day(now), Periods.Month(now));
        var nowMs = now.ToUnixTimeMilliseconds();
        RedisKey[] keys = [Key(tenant, "budget"), Key(tenant, "holds"), Key(tenant, "holds:expiry"), DayKey(tenant, reservation.Day), MonthKey(tenant, reservation.Month)];
        RedisValue[] values =
        [
            reservation.Id.ToString("N"), Number(amountUsd), reservation.Day, reservation.Month, nowMs,
            nowMs + (long)_reservationTtl.TotalMilliseconds, (long)(_reservationTtl.TotalMilliseconds * 2),
        ];
        var result = (RedisResult[])(await EvaluateAsync(ReserveScript, keys, values, cancellationToken).ConfigureAwait(false))!;
        switch ((string?)result[0])
        {
            case "none":
                return null;
            case "ok":
                return reservation;
            default:
                // The same message as the SQLite store: which limit, which period, and what to do.
                SqliteCostStore.Check(tenant, (string)result[1]!, (string)result[2]!, Parse(result[3]), Parse(result[4]), Parse(result[5]), amountUsd);
                throw new InvalidOperationException("The reserve script reported a breach the check did not confirm.");
        }
    }

    public async ValueTask CommitAsync(CostRecord record, BudgetReservation? reservation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!double.IsFinite(record.CostUsd) || !double.IsFinite(record.CacheSavingsUsd) || !double.IsFinite(record.RoutingSavingsUsd))
        {
            // A script stops at the first failing command and does not roll back: refuse before anything is written.
            throw new ArgumentException("A cost record's amounts must be finite.", nameof(record));
        }
        var tenant = record.Tenant;
        var hold = reservation is not null && reservation.Tenant == tenant ? reservation.Id.ToString("N") : string.Empty;
        var ts = record.Timestamp.ToUnixTimeMilliseconds();
        var minute = ts / 60_000;
        RedisKey[] keys =
        [
            Key(tenant, "records"), DayKey(tenant, Periods.Day(record.Timestamp)), MonthKey(tenant, Periods.Month(record.Timestamp)),
            HourKey(tenant, minute / 60), Key(tenant, "holds"), Key(tenant, "holds:expiry"),
        ];
        RedisValue[] values =
        [
            hold, Number(record.CostUsd), record.CacheHit ? 1 : 0, Number(record.CacheSavingsUsd), Number(record.RoutingSavingsUsd),
            record.Model, record.Operation, minute, (long)HourBucketTtl.TotalMilliseconds,
            record.InputTokens, record.OutputTokens, record.CacheReadTokens, record.CacheWriteTokens, record.CacheWrite1hTokens, record.ReasoningTokens,
            (long)RawRecordRetention.TotalMilliseconds,
            "id", record.Id.ToString("N"), "session", record.Session, "model", record.Model, "provider", record.Provider,
            "operation", record.Operation, "input_tokens", record.InputTokens, "output_tokens", record.OutputTokens,
            "cost", Number(record.CostUsd), "cache_hit", record.CacheHit ? 1 : 0, "cache_savings", Number(record.CacheSavingsUsd),
            "routing_savings", Number(record.RoutingSavingsUsd), "ts", ts,
            "cache_read_tokens", record.CacheReadTokens, "cache_write_tokens", record.CacheWriteTokens,
            "cache_write_1h_tokens", record.CacheWrite1hTokens, "reasoning_tokens", record.ReasoningTokens,
        ];
        try
        {
            // Not the caller's token: a record of tokens already paid for is written even if the client has gone.
            await EvaluateAsync(CommitScript, keys, values, CancellationToken.None).ConfigureAwait(false);
        }
        catch (GatewayException ex)
        {
            Log.CommitFailed(_logger, record.Id, ex.InnerException?.Message ?? ex.Message);
            throw new GatewayException(GatewayErrorKind.Unavailable,
                "The cost ledger could not record this call; it was not billed. Retry later.", null, ex.InnerException) { Reason = "LEDGER_UNAVAILABLE" };
        }
        if (reservation is not null && hold.Length == 0)
        {
            await ReleaseAsync(reservation).ConfigureAwait(false);
        }
    }

    public async ValueTask ReleaseAsync(BudgetReservation reservation)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        RedisKey[] keys = [Key(reservation.Tenant, "holds"), Key(reservation.Tenant, "holds:expiry")];
        try
        {
            await EvaluateAsync(ReleaseScript, keys, [reservation.Id.ToString("N")], CancellationToken.None).ConfigureAwait(false);
        }
        catch (GatewayException ex)
        {
            // Release runs on failure paths; the hold expires by itself, so the caller's own error is what matters.
            Log.ReleaseFailed(_logger, reservation.Id, ex.InnerException?.Message ?? ex.Message);
        }
    }

    public async ValueTask<BudgetSettings?> GetBudgetAsync(string tenant, CancellationToken cancellationToken)
    {
        var fields = await RunAsync(db => db.HashGetAllAsync(Key(tenant, "budget")), cancellationToken).ConfigureAwait(false);
        if (fields.Length == 0)
        {
            return null;
        }
        double daily = 0, monthly = 0, threshold = 80, capDaily = 0, capMonthly = 0;
        foreach (var field in fields)
        {
            switch ((string?)field.Name)
            {
                case "daily":
                    daily = Parse(field.Value);
                    break;
                case "monthly":
                    monthly = Parse(field.Value);
                    break;
                case "threshold":
                    threshold = Parse(field.Value);
                    break;
                case "cap_daily":
                    capDaily = Parse(field.Value);
                    break;
                case "cap_monthly":
                    capMonthly = Parse(field.Value);
                    break;
            }
        }
        return new BudgetSettings(daily, monthly, threshold, capDaily, capMonthly);
    }

    public async ValueTask SetBudgetAsync(string tenant, BudgetSettings budget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(budget);
        HashEntry[] fields =
        [
            new("daily", Number(budget.DailyLimitUsd)),
            new("monthly", Number(budget.MonthlyLimitUsd)),
            new("threshold", Number(budget.AlertThresholdPercent)),
            new("cap_daily", Number(budget.DailyCapUsd)),
            new("cap_monthly", Number(budget.MonthlyCapUsd)),
        ];
        await RunAsync(async db =>
        {
            await db.HashSetAsync(Key(tenant, "budget"), fields).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<SpendStatus> GetSpendAsync(string tenant, DateTimeOffset now, CancellationToken cancellationToken)
    {
        RedisKey[] keys = [DayKey(tenant, Periods.Day(now)), MonthKey(tenant, Periods.Month(now)), Key(tenant, "holds"), Key(tenant, "holds:expiry")];
        var result = (RedisResult[])(await EvaluateAsync(SpendScript, keys, [now.ToUnixTimeMilliseconds()], cancellationToken).ConfigureAwait(false))!;
        return new SpendStatus(Parse(result[0]), Parse(result[1]), Parse(result[2]));
    }

    public async ValueTask<bool> TryMarkAlertAsync(string tenant, string period, CancellationToken cancellationToken) =>
        await RunAsync(db => db.StringSetAsync(Key(tenant, "alert:" + period), 1, AlertTtl, When.NotExists), cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<DailyAggregate>> GetDailyAsync(string tenant, DateOnly first, DateOnly last, CancellationToken cancellationToken)
    {
        if (last < first)
        {
            return [];
        }
        var days = new List<DateOnly>(last.DayNumber - first.DayNumber + 1);
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            days.Add(day);
        }
        var hashes = await RunAsync(db => Task.WhenAll(days.Select(day =>
            db.HashGetAllAsync(DayKey(tenant, day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))))), cancellationToken).ConfigureAwait(false);

        var result = new List<DailyAggregate>();
        for (var i = 0; i < days.Count; i++)
        {
            if (hashes[i].Length > 0)
            {
                result.Add(ToAggregate(days[i], hashes[i]));
            }
        }
        return result;
    }

    /// <summary>From per-minute buckets kept 26 h: to the minute (the bucket holding <paramref name="since"/> counts whole).</summary>
    public async ValueTask<(double CostUsd, long Requests)> GetSinceAsync(string tenant, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var hours = await GetHourlyAsync(tenant, since, cancellationToken).ConfigureAwait(false);
        return (hours.Sum(h => h.CostUsd), hours.Sum(h => h.Requests));
    }

    /// <summary>Sums the minute buckets from <paramref name="since"/>'s minute on (the hour hashes live 26 h), per hour.</summary>
    public async ValueTask<IReadOnlyList<HourlyAggregate>> GetHourlyAsync(string tenant, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var firstMinute = since.ToUnixTimeMilliseconds() / 60_000;
        var firstHour = firstMinute / 60;
        var hours = await RunAsync(db => Task.WhenAll(Enumerable.Range(0, 26).Select(i => db.HashGetAllAsync(HourKey(tenant, firstHour + i)))),
            cancellationToken).ConfigureAwait(false);
        var result = new List<HourlyAggregate>();
        for (var i = 0; i < hours.Length; i++)
        {
            double cost = 0;
            long requests = 0;
            foreach (var field in hours[i])
            {
                var name = (string)field.Name!;
                var colon = name.IndexOf(':', StringComparison.Ordinal);
                if (long.Parse(name.AsSpan(0, colon), CultureInfo.InvariantCulture) < firstMinute)
                {
                    continue;
                }
                if (name.AsSpan(colon + 1).SequenceEqual("cost"))
                {
                    cost += Parse(field.Value);
                }
                else
                {
                    requests += (long)field.Value;
                }
            }
            if (requests > 0 || cost != 0)
            {
                result.Add(new HourlyAggregate(DateTimeOffset.FromUnixTimeSeconds((firstHour + i) * 3600), cost, requests));
            }
        }
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        var connecting = _connecting;
        if (connecting is { IsCompletedSuccessfully: true })
        {
            await connecting.Result.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static DailyAggregate ToAggregate(DateOnly day, HashEntry[] fields)
    {
        double cost = 0, cacheSavings = 0, routingSavings = 0;
        long requests = 0, hits = 0;
        long input = 0, output = 0, cacheRead = 0, cacheWrite = 0, cacheWrite1h = 0, reasoning = 0;
        var modelCost = new Dictionary<string, double>(StringComparer.Ordinal);
        var modelRequests = new Dictionary<string, long>(StringComparer.Ordinal);
        var operations = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var field in fields)
        {
            var name = (string)field.Name!;
            switch (name)
            {
                case "cost":
                    cost = Parse(field.Value);
                    break;
                case "requests":
                    requests = (long)field.Value;
                    break;
                case "cache_hits":
                    hits = (long)field.Value;
                    break;
                case "cache_savings":
                    cacheSavings = Parse(field.Value);
                    break;
                case "routing_savings":
                    routingSavings = Parse(field.Value);
                    break;
                case "input_tokens":
                    input = (long)field.Value;
                    break;
                case "output_tokens":
                    output = (long)field.Value;
                    break;
                case "cache_read_tokens":
                    cacheRead = (long)field.Value;
                    break;
                case "cache_write_tokens":
                    cacheWrite = (long)field.Value;
                    break;
                case "cache_write_1h_tokens":
                    cacheWrite1h = (long)field.Value;
                    break;
                case "reasoning_tokens":
                    reasoning = (long)field.Value;
                    break;
                default:
                    // model:<id>:cost, model:<id>:requests, op:<name>:cost — ids may contain ':', so strip both ends only.
                    if (name.StartsWith("model:", StringComparison.Ordinal) && name.EndsWith(":cost", StringComparison.Ordinal))
                    {
                        modelCost[name["model:".Length..^":cost".Length]] = Parse(field.Value);
                    }
                    else if (name.StartsWith("model:", StringComparison.Ordinal) && name.EndsWith(":requests", StringComparison.Ordinal))
                    {
                        modelRequests[name["model:".Length..^":requests".Length]] = (long)field.Value;
                    }
                    else if (name.StartsWith("op:", StringComparison.Ordinal) && name.EndsWith(":cost", StringComparison.Ordinal))
                    {
                        operations[name["op:".Length..^":cost".Length]] = Parse(field.Value);
                    }
                    break;
            }
        }
        var models = new Dictionary<string, ModelAggregate>(StringComparer.Ordinal);
        foreach (var (model, count) in modelRequests)
        {
            models[model] = new ModelAggregate(modelCost.GetValueOrDefault(model), count);
        }
        return new DailyAggregate(day, cost, requests, hits, cacheSavings, routingSavings, models, operations)
        {
            Tokens = new TokenTotals(input, output, cacheRead, cacheWrite, cacheWrite1h, reasoning),
        };
    }

    private RedisKey Key(string tenant, string name) => string.Concat(_prefix, "{", tenant, "}:", name);

    private RedisKey DayKey(string tenant, string day) => Key(tenant, "day:" + day);

    private RedisKey MonthKey(string tenant, string month) => Key(tenant, "month:" + month);

    private RedisKey HourKey(string tenant, long epochHour) => Key(tenant, "hour:" + epochHour.ToString(CultureInfo.InvariantCulture));

    /// <summary>Round-trip text: Redis parses it with strtold, so the double arrives exactly.</summary>
    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static double Parse(RedisResult value) => Parse((RedisValue)value);

    private static double Parse(RedisValue value) =>
        value.IsNullOrEmpty ? 0 : double.Parse((string)value!, NumberStyles.Float, CultureInfo.InvariantCulture);

    private Task<RedisResult> EvaluateAsync(string script, RedisKey[] keys, RedisValue[] values, CancellationToken cancellationToken) =>
        RunAsync(db => db.ScriptEvaluateAsync(script, keys, values), cancellationToken);

    /// <summary>Runs one Redis call; an unreachable or failing Redis becomes UNAVAILABLE (never an unknown error).</summary>
    private async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await ConnectAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            // Redis commands take no token: WaitAsync ends the wait (the command itself is bounded by AsyncTimeout).
            return await call(connection.GetDatabase()).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new GatewayException(GatewayErrorKind.Unavailable,
                "The cost ledger (Redis) is unreachable; budgets cannot be checked. Retry later.", null, ex) { Reason = "LEDGER_UNAVAILABLE" };
        }
    }

    private Task<ConnectionMultiplexer> ConnectAsync()
    {
        var connecting = _connecting;
        if (connecting is { IsFaulted: false, IsCanceled: false })
        {
            return connecting;
        }
        lock (_lock)
        {
            // A connect that threw (bad configuration, DNS) is retried on the next call, not cached forever.
            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled)
            {
                _connecting = ConnectionMultiplexer.ConnectAsync(_configuration);
            }
            return _connecting;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "The cost ledger (Redis) failed to commit record {Id}: {Error}")]
        public static partial void CommitFailed(ILogger logger, Guid id, string error);

        [LoggerMessage(2, LogLevel.Warning, "The cost ledger (Redis) failed to release reservation {Id} (it expires by itself): {Error}")]
        public static partial void ReleaseFailed(ILogger logger, Guid id, string error);
    }
}
