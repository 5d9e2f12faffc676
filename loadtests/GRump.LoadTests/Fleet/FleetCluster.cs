using System.Globalization;
using System.Net;
using System.Net.Sockets;
using GRump.LoadTests.Hosting;

namespace GRump.LoadTests.Fleet;

/// <summary>
/// A local fleet: the fake upstream, one <c>redis-server</c>, N gateway replicas (Release builds) on fixed loopback
/// ports, and HAProxy in front — h2c to the replicas' gRPC ports, HTTP/1.1 to their HTTP ports, both health-checked
/// on <c>/readyz</c>. Every process is stopped on dispose; every wait is bounded.
/// </summary>
internal sealed class FleetCluster : IAsyncDisposable
{
    public const string GrpcBackend = "grpc_replicas";
    public const string HttpBackend = "http_replicas";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly FleetSettings _settings;
    private readonly string _root = Directory.CreateTempSubdirectory("grump-fleet-").FullName;
    private readonly List<ManagedProcess> _support = [];
    private readonly Lock _events = new();
    private readonly List<(string Backend, string Server, bool Up, long Timestamp)> _transitions = [];
    private ManagedProcess? _redis;
    private ManagedProcess? _haproxy;

    private FleetCluster(FleetSettings settings) => _settings = settings;

    public IReadOnlyList<FleetReplica> Replicas { get; private set; } = [];

    public int RedisPort { get; private set; }

    public Uri GrpcUrl { get; private set; } = null!;

    public Uri HttpUrl { get; private set; } = null!;

    public Uri StatsUrl { get; private set; } = null!;

