using System.Globalization;
using Grpc.Core;
using GRump.Gateway.V1;

namespace GRump.LoadTests.Fleet;

/// <summary>The fleet scenarios. Each takes a running fleet and leaves it whole (a killed replica is restarted).</summary>
internal sealed class FleetScenarios(FleetCluster fleet, FleetCalls viaBalancer, bool quick)
{
    private static readonly double Frequency = TimeProvider.System.TimestampFrequency;

    private TimeSpan Steady => quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(5);

    private static long Now => TimeProvider.System.GetTimestamp();

    private static long After(long timestamp, TimeSpan span) => timestamp + (long)(span.TotalSeconds * Frequency);

    private static double Seconds(long from, long to) => (to - from) / Frequency;

    private FleetTraffic StartTraffic() => quick ? FleetTraffic.Start(viaBalancer, unary: 2, streams: 2, sse: 1) : FleetTraffic.Start(viaBalancer, unary: 4, streams: 3, sse: 2);

    private FleetCalls Direct(FleetReplica replica) => new(replica.GrpcUrl, replica.HttpUrl);

    /// <summary>
    /// One call of each kind (gRPC unary, gRPC stream, /v1 SSE) on every replica directly, before anything is measured:
    /// a fresh replica's first calls pay for JIT, connections and the first Redis round trips (seconds on shared
    /// cores), which would otherwise land in the first scenario's baseline. Each call is bounded by its deadline.
    /// </summary>
    public async Task<string> WarmUpAsync(CancellationToken cancellationToken)
    {
        var results = new List<string>();
        foreach (var replica in fleet.Replicas)
        {
            using var direct = Direct(replica);
            var calls = await Task.WhenAll(
                direct.CompleteAsync(FleetKeys.Traffic, FleetCalls.Request($"Fleet warm-up {replica.Name} unary", cached: false), cancellationToken),
                direct.StreamAsync(FleetKeys.Traffic, FleetCalls.Request($"Fleet warm-up {replica.Name} stream", cached: false), cancellationToken),
                direct.SseAsync(FleetKeys.Traffic, $"Fleet warm-up {replica.Name} sse", cancellationToken)).ConfigureAwait(false);
            results.Add($"{replica.Name} {string.Join("/", calls.Select(c => c.IsOk ? c.Status : $"{c.Kind} {c.Status}"))} in {calls.Max(c => c.Milliseconds):0} ms");
        }

        return string.Join(", ", results);
    }

    /// <summary>Steady traffic, no fault: the baseline, and each replica's CPU and memory under it (for deploy/ resources).</summary>
    public async Task<FleetScenarioResult> SteadyAsync(CancellationToken cancellationToken)
    {
        var result = new FleetScenarioResult("steady load (no fault)");
        var cpuBefore = fleet.Replicas.Select(r => Hosting.ProcessCpu.Read(r.Pid)).ToList();
        using var traffic = StartTraffic();
        var begin = Now;
        await Task.Delay(Steady + Steady, cancellationToken).ConfigureAwait(false);
        var end = Now;
        var cpuAfter = fleet.Replicas.Select(r => Hosting.ProcessCpu.Read(r.Pid)).ToList();
        await traffic.StopAsync().ConfigureAwait(false);
        var records = traffic.Records.ToList();
        result.Calls = records.Count;
        result.Errors = records.Count(r => !r.IsOk);
        result.Baseline = LatencyWindow.Of(records, begin, end);
        result.Fact(string.Create(CultureInfo.InvariantCulture, $"{records.Count / Seconds(begin, end):0} calls/s through the balancer ({Statuses(records)})"));
        for (var i = 0; i < fleet.Replicas.Count; i++)
        {
            var replica = fleet.Replicas[i];
            var cpu = cpuAfter[i] - cpuBefore[i];
            var memory = replica.Memory();
            result.Fact(string.Create(CultureInfo.InvariantCulture,
                $"{replica.Name}: {records.Count(r => r.Server == replica.Name)} calls, CPU {(cpu?.TotalSeconds ?? double.NaN) / Seconds(begin, end) * 1000:0} millicores, RSS {memory?.Rss ?? double.NaN:0} MiB (peak {memory?.Peak ?? double.NaN:0} MiB)"));
        }

        result.Check(result.Errors == 0, $"{result.Errors} calls failed without any fault ({Statuses(records.Where(r => !r.IsOk))})");
        return result;
    }

