using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using GRump.Gateway.Caching;
using GRump.Gateway.Caching.Internal;

namespace GRump.Benchmarks.Caching;

/// <summary>
/// L3 (one SQLite database, <see cref="DiskTier"/>) on the path of an embeddings miss at one connection: the lookup that
/// misses, the write of the new vector as one transaction of its own, and as the cache now writes: queued, several per
/// transaction. 16,384 bytes is a 4,096-dimension vector (nv-embed), 1,536 bytes a 384-dimension one (the local model). Run:
/// <c>dotnet run -c Release -- --filter '*DiskTier*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
#pragma warning disable CA1001 // BenchmarkDotNet owns the lifetime: [GlobalCleanup] disposes the tier.
public class DiskTierBenchmarks
#pragma warning restore CA1001
{
    private readonly byte[] _keyBytes = new byte[CacheKey.Size];
    private string _root = string.Empty;
    private DiskTier _tier = null!;
    private CacheEntry _entry = null!;
    private long _next;

    [Params(1_536, 16_384)]
    public int ValueBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _root = Directory.CreateTempSubdirectory("grump-bench-l3-").FullName;
        _tier = new DiskTier(_root, 1024L * 1024 * 1024);
        var value = new byte[ValueBytes];
        Random.Shared.NextBytes(value);
        _entry = new CacheEntry(value, TimeProvider.System.GetUtcNow(), 0.0001);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tier.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Benchmark(Description = "L3 miss (Get of a key never written)")]
    public bool Miss() => _tier.Get(CacheNamespace.Embeddings, NextKey()) is null;

    /// <summary>What every miss did before writes went behind: one transaction per entry.</summary>
    [Benchmark(Description = "L3 write (one entry, one transaction)")]
    public void Write()
    {
        _tier.Queue(CacheNamespace.Embeddings, NextKey(), _entry, TimeProvider.System.GetUtcNow().AddHours(1));
        _tier.Flush();
    }

    /// <summary>What the cache does since writes go behind: the misses of a few milliseconds share one transaction.</summary>
    [Benchmark(Description = "L3 write behind (Queue ×16, then one commit), per entry", OperationsPerInvoke = 16)]
    public void WriteBehind16()
    {
        var expires = TimeProvider.System.GetUtcNow().AddHours(1);
        for (var i = 0; i < 16; i++)
        {
            _tier.Queue(CacheNamespace.Embeddings, NextKey(), _entry, expires);
        }

        _tier.Flush();
    }

    /// <summary>A new key per call, spread over the key space like hashes are.</summary>
    private CacheKey NextKey()
    {
        var n = ++_next;
        BinaryPrimitives.WriteUInt64LittleEndian(_keyBytes, (ulong)n * 0x9E3779B97F4A7C15UL);
        BinaryPrimitives.WriteInt64LittleEndian(_keyBytes.AsSpan(8), n);
        return new CacheKey(_keyBytes);
    }
}
