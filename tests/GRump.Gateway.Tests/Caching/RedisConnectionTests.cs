using GRump.Gateway.Caching;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;
using StackExchange.Redis;

namespace GRump.Gateway.Tests.Caching;

/// <summary>
/// One gateway, one Redis connection: the L2 cache (and its invalidation channel), the ledger and the rate limiter
/// share one multiplexer, seen from the Redis server's side (<c>CLIENT LIST</c>).
/// </summary>
public sealed class RedisConnectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Gateway_WithRedis_OpensOneConnectionForCacheLedgerAndRateLimiter()
    {
        // Arrange: a Redis of this test's own (no other gateway's clients on it); rate limits on, so all three users run.
        await using var server = await RedisServer.StartAsync(Ct);
        await using var harness = await UpstreamHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Redis:Configuration"] = server.Configuration,
            ["Auth:RequestsPerMinute"] = "100",
        });
        await using var probe = await ConnectionMultiplexer.ConnectAsync(server.Configuration + ",name=test-probe,allowAdmin=true").DefaultTimeout();

        // Act: a budget (written by the ledger), then a chat call (rate-limit window, L2 lookup on the miss, ledger
        // reserve and record) and its repeat.
        await new CostService.CostServiceClient(harness.App.Channel).SetBudgetAsync(
            new SetBudgetRequest { DailyLimitUsd = 100, MonthlyLimitUsd = 1_000 }, cancellationToken: Ct).ResponseAsync.DefaultTimeout();
        var ask = UpstreamHarness.Ask("one connection", ModelRegistry.KimiK25);
        ask.Temperature = 0;
        await harness.Chat.CompleteAsync(new CompleteRequest { Chat = ask }, cancellationToken: Ct).ResponseAsync.DefaultTimeout();
        await harness.Chat.CompleteAsync(new CompleteRequest { Chat = ask }, cancellationToken: Ct).ResponseAsync.DefaultTimeout();
        var clients = await probe.GetServers()[0].ClientListAsync().DefaultTimeout();

        // Assert: the ledger and the rate limiter wrote to this Redis (the cache read it on the miss) ...
        var keys = new List<string>();
        await foreach (var key in probe.GetServers()[0].KeysAsync(pattern: "*").WithCancellation(Ct))
        {
            keys.Add(key.ToString());
        }

        Assert.Contains(keys, k => k.EndsWith(":budget", StringComparison.Ordinal));
        Assert.Contains(keys, k => k.EndsWith(":req", StringComparison.Ordinal));

        // ... over one multiplexer: one interactive socket (plus at most its pub/sub socket), named as the gateway.
        var gateway = clients.Where(c => c.Name != "test-probe").ToList();
        var described = string.Join("; ", gateway.Select(c => $"{c.Name} {c.ClientType} flags={c.FlagsRaw} cmd={c.LastCommand}"));
        Assert.True(gateway.Count(c => c.ClientType == ClientType.Normal) == 1, $"gateway connections: {described}");
        Assert.True(gateway.Count(c => c.ClientType == ClientType.PubSub) <= 1, $"gateway connections: {described}");
        Assert.All(gateway, c => Assert.Equal(RedisConnection.DefaultClientName, c.Name));
    }
}
