using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using GRump.Fakes;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Caching;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.V1;
using Microsoft.Data.Sqlite;
using StackExchange.Redis;

namespace GRump.Gateway.Tests.Cost;

/// <summary>
/// The acceptance of the Redis outage: two gateway processes on one real redis-server (append-only file, synced on
/// every write, so a restart keeps what it acknowledged), chat load on both, Redis killed for more than 5 s; then a
/// replica killed with SIGKILL in the middle of its replay.
/// </summary>
public sealed class RedisOutageFleetTests
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task RedisKilledUnderLoad_NoRequestFails_AndAReplicaKilledMidReplay_LosesAndDuplicatesNothing()
    {
        // Arrange: one Redis, one upstream, two replicas (each its own data folder, so its own journal); a budget, so
        // admission runs (on Redis, then on the last known spend during the outage). Replica A replays 4 records per
        // batch, so its replay lasts long enough to be killed in the middle of it.
        var ct = TestContext.Current.CancellationToken;
        var clock = Stopwatch.StartNew();
        void Step(string what) => TestContext.Current.TestOutputHelper?.WriteLine($"{clock.Elapsed.TotalSeconds,6:0.00} s  {what}");
        await using var redis = await RedisServer.StartAsync(ct, persistent: true);
        await using var fake = await FakeUpstream.StartAsync(ct);
        var prefix = $"grump:test:{Guid.CreateVersion7():N}:";
        var dataA = Directory.CreateTempSubdirectory("grump-replica-a-").FullName;
        var dataB = Directory.CreateTempSubdirectory("grump-replica-b-").FullName;
        Dictionary<string, string> Settings(string data, int replayBatch, string replayPause = "00:00:00") => new()
        {
            ["NVIDIA_NIM_URL"] = fake.BaseUrl,
            ["NVIDIA_NIM_API_KEY"] = "outage-test",
            ["Redis:Configuration"] = redis.Configuration,
            ["Cost:RedisKeyPrefix"] = prefix,
            ["Cache:RedisKeyPrefix"] = prefix + "cache:",
            ["Gateway:DataPath"] = data,
            ["Cost:OutageRetryInterval"] = "00:00:00.200",
            ["Cost:ReplayBatchSize"] = replayBatch.ToString(CultureInfo.InvariantCulture),
            ["Cost:ReplayBatchPause"] = replayPause,
            ["Logging:LogLevel:GRump.Gateway.Cost.Ledger"] = "Debug",
        };
        var a = await GatewayProcess.StartAsync(Settings(dataA, 4), ct);
        try
        {
            await using var b = await GatewayProcess.StartAsync(Settings(dataB, 256), ct);
            using var channelA = GrpcChannel.ForAddress(a.GrpcUrl);
            using var channelB = GrpcChannel.ForAddress(b.GrpcUrl);
            await new CostService.CostServiceClient(channelA).SetBudgetAsync(
                new SetBudgetRequest { DailyLimitUsd = 1_000, MonthlyLimitUsd = 10_000 }, cancellationToken: ct).ResponseAsync.DefaultTimeout();

            // Act 1: load on both replicas; Redis killed for ≥ 5 s of it, then back.
            Step("replicas up; load on both");
            var load = new ChatLoad([channelA, channelB], workers: 8, ct);
            await load.WaitForCompletedAsync(100);
            await redis.KillAsync();
            Step("Redis killed");
            var outage = Stopwatch.StartNew();
            var atKill = load.Completed;
            while (outage.Elapsed < Outage)
            {
                // The outage lasts ≥ 5 s of real time; the test waits on the load's progress, not on a timer.
                await load.WaitForCompletedAsync(load.Completed + 20);
            }
            var servedInOutage = load.Completed - atKill;
            var outageActive = (await ScrapeAsync(a, "ledger_outage_active"), await ScrapeAsync(b, "ledger_outage_active"));
            Step($"Redis restarting after {outage.Elapsed.TotalSeconds:0.0} s, {servedInOutage} requests served meanwhile");
            var (markA, markB) = (a.LinesLogged, b.LinesLogged);
            await redis.StartAgainAsync(ct);
            outage.Stop();
            await a.WaitForOutputAsync(line => line.Contains("is back after", StringComparison.Ordinal), ct, after: markA);
            await b.WaitForOutputAsync(line => line.Contains("is back after", StringComparison.Ordinal), ct, after: markB);
            Step("both replicas back on Redis");
            await load.WaitForCompletedAsync(load.Completed + 100);
            await load.StopAsync();
            Step("load stopped");

            // Assert 1: not one request failed; the ledger is every completed response, once.
            Assert.True(load.Failures.IsEmpty, $"{load.Failures.Count} requests failed, e.g. {load.Failures.FirstOrDefault()}");
            Assert.Equal((1.0, 1.0), outageActive);
            foreach (var replica in new[] { a, b })
            {
                Assert.Equal(0, await ScrapeAsync(replica, "ledger_outage_active"));
                Assert.Equal(0, await ScrapeAsync(replica, "ledger_journal_depth"));
                Assert.True(await ScrapeAsync(replica, "ledger_journal_replayed_total") > 0, "a replica replayed nothing");
                Assert.True(await ScrapeAsync(replica, "ledger_outage_admissions_total", "result=\"admitted\"") > 0, "a replica admitted nothing locally");
            }
            await AssertLedgerAsync(channelB, redis, prefix, [load], ct);
            var appliedBefore = await WatermarkAsync(redis, prefix, ReadJournal(dataA).Id);

            // Act 2: A restarted with a pause after each replayed batch (~1,500 records in batches of 4, 50 ms apart: a
            // replay of ~19 s, so the kill below lands in it however fast this machine is; without the pause the whole
            // replay could end before the kill). Redis out again, load on A only (its journal fills), then A is killed
            // while it replays.
            await a.DisposeAsync();
            a = await GatewayProcess.StartAsync(Settings(dataA, 4, replayPause: "00:00:00.050"), ct);
            using var channelA2 = GrpcChannel.ForAddress(a.GrpcUrl);
            Step("checked; A restarted; Redis killed again, load on A");
            await redis.KillAsync();
            var second = new ChatLoad([channelA2], workers: 8, ct);
            await second.WaitForCompletedAsync(1_500);
            await second.StopAsync();
            Assert.True(second.Failures.IsEmpty, $"{second.Failures.Count} requests failed, e.g. {second.Failures.FirstOrDefault()}");
            Step($"{second.Completed} requests journaled on A; Redis restarting");
            var mark = a.LinesLogged;
            await redis.StartAgainAsync(ct);
            // Killed once its first batch is in.
            await a.WaitForOutputAsync(line => line.Contains("journaled records up to #", StringComparison.Ordinal), ct, after: mark);
            Step("A replaying: SIGKILL");
            await a.KillAsync();

            // The kill came mid-replay: Redis has some of A's journal and the journal still holds the rest.
            var (journalId, left) = ReadJournal(dataA);
            var applied = await WatermarkAsync(redis, prefix, journalId);
            Assert.True(left > 0 && applied > appliedBefore, $"not killed mid-replay: {left} records left in the journal, Redis applied up to #{applied} (#{appliedBefore} before)");

            // A restarts on its data folder and replays the rest.
            Step($"A killed with {left} records in its journal, Redis had up to #{applied} (#{appliedBefore} before this replay); restarting A");
            await a.DisposeAsync();
            a = await GatewayProcess.StartAsync(Settings(dataA, 4), ct);
            await a.WaitForOutputAsync(line => line.Contains("is back after", StringComparison.Ordinal), ct);

            Step("A replayed the rest");

            // Assert 2: the ledger is still exactly every completed response of both runs. Read through A, which has just
            // said it is back on Redis: B saw Redis go away a second time with no load of its own, and may still be
            // reconnecting (it answers UNAVAILABLE "retry later" until then, as it should).
            Assert.Equal(0, ReadJournal(dataA).Left);
            using var channelA3 = GrpcChannel.ForAddress(a.GrpcUrl);
            await AssertLedgerAsync(channelA3, redis, prefix, [load, second], ct);
        }
        finally
        {
            await a.DisposeAsync();
            foreach (var data in new[] { dataA, dataB })
            {
                try
                {
                    Directory.Delete(data, recursive: true);
                }
                catch (IOException)
                {
                    // Best effort.
                }
            }
        }
    }

    /// <summary>
    /// The fleet's ledger (read through a replica) equals the responses: request count, and cost to 1e-9. When the
    /// count differs, the message says whether Redis holds a record twice (its id twice in the raw records) or records
    /// of calls the load did not count.
    /// </summary>
    private static async Task AssertLedgerAsync(GrpcChannel channel, RedisServer redis, string prefix, ChatLoad[] loads, CancellationToken ct)
    {
        var summary = await new CostService.CostServiceClient(channel).GetSummaryAsync(new GetSummaryRequest(), cancellationToken: ct).ResponseAsync.DefaultTimeout();
        var expected = loads.Sum(l => l.Completed);
        if (summary.TotalRequests != expected)
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration).DefaultTimeout();
            var records = await connection.GetDatabase().StreamRangeAsync($"{prefix}{{default}}:records").DefaultTimeout();
            var twice = records.GroupBy(r => (string?)r["id"]).Where(g => g.Count() > 1)
                .Select(g => $"{g.Key} ({string.Join(", ", g.Select(r => r.Id.ToString()))})").ToList();
            Assert.Fail($"The ledger has {summary.TotalRequests} requests for {expected} responses; Redis holds {records.Length} raw records, "
                + $"{twice.Count} ids more than once: {string.Join("; ", twice.Take(10))}");
        }
        Assert.Equal(loads.Sum(l => l.CostUsd), summary.TotalCost, 1e-9);
    }

    private static async Task<double> ScrapeAsync(GatewayProcess gateway, string metric, string? labels = null)
    {
        using var http = new HttpClient { BaseAddress = gateway.HttpUrl, Timeout = TestTimeouts.Default };
        return await PrometheusScrape.SumAsync(http, metric, labels);
    }

    /// <summary>The journal's id and how many records it still holds (read from the file of a stopped gateway).</summary>
    private static (string Id, long Left) ReadJournal(string dataPath)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dataPath, "ledger-journal.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = 'journal_id'";
        var id = (string)command.ExecuteScalar()!;
        command.CommandText = "SELECT COUNT(*) FROM pending";
        return (id, (long)command.ExecuteScalar()!);
    }

    /// <summary>The highest record number of that journal Redis applied (0 = none).</summary>
    private static async Task<long> WatermarkAsync(RedisServer redis, string prefix, string journalId)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration).DefaultTimeout();
        var value = await connection.GetDatabase().StringGetAsync($"{prefix}{{default}}:journal:{journalId}").DefaultTimeout();
        return value.IsNull ? 0 : (long)value;
    }

    /// <summary>
    /// Closed-loop chat load: each worker calls again when its call returns, round-robin over the replicas, and records
    /// what every completed response billed. Stopping lets calls in flight finish (a cancelled call might be billed
    /// without its response being counted here).
    /// </summary>
    private sealed class ChatLoad
    {
        private readonly Lock _lock = new();
        private readonly List<(long Target, TaskCompletionSource Done)> _waiters = [];
        private readonly List<Task> _workers;
        private volatile bool _stopping;
        private long _completed;
        private double _costUsd;

        public ChatLoad(GrpcChannel[] channels, int workers, CancellationToken ct)
        {
            _workers = [.. Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
            {
                for (var i = 0; !_stopping; i++)
                {
                    var client = new ChatService.ChatServiceClient(channels[(worker + i) % channels.Length]);
                    var chat = new ChatRequest { Model = ModelRegistry.KimiK25, Messages = { new ChatMessage { Role = "user", Content = $"worker {worker} call {i}: {Guid.CreateVersion7()}" } } };
                    try
                    {
                        var response = await client.CompleteAsync(new CompleteRequest { Chat = chat }, cancellationToken: ct);
                        Count(response.Outcome.CostUsd);
                    }
                    catch (RpcException ex)
                    {
                        Failures.Enqueue($"{ex.StatusCode}: {ex.Status.Detail}");
                    }
                }
            }, ct))];
        }

        public System.Collections.Concurrent.ConcurrentQueue<string> Failures { get; } = new();

        public long Completed
        {
            get
            {
                lock (_lock)
                {
                    return _completed;
                }
            }
        }

        public double CostUsd
        {
            get
            {
                lock (_lock)
                {
                    return _costUsd;
                }
            }
        }

        /// <summary>Completes once <paramref name="target"/> responses completed (bounded).</summary>
        public Task WaitForCompletedAsync(long target)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock)
            {
                if (_completed >= target)
                {
                    return Task.CompletedTask;
                }
                _waiters.Add((target, done));
            }
            return done.Task.DefaultTimeout();
        }

        public async Task StopAsync()
        {
            _stopping = true;
            await Task.WhenAll(_workers).DefaultTimeout();
        }

        private void Count(double costUsd)
        {
            lock (_lock)
            {
                _completed++;
                _costUsd += costUsd;
                foreach (var (target, done) in _waiters)
                {
                    if (_completed >= target)
                    {
                        done.TrySetResult();
                    }
                }
                _waiters.RemoveAll(w => w.Done.Task.IsCompleted);
            }
        }
    }
}
