using System.Globalization;
using System.Text;
using GRump.LoadTests.Hosting;

namespace GRump.LoadTests.Fuzz;

/// <summary>
/// <c>dotnet run -c Release --project loadtests/GRump.LoadTests -- fuzz [--calls 10000] [--seed 1] [--concurrency 8]
/// [--mode both|keyed|anonymous] [--no-oversize] [--out artifacts/fuzz]</c>: starts the fake upstream and a fresh
/// gateway per mode (keyed: a user and an admin API key; anonymous: none), runs <see cref="FuzzRunner"/> with the calls
/// split between the modes, and also fails the run on any Error line or stack trace in the gateway's own log. With
/// <c>--gateway-grpc URL --gateway-http URL [--user-key K --admin-key K]</c> it fuzzes a running gateway instead (whose
/// log it cannot see). Exit codes: 0 passed, 1 a rule broken, 2 bad arguments, 3 a target could not be started.
/// </summary>
internal static class FuzzCommand
{
    public const string Usage = """
        usage: GRump.LoadTests fuzz [--calls 10000] [--seed 1] [--concurrency 8] [--mode both|keyed|anonymous] [--no-oversize]
                                    [--out artifacts/fuzz] [--gateway-grpc URL --gateway-http URL [--user-key K] [--admin-key K]]
                                    [--replay N]   (with the gateway URLs: show call N of the seed's run, send it once, print the answer)
        """;

