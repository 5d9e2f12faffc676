using System.Globalization;
using GRump.Gateway.Caching;
using GRump.Gateway.Errors;
using StackExchange.Redis;

namespace GRump.Gateway.Cost.Internal;

/// <summary>
/// The Redis side of the fleet ledger: admission and apply are Lua scripts (atomic on the server). Reserve checks the
/// tenant's budget against spent + held for the UTC day and month, adds the hold and answers with what it saw (the
/// replica keeps that as its last known spend for outages). Apply adds a batch of one tenant's journaled records to
/// the tenant's stream and the day, month and hour aggregates and drops their holds — and skips every record it has
/// already applied, so a replay after a lost answer or a crash counts nothing twice (see <see cref="ApplyScript"/>).
/// A hold expires after <c>reservationTtl</c> (cleaned lazily by the next reserve), so a replica that crashed
/// mid-request does not keep budget forever.
/// <para>
/// Keys (see docs/cost.md): <c>{prefix}{tenant}:…</c> — the tenant is a hash tag, so every key one script touches
/// lives in one slot and the scripts work on Redis Cluster too. Money is sent as round-trip doubles and summed with
/// HINCRBYFLOAT/INCRBYFLOAT, which add in long double and store 17 decimals: sums stay exact to far below 1e-9.
/// Values are never turned into Lua numbers and back (Lua would print 14 digits).
/// </para>
/// <para>
/// The connection (the gateway's shared one) fails fast while Redis is unreachable (no backlog): the store then
/// journals and admits locally at once instead of holding requests for the command timeout. Commands are bounded by
/// the connection's command timeout (StackExchange.Redis <c>asyncTimeout</c>, 5 s by default) and the caller's token.
/// Every failure surfaces as UNAVAILABLE, reason <c>LEDGER_UNAVAILABLE</c>.
/// </para>
/// </summary>
internal sealed class RedisLedger : IAsyncDisposable
{
    /// <summary>Values per record in <see cref="ApplyScript"/>'s ARGV.</summary>
    private const int ApplyFields = 19;
    private static readonly TimeSpan HourBucketTtl = TimeSpan.FromHours(26);
    private static readonly TimeSpan AlertTtl = TimeSpan.FromDays(62);