    public static async Task<FleetCluster> StartAsync(FleetSettings settings, TextWriter log, CancellationToken cancellationToken)
    {
        var cluster = new FleetCluster(settings);
        try
        {
            await cluster.StartAllAsync(log, cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartAllAsync(TextWriter log, CancellationToken cancellationToken)
    {
        var paths = LocalStack.ForRepository(_settings.Configuration);
        var (upstream, line) = await ManagedProcess.StartAsync("fake upstream", paths.UpstreamDll,
            ["--port", "0", "--latency-ms", Invariant(_settings.UpstreamLatencyMs), "--chunks", Invariant(_settings.Chunks), "--chunk-delay-ms", Invariant(_settings.ChunkDelayMs)],
            new Dictionary<string, string>(), static l => l.StartsWith("Listening http", StringComparison.Ordinal), StartTimeout, cancellationToken).ConfigureAwait(false);
        _support.Add(upstream);
        var upstreamUrl = line["Listening ".Length..].Trim().TrimEnd('/');

        RedisPort = FreePort();
        await StartRedisAsync(cancellationToken).ConfigureAwait(false);

        var replicas = new List<FleetReplica>();
        for (var i = 1; i <= _settings.Replicas; i++)
        {
            var data = Path.Combine(_root, $"g{i}");
            Directory.CreateDirectory(data);
            replicas.Add(new FleetReplica($"g{i}", FreePort(), FreePort(), data, paths.GatewayDll, ReplicaEnvironment(upstreamUrl, data)));
        }

        Replicas = replicas;
        await Task.WhenAll(replicas.Select(r => r.StartAsync(StartTimeout, cancellationToken))).ConfigureAwait(false);
        await log.WriteLineAsync($"fleet: upstream {upstreamUrl}, redis 127.0.0.1:{RedisPort}, replicas " +
            string.Join(", ", replicas.Select(r => $"{r.Name} grpc :{r.GrpcPort} http :{r.HttpPort} pid {r.Pid}"))).ConfigureAwait(false);
        await StartHaProxyAsync(cancellationToken).ConfigureAwait(false);
        await log.WriteLineAsync($"fleet: haproxy grpc {GrpcUrl} http {HttpUrl} stats {StatsUrl}").ConfigureAwait(false);
        foreach (var replica in replicas)
        {
            await WaitUntilAsync(replica.Name, up: true, since: 0, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        }
    }

    private Dictionary<string, string> ReplicaEnvironment(string upstreamUrl, string data)
    {
        var environment = new Dictionary<string, string>
        {
            ["Gateway__DataPath"] = data,
            ["Gateway__DrainDelay"] = _settings.DrainDelay.ToString("c", CultureInfo.InvariantCulture),
            ["Gateway__ShutdownTimeout"] = "00:00:20",
            ["Redis__Configuration"] = $"127.0.0.1:{RedisPort}",
            ["NVIDIA_NIM_URL"] = upstreamUrl,
            ["NVIDIA_NIM_API_KEY"] = "fleet",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_gcServer"] = "0",
            ["Auth__RequestsPerMinute"] = Invariant(_settings.RequestsPerMinute),
            // The harness polls readiness itself and the monitor's samples are not needed: less CPU on 2 cores.
            ["Diagnostics__Monitor__Interval"] = "00:00:30",
        };
        var i = 0;
        foreach (var (key, tenant, role) in FleetKeys.All)
        {
            environment[$"Auth__Keys__{i}__Key"] = key;
            environment[$"Auth__Keys__{i}__Tenant"] = tenant;
            environment[$"Auth__Keys__{i}__Role"] = role;
            i++;
        }

        return environment;
    }

    public async Task StartRedisAsync(CancellationToken cancellationToken)
    {
        var dir = Path.Combine(_root, "redis");
        Directory.CreateDirectory(dir);
        // Append-only file as a deployment would keep it: a restart keeps the ledger and budgets.
        (_redis, _) = await ManagedProcess.StartProgramAsync("redis-server", "redis-server",
            ["--port", Invariant(RedisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--dir", dir],
            dir, new Dictionary<string, string>(), static l => l.Contains("Ready to accept connections", StringComparison.Ordinal), StartTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>SIGTERM to redis-server (it writes its append-only file and exits); true when it exited in time.</summary>
    public async Task<bool> StopRedisAsync(CancellationToken cancellationToken)
    {
        var redis = _redis ?? throw new InvalidOperationException("Redis is not running.");
        await redis.SignalAsync("TERM", cancellationToken).ConfigureAwait(false);
        var exited = await redis.WaitForExitAsync(TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
        redis.Dispose();
        _redis = null;
        return exited;
    }

    private async Task StartHaProxyAsync(CancellationToken cancellationToken)
    {
        int grpc = FreePort(), http = FreePort(), stats = FreePort();
        GrpcUrl = new Uri($"http://127.0.0.1:{grpc}");
        HttpUrl = new Uri($"http://127.0.0.1:{http}");
        StatsUrl = new Uri($"http://127.0.0.1:{stats}/stats;csv");
        var config = Path.Combine(_root, "haproxy.cfg");
        await File.WriteAllTextAsync(config, HaProxyConfig.Render(grpc, http, stats, Replicas, _settings.CheckInterval), cancellationToken).ConfigureAwait(false);
        // -W: master-worker (it prints "Loading success."); -db: foreground. Server transitions go to stderr.
        (_haproxy, _) = await ManagedProcess.StartProgramAsync("haproxy", "haproxy", ["-W", "-db", "-f", config], _root, new Dictionary<string, string>(),
            static l => l.Contains("Loading success", StringComparison.Ordinal), StartTimeout, cancellationToken).ConfigureAwait(false);
        _haproxy.LineReceived += OnHaProxyLine;
    }

    private void OnHaProxyLine(string line)
    {
        // e.g. "[WARNING]  (77) : Server grpc_replicas/g2 is DOWN, reason: ..." / "... is UP, reason: ..."
        var at = line.IndexOf("Server ", StringComparison.Ordinal);
        if (at < 0)
        {
            return;
        }

        var rest = line[(at + "Server ".Length)..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        if (slash < 0 || space < slash)
        {
            return;
        }

        var up = rest.Contains(" is UP", StringComparison.Ordinal);
        if (!up && !rest.Contains(" is DOWN", StringComparison.Ordinal))
        {
            return;
        }

        lock (_events)
        {
            _transitions.Add((rest[..slash], rest[(slash + 1)..space], up, TimeProvider.System.GetTimestamp()));
        }
    }

    /// <summary>
    /// Waits until HAProxy reports <paramref name="server"/> UP (or DOWN) in both backends after
    /// <paramref name="since"/> (a timestamp; 0 = ever), reading its state from the stats page; returns when that
    /// happened (the transition's log line, else now).
    /// </summary>
    public async Task<long> WaitUntilAsync(string server, bool up, long since, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = TimeProvider.System.GetTimestamp() + (long)(timeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (true)
        {
            var csv = await http.GetStringAsync(StatsUrl, cancellationToken).ConfigureAwait(false);
            var states = HaProxyConfig.ServerStates(csv);
            var want = up ? "UP" : "DOWN";
            var g = states.GetValueOrDefault((GrpcBackend, server), "?");
            var h = states.GetValueOrDefault((HttpBackend, server), "?");
            if (g.StartsWith(want, StringComparison.Ordinal) && h.StartsWith(want, StringComparison.Ordinal))
            {
                lock (_events)
                {
                    var seen = _transitions.Where(t => t.Server == server && t.Up == up && t.Timestamp >= since).Select(t => t.Timestamp).DefaultIfEmpty(0).Max();
                    return seen > 0 ? seen : TimeProvider.System.GetTimestamp();
                }
            }

            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"HAProxy did not report {server} {want} within {timeout.TotalSeconds:0} s (grpc {g}, http {h}).");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Free loopback ports for processes that must come back on the same port after a restart.</summary>
    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        var port = ((IPEndPoint)socket.LocalEndpoint).Port;
        socket.Stop();
        return port;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        _haproxy?.Dispose();
        foreach (var replica in Replicas)
        {
            await replica.DisposeAsync().ConfigureAwait(false);
        }

        _redis?.Dispose();
        foreach (var process in _support)
        {
            process.Dispose();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by an exiting process: a temp folder, left for the OS.
        }
    }
}

/// <summary>How the fleet is built and loaded.</summary>
internal sealed record FleetSettings(string Configuration, int Replicas, int RequestsPerMinute, TimeSpan DrainDelay, TimeSpan CheckInterval,
    int UpstreamLatencyMs, int Chunks, int ChunkDelayMs);

/// <summary>The fleet's API keys: (key, tenant, role).</summary>
internal static class FleetKeys
{
    public const string Admin = "fleet-admin-key-0001";
    public const string Traffic = "fleet-traffic-key";
    public const string Budget = "fleet-budget-key";
    public const string Limited = "fleet-limited-key";
    public const string Ledger = "fleet-ledger-key";
    public const string Cache = "fleet-cache-key-0001";

    public static readonly (string Key, string Tenant, string Role)[] All =
    [
        (Admin, "ops", "admin"),
        (Traffic, "traffic", "user"),
        (Budget, "budgeted", "user"),
        (Limited, "limited", "user"),
        (Ledger, "ledger", "user"),
        (Cache, "cached", "user"),
    ];
}