    private const string UserKey = "fuzz-user-key-0123456789";
    private const string AdminKey = "fuzz-admin-key-0123456789";

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        var oversize = true;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--no-oversize")
            {
                oversize = false;
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Count)
            {
                settings[args[i][2..]] = args[++i];
            }
            else
            {
                await output.WriteLineAsync($"unexpected '{args[i]}'{Environment.NewLine}{Usage}").ConfigureAwait(false);
                return 2;
            }
        }
        if (!Int(settings, "calls", 10_000, out var calls) || !Int(settings, "seed", 1, out var seed) || !Int(settings, "concurrency", 8, out var concurrency)
            || settings.GetValueOrDefault("mode", "both") is not ("both" or "keyed" or "anonymous") || settings.Keys.Except(["calls", "seed", "concurrency", "mode", "out", "gateway-grpc", "gateway-http", "user-key", "admin-key", "replay"]).Any())
        {
            await output.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }
        var outDir = settings.GetValueOrDefault("out", Path.Combine("artifacts", "fuzz"));
        var text = new StringBuilder();
        var passed = true;

        if (settings.TryGetValue("gateway-grpc", out var grpc) && settings.TryGetValue("gateway-http", out var http) && settings.TryGetValue("replay", out var replay))
        {
            return await ReplayAsync(new FuzzOptions(new Uri(grpc), new Uri(http))
            {
                Seed = seed, Oversize = oversize, UserKey = settings.GetValueOrDefault("user-key"), AdminKey = settings.GetValueOrDefault("admin-key"),
            }, int.Parse(replay, CultureInfo.InvariantCulture), output, cancellationToken).ConfigureAwait(false);
        }
        if (settings.TryGetValue("gateway-grpc", out grpc) && settings.TryGetValue("gateway-http", out http))
        {
            var report = await FuzzRunner.RunAsync(new FuzzOptions(new Uri(grpc), new Uri(http))
            {
                Seed = seed, Calls = calls, Concurrency = concurrency, Oversize = oversize,
                UserKey = settings.GetValueOrDefault("user-key"), AdminKey = settings.GetValueOrDefault("admin-key"),
            }, cancellationToken).ConfigureAwait(false);
            text.Append(report.ToMarkdown());
            passed = report.Passed;
        }
        else
        {
            var modes = settings.GetValueOrDefault("mode", "both") switch
            {
                "keyed" => new[] { true },
                "anonymous" => [false],
                _ => [true, false],
            };
            using var stack = LocalStack.ForRepository(Configuration);
            try
            {
                await stack.StartUpstreamAsync(latencyMs: 0, chunks: 4, embeddingLatencyMs: 0, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException)
            {
                await output.WriteLineAsync($"setup failed: {e.Message}").ConfigureAwait(false);
                return 3;
            }
            for (var m = 0; m < modes.Length; m++)
            {
                var keyed = modes[m];
                var environment = keyed
                    ? new Dictionary<string, string>
                    {
                        ["Auth__Keys__0__Key"] = UserKey, ["Auth__Keys__0__Tenant"] = "fuzz", ["Auth__Keys__0__Role"] = "user",
                        ["Auth__Keys__1__Key"] = AdminKey, ["Auth__Keys__1__Tenant"] = "ops", ["Auth__Keys__1__Role"] = "admin",
                    }
                    : [];
                Uri grpcUrl, httpUrl;
                int pid;
                try
                {
                    (grpcUrl, httpUrl, pid) = await stack.StartGatewayAsync(environment, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException)
                {
                    await output.WriteLineAsync($"setup failed: {e.Message}").ConfigureAwait(false);
                    return 3;
                }
                var share = calls / modes.Length + (m < calls % modes.Length ? 1 : 0);
                await output.WriteLineAsync($"fuzzing the {(keyed ? "keyed" : "anonymous")} gateway: {share} calls, seed {seed + m}, concurrency {concurrency}").ConfigureAwait(false);
                var report = await FuzzRunner.RunAsync(new FuzzOptions(grpcUrl, httpUrl)
                {
                    Seed = seed + m, Calls = share, Concurrency = concurrency, Oversize = oversize,
                    UserKey = keyed ? UserKey : null, AdminKey = keyed ? AdminKey : null,
                }, cancellationToken).ConfigureAwait(false);
                var log = stack.Process(pid)!;
                var (errors, first) = log.ErrorLines;
                text.AppendLine(CultureInfo.InvariantCulture, $"# {(keyed ? "Keyed" : "Anonymous")} gateway (pid {pid})").AppendLine();
                text.Append(report.ToMarkdown().Replace("# Fuzz run", "## Fuzz run", StringComparison.Ordinal)).AppendLine();
                text.AppendLine(CultureInfo.InvariantCulture, $"Gateway log: {errors} Error/Critical lines, {log.StackFrames} stack-trace lines.");
                foreach (var line in first)
                {
                    text.AppendLine("    " + line);
                }
                text.AppendLine();
                passed &= report.Passed && errors == 0 && log.StackFrames == 0;
            }
        }

        Directory.CreateDirectory(outDir);
        var file = Path.Combine(outDir, "fuzz.md");
        await File.WriteAllTextAsync(file, text.ToString(), cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(text.ToString()).ConfigureAwait(false);
        await output.WriteLineAsync($"{(passed ? "passed" : "FAILED")}; report: {file}").ConfigureAwait(false);
        return passed ? 0 : 1;
    }

    /// <summary>Call <paramref name="index"/> of the seed's run, shown (with its bytes) and sent once.</summary>
    private static async Task<int> ReplayAsync(FuzzOptions options, int index, TextWriter output, CancellationToken cancellationToken)
    {
        var (grpc, http, key) = FuzzRunner.Generate(options, index);
        await output.WriteLineAsync(FuzzRunner.Describe(index, grpc, http, key, options)).ConfigureAwait(false);
        var bytes = grpc?.Body ?? http?.Body ?? [];
        await output.WriteLineAsync($"headers: {string.Join(", ", grpc?.Headers.Select(h => $"{h.Key}: {h.Value}") ?? [http?.ContentType ?? string.Empty])}").ConfigureAwait(false);
        await output.WriteLineAsync($"body ({bytes.Length} bytes): {Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 512)))}{(bytes.Length > 512 ? "…" : string.Empty)}").ConfigureAwait(false);
        using var client = new FuzzClient(options.GrpcUrl, options.HttpUrl, options.CallTimeout);
        var answer = grpc is not null ? await client.SendAsync(grpc, key, cancellationToken).ConfigureAwait(false) : await client.SendAsync(http!, key, cancellationToken).ConfigureAwait(false);
        var broken = FuzzRunner.Judge(grpc, answer);
        await output.WriteLineAsync($"answer: HTTP {answer.HttpStatus}, grpc-status {answer.GrpcStatus?.ToString(CultureInfo.InvariantCulture) ?? "-"} {answer.GrpcMessage}; {broken ?? "no rule broken"}").ConfigureAwait(false);
        return broken is null ? 0 : 1;
    }

    private static bool Int(Dictionary<string, string> settings, string name, int fallback, out int value)
    {
        if (!settings.TryGetValue(name, out var text))
        {
            value = fallback;
            return true;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;
    }
}
