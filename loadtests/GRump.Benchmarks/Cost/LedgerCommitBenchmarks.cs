using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using GRump.Gateway.Caching;
using GRump.Gateway.Cost;
using GRump.Gateway.Cost.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GRump.Benchmarks.Cost;

/// <summary>
/// What the outage journal costs a healthy commit on the Redis ledger: the apply script alone (one Redis round trip —
/// what a commit cost before the journal) against a commit through the store (journal insert, apply, journal delete),
/// one at a time and 32 at once (concurrent commits share journal transactions and apply batches). Needs a Redis:
/// <c>GRUMP_BENCH_REDIS=127.0.0.1:6379 dotnet run -c Release --project loadtests/GRump.Benchmarks -- --filter '*LedgerCommit*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
#pragma warning disable CA1001 // BenchmarkDotNet owns the lifetime: [GlobalCleanup] disposes the stores.
public class LedgerCommitBenchmarks
#pragma warning restore CA1001
{
    private const int Concurrent = 32;

    private readonly string _folder = Directory.CreateTempSubdirectory("grump-bench-ledger-").FullName;
    private ServiceProvider _services = null!;
    private RedisConnection _redis = null!;
    private RedisLedger _ledger = null!;
    private RedisCostStore _store = null!;
    private string _journalId = string.Empty;
    private long _seq;

    [GlobalSetup]
    public void Setup()
    {
        var redis = Environment.GetEnvironmentVariable("GRUMP_BENCH_REDIS");
        if (string.IsNullOrEmpty(redis))
        {
            throw new InvalidOperationException("Set GRUMP_BENCH_REDIS=host:port (a throwaway Redis: the benchmark writes under grump:bench:).");
        }
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = new CostOptions { RedisKeyPrefix = $"grump:bench:{Guid.CreateVersion7():N}:" };
        // One connection for both, as in the gateway.
        _redis = new RedisConnection(redis);
        _ledger = new RedisLedger(_redis, options.RedisKeyPrefix, options.ReservationTtl, options.JournalRetention, options.RawRecordRetention, () => { });
        _journalId = Guid.CreateVersion7().ToString("N");
        _store = new RedisCostStore(_redis, Path.Combine(_folder, "ledger-journal.db"), options, TimeProvider.System,
            _services.GetRequiredService<IMeterFactory>(), NullLogger.Instance);
        // Connect both before measuring.
        ApplyDirect().GetAwaiter().GetResult();
        Commit().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _ledger.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _redis.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _services.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "apply script only (1 record)")]
    public Task ApplyDirect() => _ledger.ApplyAsync("bench", _journalId, [new JournalEntry(Interlocked.Increment(ref _seq), Record(), string.Empty)]);

    [Benchmark(Description = "commit through the journal (1 record)")]
    public Task Commit() => _store.CommitAsync(Record(), null, default).AsTask();

    [Benchmark(OperationsPerInvoke = Concurrent, Description = "apply script only, 32 concurrent")]
    public Task ApplyDirectConcurrent() => Task.WhenAll(Enumerable.Range(0, Concurrent).Select(_ => ApplyDirect()));

    [Benchmark(OperationsPerInvoke = Concurrent, Description = "commit through the journal, 32 concurrent")]
    public Task CommitConcurrent() => Task.WhenAll(Enumerable.Range(0, Concurrent).Select(_ => Commit()));

    private static CostRecord Record() => new()
    {
        Id = Guid.CreateVersion7(),
        Tenant = "bench",
        Model = "moonshotai/kimi-k2.5",
        Provider = "nim",
        Operation = CostOperations.Chat,
        InputTokens = 412,
        OutputTokens = 96,
        CostUsd = 0.000487,
        RoutingSavingsUsd = 0.0021,
        Timestamp = TimeProvider.System.GetUtcNow(),
    };
}
