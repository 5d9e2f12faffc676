using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace GRump.Benchmarks.Chat;

/// <summary>
/// Added latency of the gateway: the same OpenAI-format chat request sent to the gateway's <c>/v1/chat/completions</c>
/// and directly to the upstream it forwards to (the fake upstream), in alternating rounds so drift on shared cores
/// hits both alike. Reports p50/p99/p99.9, requests/s, the gateway's CPU per request (from /proc) and the deltas.
/// usage: chat-overhead --gateway URL --direct URL [--model M] [--requests N] [--concurrency C] [--rounds R]
///        [--stream] [--gateway-pid PID]
/// </summary>
internal static class ChatOverhead
{
    public static async Task<int> RunAsync(string[] args)
    {
        var gateway = Arg(args, "--gateway") ?? throw new ArgumentException("--gateway URL is required");
        var direct = Arg(args, "--direct") ?? throw new ArgumentException("--direct URL is required");
        var model = Arg(args, "--model") ?? "moonshotai/kimi-k2.5";
        var requests = int.Parse(Arg(args, "--requests") ?? "2000", CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Arg(args, "--concurrency") ?? "1", CultureInfo.InvariantCulture);
        var rounds = int.Parse(Arg(args, "--rounds") ?? "3", CultureInfo.InvariantCulture);
        var stream = args.Contains("--stream");
        var pid = Arg(args, "--gateway-pid") is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : 0;

        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, UseCookies = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        { Timeout = TimeSpan.FromSeconds(30) };
        var body = $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"What is the capital of France? Answer in one word."}]}""";

        var results = new Dictionary<string, List<Result>> { ["direct"] = [], ["gateway"] = [] };
        foreach (var (name, url) in new[] { ("direct", direct), ("gateway", gateway) })
        {
            await RunRoundAsync(client, url, body, stream, Math.Min(500, requests), concurrency, 0); // warm-up
        }
        for (var round = 0; round < rounds; round++)
        {
            results["direct"].Add(await RunRoundAsync(client, direct, body, stream, requests, concurrency, 0));
            results["gateway"].Add(await RunRoundAsync(client, gateway, body, stream, requests, concurrency, pid));
        }

        var d = Merge(results["direct"]);
        var g = Merge(results["gateway"]);
        Console.WriteLine($"chat-overhead {(stream ? "stream" : "json")} c={concurrency} requests={requests}x{rounds}");
        Console.WriteLine("| target | rps | p50 ms | p99 ms | p99.9 ms | errors | gateway CPU µs/req |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        Print("direct", d);
        Print("gateway", g);
        Console.WriteLine($"added p50 {Ms(g.P50 - d.P50)} ms, added p99 {Ms(g.P99 - d.P99)} ms, rps ratio {g.Rps / d.Rps:P0}");
        return d.Errors + g.Errors == 0 ? 0 : 1;
    }

    private sealed record Result(long[] Ticks, double Seconds, int Errors, double CpuSeconds);

    private sealed record Summary(double Rps, double P50, double P99, double P999, int Errors, double CpuMicrosPerRequest);

    private static async Task<Result> RunRoundAsync(HttpClient client, string url, string body, bool stream, int requests, int concurrency, int pid)
    {
        var ticks = new long[requests];
        var next = -1;
        var errors = 0;
        var cpuBefore = Cpu(pid);
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    using var content = new StringContent(body, Encoding.UTF8, "application/json");
                    using var response = await client.PostAsync(url, content).ConfigureAwait(false);
                    var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                    if (!response.IsSuccessStatusCode || (stream && !text.Contains("[DONE]", StringComparison.Ordinal)))
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }
                ticks[i] = Stopwatch.GetTimestamp() - t0;
            }
        })).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return new Result(ticks, seconds, errors, Cpu(pid) - cpuBefore);
    }

    private static Summary Merge(List<Result> rounds)
    {
        var all = rounds.SelectMany(r => r.Ticks).Order().ToArray();
        double At(double q) => all[Math.Min(all.Length - 1, (int)(q * all.Length))] * 1000d / Stopwatch.Frequency;
        var requests = all.Length;
        return new Summary(requests / rounds.Sum(r => r.Seconds), At(0.5), At(0.99), At(0.999), rounds.Sum(r => r.Errors),
            rounds.Sum(r => r.CpuSeconds) * 1e6 / requests);
    }

    private static void Print(string name, Summary s) =>
        Console.WriteLine($"| {name} | {s.Rps:0} | {Ms(s.P50)} | {Ms(s.P99)} | {Ms(s.P999)} | {s.Errors} | {(name == "gateway" && s.CpuMicrosPerRequest > 0 ? s.CpuMicrosPerRequest.ToString("0", CultureInfo.InvariantCulture) : "–")} |");

    private static string Ms(double ms) => ms.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>utime + stime of a process in seconds (0 without a pid).</summary>
    private static double Cpu(int pid)
    {
        if (pid == 0)
        {
            return 0;
        }
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100d;
    }

    /// <summary>The value after <paramref name="name"/> on the command line, or null.</summary>
    internal static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