    // KEYS: budget, holds, hold expiries, day aggregate, month spend.
    // ARGV: id, amount, day, month, now (ms), expires at (ms), key ttl (ms).
    // Returns status ('none', 'ok' or 'over'), daily and monthly limits, spent and held (before this hold) for the day
    // and month, and for 'over' the period that refused.
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
        local spentDayText = redis.call('HGET', KEYS[4], 'cost') or '0'
        local spentMonthText = redis.call('GET', KEYS[5]) or '0'
        local spentDay = tonumber(spentDayText) or 0
        local spentMonth = tonumber(spentMonthText) or 0
        local status, period = 'ok', ''
        if daily > 0 and spentDay + heldDay + amount > daily + 1e-12 then
          status, period = 'over', 'daily'
        elseif monthly > 0 and spentMonth + heldMonth + amount > monthly + 1e-12 then
          status, period = 'over', 'monthly'
        else
          redis.call('HSET', KEYS[2], ARGV[1], ARGV[3] .. '|' .. ARGV[4] .. '|' .. ARGV[2])
          redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
          redis.call('PEXPIRE', KEYS[2], ARGV[7])
          redis.call('PEXPIRE', KEYS[3], ARGV[7])
        end
        return {status, budget[1] or '0', budget[2] or '0', spentDayText, spentMonthText,
          string.format('%.17g', heldDay), string.format('%.17g', heldMonth), period}
        """;

    // Applies one tenant's journaled records, oldest first, exactly once. A journal (one replica's data folder) numbers
    // its records 1, 2, 3, … and sends each tenant's records in that order, one batch in flight at a time; the
    // watermark key remembers the highest number applied for (tenant, journal), so a record at or below it was
    // applied before (a lost answer, a replica killed between apply and delete) and is skipped.
    // KEYS: records stream, holds, hold expiries, watermark, then per record: day aggregate, month spend, hour buckets.
    // The stream holds the raw records for the retention window only, trimmed on every apply by the server's clock (the
    // ids '*' makes are server time; '~' trims whole macro nodes, so it is cheap); the aggregates are kept apart from it.
    // ARGV: watermark ttl (ms), hour bucket ttl (ms), record count, raw record retention (ms), then per record
    //       (ApplyFields values): seq, hold id
    //       ('' = none), id, session, model, provider, operation, input tokens, output tokens, cost, cache hit (0/1),
    //       cache savings, routing savings, timestamp (ms), minute, cache read tokens, cache write tokens (5m),
    //       cache write tokens (1h), reasoning tokens.
    // Returns the watermark as it was before: records numbered above it were applied now.
    private const string ApplyScript = """
        local before = redis.call('GET', KEYS[4]) or '0'
        local mark = tonumber(before)
        local last = nil
        local kinds = {'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cache_write_1h_tokens', 'reasoning_tokens'}
        local kindAt = {7, 8, 15, 16, 17, 18}
        local now = redis.call('TIME')
        local minid = string.format('%.0f', (tonumber(now[1]) * 1000) + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[4]))
        for i = 0, tonumber(ARGV[3]) - 1 do
          local a = 5 + i * 19
          local k = 5 + i * 3
          if tonumber(ARGV[a]) > mark then
            local cost, model, op, minute = ARGV[a + 9], ARGV[a + 4], ARGV[a + 6], ARGV[a + 14]
            redis.call('XADD', KEYS[1], 'MINID', '~', minid, '*', 'id', ARGV[a + 2], 'session', ARGV[a + 3], 'model', model, 'provider', ARGV[a + 5],
              'operation', op, 'input_tokens', ARGV[a + 7], 'output_tokens', ARGV[a + 8], 'cost', cost, 'cache_hit', ARGV[a + 10],
              'cache_savings', ARGV[a + 11], 'routing_savings', ARGV[a + 12], 'ts', ARGV[a + 13],
              'cache_read_tokens', ARGV[a + 15], 'cache_write_tokens', ARGV[a + 16], 'cache_write_1h_tokens', ARGV[a + 17],
              'reasoning_tokens', ARGV[a + 18])
            for j, kind in ipairs(kinds) do
              if ARGV[a + kindAt[j]] ~= '0' then redis.call('HINCRBY', KEYS[k], kind, ARGV[a + kindAt[j]]) end
            end
            redis.call('HINCRBYFLOAT', KEYS[k], 'cost', cost)
            redis.call('HINCRBY', KEYS[k], 'requests', 1)
            redis.call('HINCRBY', KEYS[k], 'cache_hits', ARGV[a + 10])
            redis.call('HINCRBYFLOAT', KEYS[k], 'cache_savings', ARGV[a + 11])
            redis.call('HINCRBYFLOAT', KEYS[k], 'routing_savings', ARGV[a + 12])
            redis.call('HINCRBYFLOAT', KEYS[k], 'model:' .. model .. ':cost', cost)
            redis.call('HINCRBY', KEYS[k], 'model:' .. model .. ':requests', 1)
            redis.call('HINCRBYFLOAT', KEYS[k], 'op:' .. op .. ':cost', cost)
            redis.call('INCRBYFLOAT', KEYS[k + 1], cost)
            redis.call('HINCRBYFLOAT', KEYS[k + 2], minute .. ':cost', cost)
            redis.call('HINCRBY', KEYS[k + 2], minute .. ':requests', 1)
            redis.call('PEXPIRE', KEYS[k + 2], ARGV[2])
            if ARGV[a + 1] ~= '' then
              redis.call('HDEL', KEYS[2], ARGV[a + 1])
              redis.call('ZREM', KEYS[3], ARGV[a + 1])
            end
            last = ARGV[a]
          end
        end
        if last then redis.call('SET', KEYS[4], last, 'PX', ARGV[1]) else redis.call('PEXPIRE', KEYS[4], ARGV[1]) end
        return before
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

    private readonly RedisConnection _connection;
    private readonly Action _restored;
    private readonly string _prefix;
    private readonly TimeSpan _reservationTtl;
    private readonly TimeSpan _watermarkTtl;
    private readonly TimeSpan _rawRecordRetention;

    /// <summary><paramref name="restored"/> is called when the connection comes back after a failure (the replayer wakes up).</summary>
    public RedisLedger(RedisConnection connection, string prefix, TimeSpan reservationTtl, TimeSpan watermarkTtl, TimeSpan rawRecordRetention, Action restored)
    {
        _rawRecordRetention = rawRecordRetention;
        _connection = connection;
        _restored = restored;
        connection.Restored += restored;
        _prefix = prefix;
        _reservationTtl = reservationTtl;
        _watermarkTtl = watermarkTtl;
    }

    /// <summary>Holds <paramref name="amountUsd"/> if the budget allows; says what it saw either way.</summary>
    public async Task<ReserveResult> ReserveAsync(string tenant, double amountUsd, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reservation = new BudgetReservation(Uuid7.New(), tenant, amountUsd, Periods.Day(now), Periods.Month(now));
        var nowMs = now.ToUnixTimeMilliseconds();
        RedisKey[] keys = [Key(tenant, "budget"), Key(tenant, "holds"), Key(tenant, "holds:expiry"), DayKey(tenant, reservation.Day), MonthKey(tenant, reservation.Month)];
        RedisValue[] values =
        [
            reservation.Id.ToString("N"), Number(amountUsd), reservation.Day, reservation.Month, nowMs,
            nowMs + (long)_reservationTtl.TotalMilliseconds, (long)(_reservationTtl.TotalMilliseconds * 2),
        ];
        var result = (RedisResult[])(await EvaluateAsync(ReserveScript, keys, values, cancellationToken).ConfigureAwait(false))!;
        var status = (string)result[0]!;
        if (status == "none")
        {
            return new ReserveResult(null, BudgetSnapshot.NoBudget, null);
        }
        var ok = status == "ok";
        // The snapshot counts this hold when it was taken: it is what Redis holds now.
        var held = ok ? amountUsd : 0;
        var snapshot = new BudgetSnapshot(Parse(result[1]), Parse(result[2]), reservation.Day, reservation.Month,
            Parse(result[3]), Parse(result[4]), Parse(result[5]) + held, Parse(result[6]) + held);
        return new ReserveResult(ok ? reservation : null, snapshot, ok ? null : (string)result[7]!);
    }

    /// <summary>
    /// Applies one tenant's journaled records (oldest first) exactly once; returns the watermark before the call:
    /// the records numbered above it were applied by this call, the others had been before.
    /// </summary>
    public async Task<long> ApplyAsync(string tenant, string journalId, IReadOnlyList<JournalEntry> entries)
    {
        var keys = new RedisKey[4 + (3 * entries.Count)];
        var values = new RedisValue[4 + (ApplyFields * entries.Count)];
        keys[0] = Key(tenant, "records");
        keys[1] = Key(tenant, "holds");
        keys[2] = Key(tenant, "holds:expiry");
        keys[3] = Key(tenant, "journal:" + journalId);
        values[0] = (long)_watermarkTtl.TotalMilliseconds;
        values[1] = (long)HourBucketTtl.TotalMilliseconds;
        values[2] = entries.Count;
        values[3] = (long)_rawRecordRetention.TotalMilliseconds;
        for (var i = 0; i < entries.Count; i++)
        {
            var (seq, record, hold) = entries[i];
            var ts = record.Timestamp.ToUnixTimeMilliseconds();
            var minute = ts / 60_000;
            var k = 4 + (3 * i);
            keys[k] = DayKey(tenant, Periods.Day(record.Timestamp));
            keys[k + 1] = MonthKey(tenant, Periods.Month(record.Timestamp));
            keys[k + 2] = HourKey(tenant, minute / 60);
            var a = 4 + (ApplyFields * i);
            values[a] = seq;
            values[a + 1] = hold;
            values[a + 2] = record.Id.ToString("N");
            values[a + 3] = record.Session;
            values[a + 4] = record.Model;
            values[a + 5] = record.Provider;
            values[a + 6] = record.Operation;
            values[a + 7] = record.InputTokens;
            values[a + 8] = record.OutputTokens;
            values[a + 9] = Number(record.CostUsd);
            values[a + 10] = record.CacheHit ? 1 : 0;
            values[a + 11] = Number(record.CacheSavingsUsd);
            values[a + 12] = Number(record.RoutingSavingsUsd);
            values[a + 13] = ts;
            values[a + 14] = minute;
            values[a + 15] = record.CacheReadTokens;
            values[a + 16] = record.CacheWriteTokens;
            values[a + 17] = record.CacheWrite1hTokens;
            values[a + 18] = record.ReasoningTokens;
        }
        // Not a caller's token: records of tokens already paid for are written even if their clients have gone.
        var before = await EvaluateAsync(ApplyScript, keys, values, CancellationToken.None).ConfigureAwait(false);
        return long.Parse((string)before!, NumberStyles.None, CultureInfo.InvariantCulture);
    }

    public Task ReleaseAsync(BudgetReservation reservation)
    {
        RedisKey[] keys = [Key(reservation.Tenant, "holds"), Key(reservation.Tenant, "holds:expiry")];
        return EvaluateAsync(ReleaseScript, keys, [reservation.Id.ToString("N")], CancellationToken.None);
    }

    /// <summary>Throws LEDGER_UNAVAILABLE unless Redis answers.</summary>
    public Task PingAsync(CancellationToken cancellationToken) => RunAsync(db => db.PingAsync(), cancellationToken);

    public async Task<BudgetSettings?> GetBudgetAsync(string tenant, CancellationToken cancellationToken)
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

    public Task SetBudgetAsync(string tenant, BudgetSettings budget, CancellationToken cancellationToken)
    {
        HashEntry[] fields =
        [
            new("daily", Number(budget.DailyLimitUsd)),
            new("monthly", Number(budget.MonthlyLimitUsd)),
            new("threshold", Number(budget.AlertThresholdPercent)),
            new("cap_daily", Number(budget.DailyCapUsd)),
            new("cap_monthly", Number(budget.MonthlyCapUsd)),
        ];
        return RunAsync(async db =>
        {
            await db.HashSetAsync(Key(tenant, "budget"), fields).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    public async Task<SpendStatus> GetSpendAsync(string tenant, DateTimeOffset now, CancellationToken cancellationToken)
    {
        RedisKey[] keys = [DayKey(tenant, Periods.Day(now)), MonthKey(tenant, Periods.Month(now)), Key(tenant, "holds"), Key(tenant, "holds:expiry")];
        var result = (RedisResult[])(await EvaluateAsync(SpendScript, keys, [now.ToUnixTimeMilliseconds()], cancellationToken).ConfigureAwait(false))!;
        return new SpendStatus(Parse(result[0]), Parse(result[1]), Parse(result[2]));
    }

    public Task<bool> TryMarkAlertAsync(string tenant, string period, CancellationToken cancellationToken) =>
        RunAsync(db => db.StringSetAsync(Key(tenant, "alert:" + period), 1, AlertTtl, When.NotExists), cancellationToken);

    public async Task<IReadOnlyList<DailyAggregate>> GetDailyAsync(string tenant, DateOnly first, DateOnly last, CancellationToken cancellationToken)
    {
        if (last < first)
        {
            return [];
        }
        var days = new List<DateOnly>(last.DayNumber - first.DayNumber + 1);
        // By day number: stepping a DateOnly past the last representable day (end_date=9999-12-31) would throw.
        for (var day = first.DayNumber; day <= last.DayNumber; day++)
        {
            days.Add(DateOnly.FromDayNumber(day));
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
    public async Task<(double CostUsd, long Requests)> GetSinceAsync(string tenant, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var hours = await GetHourlyAsync(tenant, since, cancellationToken).ConfigureAwait(false);
        return (hours.Sum(h => h.CostUsd), hours.Sum(h => h.Requests));
    }

    /// <summary>Sums the minute buckets from <paramref name="since"/>'s minute on (the hour hashes live 26 h), per hour.</summary>
    public async Task<IReadOnlyList<HourlyAggregate>> GetHourlyAsync(string tenant, DateTimeOffset since, CancellationToken cancellationToken)
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

    /// <summary>Stops listening to the shared connection (which stays open for its other users).</summary>
    public ValueTask DisposeAsync()
    {
        _connection.Restored -= _restored;
        return ValueTask.CompletedTask;
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
            var connection = await _connection.ConnectAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            // Redis commands take no token: WaitAsync ends the wait (the command itself is bounded by AsyncTimeout).
            return await call(connection.GetDatabase()).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>The one error an unreachable or failing ledger surfaces as.</summary>
    public static GatewayException Unavailable(Exception? cause) =>
        new(GatewayErrorKind.Unavailable, "The cost ledger (Redis) is unreachable; retry later.", null, cause) { Reason = "LEDGER_UNAVAILABLE" };
}

/// <summary>What a reserve saw: the hold (null when refused or when the tenant has no budget), the tenant's budget
/// and spend, and the period that refused (null when admitted).</summary>
internal sealed record ReserveResult(BudgetReservation? Reservation, BudgetSnapshot Snapshot, string? RefusedPeriod);

/// <summary>A tenant's budget and its spend and holds (fleet-wide, this hold included) in one UTC day and month, as Redis last reported them.</summary>
internal sealed record BudgetSnapshot(double DailyLimitUsd, double MonthlyLimitUsd, string Day, string Month,
    double SpentDayUsd, double SpentMonthUsd, double HeldDayUsd, double HeldMonthUsd)
{
    public static readonly BudgetSnapshot NoBudget = new(0, 0, string.Empty, string.Empty, 0, 0, 0, 0);
}
