using System.Globalization;
using GRump.LoadTests.Cli;
using GRump.LoadTests.Hosting;
using GRump.LoadTests.Load;
using GRump.LoadTests.Reports;
using GRump.LoadTests.Scenarios;

namespace GRump.LoadTests;

/// <summary>Parses the command line, sets up the targets, runs the scenarios one after another, reports, judges.</summary>
internal static class LoadTestRunner
{
    public const int Passed = 0;
    public const int ThresholdBreached = 1;
    public const int BadArguments = 2;
    public const int SetupFailed = 3;

#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    /// <param name="args">The command line.</param>
    /// <param name="output">Tables, verdicts and errors.</param>
    /// <param name="progress">The live progress line (rewritten in place with \r); null for none.</param>
    /// <param name="cancellationToken">Ctrl+C.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!RunOptions.TryParse(args, out var options, out var error))
        {
            await output.WriteLineAsync(error + Environment.NewLine + RunOptions.Usage).ConfigureAwait(false);
            return BadArguments;
        }

        if (options.Help || options.List)
        {
            await output.WriteLineAsync(options.Help ? RunOptions.Usage : string.Join(Environment.NewLine, BuiltInScenarios.All.Select(s => $"{s.Name,-22} {s.DefaultLoad.Describe(),-6} {s.Description}"))).ConfigureAwait(false);
            return Passed;
        }

        var scenarios = BuiltInScenarios.Select(options.Scenario, out var unknown);
        if (unknown.Count > 0 || scenarios.Count == 0)
        {
            await output.WriteLineAsync($"unknown scenario {string.Join(", ", unknown)}; known: all, {string.Join(", ", BuiltInScenarios.Names)}").ConfigureAwait(false);
            return BadArguments;
        }

        var started = TimeProvider.System.GetUtcNow();
        using var stack = options.External ? null : LocalStack.ForRepository(Configuration);
        ScenarioTargets targets;
        try
        {
            targets = await SetUpAsync(options, stack, scenarios, output, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ScenarioSetupException or InvalidOperationException or IOException or TimeoutException)
        {
            await output.WriteLineAsync($"setup failed: {e.Message}").ConfigureAwait(false);
            return SetupFailed;
        }

        if (stack is not null)
        {
            await SettleAsync(targets, output, cancellationToken).ConfigureAwait(false);
        }

        var results = new List<ScenarioResult>();
        using (targets)
        {
            foreach (var scenario in scenarios)
            {
                try
                {
                    results.Add(await RunScenarioAsync(scenario, options, targets, output, progress, cancellationToken).ConfigureAwait(false));
                }
                catch (ScenarioSetupException e)
                {
                    await output.WriteLineAsync($"{scenario.Name}: cannot run: {e.Message}").ConfigureAwait(false);
                    return SetupFailed;
                }
            }
        }

        var mode = options.External ? "targets given on the command line" : $"gateway and fake upstream started by the runner (upstream latency {options.UpstreamLatencyMs} ms, {options.Chunks} SSE chunks, embeddings {options.EmbeddingLatencyMs} ms)";
        var report = RunReport.Create(results, options.Thresholds,
            new RunInfo("GRump.LoadTests " + string.Join(' ', args.Select(Quote)), started, RunInfo.DescribeMachine(), $"warm-up {options.Warmup.TotalSeconds:0.#} s, {options.Duration.TotalSeconds:0.#} s per scenario; {mode}"));
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteAsync(TextReports.Console(report)).ConfigureAwait(false);
        var written = await WriteReportsAsync(report, options.OutputDirectory, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"reports: {string.Join(", ", written)}").ConfigureAwait(false);
        if (!report.Passed)
        {
            await output.WriteLineAsync($"{report.Thresholds.Count(t => !t.Passed)} threshold(s) breached").ConfigureAwait(false);
            return ThresholdBreached;
        }

        return Passed;
    }

    private static async Task<ScenarioTargets> SetUpAsync(RunOptions options, LocalStack? stack, IReadOnlyList<Scenario> scenarios, TextWriter output,
        CancellationToken cancellationToken)
    {
        if (stack is null)
        {
            return new ScenarioTargets
            {
                GatewayGrpc = options.GatewayGrpc,
                GatewayHttp = options.GatewayHttp,
                Upstream = options.Upstream,
                BareGrpc = options.BareGrpc,
                GatewayPid = options.GatewayPid,
                UpstreamPid = options.UpstreamPid,
                BarePid = options.BarePid,
            };
        }

        Uri? bare = null;
        int? barePid = null;
        if (scenarios.Any(s => s.Target == ScenarioTarget.BareServer))
        {
            (bare, barePid) = await stack.StartBareServerAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"bare gRPC server {bare} (pid {barePid})").ConfigureAwait(false);
        }

