using System.Diagnostics;
using System.Text.RegularExpressions;

namespace GRump.Gateway.Tests.Infrastructure;

/// <summary>The real gateway as a separate process (for signals, crashes and restarts), ports read from its log line.</summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Done)> _waiters = [];
    private bool _disposed;

    private GatewayProcess(Process process, Uri grpc, Uri http)
    {
        _process = process;
        GrpcUrl = grpc;
        HttpUrl = http;
    }

    public Uri GrpcUrl { get; }

    public Uri HttpUrl { get; }

    public int Id => _process.Id;

    public static string GatewayDll => Path.Combine(AppContext.BaseDirectory, "GRump.Gateway.dll");

    /// <summary>Starts <c>dotnet GRump.Gateway.dll</c> on free ports with <paramref name="settings"/> as environment variables.</summary>
    public static async Task<GatewayProcess> StartAsync(IDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory.CreateTempSubdirectory("grump-proc-").FullName,
        };
        start.ArgumentList.Add(GatewayDll);
        start.Environment["Gateway__GrpcPort"] = "0";
        start.Environment["Gateway__HttpPort"] = "0";
        // As GatewayApp: the learned router's training at start is not what these tests are about.
        start.Environment["Routing__Strategy"] = "heuristic";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        var process = Process.Start(start)!;
        var before = new List<string>();
        try
        {
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(cancellationToken).AsTask().DefaultTimeout()
                    ?? throw new InvalidOperationException("The gateway exited before listening: " + await process.StandardError.ReadToEndAsync(cancellationToken));
                before.Add(line);
                var match = ListeningLine().Match(line);
                if (match.Success)
                {
                    // Keep draining output so the process never blocks on a full pipe; stdout lines can be waited for.
                    var gateway = new GatewayProcess(process, new Uri(match.Groups["grpc"].Value), new Uri(match.Groups["http"].Value));
                    gateway._output.AddRange(before);
                    _ = gateway.ReadOutputAsync();
                    _ = process.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                    return gateway;
                }
            }
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>How many lines of standard output were logged so far: a mark for <see cref="WaitForOutputAsync"/>.</summary>
    public int LinesLogged
    {
        get
        {
            lock (_output)
            {
                return _output.Count;
            }
        }
    }

    /// <summary>
    /// The first line of standard output (the console log: one line per message) that matches, among the lines logged
    /// after the first <paramref name="after"/> (a <see cref="LinesLogged"/> mark; 0 = all), before or after the call; bounded.
    /// </summary>
    public Task<string> WaitForOutputAsync(Func<string, bool> match, CancellationToken cancellationToken, int after = 0)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            if (_output.Skip(after).FirstOrDefault(match) is { } logged)
            {
                done.TrySetResult(logged);
            }
            else
            {
                _waiters.Add((match, done));
            }
        }
        return done.Task.WaitAsync(TestTimeouts.Default, cancellationToken);
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().DefaultTimeout();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (!_process.HasExited)
        {
            await KillAsync();
        }
        _process.Dispose();
    }

    private async Task ReadOutputAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync(CancellationToken.None) is { } line)
        {
            lock (_output)
            {
                _output.Add(line);
                foreach (var (match, done) in _waiters)
                {
                    if (!done.Task.IsCompleted && match(line))
                    {
                        done.TrySetResult(line);
                    }
                }
            }
        }
        lock (_output)
        {
            foreach (var (_, done) in _waiters)
            {
                done.TrySetException(new InvalidOperationException("The gateway exited before logging the line waited for."));
            }
        }
    }

    [GeneratedRegex(@"Listening grpc=(?<grpc>http://\S+) http=(?<http>http://\S+)")]
    private static partial Regex ListeningLine();
}
