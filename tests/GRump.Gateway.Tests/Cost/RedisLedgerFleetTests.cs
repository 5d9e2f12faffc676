using Grpc.Core;
using GRump.Fakes;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Caching;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Cost;

/// <summary>Two gateway replicas on one real Redis: a budget holds for the fleet, not per replica.</summary>
public sealed class RedisLedgerFleetTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    // Kimi K2.5: $0.60 / M input, $2.50 / M output. 4,000 output tokens → every request reserves $0.01 + its input.
    private const int MaxTokens = 4000;
    private const double OutputPrice = 2.50e-6;
    private const double InputPrice = 0.60e-6;

    [Fact]
    public async Task Chat_1000ConcurrentOverTwoReplicas_BudgetHoldsForTheFleet()
    {
        // Arrange: one fake upstream that bills (almost) the whole reservation: 1 input token, 4,000 output tokens.
        var ct = TestContext.Current.CancellationToken;
        var prefix = $"grump:test:{Guid.CreateVersion7():N}:";
        await using var fake = await FakeUpstream.StartAsync(ct);
        fake.Default = new FakeBehavior { PromptTokens = 1, CompletionTokens = MaxTokens };
        var settings = new Dictionary<string, string?>
        {
            ["NVIDIA_NIM_URL"] = fake.BaseUrl,
            ["NVIDIA_NIM_API_KEY"] = UpstreamHarness.NimKey,
            ["Providers:Nim:RetryDelay"] = "00:00:00.001",
            ["Redis:Configuration"] = redis.Require(),
            ["Cost:RedisKeyPrefix"] = prefix,
            ["Cache:RedisKeyPrefix"] = prefix + "cache:",
        };
        await using var first = new GatewayApp(settings).Start();
        await using var second = new GatewayApp(settings).Start();
        ChatService.ChatServiceClient[] replicas = [new(first.Channel), new(second.Channel)];
        await new CostService.CostServiceClient(first.Channel).SetBudgetAsync(
            new SetBudgetRequest { DailyLimitUsd = 1.00, AlertThresholdPercent = 80 }, cancellationToken: ct).ResponseAsync.DefaultTimeout();

        // The other replica sees the budget (and its channel is warm, so neither replica starts ahead).
        var seen = await new CostService.CostServiceClient(second.Channel).GetBudgetAsync(new GetBudgetRequest(), cancellationToken: ct).ResponseAsync.DefaultTimeout();
        Assert.Equal(1.00, seen.Budget.DailyLimitUsd);

        // Act: 1,000 distinct (uncached) requests at once, alternating replicas.
        var calls = Enumerable.Range(0, 1000).Select(i => CallAsync(replicas[i % 2], i, ct)).ToList();
        var outcomes = await Task.WhenAll(calls).DefaultTimeout();

        // Assert: at most budget / reservation admitted (a reservation is ≥ $0.01), the rest refused before any upstream call.
        var admitted = outcomes.Where(o => o.Status == StatusCode.OK).ToList();
        TestContext.Current.TestOutputHelper?.WriteLine($"admitted {admitted.Count} of {outcomes.Length} " +
            $"(replica 1: {outcomes.Where((o, i) => i % 2 == 0 && o.Status == StatusCode.OK).Count()}, replica 2: {outcomes.Where((o, i) => i % 2 == 1 && o.Status == StatusCode.OK).Count()})");
        Assert.All(outcomes, o => Assert.Contains(o.Status, new[] { StatusCode.OK, StatusCode.ResourceExhausted }));
        Assert.InRange(admitted.Count, 1, 100);
        Assert.Equal(admitted.Count, fake.RequestCount);
        Assert.Contains(outcomes.Where((_, i) => i % 2 == 0), o => o.Status == StatusCode.ResourceExhausted);
        Assert.Contains(outcomes.Where((_, i) => i % 2 == 1), o => o.Status == StatusCode.ResourceExhausted);

        // Both replicas report the one ledger: what the responses billed, within $1.00 + one reservation.
        var billed = admitted.Sum(o => o.CostUsd);
        var perRequest = InputPrice + (MaxTokens * OutputPrice);
        Assert.Equal(admitted.Count * perRequest, billed, 1e-9);
        foreach (var app in new[] { first, second })
        {
            var summary = await new CostService.CostServiceClient(app.Channel).GetSummaryAsync(new GetSummaryRequest(), cancellationToken: ct).ResponseAsync.DefaultTimeout();
            Assert.Equal(billed, summary.TotalCost, 1e-9);
            Assert.Equal(admitted.Count, summary.TotalRequests);
            Assert.InRange(summary.TotalCost, 0, 1.00 + perRequest);
        }
    }

    private static async Task<(StatusCode Status, double CostUsd)> CallAsync(ChatService.ChatServiceClient client, int i, CancellationToken ct)
    {
        var request = UpstreamHarness.Ask($"Question number {i}: what is a budget?", ModelRegistry.KimiK25);
        request.MaxTokens = MaxTokens;
        try
        {
            var response = await client.CompleteAsync(new CompleteRequest { Chat = request }, cancellationToken: ct);
            return (StatusCode.OK, response.Outcome.CostUsd);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
        {
            Assert.Contains("daily budget of $1", ex.Status.Detail, StringComparison.Ordinal);
            return (StatusCode.ResourceExhausted, 0);
        }
    }
}