        await stack.StartUpstreamAsync(options.UpstreamLatencyMs, options.Chunks, options.EmbeddingLatencyMs, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"fake upstream {stack.Upstream} (pid {stack.UpstreamPid})").ConfigureAwait(false);
        var (grpc, http, pid) = await stack.StartGatewayAsync(new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"gateway grpc={grpc} http={http} (pid {pid})").ConfigureAwait(false);
        var targets = new ScenarioTargets
        {
            GatewayGrpc = grpc,
            GatewayHttp = http,
            Upstream = stack.Upstream,
            BareGrpc = bare,
            GatewayPid = pid,
            UpstreamPid = stack.UpstreamPid,
            BarePid = barePid,
        };
        if (scenarios.Any(s => s.Target == ScenarioTarget.GatewayNoCoalescing))
        {
            var (grpc2, _, pid2) = await stack.StartGatewayAsync(new Dictionary<string, string> { ["Embeddings__Coalescing"] = "false" }, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"gateway with Embeddings__Coalescing=false grpc={grpc2} (pid {pid2})").ConfigureAwait(false);
            targets.NoCoalescingGrpc = grpc2;
            targets.NoCoalescingPid = pid2;
        }

        return targets;
    }

    /// <summary>
    /// Waits (up to 20 s) until the processes just started are idle — below 5 % of a core over a second — so the first
    /// scenario does not share the cores with their JIT and start-up work.
    /// </summary>
    private static async Task SettleAsync(ScenarioTargets targets, TextWriter output, CancellationToken cancellationToken)
    {
        int?[] pids = [targets.GatewayPid, targets.UpstreamPid, targets.NoCoalescingPid, targets.BarePid];
        var begun = TimeProvider.System.GetTimestamp();
        var before = TotalCpu(pids);
        while (TimeProvider.System.GetElapsedTime(begun) < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            var now = TotalCpu(pids);
            if (now - before < TimeSpan.FromMilliseconds(50))
            {
                break;
            }

            before = now;
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"servers idle after {TimeProvider.System.GetElapsedTime(begun).TotalSeconds:0.0} s")).ConfigureAwait(false);

        static TimeSpan TotalCpu(int?[] pids) =>
            pids.Aggregate(TimeSpan.Zero, (sum, pid) => sum + (pid is { } p ? ProcessCpu.Read(p) ?? TimeSpan.Zero : TimeSpan.Zero));
    }

    private static async Task<ScenarioResult> RunScenarioAsync(Scenario scenario, RunOptions options, ScenarioTargets targets, TextWriter output,
        TextWriter? progress, CancellationToken cancellationToken)
    {
        var load = options.Load ?? scenario.DefaultLoad;
        var engine = new LoadEngine(SystemLoadClock.Instance);
        Func<CancellationToken, ValueTask<IScenarioStep>> createStep = ct => scenario.CreateStep(targets, ct);
        if (scenario.PrepareAsync is { } prepare)
        {
            await prepare(targets, cancellationToken).ConfigureAwait(false);
        }

        if (options.Warmup > TimeSpan.Zero)
        {
            var warm = new ScenarioRecorder(options.Warmup);
            await RunWithProgressAsync(engine, createStep, load, options.Warmup, warm, $"{scenario.Name} warm-up", progress, cancellationToken).ConfigureAwait(false);
        }

        var recorder = new ScenarioRecorder(options.Duration);
        var serverPid = targets.PidOf(scenario.Target);
        var clientBefore = ProcessCpu.Read(Environment.ProcessId);
        var serverBefore = serverPid is { } p1 ? ProcessCpu.Read(p1) : null;
        var heapUrl = scenario.Target == ScenarioTarget.Gateway ? targets.GatewayHttp : null;
        var heapBefore = await GatewayHeap.AllocatedBytesAsync(targets.Http, heapUrl, cancellationToken).ConfigureAwait(false);
        var elapsed = await RunWithProgressAsync(engine, createStep, load, options.Duration, recorder, scenario.Name, progress, cancellationToken).ConfigureAwait(false);
        var clientAfter = ProcessCpu.Read(Environment.ProcessId);
        var serverAfter = serverPid is { } p2 ? ProcessCpu.Read(p2) : null;
        var heapAfter = await GatewayHeap.AllocatedBytesAsync(targets.Http, heapUrl, cancellationToken).ConfigureAwait(false);

        var result = new ScenarioResult
        {
            Name = scenario.Name,
            Description = scenario.Description,
            Load = load.Describe(),
            Server = scenario.Target switch
            {
                ScenarioTarget.Upstream => "upstream",
                ScenarioTarget.GatewayNoCoalescing => "gateway 2",
                ScenarioTarget.BareServer => "bare",
                _ => "gateway",
            },
            Elapsed = elapsed,
            Histogram = recorder.Latency.Copy(),
            Statuses = recorder.Statuses,
            Bytes = recorder.Bytes,
            Timeline = recorder.Timeline(),
            ClientCpu = clientAfter - clientBefore,
            ServerCpu = serverAfter - serverBefore,
            ServerAllocatedBytes = heapAfter - heapBefore,
        };
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{scenario.Name,-22} {result.Load,-8} {result.Rps,9:0} rps  p50 {Format.Ms(result.LatencyMs(50))} ms  p99 {Format.Ms(result.LatencyMs(99))} ms  errors {result.Errors}{(result.Errors > 0 ? " (" + result.ErrorSummary + ")" : "")}")).ConfigureAwait(false);
        return result;
    }

    private static async Task<TimeSpan> RunWithProgressAsync(LoadEngine engine, Func<CancellationToken, ValueTask<IScenarioStep>> createStep, LoadSimulation load,
        TimeSpan duration, ScenarioRecorder recorder, string label, TextWriter? progress, CancellationToken cancellationToken)
    {
        var run = engine.RunAsync(createStep, load, duration, recorder, cancellationToken);
        if (progress is null)
        {
            return await run.ConfigureAwait(false);
        }

        var begun = TimeProvider.System.GetTimestamp();
        long lastCalls = 0;
        var lastAt = begun;
        while (!run.IsCompleted)
        {
            await Task.WhenAny(run, Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken)).ConfigureAwait(false);
            var now = TimeProvider.System.GetTimestamp();
            var calls = recorder.Calls;
            var rate = (calls - lastCalls) / Math.Max(1e-3, TimeProvider.System.GetElapsedTime(lastAt, now).TotalSeconds);
            (lastCalls, lastAt) = (calls, now);
            var p99 = calls > 0 ? recorder.Latency.GetValueAtPercentile(99) / 1000d : 0;
            await progress.WriteAsync(string.Create(CultureInfo.InvariantCulture,
                $"\r{label,-30} {Math.Min(TimeProvider.System.GetElapsedTime(begun).TotalSeconds, duration.TotalSeconds),5:0.0}/{duration.TotalSeconds:0}s  {rate,8:0} rps  p99 {Format.Ms(p99),8} ms  calls {calls,9}  errors {recorder.Errors,6}   ")).ConfigureAwait(false);
        }

        await progress.WriteAsync("\r" + new string(' ', 110) + "\r").ConfigureAwait(false);
        return await run.ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<string>> WriteReportsAsync(RunReport report, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var files = new (string Name, string Content)[]
        {
            ("report.md", TextReports.Markdown(report)),
            ("results.csv", TextReports.Csv(report)),
            ("report.html", HtmlReport.Render(report)),
        };
        var written = new List<string>();
        foreach (var (name, content) in files)
        {
            var path = Path.Combine(directory, name);
            await File.WriteAllTextAsync(path, content, cancellationToken).ConfigureAwait(false);
            written.Add(path);
        }

        foreach (var r in report.Results)
        {
            // The full HdrHistogram percentile distribution (plottable with HdrHistogram's own tools).
            var path = Path.Combine(directory, r.Name + ".hgrm");
            var writer = new StreamWriter(path);
            await using (writer.ConfigureAwait(false))
            {
                HdrHistogram.HistogramExtensions.OutputPercentileDistribution(r.Histogram, writer, 5, 1000.0, false);
            }
        }

        return written;
    }

    private static string Quote(string arg) => arg.Contains(' ', StringComparison.Ordinal) || arg.Contains('<', StringComparison.Ordinal) || arg.Contains('>', StringComparison.Ordinal)
        ? "'" + arg + "'"
        : arg;
}
