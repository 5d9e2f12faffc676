using System.Collections.Concurrent;
using System.Diagnostics;

namespace GRump.LoadTests.Fuzz;

/// <summary>Where and how hard to fuzz.</summary>
internal sealed record FuzzOptions(Uri GrpcUrl, Uri HttpUrl)
{
    public int Seed { get; init; } = 1;

    public int Calls { get; init; } = 1000;

    public int Concurrency { get; init; } = 8;

    /// <summary>A user's key and an admin's key of the target (null: the target runs without keys).</summary>
    public string? UserKey { get; init; }

    public string? AdminKey { get; init; }

    /// <summary>Send bodies and messages over the size limits now and then (4–8 MiB each).</summary>
    public bool Oversize { get; init; } = true;

    /// <summary>Bound on one call; a call not answered within it is a failure.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// Runs the fuzz suite against a running gateway: <see cref="FuzzOptions.Calls"/> seeded calls (call i is generated from
/// seed and i alone, so any failure reproduces without the others), gRPC and HTTP about half each, with no key, a
/// wrong key, a user's and an admin's key. Rules: every call is answered; gRPC never UNKNOWN, and INTERNAL only for a
/// request whose frames break the protocol or do not deserialize; HTTP never 5xx other than 501 and 503; the gateway
/// is healthy afterwards. (No Error in the gateway's log is checked by the caller, who owns the log.)
/// </summary>
internal static class FuzzRunner
{
    private const int GrpcUnknown = 2;
    private const int GrpcInternal = 13;

    public static async Task<FuzzReport> RunAsync(FuzzOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var client = new FuzzClient(options.GrpcUrl, options.HttpUrl, options.CallTimeout);
        var report = new FuzzReport(options.Seed, options.Calls);
        var started = Stopwatch.GetTimestamp();
        var next = -1;
        var workers = Enumerable.Range(0, Math.Max(1, options.Concurrency)).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < options.Calls)
            {
                await CallAsync(client, options, i, report, cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken));
        await Task.WhenAll(workers).ConfigureAwait(false);
        report.Elapsed = Stopwatch.GetElapsedTime(started);

        report.HealthzStatus = await client.GetAsync("/healthz", cancellationToken).ConfigureAwait(false);
        report.ReadyzStatus = await client.GetAsync("/readyz", cancellationToken).ConfigureAwait(false);
        (report.HealthGrpcStatus, report.HealthServing) = await client.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
        return report;
    }

    /// <summary>Call <paramref name="index"/> of a run: a <see cref="GrpcCase"/> or an <see cref="HttpCase"/>, and the key it is sent with.</summary>
    public static (GrpcCase? Grpc, HttpCase? Http, string? Key) Generate(FuzzOptions options, int index)
    {
        ArgumentNullException.ThrowIfNull(options);
        var random = new Random(unchecked((options.Seed * 1_000_003) ^ index));
        var key = Key(random, options);
        return random.Next(100) < 55
            ? (ProtoFuzzer.Next(random, FuzzSurface.Grpc, options.Oversize), null, key)
            : (null, JsonFuzzer.Next(random, FuzzSurface.Http, options.Oversize), key);
    }

    /// <summary>One line naming a call, for failures and replays.</summary>
    public static string Describe(int index, GrpcCase? grpc, HttpCase? http, string? key, FuzzOptions options) => grpc is not null
        ? $"call {index}: gRPC {grpc.Target.Path} {grpc.Kind} ({grpc.Body.Length} bytes, {(grpc.Valid ? "valid" : "invalid")}, key {KeyName(key, options)})"
        : $"call {index}: HTTP {http!.Method} {Shorten(http.Path)} {http.Kind} ({http.Body?.Length ?? 0} bytes, {http.ContentType ?? "no content type"}, key {KeyName(key, options)})";

