using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using GRump.Gateway.Tests.Infrastructure;

namespace GRump.Gateway.Tests.Caching;

/// <summary>
/// A throwaway redis-server on a free loopback port, stopped by its own PID: without persistence, or with an
/// append-only file synced on every write (a kill loses nothing it acknowledged, like a production Redis with
/// <c>appendfsync always</c>). Tests that need to kill and restart Redis start their own; the others share
/// <see cref="RedisFixture"/>.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    public const string Binary = "/usr/bin/redis-server";

    private readonly string _dir = Directory.CreateTempSubdirectory("grump-redis-").FullName;
    private Process? _process;

    private readonly bool _persistent;

    private RedisServer(int port, bool persistent)
    {
        Port = port;
        _persistent = persistent;
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync(CancellationToken cancellationToken, bool persistent = false)
    {
        ExternalTool.Require(Binary, "apt-get install redis-server");
        var server = new RedisServer(FreePort(), persistent);
        await server.StartAgainAsync(cancellationToken);
        return server;
    }

    /// <summary>Starts the server (again) on the same port and waits until it accepts connections.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string[] persistence = _persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
        foreach (var argument in (string[])["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", .. persistence, "--dir", _dir])
        {
            start.ArgumentList.Add(argument);
        }

        // redis-server logs "Ready to accept connections" once it listens: wait for that line, not a poll.
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException($"redis-server exited before it was ready (exit code {(process.HasExited ? process.ExitCode : -1)})."));
            }
            else if (e.Data.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await ready.Task.WaitAsync(TestTimeouts.Default, cancellationToken);
    }

    /// <summary>Kills the server process (a crash, not a shutdown).</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One Redis for a test class: <c>GRUMP_TEST_REDIS</c> when set (CI starts it), else a server of our own.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private RedisServer? _server;

    public string Configuration { get; private set; } = string.Empty;

    public async ValueTask InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable("GRUMP_TEST_REDIS");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            Configuration = configured;
            return;
        }

        if (!File.Exists(RedisServer.Binary))
        {
            // Tests skip (or fail in CI) through ExternalTool.Require when they ask for Redis.
            return;
        }

        _server = await RedisServer.StartAsync(TestContext.Current.CancellationToken);
        Configuration = _server.Configuration;
    }

    /// <summary>The connection string; skips the test locally (fails it in CI) when there is no Redis.</summary>
    public string Require()
    {
        if (Configuration.Length == 0)
        {
            ExternalTool.Require(RedisServer.Binary, "apt-get install redis-server, or set GRUMP_TEST_REDIS");
        }

        return Configuration;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
