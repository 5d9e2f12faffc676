using System.Diagnostics;
using System.Text.RegularExpressions;

namespace GRump.Gateway.Tests.Infrastructure;

/// <summary>The real gateway as a separate process (for signals, crashes and restarts), ports read from its log line.</summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;

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
        try
        {
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(cancellationToken).AsTask().DefaultTimeout()
                    ?? throw new InvalidOperationException("The gateway exited before listening: " + await process.StandardError.ReadToEndAsync(cancellationToken));
                var match = ListeningLine().Match(line);
                if (match.Success)
                {
                    // Keep draining output so the process never blocks on a full pipe.
                    _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                    _ = process.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                    return new GatewayProcess(process, new Uri(match.Groups["grpc"].Value), new Uri(match.Groups["http"].Value));
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

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().DefaultTimeout();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"Listening grpc=(?<grpc>http://\S+) http=(?<http>http://\S+)")]
    private static partial Regex ListeningLine();
}
