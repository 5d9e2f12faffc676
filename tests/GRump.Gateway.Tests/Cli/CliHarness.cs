using System.Diagnostics;
using GRump.Cli;
using GRump.Fakes;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;

namespace GRump.Gateway.Tests.Cli;

/// <summary>What one <c>grump</c> run printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
}

/// <summary>
/// A real gateway (Kestrel on port 0) whose providers point at the fake upstream, and the <c>grump</c> CLI aimed at it
/// through its environment (<c>GRUMP_URL</c>, <c>GRUMP_API_KEY</c>, a private <c>GRUMP_CACHE_DIR</c>). The CLI runs either
/// in-process (<c>RunAsync</c>: the same entry point, with an injectable clock) or as its own process
/// (<c>RunProcessAsync</c>: <c>dotnet grump.dll</c>, exit code and streams as a shell sees them).
/// </summary>
internal sealed class CliHarness : IAsyncDisposable
{
    private readonly string _cacheDir = Directory.CreateTempSubdirectory("grump-cli-").FullName;

    private CliHarness(UpstreamHarness upstream) => Upstream = upstream;

    public UpstreamHarness Upstream { get; }

    public FakeUpstream Fake => Upstream.Fake;

    public GatewayApp App => Upstream.App;

    public string CacheDir => _cacheDir;

    /// <summary>The key sent as <c>GRUMP_API_KEY</c>; null = none.</summary>
    public string? ApiKey { get; set; }

    public static async Task<CliHarness> StartAsync(IDictionary<string, string?>? settings = null) =>
        new(await UpstreamHarness.StartAsync(settings));

    public Dictionary<string, string?> Environment(string? url = null) => new()
    {
        [CliContext.UrlVariable] = url ?? App.GrpcUrl.ToString(),
        [CliContext.ApiKeyVariable] = ApiKey,
        [CliContext.CacheDirVariable] = _cacheDir,
    };

    /// <summary>The CLI in this process.</summary>
    public Task<CliResult> RunAsync(params string[] args) => RunAsync(args, time: null, error: null, url: null);

    /// <summary>The CLI in this process; <paramref name="time"/> replaces the clock (retry delays), <paramref name="error"/> the stderr writer.</summary>
    public async Task<CliResult> RunAsync(string[] args, TimeProvider? time, TextWriter? error, string? url)
    {
        var env = Environment(url);
        var output = new StringWriter();
        var errors = error ?? new StringWriter();
        var context = new CliContext
        {
            Out = TextWriter.Synchronized(output),
            Error = TextWriter.Synchronized(errors),
            Environment = name => env.GetValueOrDefault(name),
            Time = time ?? TimeProvider.System,
        };
        var exit = await GrumpCli.RunAsync(args, context, TestContext.Current.CancellationToken).DefaultTimeout();
        return new CliResult(exit, output.ToString(), errors.ToString() ?? "");
    }

    /// <summary><c>dotnet grump.dll args</c> with only the harness's GRUMP_* variables set.</summary>
    public Task<CliResult> RunProcessAsync(params string[] args) => RunProcessAsync(Environment(), args);

    public static async Task<CliResult> RunProcessAsync(IDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "grump.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var name in new[] { CliContext.UrlVariable, CliContext.ApiKeyVariable, CliContext.CacheDirVariable })
        {
            start.Environment.Remove(name);
        }
        foreach (var (name, value) in environment)
        {
            if (value is not null)
            {
                start.Environment[name] = value;
            }
        }
        using var process = Process.Start(start)!;
        var ct = TestContext.Current.CancellationToken;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct).DefaultTimeout();
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    public async ValueTask DisposeAsync()
    {
        await Upstream.DisposeAsync();
        try
        {
            Directory.Delete(_cacheDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }
}
