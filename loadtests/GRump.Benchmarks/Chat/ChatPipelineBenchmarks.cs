using BenchmarkDotNet.Attributes;
using GRump.Benchmarks.Infrastructure;
using GRump.Gateway.Auth;
using GRump.Gateway.Caching;
using GRump.Gateway.Chat;
using Microsoft.Extensions.DependencyInjection;

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

    private InProcessGateway? _gateway;
    private ChatPipeline _pipeline = null!;

    [GlobalSetup]
    public void Setup()
    {
        _gateway = new InProcessGateway("--chunks", "8");
        _pipeline = _gateway.Services.GetRequiredService<ChatPipeline>();
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
    public void Cleanup() => _gateway?.Dispose();

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
}
