using System.Globalization;
using GRump.LoadTests.Hosting;

namespace GRump.LoadTests.Fleet;

/// <summary>One gateway replica on fixed ports (a restart comes back where the balancer expects it).</summary>
internal sealed class FleetReplica(string name, int grpcPort, int httpPort, string dataPath, string gatewayDll, IReadOnlyDictionary<string, string> environment)
    : IAsyncDisposable
{
    private ManagedProcess? _process;

    public string Name { get; } = name;

    public int GrpcPort { get; } = grpcPort;

    public int HttpPort { get; } = httpPort;

    public string DataPath { get; } = dataPath;

    public Uri GrpcUrl { get; } = new($"http://127.0.0.1:{grpcPort}");

    public Uri HttpUrl { get; } = new($"http://127.0.0.1:{httpPort}");

    public int Pid => _process?.Pid ?? 0;

    public ManagedProcess Process => _process ?? throw new InvalidOperationException($"{Name} is not running.");

    public async Task StartAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var env = new Dictionary<string, string>(environment)
        {
            ["Gateway__GrpcPort"] = GrpcPort.ToString(CultureInfo.InvariantCulture),
            ["Gateway__HttpPort"] = HttpPort.ToString(CultureInfo.InvariantCulture),
        };
        (_process, _) = await ManagedProcess.StartAsync($"gateway {Name}", gatewayDll, [], env,
            static l => l.Contains("Listening grpc=", StringComparison.Ordinal), timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>SIGKILL: no shutdown code runs, in-flight calls are cut.</summary>
    public async Task KillAsync(CancellationToken cancellationToken)
    {
        await Process.SignalAsync("KILL", cancellationToken).ConfigureAwait(false);
        await Process.WaitForExitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        _process!.Dispose();
        _process = null;
    }

    /// <summary>SIGTERM (what Kubernetes sends); the caller waits for the exit with <see cref="WaitForExitAsync"/>.</summary>
    public Task TerminateAsync(CancellationToken cancellationToken) => Process.SignalAsync("TERM", cancellationToken);

    /// <summary>Null when still running after <paramref name="timeout"/>, else the exit code; the process is released.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!await Process.WaitForExitAsync(timeout, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var code = _process!.ExitCode;
        _process.Dispose();
        _process = null;
        return code;
    }

    /// <summary>Resident set size now and its peak (VmRSS, VmHWM from /proc), in MiB; null when unreadable.</summary>
    public (double Rss, double Peak)? Memory()
    {
        try
        {
            double rss = 0, peak = 0;
            foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kib(line) / 1024;
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    peak = Kib(line) / 1024;
                }
            }

            return (rss, peak);
        }
        catch (IOException)
        {
            return null;
        }

        static double Kib(string line) => double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    public ValueTask DisposeAsync()
    {
        _process?.Dispose();
        _process = null;
        return ValueTask.CompletedTask;
    }
}