    private static async Task CallAsync(FuzzClient client, FuzzOptions options, int index, FuzzReport report, CancellationToken cancellationToken)
    {
        var (grpc, http, key) = Generate(options, index);
        var where = Describe(index, grpc, http, key, options);
        var door = grpc is not null ? "grpc" : "http";
        var kind = grpc?.Kind ?? http!.Kind;
        try
        {
            var answer = grpc is not null
                ? await client.SendAsync(grpc, key, cancellationToken).ConfigureAwait(false)
                : await client.SendAsync(http!, key, cancellationToken).ConfigureAwait(false);
            report.Count(door, kind, answer.HungUp ? "stream-open" : Answer(answer, grpc is not null));
            if (Judge(grpc, answer) is { } broken)
            {
                report.Fail($"{where}: {broken}");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            report.Count(door, kind, "no-answer");
            report.Fail($"{where}: no answer ({ex.GetType().Name}: {ex.Message})");
        }
    }

    /// <summary>The answer as counted: a gRPC status name (or the HTTP status of a call that got none), an HTTP status.</summary>
    public static string Answer(FuzzAnswer answer, bool grpc)
    {
        var http = answer.HttpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return !grpc ? http : answer.GrpcStatus is { } status ? StatusName(status) : "http-" + http;
    }

    /// <summary>Which rule an answer breaks, or null.</summary>
    public static string? Judge(GrpcCase? grpc, FuzzAnswer answer)
    {
        if (answer.HungUp)
        {
            return null;
        }
        if (grpc is null)
        {
            return answer.HttpStatus >= 500 && answer.HttpStatus is not (501 or 503) ? $"HTTP {answer.HttpStatus}" : null;
        }
        return answer.GrpcStatus switch
        {
            null => $"no grpc-status (HTTP {answer.HttpStatus})",
            GrpcUnknown => $"UNKNOWN \"{answer.GrpcMessage}\"",
            GrpcInternal when grpc.Valid => $"INTERNAL for a well-formed request \"{answer.GrpcMessage}\"",
            _ => null,
        };
    }

    /// <summary>No key, a wrong key, the user's, the admin's (when the target has keys).</summary>
    private static string? Key(Random random, FuzzOptions options) => random.Next(100) switch
    {
        < 20 => null,
        < 30 => "not-a-key-" + random.Next(1000),
        < 85 when options.UserKey is not null => options.UserKey,
        _ when options.AdminKey is not null => options.AdminKey,
        _ => null,
    };

    private static string KeyName(string? key, FuzzOptions options) =>
        key is null ? "none" : key == options.UserKey ? "user" : key == options.AdminKey ? "admin" : "wrong";

    private static string Shorten(string path) => path.Length <= 80 ? path : path[..80] + "…";

    private static readonly string[] StatusNames =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ];

    private static string StatusName(int status) => status >= 0 && status < StatusNames.Length ? StatusNames[status] : $"status-{status}";
}

/// <summary>What a fuzz run did: calls by door, case and answer; failures (each names its call, so it reproduces with the seed); health afterwards.</summary>
internal sealed class FuzzReport(int seed, int calls)
{
    private readonly ConcurrentDictionary<(string Door, string Kind, string Answer), int> _counts = new();
    private readonly ConcurrentQueue<string> _failures = new();

    public int Seed { get; } = seed;

    public int Calls { get; } = calls;

    public TimeSpan Elapsed { get; set; }

    public int HealthzStatus { get; set; }

    public int ReadyzStatus { get; set; }

    public int? HealthGrpcStatus { get; set; }

    public int HealthServing { get; set; }

    public IReadOnlyCollection<string> Failures => _failures;

    public IReadOnlyDictionary<(string Door, string Kind, string Answer), int> Counts => _counts;

    /// <summary>True when no call broke a rule and the gateway is healthy afterwards.</summary>
    public bool Passed => _failures.IsEmpty && Healthy;

    public bool Healthy => HealthzStatus == 200 && ReadyzStatus == 200 && HealthGrpcStatus == 0 && HealthServing == 1;

    internal void Count(string door, string kind, string answer) => _counts.AddOrUpdate((door, kind, answer), 1, static (_, n) => n + 1);

    internal void Fail(string failure) => _failures.Enqueue(failure);

    public int Total(string door) => _counts.Where(c => c.Key.Door == door).Sum(c => c.Value);

    /// <summary>A Markdown summary: totals, answers per door, failures (at most 50).</summary>
    public string ToMarkdown()
    {
        var text = new System.Text.StringBuilder();
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"# Fuzz run: seed {Seed}, {Calls} calls in {Elapsed.TotalSeconds:0.0} s ({Calls / Math.Max(0.001, Elapsed.TotalSeconds):0} calls/s)");
        text.AppendLine();
        text.AppendLine(inv, $"Result: **{(Passed ? "passed" : "FAILED")}** — {_failures.Count} rule violations; after the run /healthz {HealthzStatus}, /readyz {ReadyzStatus}, grpc.health {(HealthServing == 1 ? "SERVING" : $"status {HealthGrpcStatus}, serving {HealthServing}")}.");
        foreach (var door in new[] { "grpc", "http" })
        {
            text.AppendLine();
            text.AppendLine(inv, $"## {(door == "grpc" ? "gRPC" : "HTTP (REST, /v1, other paths)")}: {Total(door)} calls");
            text.AppendLine();
            text.AppendLine("| answer | calls |");
            text.AppendLine("|---|---:|");
            foreach (var answer in _counts.Where(c => c.Key.Door == door).GroupBy(c => c.Key.Answer).OrderByDescending(g => g.Sum(c => c.Value)))
            {
                text.AppendLine(inv, $"| {answer.Key} | {answer.Sum(c => c.Value)} |");
            }
            text.AppendLine();
            text.AppendLine("| case | calls |");
            text.AppendLine("|---|---:|");
            foreach (var kind in _counts.Where(c => c.Key.Door == door).GroupBy(c => c.Key.Kind).OrderByDescending(g => g.Sum(c => c.Value)))
            {
                text.AppendLine(inv, $"| {kind.Key} | {kind.Sum(c => c.Value)} |");
            }
        }
        if (!_failures.IsEmpty)
        {
            text.AppendLine();
            text.AppendLine("## Failures");
            text.AppendLine();
            foreach (var failure in _failures.Take(50))
            {
                text.AppendLine("- " + failure);
            }
        }
        return text.ToString();
    }
}
