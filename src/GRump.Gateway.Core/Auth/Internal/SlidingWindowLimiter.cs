using System.Collections.Concurrent;

namespace GRump.Gateway.Auth.Internal;

/// <summary>
/// Per-tenant sliding-window log in memory: a request of weight w (1 for the request limit, its estimated tokens for
/// the token limit) is admitted when the weights admitted in the last 60 s (<see cref="RateLimitWindow.LengthMs"/>) plus w stay
/// within the limit. Exact for any rate (5/min admits 5 in any 60 s, all at once if they come at once); memory is one
/// entry per millisecond with admissions still in the window (admissions in the same millisecond leave the window
/// together, so they share one entry): at most 60,000 entries of 16 bytes per log, two logs per tenant, whatever the
/// limits or the rate. The per-replica limiter, and the fallback while Redis is down.
/// </summary>
internal sealed class SlidingWindowLimiter
{
    private readonly ConcurrentDictionary<string, TenantWindow> _tenants = new(StringComparer.Ordinal);

    /// <summary>
    /// Admits (and records) one request, or returns how long until it would fit. Both limits are checked before
    /// either is recorded, so a refused request uses up nothing. <paramref name="force"/> records without checking
    /// (mirrors what Redis admitted, so a fallback starts from this replica's recent traffic).
    /// </summary>
    public RateDecision Admit(string tenant, in RateAsk ask, long nowMs, bool force = false)
    {
        var window = _tenants.GetOrAdd(tenant, static _ => new TenantWindow());
        lock (window)
        {
            var cutoff = nowMs - RateLimitWindow.LengthMs;
            window.Requests.Trim(cutoff);
            window.Tokens.Trim(cutoff);
            if (!force)
            {
                if (ask.RequestLimit > 0 && window.Requests.Sum + 1 > ask.RequestLimit)
                {
                    return RateDecision.Refused(RateLimitKind.Requests, window.Requests.FreesAt(ask.RequestLimit - 1) - nowMs);
                }

                if (ask.TokenLimit > 0 && ask.Tokens > 0 && window.Tokens.Sum + ask.Tokens > ask.TokenLimit)
                {
                    return RateDecision.Refused(RateLimitKind.Tokens, window.Tokens.FreesAt(ask.TokenLimit - ask.Tokens) - nowMs);
                }
            }

            if (ask.RequestLimit > 0)
            {
                window.Requests.Add(nowMs, 1);
            }

            if (ask.TokenLimit > 0 && ask.Tokens > 0)
            {
                window.Tokens.Add(nowMs, ask.Tokens);
            }

            return RateDecision.Admitted;
        }
    }

    private sealed class TenantWindow
    {
        public WeightedLog Requests { get; } = new();

        public WeightedLog Tokens { get; } = new();
    }

    /// <summary>Entries held for <paramref name="tenant"/> (requests log + tokens log), for the test that bounds them.</summary>
    internal int EntryCount(string tenant)
    {
        if (!_tenants.TryGetValue(tenant, out var window))
        {
            return 0;
        }
        lock (window)
        {
            return window.Requests.Count + window.Tokens.Count;
        }
    }

    /// <summary>Admitted weights in arrival order, one entry per millisecond, with their running sum.</summary>
    private sealed class WeightedLog
    {
        private readonly Queue<(long AtMs, long Weight)> _entries = new();
        private long _lastAtMs = long.MinValue;
        private long _lastWeight;

        public long Sum { get; private set; }

        public int Count => _entries.Count + (_lastAtMs == long.MinValue ? 0 : 1);

        public void Add(long atMs, long weight)
        {
            Sum += weight;
            // A clock that does not move (or steps back) adds to the newest entry: it leaves the window no earlier.
            if (_lastAtMs != long.MinValue && atMs <= _lastAtMs)
            {
                _lastWeight += weight;
                return;
            }
            Flush();
            _lastAtMs = atMs;
            _lastWeight = weight;
        }

        /// <summary>Drops the entries at or before <paramref name="cutoffMs"/> (they left the window).</summary>
        public void Trim(long cutoffMs)
        {
            while (_entries.TryPeek(out var oldest) && oldest.AtMs <= cutoffMs)
            {
                _entries.Dequeue();
                Sum -= oldest.Weight;
            }
            if (_entries.Count == 0 && _lastAtMs != long.MinValue && _lastAtMs <= cutoffMs)
            {
                Sum -= _lastWeight;
                _lastAtMs = long.MinValue;
            }
        }

        /// <summary>When the sum in the window will have dropped to at most <paramref name="target"/> (ms since epoch).</summary>
        public long FreesAt(long target)
        {
            var sum = Sum;
            foreach (var (atMs, weight) in _entries)
            {
                sum -= weight;
                if (sum <= target)
                {
                    return atMs + RateLimitWindow.LengthMs;
                }
            }
            if (_lastAtMs != long.MinValue && sum - _lastWeight <= target)
            {
                return _lastAtMs + RateLimitWindow.LengthMs;
            }

            return 0;
        }

        /// <summary>Moves the newest entry (open to additions in its millisecond) into the queue.</summary>
        private void Flush()
        {
            if (_lastAtMs != long.MinValue)
            {
                _entries.Enqueue((_lastAtMs, _lastWeight));
                _lastAtMs = long.MinValue;
            }
        }
    }
}

/// <summary>The window every limit is counted over.</summary>
internal static class RateLimitWindow
{
    public const long LengthMs = 60_000;
}

internal enum RateLimitKind
{
    None,
    Requests,
    Tokens,
}

/// <summary>One admission: the tenant's limits (0 = none) and the request's estimated tokens (already at most the token limit).</summary>
internal readonly record struct RateAsk(int RequestLimit, int TokenLimit, long Tokens);

internal readonly record struct RateDecision(RateLimitKind RefusedBy, long RetryAfterMs)
{
    public static RateDecision Admitted => default;

    public bool IsAdmitted => RefusedBy == RateLimitKind.None;

    public static RateDecision Refused(RateLimitKind kind, long retryAfterMs) => new(kind, Math.Max(1, retryAfterMs));
}