    /// <summary>kill -9 one replica under load: only calls in flight on it fail, the balancer drops it, traffic goes on.</summary>
    public async Task<FleetScenarioResult> KillAsync(CancellationToken cancellationToken)
    {
        var result = new FleetScenarioResult("kill -9 one replica");
        var victim = fleet.Replicas[1];
        using var traffic = StartTraffic();
        var begin = Now;
        await Task.Delay(Steady, cancellationToken).ConfigureAwait(false);
        // The kill is a window, not an instant: from asking (a `kill -9` process, slow to spawn on busy cores) to the
        // replica's exit being observed. A call that starts inside it may still reach the victim and fail with it.
        var killed = Now;
        await victim.KillAsync(cancellationToken).ConfigureAwait(false);
        var dead = Now;
        var down = await fleet.WaitUntilAsync(victim.Name, up: false, since: killed, TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
        await Task.Delay(Steady, cancellationToken).ConfigureAwait(false);
        await traffic.StopAsync().ConfigureAwait(false);
        var records = traffic.Records.ToList();

        var inFlight = records.Count(r => r.Start < dead && r.End > killed);
        var failed = records.Where(r => !r.IsOk).ToList();
        var failedStartedAfterKill = failed.Count(r => r.Start >= dead);
        var okAfterDown = records.Count(r => r.IsOk && r.Start > down);
        var servedByVictimAfterDown = records.Count(r => r.Start > down && r.Server == victim.Name);
        result.Calls = records.Count;
        result.Errors = failed.Count;
        result.Baseline = LatencyWindow.Of(records, begin, killed);
        result.DuringFault = LatencyWindow.Of(records, killed, After(down, TimeSpan.FromSeconds(1)));
        result.Fact(string.Create(CultureInfo.InvariantCulture,
            $"calls in flight (all replicas) during the kill ({Seconds(killed, dead) * 1000:0} ms from `kill -9` to the exit): {inFlight}; failed: {failed.Count} ({Statuses(failed)}); failed that started after the exit: {failedStartedAfterKill}"));
        result.Fact(string.Create(CultureInfo.InvariantCulture, $"HAProxy marked {victim.Name} DOWN {Seconds(killed, down) * 1000:0} ms after the kill; {okAfterDown} calls OK after that, {servedByVictimAfterDown} of them on {victim.Name}"));
        result.Check(failed.Count <= inFlight, $"{failed.Count} calls failed, more than the {inFlight} in flight during the kill");
        result.Check(failedStartedAfterKill == 0, $"{failedStartedAfterKill} calls that started after the replica had exited failed");
        result.Check(okAfterDown > 0, "no call succeeded after the replica was dropped");
        result.Check(servedByVictimAfterDown == 0, "the balancer still sent calls to the dead replica");

        await victim.StartAsync(TimeSpan.FromSeconds(90), cancellationToken).ConfigureAwait(false);
        var restarted = Now;
        var up = await fleet.WaitUntilAsync(victim.Name, up: true, since: restarted, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        result.Fact(string.Create(CultureInfo.InvariantCulture, $"{victim.Name} restarted and back in the balancer after {Seconds(restarted, up):0.0} s"));
        return result;
    }

    /// <summary>SIGTERM replicas one by one (a rolling restart): not ready at once, streams in flight finish, no client error.</summary>
    public async Task<FleetScenarioResult> RollingRestartAsync(CancellationToken cancellationToken)
    {
        var result = new FleetScenarioResult(quick ? "SIGTERM one replica (rolling restart step)" : "rolling restart (SIGTERM each replica in turn)");
        using var traffic = StartTraffic();
        var begin = Now;
        await Task.Delay(Steady, cancellationToken).ConfigureAwait(false);
        var firstTerm = Now;
        var lastUp = firstTerm;
        foreach (var replica in quick ? fleet.Replicas.Take(1) : fleet.Replicas)
        {
            using var direct = Direct(replica);
            var pid = replica.Pid;
            var term = Now;
            await replica.TerminateAsync(cancellationToken).ConfigureAwait(false);
            // Readiness must turn 503 at once: poll the replica itself, not the balancer.
            var notReady = 0L;
            while (notReady == 0 && Seconds(term, Now) < 5)
            {
                var status = await direct.GetStatusAsync("/readyz", cancellationToken).ConfigureAwait(false);
                if (status != 200)
                {
                    notReady = Now;
                    result.Fact(string.Create(CultureInfo.InvariantCulture, $"{replica.Name} (pid {pid}): /readyz {status} {Seconds(term, notReady) * 1000:0} ms after SIGTERM"));
                }
            }

            result.Check(notReady != 0 && Seconds(term, notReady) < 1, $"{replica.Name}: /readyz was not 503 within 1 s of SIGTERM");
            var code = await replica.WaitForExitAsync(TimeSpan.FromSeconds(40), cancellationToken).ConfigureAwait(false);
            var exited = Now;
            result.Check(code == 0, $"{replica.Name}: exit code {code?.ToString(CultureInfo.InvariantCulture) ?? "none (still running)"}");
            var drained = traffic.Records.Count(r => r.Server == replica.Name && r.Start < term && r.End > term);
            result.Fact(string.Create(CultureInfo.InvariantCulture, $"{replica.Name}: exited {code} {Seconds(term, exited):0.0} s after SIGTERM; {drained} calls in flight on it at SIGTERM finished"));
            await replica.StartAsync(TimeSpan.FromSeconds(90), cancellationToken).ConfigureAwait(false);
            lastUp = await fleet.WaitUntilAsync(replica.Name, up: true, since: exited, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        }

        await Task.Delay(Steady, cancellationToken).ConfigureAwait(false);
        await traffic.StopAsync().ConfigureAwait(false);
        var records = traffic.Records.ToList();
        var failed = records.Where(r => !r.IsOk).ToList();
        result.Calls = records.Count;
        result.Errors = failed.Count;
        result.Baseline = LatencyWindow.Of(records, begin, firstTerm);
        result.DuringFault = LatencyWindow.Of(records, firstTerm, lastUp);
        result.Check(failed.Count == 0, $"{failed.Count} client errors ({Statuses(failed)})");
        return result;
    }

    /// <summary>Restart redis-server under load: no request fails (ledger journal), caches refill afterwards.</summary>
    public async Task<FleetScenarioResult> RedisRestartAsync(CancellationToken cancellationToken)
    {
        var result = new FleetScenarioResult("restart Redis");
        using var traffic = StartTraffic();
        var begin = Now;
        await Task.Delay(Steady, cancellationToken).ConfigureAwait(false);
        var stopped = Now;
        var exited = await fleet.StopRedisAsync(cancellationToken).ConfigureAwait(false);
        result.Check(exited, "redis-server did not exit on SIGTERM within 15 s");
        await Task.Delay(quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        await fleet.StartRedisAsync(cancellationToken).ConfigureAwait(false);
        var restarted = Now;
        await Task.Delay(Steady + Steady, cancellationToken).ConfigureAwait(false);
        await traffic.StopAsync().ConfigureAwait(false);
        var records = traffic.Records.ToList();
        var failed = records.Where(r => !r.IsOk).ToList();
        result.Calls = records.Count;
        result.Errors = failed.Count;
        result.Baseline = LatencyWindow.Of(records, begin, stopped);
        result.DuringFault = LatencyWindow.Of(records, stopped, After(restarted, TimeSpan.FromSeconds(1)));
        result.Fact(string.Create(CultureInfo.InvariantCulture, $"Redis down {Seconds(stopped, restarted):0.0} s; failed calls: {failed.Count} ({Statuses(failed)}); during the outage {result.DuringFault}"));
        result.Check(failed.Count == 0, $"{failed.Count} calls failed while Redis restarted ({Statuses(failed)})");

        // Caches refill: an answer stored on one replica after the restart is an L2 hit on another.
        var (first, second) = await CrossReplicaCacheAsync("after the Redis restart", cancellationToken).ConfigureAwait(false);
        result.Fact($"after the restart: {first} on {fleet.Replicas[0].Name}, then {second} on {fleet.Replicas[2].Name}");
        result.Check(second == CacheTier.L2, $"after the Redis restart the second replica answered from {second}, not L2");
        return result;
    }

    /// <summary>An answer produced on replica A is an L2 (Redis) hit on replicas B and C.</summary>
    public async Task<FleetScenarioResult> CrossReplicaL2Async(CancellationToken cancellationToken)
    {
        var result = new FleetScenarioResult("L2 hit across replicas");
        var (first, second) = await CrossReplicaCacheAsync("cross-replica", cancellationToken).ConfigureAwait(false);
        result.Fact($"{fleet.Replicas[0].Name}: {first}; {fleet.Replicas[2].Name}: {second}");
        result.Calls = 2;
        result.Check(first == CacheTier.Miss, $"the first call was {first}, not a miss");
        result.Check(second == CacheTier.L2, $"the second replica answered from {second}, not L2");
        return result;
    }

    private async Task<(CacheTier First, CacheTier Second)> CrossReplicaCacheAsync(string label, CancellationToken cancellationToken)
    {
        using var a = Direct(fleet.Replicas[0]);
        using var c = Direct(fleet.Replicas[2]);
        var prompt = $"Fleet cache check {label} {Guid.CreateVersion7():N}";
        var first = await a.CompleteAsync(FleetKeys.Cache, FleetCalls.Request(prompt, cached: true), cancellationToken).ConfigureAwait(false);
        // The L2 write may finish just after the answer: allow it a moment (bounded) before the other replica reads.
        var second = first;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            second = await c.CompleteAsync(FleetKeys.Cache, FleetCalls.Request(prompt, cached: true), cancellationToken).ConfigureAwait(false);
            if (second.Cache != CacheTier.Miss || !second.IsOk)
            {
                break;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        return (first.IsOk ? first.Cache : CacheTier.Unspecified, second.IsOk ? second.Cache : CacheTier.Unspecified);
    }

    /// <summary>A daily budget holds for the fleet: spend through the balancer stops at the limit, every replica refuses.</summary>
    public async Task<FleetScenarioResult> BudgetAsync(CancellationToken cancellationToken)
    {
        var result = new FleetScenarioResult("fleet-wide budget");
        // The price of one call, measured on another tenant with the same request.
        var probe = await viaBalancer.CompleteAsync(FleetKeys.Cache, FleetCalls.Request("Fleet budget probe", cached: false, maxTokens: 16), cancellationToken).ConfigureAwait(false);
        if (!probe.IsOk || probe.CostUsd <= 0)
        {
            result.Check(false, $"the probe call failed or cost nothing ({probe.Status}, {probe.CostUsd})");
            return result;
        }

        var limit = Math.Round(probe.CostUsd * 8, 9);
        await viaBalancer.Cost.SetBudgetAsync(new SetBudgetRequest { UserId = "budgeted", DailyLimitUsd = limit, MonthlyLimitUsd = limit * 30, AlertThresholdPercent = 80 },
            FleetCalls.Auth(FleetKeys.Admin), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        var records = new List<CallRecord>();
        for (var round = 0; round < 10 && records.Count(r => r.Status == nameof(StatusCode.ResourceExhausted)) < 6; round++)
        {
            var batch = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
                viaBalancer.CompleteAsync(FleetKeys.Budget, FleetCalls.Request("Fleet budget probe", cached: false, maxTokens: 16), cancellationToken))).ConfigureAwait(false);
            records.AddRange(batch);
        }

        var spent = records.Where(r => r.IsOk).Sum(r => r.CostUsd);
        var refusals = new List<string>();
        foreach (var replica in fleet.Replicas)
        {
            using var direct = Direct(replica);
            var call = await direct.CompleteAsync(FleetKeys.Budget, FleetCalls.Request("Fleet budget probe", cached: false, maxTokens: 16), cancellationToken).ConfigureAwait(false);
            refusals.Add($"{replica.Name} {call.Status}");
            result.Check(call.Status == nameof(StatusCode.ResourceExhausted), $"{replica.Name} answered {call.Status} to a tenant over budget");
        }

        result.Calls = records.Count + fleet.Replicas.Count;
        result.Errors = records.Count(r => !r.IsOk && r.Status != nameof(StatusCode.ResourceExhausted));
        result.Fact(string.Create(CultureInfo.InvariantCulture,
            $"limit ${limit:0.#########}; {records.Count(r => r.IsOk)} calls OK spending ${spent:0.#########}, {records.Count(r => r.Status == nameof(StatusCode.ResourceExhausted))} refused (429); then {string.Join(", ", refusals)}"));
        result.Check(spent <= limit + 1e-9, string.Create(CultureInfo.InvariantCulture, $"the fleet spent ${spent:0.#########}, over the ${limit:0.#########} limit"));
        result.Check(records.Any(r => r.IsOk), "no call was admitted at all");
        result.Check(result.Errors == 0, $"{result.Errors} calls failed with something other than RESOURCE_EXHAUSTED ({Statuses(records.Where(r => !r.IsOk))})");
        return result;
    }

    /// <summary>A per-tenant rate limit holds for the fleet: 3× the limit sent round robin, at most the limit admitted.</summary>
    public async Task<FleetScenarioResult> RateLimitAsync(int requestsPerMinute, CancellationToken cancellationToken)
    {
        var result = new FleetScenarioResult("fleet-wide rate limit");
        var records = new List<CallRecord>();
        for (var round = 0; round < requestsPerMinute; round++)
        {
            records.AddRange(await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
                viaBalancer.CompleteAsync(FleetKeys.Limited, FleetCalls.Request("Fleet rate limit probe", cached: false, maxTokens: 8), cancellationToken))).ConfigureAwait(false));
        }

        var admitted = records.Count(r => r.IsOk);
        var limited = records.Count(r => r.Status == nameof(StatusCode.ResourceExhausted));
        result.Calls = records.Count;
        result.Errors = records.Count - admitted - limited;
        var perReplica = string.Join(", ", records.Where(r => r.IsOk).GroupBy(r => r.Server ?? "?").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));
        result.Fact($"limit {requestsPerMinute}/min per tenant; {records.Count} calls in well under a minute: {admitted} admitted ({perReplica}), {limited} refused (429)");
        result.Check(admitted <= requestsPerMinute, $"{admitted} calls admitted, over the fleet-wide limit of {requestsPerMinute} (per-replica limits admit up to {requestsPerMinute * fleet.Replicas.Count})");
        result.Check(admitted >= requestsPerMinute * 9 / 10, $"only {admitted} of the {requestsPerMinute} allowed calls were admitted");
        result.Check(result.Errors == 0, $"{result.Errors} calls failed otherwise ({Statuses(records.Where(r => !r.IsOk && r.Status != nameof(StatusCode.ResourceExhausted)))})");
        return result;
    }

    /// <summary>One ledger: every replica reports the same total for a tenant, equal to what the responses said.</summary>
    public async Task<FleetScenarioResult> LedgerAsync(CancellationToken cancellationToken)
    {
        var result = new FleetScenarioResult("one ledger total from every replica");
        var records = new List<CallRecord>();
        for (var i = 0; i < (quick ? 4 : 8); i++)
        {
            records.AddRange(await Task.WhenAll(
                viaBalancer.CompleteAsync(FleetKeys.Ledger, FleetCalls.Request($"Fleet ledger {i} a", cached: false), cancellationToken),
                viaBalancer.StreamAsync(FleetKeys.Ledger, FleetCalls.Request($"Fleet ledger {i} b", cached: false), cancellationToken),
                viaBalancer.CompleteAsync(FleetKeys.Ledger, FleetCalls.Request($"Fleet ledger {i} c", cached: false), cancellationToken)).ConfigureAwait(false));
        }

        var expected = records.Where(r => r.IsOk).Sum(r => r.CostUsd);
        result.Calls = records.Count;
        result.Errors = records.Count(r => !r.IsOk);
        var totals = new List<(string Replica, double Total, long Requests)>();
        for (var attempt = 0; attempt < 30; attempt++)
        {
            totals.Clear();
            foreach (var replica in fleet.Replicas)
            {
                using var direct = Direct(replica);
                var summary = await direct.Cost.GetSummaryAsync(new GetSummaryRequest { UserId = "ledger" }, FleetCalls.Auth(FleetKeys.Admin), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                totals.Add((replica.Name, summary.TotalCost, summary.TotalRequests));
            }

            if (totals.All(t => Math.Abs(t.Total - totals[0].Total) <= 1e-9 && t.Requests == totals[0].Requests) && totals[0].Requests >= records.Count)
            {
                break;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        var spread = totals.Count == 0 ? 0 : totals.Max(t => t.Total) - totals.Min(t => t.Total);
        var servers = string.Join(", ", records.GroupBy(r => r.Server ?? "?").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));
        result.Fact(string.Create(CultureInfo.InvariantCulture,
            $"{records.Count} calls ({servers}) costing ${expected:0.#########} in their responses; ledger totals {string.Join(", ", totals.Select(t => $"{t.Replica} ${t.Total:0.#########} / {t.Requests} requests"))}"));
        result.Check(result.Errors == 0, $"{result.Errors} calls failed");
        result.Check(spread <= 1e-9 && totals.All(t => t.Requests == totals[0].Requests), "the replicas report different totals");
        result.Check(totals.Count > 0 && Math.Abs(totals[0].Total - expected) <= 1e-9 && totals[0].Requests == records.Count,
            "the ledger's total or request count differs from what the responses said");
        return result;
    }

    private static string Statuses(IEnumerable<CallRecord> records) =>
        string.Join(", ", records.GroupBy(r => $"{r.Kind} {r.Status}").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} ×{g.Count()}")) is { Length: > 0 } s ? s : "none";
}
