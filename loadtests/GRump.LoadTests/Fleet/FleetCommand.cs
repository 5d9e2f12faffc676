using System.Globalization;
using System.Text;

namespace GRump.LoadTests.Fleet;

/// <summary>
/// <c>GRump.LoadTests fleet [--quick] [--scenario all|steady,kill,rolling,redis,l2,budget,ratelimit,ledger] [--out DIR]</c>:
/// starts a local fleet (fake upstream, redis-server, 3 replicas, HAProxy), runs the scenarios, writes fleet.md,
/// exits 0 when every scenario passed, 1 when one failed, 3 when the fleet could not be started.
/// </summary>
internal static class FleetCommand
{
    public const string Usage = """
        usage: GRump.LoadTests fleet [--quick] [--scenario all|<name>[,<name>]] [--out <dir>]
          scenarios: steady kill rolling redis (faults, under steady gRPC + stream + /v1 SSE traffic through HAProxy);
                     l2 budget ratelimit ledger (fleet-wide state). --quick: shorter windows and one SIGTERM instead
                     of a full rolling restart (the CI slice). Needs redis-server and haproxy on PATH, Release builds.
        """;

    private static readonly string[] FaultScenarios = ["steady", "kill", "rolling", "redis"];
    private static readonly string[] StateScenarios = ["l2", "budget", "ratelimit", "ledger"];

    /// <summary>Requests per minute per tenant in the fleet-wide state phase (the rate-limit scenario sends 3×).</summary>
    private const int RequestsPerMinute = 30;

    public static async Task<int> RunAsync(string[] args, string configuration, TextWriter output, CancellationToken cancellationToken)
    {
        var quick = false;
        var selected = FaultScenarios.Concat(StateScenarios).ToList();
        var outDir = Path.Combine("artifacts", "fleet");
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--scenario" when i + 1 < args.Length:
                    var value = args[++i];
                    selected = value == "all" ? selected : [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                    break;
                case "--out" when i + 1 < args.Length:
                    outDir = args[++i];
                    break;
                case "--no-progress":
                    break;
                default:
                    await output.WriteLineAsync($"unknown argument {args[i]}{Environment.NewLine}{Usage}").ConfigureAwait(false);
                    return LoadTestRunner.BadArguments;
            }
        }

        var unknown = selected.Except(FaultScenarios.Concat(StateScenarios)).ToList();
        if (unknown.Count > 0)
        {
            await output.WriteLineAsync($"unknown scenario {string.Join(", ", unknown)}{Environment.NewLine}{Usage}").ConfigureAwait(false);
            return LoadTestRunner.BadArguments;
        }

        var results = new List<FleetScenarioResult>();
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            if (selected.Intersect(StateScenarios).Any())
            {
                await RunPhaseAsync(configuration, RequestsPerMinute, quick, output, async scenarios =>
                {
                    foreach (var name in StateScenarios.Where(selected.Contains))
                    {
                        results.Add(await RunOneAsync(name, scenarios, output, cancellationToken).ConfigureAwait(false));
                    }
                }, cancellationToken).ConfigureAwait(false);
            }

