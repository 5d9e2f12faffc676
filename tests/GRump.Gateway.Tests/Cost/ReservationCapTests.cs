using System.Diagnostics.Metrics;
using System.Text.Json;
using Grpc.Core;
using GRump.Fakes;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace GRump.Gateway.Tests.Cost;

/// <summary>
/// The reservation is the cap: the output limit a request is reserved for is the one every adapter sends upstream, so
/// a budget overshoots by at most one request's reservation — with and without max_tokens, streamed or not — and an
/// upstream that returns more anyway is billed in full and counted in budget_overrun_usd_total.
/// </summary>
public sealed class ReservationCapTests
{
    // Kimi K2.5 on NIM: $0.60 / $2.50 per million tokens; Claude Sonnet 4.5: $3 / $15, at most 64,000 output tokens.
    private const double KimiOutput = 2.50e-6;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(ModelRegistry.KimiK25, 0, 1024)]
    [InlineData(ModelRegistry.KimiK25, 300, 300)]
    [InlineData(ModelRegistry.ClaudeSonnet, 0, 1024)]
    [InlineData(ModelRegistry.ClaudeSonnet, 100_000, 64_000)]
    public async Task EveryAdapter_SendsTheReservedOutputLimit_StreamedOrNot(string model, int maxTokens, int expected)
    {
        await using var h = await UpstreamHarness.StartAsync();
        var request = UpstreamHarness.Ask("Explain budgets", model);
        request.MaxTokens = maxTokens;

        await h.Chat.CompleteAsync(new CompleteRequest { Chat = request }, cancellationToken: Ct);
        using (var stream = h.Chat.StreamComplete(new StreamCompleteRequest { Chat = request }, cancellationToken: Ct))
        {
            await foreach (var item in stream.ResponseStream.ReadAllAsync(Ct))
            {
                _ = item;
            }
        }

        Assert.Equal(2, h.Fake.Requests.Count);
        Assert.All(h.Fake.Requests, sent =>
        {
            using var body = JsonDocument.Parse(sent.Body);
            Assert.Equal(expected, body.RootElement.GetProperty("max_tokens").GetInt32());
        });
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 0)]
    [InlineData(false, 4000)]
    [InlineData(true, 4000)]
    public async Task UpstreamThatFillsItsLimit_SpendEndsWithinBudgetPlusOneReservation(bool stream, int maxTokens)
    {
        // Arrange: $0.05 a day; the upstream answers as many tokens as it is allowed (10,000 when nothing caps it).
        const double budget = 0.05;
        await using var h = await UpstreamHarness.StartAsync();
        h.Fake.Default = new FakeBehavior { CompletionTokensUpToLimit = 10_000 };
        var cost = new CostService.CostServiceClient(h.App.Channel);
        await cost.SetBudgetAsync(new SetBudgetRequest { DailyLimitUsd = budget }, cancellationToken: Ct);

        // Act: sampled (uncached) requests until the budget refuses one.
        var admitted = 0;
        for (var i = 0; i < 100; i++)
        {
            var request = UpstreamHarness.Ask($"Tell me something new, number {i}", ModelRegistry.KimiK25);
            request.MaxTokens = maxTokens;
            try
            {
                await CallAsync(h, request, stream);
                admitted++;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
            {
                break;
            }
        }

        var spent = (await cost.GetSummaryAsync(new GetSummaryRequest(), cancellationToken: Ct)).TotalCost;

        // Assert: each call produced its whole limit, and the day ends within budget + one reservation.
        var limit = maxTokens > 0 ? maxTokens : 1024;
        var oneReservation = (limit * KimiOutput) + (100 * 0.60e-6);
        Assert.True(admitted > 0 && admitted < 100, $"admitted {admitted}");
        Assert.All(h.Fake.Requests, r => Assert.Equal(limit, r.ReportedCompletionTokens));
        Assert.InRange(spent, admitted * limit * KimiOutput, budget + oneReservation);
    }

    [Fact]
    public async Task UpstreamThatIgnoresTheCap_IsBilledInFull_AndTheOverrunIsCounted()
    {
        // Arrange: the upstream returns 10,000 tokens whatever max_tokens says.
        await using var h = await UpstreamHarness.StartAsync();
        h.Fake.Default = new FakeBehavior { CompletionTokens = 10_000, PromptTokens = 10 };
        using var overrun = new MetricCollector<double>(h.App.Services.GetRequiredService<IMeterFactory>(), GatewayTelemetry.Name, GatewayTelemetry.Metrics.BudgetOverrun);
        var cost = new CostService.CostServiceClient(h.App.Channel);
        await cost.SetBudgetAsync(new SetBudgetRequest { DailyLimitUsd = 1 }, cancellationToken: Ct);

        // Act
        var response = await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("Go on and on", ModelRegistry.KimiK25) }, cancellationToken: Ct);

        // Assert: the bill is what the upstream produced; the excess over the reservation is in the metric and the log.
        var billed = ((10 * 0.60) + (10_000 * 2.50)) / 1e6;
        Assert.Equal(billed, response.Outcome.CostUsd, 12);
        var excess = Assert.Single(overrun.GetMeasurementSnapshot());
        Assert.InRange(excess.Value, billed - (1024 * KimiOutput) - 1e-4, billed - (1024 * KimiOutput));
        Assert.Contains(h.App.Logs.Entries, e => e.Message.Contains("budget_overrun_usd_total", StringComparison.Ordinal));
    }

    private static async Task CallAsync(UpstreamHarness h, ChatRequest request, bool stream)
    {
        if (!stream)
        {
            await h.Chat.CompleteAsync(new CompleteRequest { Chat = request }, cancellationToken: Ct);
            return;
        }

        using var call = h.Chat.StreamComplete(new StreamCompleteRequest { Chat = request }, cancellationToken: Ct);
        await foreach (var item in call.ResponseStream.ReadAllAsync(Ct))
        {
            _ = item;
        }
    }
}
