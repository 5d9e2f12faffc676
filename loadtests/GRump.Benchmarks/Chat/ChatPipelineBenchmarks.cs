using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using GRump.Gateway;
using GRump.Gateway.Auth;
using GRump.Gateway.Caching;
using GRump.Gateway.Chat;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GRump.Benchmarks.Chat;

/// <summary>
/// Allocation (and time) per chat call through the chat core as the doors call it (<see cref="ChatPipeline"/>: plan,
/// route, budget, invoke over real HTTP, meter, ledger), with the model named and routed, unary and streamed. The fake
/// upstream runs as its own process so its allocations are not counted; the gateway's core is built by
/// <c>AddGrumpGateway</c> with the shipped defaults (the routing strategy included). The doors' own translation
/// (gRPC, /v1) is not in these numbers: the load runner's "gateway alloc B/call" column has it. <see cref="CompleteL1Hit"/>
/// is the same named request with temperature 0 and the cache on, answered from L1 after the setup's first call (key,
/// lookup, replay, the hit's ledger row). Run:
/// <c>dotnet loadtests/GRump.Benchmarks/bin/Release/net10.0/GRump.Benchmarks.dll --filter '*ChatPipeline*' --job short --inProcess</c>
/// (the default toolchain rebuilds the project per benchmark and times out on a busy machine).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
#pragma warning disable CA1001 // BenchmarkDotNet owns the lifetime: [GlobalCleanup] disposes the host and the fake.
public class ChatPipelineBenchmarks
#pragma warning restore CA1001
{
    private const string Prompt = "What is the capital of France? Answer in one word.";

    private static readonly ChatRequest Named = new()
    {
        Model = "moonshotai/kimi-k2.5",
        Messages = [ChatMessage.FromText(ChatRole.User, Prompt)],
        Cache = ChatCacheMode.Off,
    };

    private static readonly ChatRequest Routed = Named with { Model = string.Empty };

    private static readonly ChatRequest Cached = Named with { Temperature = 0f, Cache = ChatCacheMode.On };

    private readonly string _data = Directory.CreateTempSubdirectory("grump-bench-").FullName;
    private Process? _fake;
    private IHost? _host;
    private ChatPipeline _pipeline = null!;

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
            // The L1-hit benchmark's entry must outlive the run (the default 5 minutes may not).
            ["Cache:L1Ttl"] = "01:00:00",
        });
        builder.Services.AddGrumpGateway(builder.Configuration);
        var app = builder.Build();
        app.MapReverseProxy();
        app.Start();
        _host = app;
        _pipeline = _host.Services.GetRequiredService<ChatPipeline>();
        // The routers and the provider's connection are warm before the first measured call.
        _ = CompleteNamed().GetAwaiter().GetResult();
        _ = CompleteRouted().GetAwaiter().GetResult();
        // Stores the answer: every measured CompleteL1Hit is an L1 hit.
        _ = CompleteL1Hit().GetAwaiter().GetResult();
        if (CompleteL1Hit().GetAwaiter().GetResult().Outcome.Cache != CacheLayer.L1)
        {
            throw new InvalidOperationException("the cached request was not answered from L1");
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
    public Task<ChatResult> CompleteNamed() => _pipeline.CompleteAsync(Named, Caller.Anonymous, CancellationToken.None);

    [Benchmark]
    public Task<ChatResult> CompleteRouted() => _pipeline.CompleteAsync(Routed, Caller.Anonymous, CancellationToken.None);

    [Benchmark]
    public Task<ChatResult> CompleteL1Hit() => _pipeline.CompleteAsync(Cached, Caller.Anonymous, CancellationToken.None);

    [Benchmark]
    public async Task<int> StreamNamed()
    {
        var events = 0;
        await foreach (var _ in _pipeline.StreamAsync(Named, Caller.Anonymous, CancellationToken.None).ConfigureAwait(false))
        {
            events++;
        }
        return events;
    }

    [Benchmark]
    public async Task<int> StreamRouted()
    {
        var events = 0;
        await foreach (var _ in _pipeline.StreamAsync(Routed, Caller.Anonymous, CancellationToken.None).ConfigureAwait(false))
        {
            events++;
        }
        return events;
    }

    /// <summary>The fake upstream (copied next to the benchmarks by the project reference) as a child process.</summary>
    private string StartFake()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "GRump.FakeUpstream.dll");
        _fake = Process.Start(new ProcessStartInfo("dotnet", [dll, "--port", "0", "--chunks", "8"]) { RedirectStandardOutput = true })
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