            if (selected.Intersect(FaultScenarios).Any())
            {
                await RunPhaseAsync(configuration, 0, quick, output, async scenarios =>
                {
                    foreach (var name in FaultScenarios.Where(selected.Contains))
                    {
                        results.Add(await RunOneAsync(name, scenarios, output, cancellationToken).ConfigureAwait(false));
                    }
                }, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException or System.ComponentModel.Win32Exception or HttpRequestException)
        {
            await output.WriteLineAsync($"fleet setup failed: {e.Message}").ConfigureAwait(false);
            return LoadTestRunner.SetupFailed;
        }

        var elapsed = TimeProvider.System.GetElapsedTime(started);
        var report = Report(results, quick, elapsed);
        Directory.CreateDirectory(outDir);
        await File.WriteAllTextAsync(Path.Combine(outDir, "fleet.md"), report, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(report).ConfigureAwait(false);
        return results.All(r => r.Passed) ? LoadTestRunner.Passed : LoadTestRunner.ThresholdBreached;
    }

    private static async Task RunPhaseAsync(string configuration, int requestsPerMinute, bool quick, TextWriter output,
        Func<FleetScenarios, Task> run, CancellationToken cancellationToken)
    {
        var settings = new FleetSettings(configuration, Replicas: 3, requestsPerMinute, DrainDelay: TimeSpan.FromSeconds(2), CheckInterval: TimeSpan.FromMilliseconds(500),
            UpstreamLatencyMs: 20, Chunks: 8, ChunkDelayMs: 60);
        await output.WriteLineAsync($"fleet: starting 3 replicas (Auth:RequestsPerMinute={requestsPerMinute})").ConfigureAwait(false);
        await using var fleet = await FleetCluster.StartAsync(settings, output, cancellationToken).ConfigureAwait(false);
        using var calls = new FleetCalls(fleet.GrpcUrl, fleet.HttpUrl);
        try
        {
            var scenarios = new FleetScenarios(fleet, calls, quick);
            await output.WriteLineAsync($"fleet: warm-up (not measured): {await scenarios.WarmUpAsync(cancellationToken).ConfigureAwait(false)}").ConfigureAwait(false);
            await run(scenarios).ConfigureAwait(false);
        }
        finally
        {
            // What the replicas said last: the first place to look when a scenario failed.
            foreach (var replica in fleet.Replicas.Where(r => r.Pid != 0))
            {
                await output.WriteLineAsync($"fleet: {replica.Name} log tail:{Environment.NewLine}{replica.Process.Tail()}").ConfigureAwait(false);
            }
        }
    }

    private static async Task<FleetScenarioResult> RunOneAsync(string name, FleetScenarios scenarios, TextWriter output, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync($"fleet: scenario {name}").ConfigureAwait(false);
        var result = name switch
        {
            "steady" => await scenarios.SteadyAsync(cancellationToken).ConfigureAwait(false),
            "kill" => await scenarios.KillAsync(cancellationToken).ConfigureAwait(false),
            "rolling" => await scenarios.RollingRestartAsync(cancellationToken).ConfigureAwait(false),
            "redis" => await scenarios.RedisRestartAsync(cancellationToken).ConfigureAwait(false),
            "l2" => await scenarios.CrossReplicaL2Async(cancellationToken).ConfigureAwait(false),
            "budget" => await scenarios.BudgetAsync(cancellationToken).ConfigureAwait(false),
            "ratelimit" => await scenarios.RateLimitAsync(RequestsPerMinute, cancellationToken).ConfigureAwait(false),
            "ledger" => await scenarios.LedgerAsync(cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown scenario"),
        };
        await output.WriteLineAsync($"fleet: {name} {(result.Passed ? "PASSED" : "FAILED: " + string.Join("; ", result.Failures))}").ConfigureAwait(false);
        return result;
    }

    private static string Report(List<FleetScenarioResult> results, bool quick, TimeSpan elapsed)
    {
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# Fleet run ({(quick ? "quick" : "full")}, {elapsed.TotalSeconds:0} s)\n\n");
        md.Append("3 gateway replicas on one redis-server behind HAProxy 2.6 (h2c to the gRPC ports, HTTP/1.1 to the HTTP ports, `/readyz` checks every 500 ms).\n\n");
        md.Append("| scenario | result | calls | errors | latency before the fault | latency during the fault |\n|---|---|---|---|---|---|\n");
        foreach (var r in results)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {r.Name} | {(r.Passed ? "passed" : "**FAILED**")} | {r.Calls} | {r.Errors} | {r.Baseline?.ToString() ?? "—"} | {r.DuringFault?.ToString() ?? "—"} |\n");
        }

        foreach (var r in results)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n## {r.Name}: {(r.Passed ? "passed" : "FAILED")}\n\n");
            foreach (var fact in r.Facts)
            {
                md.Append("- ").Append(fact).Append('\n');
            }

            foreach (var failure in r.Failures)
            {
                md.Append("- **failed:** ").Append(failure).Append('\n');
            }
        }

        var passed = results.Count(r => r.Passed);
        md.Append(CultureInfo.InvariantCulture, $"\nfleet: {passed} passed, {results.Count - passed} failed\n");
        return md.ToString();
    }
}
