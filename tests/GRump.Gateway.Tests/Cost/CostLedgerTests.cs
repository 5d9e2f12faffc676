using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using GRump.Fakes;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Cost;

/// <summary>Budgets, the ledger and the CostService through the real gateway (SQLite ledger) and a fake upstream.</summary>
[Collection(MetricValueTests.Name)]
public sealed class CostLedgerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CostService.CostServiceClient Cost(UpstreamHarness h) => new(h.App.Channel);

    private static ChatRequest Kimi(string text, int maxTokens = 0)
    {
        var request = UpstreamHarness.Ask(text, ModelRegistry.KimiK25);
        request.MaxTokens = maxTokens;
        return request;
    }

    [Fact]
    public async Task SeedBudgetShapes_PostThenGet_OverRest()
    {
        await using var h = await UpstreamHarness.StartAsync();

        using var post = await h.App.Http.PostAsync("/api/cost/budget", new StringContent(
            """{"userId":"default","dailyLimitUsd":10.0,"monthlyLimitUsd":200.0,"alertThresholdPercent":80}""", Encoding.UTF8, "application/json"), Ct);
        var budget = (await h.App.Http.GetFromJsonAsync<JsonElement>("/api/cost/budget?userId=default", Ct)).GetProperty("budget");

        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal(10.0, budget.GetProperty("dailyLimitUsd").GetDouble());
        Assert.Equal(200.0, budget.GetProperty("monthlyLimitUsd").GetDouble());
        Assert.Equal(80, budget.GetProperty("alertThresholdPercent").GetDouble());
    }

    [Fact]
    public async Task OverBudget_IsResourceExhausted_BeforeAnyUpstreamCall_WithLimitAndPeriod()
    {
        await using var h = await UpstreamHarness.StartAsync();
        await Cost(h).SetBudgetAsync(new SetBudgetRequest { DailyLimitUsd = 0.001 }, cancellationToken: Ct);

        // Worst case: 4,000 output tokens × $2.50/M = $0.01 > $0.001.
        var error = await Assert.ThrowsAsync<RpcException>(() => h.Chat.CompleteAsync(new CompleteRequest { Chat = Kimi("hello", 4000) }, cancellationToken: Ct).ResponseAsync);
        using var rest = await h.App.Http.PostAsync("/api/chat/complete", new StringContent(
            $$"""{"model":"{{ModelRegistry.KimiK25}}","maxTokens":4000,"messages":[{"role":"user","content":"hello"}]}""", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("daily budget of $0.001", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.TooManyRequests, rest.StatusCode);
        Assert.Equal(0, h.Fake.RequestCount);
    }

    [Fact]
    public async Task BudgetRace_1000ConcurrentRequests_NeverOverrunTheBudget()
    {
        await using var h = await UpstreamHarness.StartAsync();
        await Cost(h).SetBudgetAsync(new SetBudgetRequest { DailyLimitUsd = 1.00 }, cancellationToken: Ct);
        // Each request reserves input × $0.60/M + 4,000 × $2.50/M ≈ $0.01, and the fake bills about that much.
        h.Fake.Default = new FakeBehavior { PromptTokens = 5, CompletionTokens = 4000 };
        var reservation = (await new RoutingService.RoutingServiceClient(h.App.Channel)
            .AnalyzeComplexityAsync(new AnalyzeComplexityRequest { Chat = Kimi("race 0", 4000) }, cancellationToken: Ct)).EstimatedCostUsd;

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async i =>
        {
            try
            {
                return (await h.Chat.CompleteAsync(new CompleteRequest { Chat = Kimi($"race {i}", 4000) }, cancellationToken: Ct)).Outcome.CostUsd;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
            {
                return -1;
            }
        })).DefaultTimeout();

        var admitted = outcomes.Count(c => c >= 0);
        var summary = await Cost(h).GetSummaryAsync(new GetSummaryRequest(), cancellationToken: Ct);
        Assert.InRange(reservation, 0.0099, 0.0101);
        Assert.InRange(admitted, 1, (int)(1.00 / reservation));
        Assert.Equal(admitted, h.Fake.RequestCount);
        Assert.Equal(admitted, summary.TotalRequests);
        Assert.True(summary.TotalCost <= 1.00 + reservation);
        Assert.Equal(outcomes.Where(c => c >= 0).Sum(), summary.TotalCost, 9);
    }

    [Fact]
    public async Task Reconciliation_LedgerEqualsUpstreamUsageEqualsMetricsEqualsSummary()
    {
        await using var premium = await FakeUpstream.StartAsync(Ct);
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Providers:Nim:MaxRetries"] = "0",
            ["Chat:FallbackModels:" + ModelRegistry.KimiK25 + ":0"] = ModelRegistry.ClaudeSonnet,
        }, anthropicUrl: premium.BaseUrl);
        var costs = new List<double>();

        // Unary and streamed calls, a cache hit, a fallback, a stream without upstream usage.
        costs.Add((await h.Chat.CompleteAsync(new CompleteRequest { Chat = Kimi("one") }, cancellationToken: Ct)).Outcome.CostUsd);
        var cached = Kimi("two");
        cached.Temperature = 0;
        costs.Add((await h.Chat.CompleteAsync(new CompleteRequest { Chat = cached }, cancellationToken: Ct)).Outcome.CostUsd);
        costs.Add((await h.Chat.CompleteAsync(new CompleteRequest { Chat = cached }, cancellationToken: Ct)).Outcome.CostUsd);
        h.Fake.Enqueue(new FakeBehavior { StatusCode = 503 });
        costs.Add((await h.Chat.CompleteAsync(new CompleteRequest { Chat = Kimi("three") }, cancellationToken: Ct)).Outcome.CostUsd);
        h.Fake.Enqueue(new FakeBehavior { IncludeUsage = false });
        costs.Add(await StreamCostAsync(h, Kimi("four")));
        costs.Add(await StreamCostAsync(h, Kimi("five")));

        var upstream = h.Fake.Requests.Where(r => r.StatusCode == 200 && r.ReportedPromptTokens > 0).Sum(r => (r.ReportedPromptTokens * 0.60 + r.ReportedCompletionTokens * 2.50) / 1e6)
            + premium.Requests.Sum(r => (r.ReportedPromptTokens * 3.0 + r.ReportedCompletionTokens * 15.0) / 1e6);
        var estimated = costs[4];
        var summary = await Cost(h).GetSummaryAsync(new GetSummaryRequest(), cancellationToken: Ct);
        var metrics = await PrometheusScrape.SumAsync(h.App.Http, "llm_cost_usd_total");

        Assert.Equal(0, costs[2]);
        Assert.Equal(6, summary.TotalRequests);
        Assert.Equal(costs.Sum(), summary.TotalCost, 9);
        Assert.Equal(summary.TotalCost, metrics, 9);
        Assert.Equal(upstream + estimated, summary.TotalCost, 9);
        Assert.Equal(1.0 / 6, summary.CacheHitRate, 9);
        Assert.Equal(costs[1], summary.CacheSavings, 12);
    }

    [Fact]
    public async Task AlertThreshold_FiresOnce_AsAWatchCostEventAndAMetric()
    {
        await using var h = await UpstreamHarness.StartAsync();
        h.Fake.Default = new FakeBehavior { PromptTokens = 1000, CompletionTokens = 1000 };
        // Each call costs (1000 × 0.60 + 1000 × 2.50) / 1e6 = $0.0031; the alert is at 40 % of $0.02 = $0.008: the third call.
        await Cost(h).SetBudgetAsync(new SetBudgetRequest { DailyLimitUsd = 0.02, AlertThresholdPercent = 40 }, cancellationToken: Ct);
        using var watch = Cost(h).WatchCost(new WatchCostRequest(), cancellationToken: Ct);
        var events = new List<WatchCostResponse>();
        var reading = Task.Run(async () =>
        {
            await foreach (var item in watch.ResponseStream.ReadAllAsync(Ct))
            {
                lock (events)
                {
                    events.Add(item);
                    if (events.Count(e => e.EventCase == WatchCostResponse.EventOneofCase.Record) == 4)
                    {
                        return;
                    }
                }
            }
        }, Ct);
        await watch.ResponseHeadersAsync.DefaultTimeout(); // subscribed

        for (var i = 0; i < 4; i++)
        {
            await h.Chat.CompleteAsync(new CompleteRequest { Chat = Kimi($"spend {i}") }, cancellationToken: Ct);
        }
        await reading.DefaultTimeout();

        var alerts = events.Where(e => e.EventCase == WatchCostResponse.EventOneofCase.Alert).ToList();
        var alert = Assert.Single(alerts);
        Assert.StartsWith("daily:", alert.Alert.Period, StringComparison.Ordinal);
        Assert.Equal(0.02, alert.Alert.LimitUsd);
        Assert.Equal(1, await PrometheusScrape.SumAsync(h.App.Http, "budget_alerts_total"));
    }

    [Fact]
    public async Task Summary_Recommendations_Realtime_Savings_Snippet_Stats_AnswerFromTheLedger()
    {
        await using var h = await UpstreamHarness.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await h.Chat.CompleteAsync(new CompleteRequest { Chat = Kimi($"q {i}") }, cancellationToken: Ct);
        }

        var summary = await h.App.Http.GetFromJsonAsync<JsonElement>("/api/cost/summary?userId=default", Ct);
        var recommendations = await h.App.Http.GetFromJsonAsync<JsonElement>("/api/cost/recommendations", Ct);
        var realtime = await Cost(h).GetRealtimeAsync(new GetRealtimeRequest(), cancellationToken: Ct);
        var snippet = await Cost(h).GetSnippetAsync(new GetSnippetRequest(), cancellationToken: Ct);
        var savings = await Cost(h).GetSavingsAsync(new GetSavingsRequest(), cancellationToken: Ct);
        var stats = await h.App.Http.GetFromJsonAsync<JsonElement>("/api/cost/stats", Ct);

        Assert.Equal(3, summary.GetProperty("totalRequests").GetInt64());
        Assert.True(summary.GetProperty("costByModel").GetProperty(ModelRegistry.KimiK25).GetDouble() > 0);
        Assert.Equal(summary.GetProperty("totalCost").GetDouble(), summary.GetProperty("costByOperation").GetProperty("chat").GetDouble(), 12);
        Assert.Contains(recommendations.GetProperty("recommendations").EnumerateArray(), r => r.GetProperty("kind").GetString() == "no_budget");
        Assert.Equal(3, realtime.LastHourRequests);
        Assert.Equal(3, snippet.TodayRequests);
        Assert.Equal(1, savings.CheapModelShare);
        Assert.True(savings.ModelRoutingSavings == 0, "named models are not routing savings");
        Assert.True(stats.GetProperty("workers").GetProperty("workers").GetInt32() > 0);
        Assert.True(stats.GetProperty("process").GetProperty("workingSetBytes").GetInt64() > 0);
    }

    [Theory]
    [InlineData("/api/cost/summary?startDate=yesterday", "start_date")]
    [InlineData("/api/cost/summary?startDate=2026-02-01&endDate=2026-01-01", "start_date")]
    public async Task Summary_BadDates_Are400(string path, string field)
    {
        await using var h = await UpstreamHarness.StartAsync();

        using var response = await h.App.Http.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0001-01-01", "")]
    [InlineData("9999-12-31", "")]
    [InlineData("9999-12-31", "9999-12-31")]
    [InlineData("0001-01-01", "0001-01-01")]
    public async Task Summary_FirstAndLastRepresentableDays_AnswerEmpty(string endDate, string startDate)
    {
        // The default 30-day window must not step before the first day, nor the ledger past the last one.
        await using var h = await UpstreamHarness.StartAsync();
        var query = $"/api/cost/summary?endDate={endDate}" + (startDate.Length > 0 ? $"&startDate={startDate}" : "");

        var rest = await h.App.Http.GetFromJsonAsync<JsonElement>(query, Ct);
        var grpc = await Cost(h).GetSummaryAsync(new GetSummaryRequest { EndDate = endDate, StartDate = startDate }, cancellationToken: Ct);

        Assert.Equal(0, rest.GetProperty("totalRequests").GetInt64());
        Assert.Equal(0, grpc.TotalRequests);
    }

    private static async Task<double> StreamCostAsync(UpstreamHarness h, ChatRequest request)
    {
        using var call = h.Chat.StreamComplete(new StreamCompleteRequest { Chat = request }, cancellationToken: Ct);
        var cost = double.NaN;
        await foreach (var item in call.ResponseStream.ReadAllAsync(Ct))
        {
            if (item.EventCase == StreamCompleteResponse.EventOneofCase.End)
            {
                cost = item.End.Outcome.CostUsd;
            }
        }
        return cost;
    }
}
