using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using GRump.LoadTests.Load;
using GRump.LoadTests.Thresholds;

namespace GRump.LoadTests.Cli;

/// <summary>The command line (see <see cref="Usage"/>).</summary>
internal sealed class RunOptions
{
    public const string Usage = """
        usage: GRump.LoadTests [--scenario all|<name>[,<name>|<prefix>*]] [--duration 10s] [--warmup 2s]
                               [--concurrency N | --rate N/s | --ramp A-B | --ramp A-B/s] [--threshold 'p99<50ms']...
                               [--out <dir>] [--gateway-grpc URL] [--gateway-http URL] [--upstream URL]
                               [--bare-grpc URL] [--gateway-pid PID] [--upstream-pid PID] [--bare-pid PID] [--upstream-latency-ms 0] [--chunks 8]
                               [--embedding-latency-ms 10] [--no-progress] [--list]
          Without URLs the runner starts the fake upstream and the gateway itself (Release builds, free ports).
          --concurrency/--rate/--ramp override every scenario's default load (closed c=N, open N calls/s, or a ramp of
          users or of the arrival rate over the run). Thresholds: p50 p75 p90 p99 p99.9 max mean (ms|us|s), rps,
          errors (count or %); prefix 'scenario:' to apply to one scenario. Exit codes: 0 passed, 1 threshold breached,
          2 bad arguments, 3 a target could not be started or reached.
        """;

    public string Scenario { get; private set; } = "all";

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(10);

    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(2);

    /// <summary>Null: each scenario's default.</summary>
    public LoadSimulation? Load { get; private set; }

    public List<Threshold> Thresholds { get; } = [];

    public string OutputDirectory { get; private set; } = Path.Combine("artifacts", "load");

    public Uri? GatewayGrpc { get; private set; }

    public Uri? GatewayHttp { get; private set; }

    public Uri? Upstream { get; private set; }

    /// <summary>A server with grump.bench.v1.BenchService/Noop (GRump.Benchmarks.dll serve).</summary>
    public Uri? BareGrpc { get; private set; }

    public int? BarePid { get; private set; }

    public int? GatewayPid { get; private set; }

    public int? UpstreamPid { get; private set; }

    public int UpstreamLatencyMs { get; private set; }

    public int Chunks { get; private set; } = 8;

    public int EmbeddingLatencyMs { get; private set; } = 10;

    public bool Progress { get; private set; } = true;

    public bool List { get; private set; }

    public bool Help { get; private set; }

    /// <summary>True when any URL was given: nothing is started, scenarios without a target fail setup.</summary>
    public bool External => GatewayGrpc is not null || GatewayHttp is not null || Upstream is not null || BareGrpc is not null;

