using System.Text.RegularExpressions;

namespace GRump.LoadTests.Hosting;

/// <summary>
/// The processes the runner starts when no URLs are given: the fake upstream (Release build of
/// tests/GRump.FakeUpstream) and the gateway (Release build of src/GRump.Gateway) with NVIDIA NIM pointed at the fake,
/// its data in a temp folder, ports 0 (read back from their "Listening" lines).
/// </summary>
internal sealed partial class LocalStack : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly List<ManagedProcess> _processes = [];
    private readonly List<string> _dataPaths = [];

    private LocalStack(string root, string configuration)
    {
        GatewayDll = Path.Combine(root, "src", "GRump.Gateway", "bin", configuration, "net10.0", "GRump.Gateway.dll");
        UpstreamDll = Path.Combine(root, "tests", "GRump.FakeUpstream", "bin", configuration, "net10.0", "GRump.FakeUpstream.dll");
        BenchDll = Path.Combine(root, "loadtests", "GRump.Benchmarks", "bin", configuration, "net10.0", "GRump.Benchmarks.dll");
    }

    public string BenchDll { get; }

    public string GatewayDll { get; }

    public string UpstreamDll { get; }

    public Uri? Upstream { get; private set; }

    public int? UpstreamPid { get; private set; }

    public static LocalStack ForRepository(string configuration) => new(FindRepositoryRoot(), configuration);

    /// <summary>Starts the fake upstream: <paramref name="chunks"/> SSE chunks, <paramref name="embeddingLatencyMs"/> per embeddings call.</summary>
    public async Task StartUpstreamAsync(int latencyMs, int chunks, int embeddingLatencyMs, CancellationToken cancellationToken)
    {
        var (process, line) = await ManagedProcess.StartAsync("fake upstream", UpstreamDll,
            ["--port", "0", "--latency-ms", Invariant(latencyMs), "--chunks", Invariant(chunks), "--embedding-latency-ms", Invariant(embeddingLatencyMs)],
            new Dictionary<string, string>(), static l => l.StartsWith("Listening http", StringComparison.Ordinal), StartTimeout, cancellationToken).ConfigureAwait(false);
        _processes.Add(process);
        Upstream = new Uri(line["Listening ".Length..].Trim());
        UpstreamPid = process.Pid;
    }

    /// <summary>Starts GRump.Benchmarks' bench server (<c>serve 0</c>): a bare Kestrel gRPC server with BenchService.Noop.</summary>
    public async Task<(Uri Grpc, int Pid)> StartBareServerAsync(CancellationToken cancellationToken)
    {
        var (process, line) = await ManagedProcess.StartAsync("bench server", BenchDll, ["serve", "0"], new Dictionary<string, string>(),
            static l => l.StartsWith("Serving http", StringComparison.Ordinal), StartTimeout, cancellationToken).ConfigureAwait(false);
        _processes.Add(process);
        return (new Uri(line.Split(' ')[1]), process.Pid);
    }

    /// <summary>Starts a gateway whose NIM provider is the fake upstream; returns its gRPC and HTTP URLs and pid.</summary>
    public async Task<(Uri Grpc, Uri Http, int Pid)> StartGatewayAsync(IReadOnlyDictionary<string, string> extraEnvironment, CancellationToken cancellationToken)
    {
        var data = Path.Combine(Path.GetTempPath(), "grump-load-" + Guid.CreateVersion7().ToString("N"));
        Directory.CreateDirectory(data);
        _dataPaths.Add(data);
        var environment = new Dictionary<string, string>
        {
            ["Gateway__GrpcPort"] = "0",
            ["Gateway__HttpPort"] = "0",
            ["Gateway__DataPath"] = data,
            ["NVIDIA_NIM_URL"] = Upstream?.ToString().TrimEnd('/') ?? throw new InvalidOperationException("Start the upstream first."),
            ["NVIDIA_NIM_API_KEY"] = "load-test",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_NOLOGO"] = "1",
        };
        foreach (var (key, value) in extraEnvironment)
        {
            environment[key] = value;
        }

        var (process, line) = await ManagedProcess.StartAsync("gateway", GatewayDll, [], environment,
            static l => l.Contains("Listening grpc=", StringComparison.Ordinal), StartTimeout, cancellationToken).ConfigureAwait(false);
        _processes.Add(process);
        var match = ListeningLine().Match(line);
        if (!match.Success)
        {
            throw new InvalidOperationException($"Unexpected gateway line: {line}");
        }

        var http = new Uri(match.Groups["http"].Value);
        await WaitUntilHealthyAsync(http, cancellationToken).ConfigureAwait(false);
        return (new Uri(match.Groups["grpc"].Value), http, process.Pid);
    }

    /// <summary>
    /// Waits until /readyz says Healthy, not Degraded: the learned router trains in the background for a few seconds
    /// after the gateway listens, and a measurement must not share the cores with that training.
    /// </summary>
    private static async Task WaitUntilHealthyAsync(Uri http, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = http, Timeout = TimeSpan.FromSeconds(5) };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(StartTimeout);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        do
        {
            using var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative), deadline.Token).ConfigureAwait(false);
            if (string.Equals(await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false), "Healthy", StringComparison.Ordinal))
            {
                return;
            }
        }
        while (await poll.WaitForNextTickAsync(deadline.Token).ConfigureAwait(false));
    }

    public void Dispose()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            process.Dispose();
        }

        foreach (var data in _dataPaths)
        {
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
                // A file still held by an exiting process: a temp folder, left for the OS.
            }
        }
    }

    /// <summary>The folder holding GRump.Gateway.sln, searched upward from the current directory and from this assembly.</summary>
    public static string FindRepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "GRump.Gateway.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException("GRump.Gateway.sln not found above the current directory: run from the repository, or pass --gateway-grpc/--gateway-http/--upstream.");
    }

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Listening grpc=(?<grpc>\S+) http=(?<http>\S+)")]
    private static partial Regex ListeningLine();
}
