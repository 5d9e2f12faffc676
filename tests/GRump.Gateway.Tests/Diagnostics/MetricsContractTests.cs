using System.Net;
using System.Net.Http.Headers;
using Grpc.Core;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Diagnostics;

/// <summary>The metric names are part of the product contract: after a scripted run each exists, with its type and true values.</summary>
[Collection(MetricValueTests.Name)]
public sealed class MetricsContractTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AfterAScriptedRun_EveryContractMetricExists_WithItsType_AndCostEqualsTheLedger()
    {
        await using var h = await UpstreamHarness.StartAsync();
        var intents = new IntentService.IntentServiceClient(h.App.Channel);
        await intents.ParseIntentAsync(new ParseIntentRequest { Raw = "Build a todo app with React" }, cancellationToken: Ct);
        var cached = UpstreamHarness.Ask("What is 2 + 2?", ModelRegistry.KimiK25);
        cached.Temperature = 0;
        await h.Chat.CompleteAsync(new CompleteRequest { Chat = cached }, cancellationToken: Ct);
        await h.Chat.CompleteAsync(new CompleteRequest { Chat = cached }, cancellationToken: Ct);
        var routed = await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("hello there") }, cancellationToken: Ct);
        using (var stream = h.Chat.StreamComplete(new StreamCompleteRequest { Chat = UpstreamHarness.Ask("stream it", ModelRegistry.KimiK25) }, cancellationToken: Ct))
        {
            await foreach (var _ in stream.ResponseStream.ReadAllAsync(Ct))
            {
            }
        }
        await new EmbeddingService.EmbeddingServiceClient(h.App.Channel).EmbedAsync(new EmbedRequest { Inputs = { "one", "two" } }, cancellationToken: Ct);
        await new CostService.CostServiceClient(h.App.Channel).SetBudgetAsync(new SetBudgetRequest { DailyLimitUsd = 0.0001 }, cancellationToken: Ct);
        var blocked = await Assert.ThrowsAsync<RpcException>(() => h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("too dear", ModelRegistry.KimiK25) }, cancellationToken: Ct).ResponseAsync);

        var text = await h.App.Http.GetStringAsync("/metrics", Ct);
        var summary = await new CostService.CostServiceClient(h.App.Channel).GetSummaryAsync(new GetSummaryRequest(), cancellationToken: Ct);

        Assert.Equal(StatusCode.ResourceExhausted, blocked.StatusCode);
        foreach (var (name, type) in new[]
        {
            ("llm_cost_usd_total", "counter"), ("llm_cost_per_request_usd", "histogram"), ("cache_savings_usd_total", "counter"),
            ("model_routing_savings_usd_total", "counter"), ("compilation_duration_seconds", "histogram"), ("worker_queue_depth", "gauge"),
            ("worker_pool_utilization_percent", "gauge"), ("tiered_cache_hits_total", "counter"), ("tiered_cache_misses_total", "counter"),
            ("tiered_cache_size_bytes", "gauge"), ("batch_size", "histogram"), ("batch_processing_requests_total", "counter"),
            ("model_selection_total", "counter"), ("task_complexity_score", "histogram"), ("llm_time_to_first_token_seconds", "histogram"),
            ("llm_stream_duration_seconds", "histogram"), ("llm_tokens_total", "counter"), ("gateway_overhead_seconds", "histogram"),
            ("gen_ai_client_token_usage", "histogram"), ("gen_ai_client_operation_duration_seconds", "histogram"),
            ("gen_ai_server_time_to_first_token_seconds", "histogram"), ("gateway_process_cpu_percent", "gauge"),
            ("gateway_scheduling_lag_seconds", "gauge"), ("gateway_thread_pool_queue_length", "gauge"),
        })
        {
            Assert.True(text.Contains($"# TYPE {name} {type}", StringComparison.Ordinal), $"{name} ({type}) is missing from /metrics");
        }
        Assert.Equal(summary.TotalCost, await PrometheusScrape.SumAsync(h.App.Http, "llm_cost_usd_total"), 9);
        Assert.Equal(1, await PrometheusScrape.SumAsync(h.App.Http, "tiered_cache_hits_total", "namespace=\"chat\""));
        Assert.Equal(5, await PrometheusScrape.SumAsync(h.App.Http, "model_selection_total")); // every chat is routed, the blocked one too
        Assert.Equal(routed.Outcome.RoutingSavingsUsd, await PrometheusScrape.SumAsync(h.App.Http, "model_routing_savings_usd_total"), 12);
        Assert.Equal(summary.CacheSavings, await PrometheusScrape.SumAsync(h.App.Http, "cache_savings_usd_total", "namespace=\"chat\""), 12);
        Assert.DoesNotContain("tenant", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyedMode_MetricsNeedAnAdminOrTheMetricsKey()
    {
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:Keys:0:Key"] = "user-key-0123456789",
            ["Auth:Keys:0:Tenant"] = "u",
            ["Auth:Keys:1:Key"] = "admin-key-0123456789",
            ["Auth:Keys:1:Tenant"] = "ops",
            ["Auth:Keys:1:Role"] = "admin",
            ["Auth:MetricsKey"] = "scraper-key-0123456789",
        });

        Assert.Equal(HttpStatusCode.Unauthorized, await ScrapeAsync(h, null));
        Assert.Equal(HttpStatusCode.Forbidden, await ScrapeAsync(h, "user-key-0123456789"));
        Assert.Equal(HttpStatusCode.OK, await ScrapeAsync(h, "admin-key-0123456789"));
        Assert.Equal(HttpStatusCode.OK, await ScrapeAsync(h, "scraper-key-0123456789"));
    }

    [Fact]
    public async Task TelemetryOff_NoMetricsEndpoint_ChatStillWorks()
    {
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?> { ["Diagnostics:Telemetry"] = "false" });

        var response = await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("hi", ModelRegistry.KimiK25) }, cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.NotFound, await ScrapeAsync(h, null));
        Assert.Equal("nim", response.Outcome.Provider);
    }

    private static async Task<HttpStatusCode> ScrapeAsync(UpstreamHarness h, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        using var response = await h.App.Http.SendAsync(request, Ct);
        return response.StatusCode;
    }
}
