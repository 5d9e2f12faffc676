using System.Globalization;
using BenchmarkDotNet.Attributes;
using GRump.Benchmarks.Infrastructure;
using GRump.Gateway.Auth;
using GRump.Gateway.Caching;
using GRump.Gateway.Embeddings;
using Microsoft.Extensions.DependencyInjection;

namespace GRump.Benchmarks.Embeddings;

/// <summary>
/// Allocation (and time) per Embed call through the embeddings core as the doors call it (<see cref="EmbeddingPipeline"/>:
/// validate, resolve, rate limit, cache, budget, coalescer, provider over real HTTP, ledger): one text and 16 texts with
/// the cache off (every text goes upstream), one text embedded and stored in the cache, and one text answered from L1.
/// The default model is NIM's nv-embed-v1, and the fake upstream (its own process, so its allocations are not counted)
/// answers with 4,096 floats per text, as that model does. The doors' own translation (protobuf <c>RepeatedField</c>, /v1 JSON) is not in these numbers. Run:
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

    private InProcessGateway? _gateway;
    private EmbeddingPipeline _pipeline = null!;

    [GlobalSetup]
    public void Setup()
    {
        _gateway = new InProcessGateway("--embedding-dimensions", Dimensions.ToString(CultureInfo.InvariantCulture));
        _pipeline = _gateway.Services.GetRequiredService<EmbeddingPipeline>();
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
    public void Cleanup() => _gateway?.Dispose();

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
}
