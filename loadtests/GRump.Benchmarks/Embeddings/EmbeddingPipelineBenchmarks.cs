using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using GRump.Gateway;
using GRump.Gateway.Auth;
using GRump.Gateway.Caching;
using GRump.Gateway.Embeddings;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GRump.Benchmarks.Embeddings;

/// <summary>
/// Allocation (and time) per Embed call through the embeddings core as the doors call it (<see cref="EmbeddingPipeline"/>:
/// validate, resolve, rate limit, cache, budget, coalescer, provider over real HTTP, ledger): one text and 16 texts with
/// the cache off (every text goes upstream), one text embedded and stored in the cache, and one text answered from L1. The default model is NIM's nv-embed-v1,
/// and the fake upstream (its own process, so its allocations are not counted) answers with 4,096 floats per text, as
/// that model does. The doors' own translation (protobuf <c>RepeatedField</c>, /v1 JSON) is not in these numbers. Run:
/// <c>dotnet loadtests/GRump.Benchmarks/bin/Release/net10.0/GRump.Benchmarks.dll --filter '*EmbeddingPipeline*' --job short --inProcess</c>.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
#pragma warning disable CA1001 // BenchmarkDotNet owns the lifetime: [GlobalCleanup] disposes the host and the fake.
public class EmbeddingPipelineBenchmarks
#pragma warning restore CA1001
{
    private const int Dimensions = 4096;

    private static readonly string[] One = ["What is the capital of France?"];

    private static readonly string[] Sixteen = [.. Enumerable.Range(0, 16).Select(i => $"Passage {i}: the quick brown fox jumps over the lazy dog, then rests.")];

    private static readonly string[] Cached = ["A text the setup has embedded once, so L1 answers it."];

    private readonly string _data = Directory.CreateTempSubdirectory("grump-bench-").FullName;
    private Process? _fake;
    private IHost? _host;
    private EmbeddingPipeline _pipeline = null!;

    [GlobalSetup]
    public void Setup()
    {
        var fakeUrl = StartFake();
        // A web application because the providers' destinations are YARP clusters, loaded by MapReverseProxy.
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["NVIDIA_NIM_URL"] = fakeUrl,
            ["NVIDIA_NIM_API_KEY"] = "bench",
            ["Gateway:DataPath"] = _data,
        });
        builder.Services.AddGrumpGateway(builder.Configuration);
        var app = builder.Build();
        app.MapReverseProxy();
        app.Start();
        _host = app;
        _pipeline = _host.Services.GetRequiredService<EmbeddingPipeline>();
        // The coalescer, the provider's connection and the cache entry exist before the first measured call.
        var warm = EmbedOne().GetAwaiter().GetResult();
        if (warm.Vectors[0].Length != Dimensions)
        {
            throw new InvalidOperationException($"the fake answered {warm.Vectors[0].Length} floats, expected {Dimensions}");
        }
        _ = EmbedSixteen().GetAwaiter().GetResult();
        _ = _pipeline.EmbedAsync(Caller.DefaultTenant, string.Empty, Cached, null, CacheAccess.On, CancellationToken.None).GetAwaiter().GetResult();
        if (EmbedOneCached().GetAwaiter().GetResult().Cache != "L1")
        {
            throw new InvalidOperationException("the cached text was not answered from L1");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host?.StopAsync().GetAwaiter().GetResult();
        _host?.Dispose();
        if (_fake is { HasExited: false })
        {
            _fake.Kill();
        }
        _fake?.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public Task<EmbeddingPipelineResult> EmbedOne() =>
        _pipeline.EmbedAsync(Caller.DefaultTenant, string.Empty, One, null, CacheAccess.Off, CancellationToken.None);

    [Benchmark]
    public Task<EmbeddingPipelineResult> EmbedSixteen() =>
        _pipeline.EmbedAsync(Caller.DefaultTenant, string.Empty, Sixteen, null, CacheAccess.Off, CancellationToken.None);

    /// <summary>Embedded afresh and stored (<see cref="CacheAccess.WriteOnly"/>): what a miss with the cache on costs on top.</summary>
    [Benchmark]
    public Task<EmbeddingPipelineResult> EmbedOneStored() =>
        _pipeline.EmbedAsync(Caller.DefaultTenant, string.Empty, One, null, CacheAccess.WriteOnly, CancellationToken.None);

    [Benchmark]
    public Task<EmbeddingPipelineResult> EmbedOneCached() =>
        _pipeline.EmbedAsync(Caller.DefaultTenant, string.Empty, Cached, null, CacheAccess.On, CancellationToken.None);

    /// <summary>The fake upstream (copied next to the benchmarks by the project reference) as a child process.</summary>
    private string StartFake()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "GRump.FakeUpstream.dll");
        _fake = Process.Start(new ProcessStartInfo("dotnet", [dll, "--port", "0", "--embedding-dimensions", Dimensions.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("could not start the fake upstream");
        while (_fake.StandardOutput.ReadLine() is { } line)
        {
            if (line.StartsWith("Listening ", StringComparison.Ordinal))
            {
                return line["Listening ".Length..].Split(' ')[0];
            }
        }
        throw new InvalidOperationException("the fake upstream exited before listening");
    }
}