    public static bool TryParse(IReadOnlyList<string> args, [NotNullWhen(true)] out RunOptions? options, [NotNullWhen(false)] out string? error)
    {
        var o = new RunOptions();
        options = null;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            switch (name)
            {
                case "--no-progress":
                    o.Progress = false;
                    continue;
                case "--list":
                    o.List = true;
                    continue;
                case "-h" or "--help":
                    o.Help = true;
                    continue;
            }

            if (i + 1 >= args.Count)
            {
                error = $"{name} needs a value";
                return false;
            }

            var value = args[++i];
            error = name switch
            {
                "--scenario" => Set(() => o.Scenario = value),
                "--duration" => TryParseDuration(value, out var d) && d > TimeSpan.Zero ? Set(() => o.Duration = d) : $"--duration: '{value}' is not a duration like 10s",
                "--warmup" => TryParseDuration(value, out var w) ? Set(() => o.Warmup = w) : $"--warmup: '{value}' is not a duration like 2s",
                "--concurrency" => TryInt(value, 1, out var c) ? Set(() => o.Load = new ClosedModel(c)) : $"--concurrency: '{value}' is not a positive integer",
                "--rate" => TryRate(value, out var r) ? Set(() => o.Load = new OpenModel(r)) : $"--rate: '{value}' is not a rate like 500/s",
                "--ramp" => TryParseRamp(value, out var ramp) ? Set(() => o.Load = ramp) : $"--ramp: '{value}' is not A-B (users) or A-B/s (rate)",
                "--threshold" => Threshold.TryParse(value, out var t, out var thresholdError) ? Set(() => o.Thresholds.Add(t)) : thresholdError,
                "--out" => Set(() => o.OutputDirectory = value),
                "--gateway-grpc" => TryUrl(value, out var g) ? Set(() => o.GatewayGrpc = g) : $"{name}: '{value}' is not an http(s) URL",
                "--gateway-http" => TryUrl(value, out var h) ? Set(() => o.GatewayHttp = h) : $"{name}: '{value}' is not an http(s) URL",
                "--upstream" => TryUrl(value, out var u) ? Set(() => o.Upstream = u) : $"{name}: '{value}' is not an http(s) URL",
                "--bare-grpc" => TryUrl(value, out var b) ? Set(() => o.BareGrpc = b) : $"{name}: '{value}' is not an http(s) URL",
                "--bare-pid" => TryInt(value, 1, out var bp) ? Set(() => o.BarePid = bp) : $"{name}: '{value}' is not a pid",
                "--gateway-pid" => TryInt(value, 1, out var gp) ? Set(() => o.GatewayPid = gp) : $"{name}: '{value}' is not a pid",
                "--upstream-pid" => TryInt(value, 1, out var up) ? Set(() => o.UpstreamPid = up) : $"{name}: '{value}' is not a pid",
                "--upstream-latency-ms" => TryInt(value, 0, out var l) ? Set(() => o.UpstreamLatencyMs = l) : $"{name}: '{value}' is not a non-negative integer",
                "--chunks" => TryInt(value, 1, out var ch) ? Set(() => o.Chunks = ch) : $"{name}: '{value}' is not a positive integer",
                "--embedding-latency-ms" => TryInt(value, 0, out var el) ? Set(() => o.EmbeddingLatencyMs = el) : $"{name}: '{value}' is not a non-negative integer",
                _ => $"unknown option '{name}'",
            };
            if (error is not null)
            {
                return false;
            }
        }

        options = o;
        error = null;
        return true;

        static string? Set(Action apply)
        {
            apply();
            return null;
        }
    }

    /// <summary><c>10s</c>, <c>500ms</c>, <c>2m</c>, or a bare number of seconds.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        var (number, scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1d),
            _ when text.EndsWith('m') => (text[..^1], 60d),
            _ => (text, 1d),
        };
        var ok = double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0 && value * scale < 86_400;
        duration = ok ? TimeSpan.FromSeconds(value * scale) : TimeSpan.Zero;
        return ok;
    }

    /// <summary><c>1-64</c>: users join over the run; <c>10-500/s</c>: the arrival rate rises linearly.</summary>
    public static bool TryParseRamp(string text, [NotNullWhen(true)] out LoadSimulation? ramp)
    {
        ramp = null;
        var perSecond = text.EndsWith("/s", StringComparison.Ordinal);
        var parts = (perSecond ? text[..^2] : text).Split('-', 2);
        if (parts.Length != 2)
        {
            return false;
        }

        if (perSecond)
        {
            if (TryRate(parts[0], out var from) && TryRate(parts[1], out var to))
            {
                ramp = new OpenModel(from, to);
            }
        }
        else if (TryInt(parts[0], 1, out var from) && TryInt(parts[1], from, out var to))
        {
            ramp = new ConcurrencyRamp(from, to);
        }

        return ramp is not null;
    }

    private static bool TryRate(string text, out double rate)
    {
        var number = text.EndsWith("/s", StringComparison.Ordinal) ? text[..^2] : text;
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out rate) && rate > 0 && double.IsFinite(rate);
    }

    private static bool TryInt(string text, int min, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min;

    private static bool TryUrl(string text, [NotNullWhen(true)] out Uri? url) =>
        Uri.TryCreate(text, UriKind.Absolute, out url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps);
}
