using System.Diagnostics;
using GRump.Gateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GRump.Benchmarks.Infrastructure;

/// <summary>
/// The gateway's core (<c>AddGrumpGateway</c> with the shipped defaults) in this process, NIM pointed at the fake
/// upstream running as its own process (so its allocations are not counted), data in a temporary folder. The pipeline
/// benchmarks take their pipeline from <see cref="Services"/>.
/// </summary>
internal sealed class InProcessGateway : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("grump-bench-").FullName;
    private readonly Process _fake;
    private readonly WebApplication _app;

    /// <param name="fakeArguments">Options of the fake upstream besides its port (e.g. <c>--chunks 8</c>).</param>
    public InProcessGateway(params string[] fakeArguments)
    {
        _fake = Process.Start(new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "GRump.FakeUpstream.dll"), "--port", "0", .. fakeArguments]) { RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("could not start the fake upstream");
        var fakeUrl = ReadListeningUrl(_fake);
        // A web application because the providers' destinations are YARP clusters, loaded by MapReverseProxy.
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["NVIDIA_NIM_URL"] = fakeUrl,
            ["NVIDIA_NIM_API_KEY"] = "bench",
            ["Gateway:DataPath"] = _data,
            // A cache-hit benchmark's entry must outlive the run (the default 5 minutes may not).
            ["Cache:L1Ttl"] = "01:00:00",
        });
        builder.Services.AddGrumpGateway(builder.Configuration);
        _app = builder.Build();
        _app.MapReverseProxy();
        _app.Start();
    }

    public IServiceProvider Services => _app.Services;

    public void Dispose()
    {
        _app.StopAsync().GetAwaiter().GetResult();
        ((IDisposable)_app).Dispose();
        if (!_fake.HasExited)
        {
            _fake.Kill();
        }
        _fake.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    /// <summary>The fake prints <c>Listening http://127.0.0.1:PORT</c> once it is ready.</summary>
    private static string ReadListeningUrl(Process fake)
    {
        while (fake.StandardOutput.ReadLine() is { } line)
        {
            if (line.StartsWith("Listening ", StringComparison.Ordinal))
            {
                return line["Listening ".Length..].Split(' ')[0];
            }
        }
        throw new InvalidOperationException("the fake upstream exited before listening");
    }
}
