using System.Text;
using System.Text.Json;
using GRump.Fakes;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;

namespace GRump.Gateway.Tests.Cost;

/// <summary>
/// Golden fixtures: each provider's wire response with prompt-cache reads, cache writes (5-minute and 1-hour) and
/// reasoning tokens, served as it is by the fake upstream, JSON and streamed. The cost in the response, the ledger
/// (summary) and /metrics must all equal the hand-computed price to 1e-9 — the usage is normalised, never summed twice
/// across stream events, and cached reads are never billed at the full input price.
/// </summary>
[Collection(MetricValueTests.Name)]
public sealed class GoldenCostTests
{
    // gpt-5-mini: $0.25 / M input, $0.025 / M cached input, $2 / M output.
    // 86 uncached + 1,920 cached prompt tokens, 300 output tokens (192 of them reasoning).
    private const double OpenAiCost = (86 * 0.25 + 1_920 * 0.025 + 300 * 2.0) / 1_000_000;

    // claude-sonnet-4-5: $3 input, $0.30 cache read, $3.75 5-minute write, $6 1-hour write, $15 output (per M).
    // 50 uncached, 10,000 read, 1,051 written for 5 minutes, 1,000 for 1 hour, 503 output tokens.
    private const double AnthropicCost = (50 * 3.0 + 10_000 * 0.30 + 1_051 * 3.75 + 1_000 * 6.0 + 503 * 15.0) / 1_000_000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A registry with an OpenAI-compatible model that has a cached-input price, and Claude with its cache prices.</summary>
    public static Dictionary<string, string?> Registry() => new()
    {
        ["Routing:Models:0:Id"] = "gpt-5-mini",
        ["Routing:Models:0:Provider"] = "nim",
        ["Routing:Models:0:InputPricePerMillion"] = "0.25",
        ["Routing:Models:0:CachedInputPricePerMillion"] = "0.025",
        ["Routing:Models:0:OutputPricePerMillion"] = "2",
        ["Routing:Models:0:Capabilities:0"] = "code",
        ["Routing:Models:0:Capabilities:1"] = "function-calling",
        ["Routing:Models:0:Capabilities:2"] = "vision",
        ["Routing:Models:0:Capabilities:3"] = "reasoning",
        ["Routing:Models:0:Tiers:0"] = "simple",
        ["Routing:Models:0:Tiers:1"] = "medium",
        ["Routing:Models:1:Id"] = "claude-sonnet-4-5",
        ["Routing:Models:1:Provider"] = "anthropic",
        ["Routing:Models:1:InputPricePerMillion"] = "3",
        ["Routing:Models:1:OutputPricePerMillion"] = "15",
        ["Routing:Models:1:CachedInputPricePerMillion"] = "0.30",
        ["Routing:Models:1:CacheWritePricePerMillion"] = "3.75",
        ["Routing:Models:1:CacheWrite1hPricePerMillion"] = "6",
        ["Routing:Models:1:MaxOutputTokens"] = "64000",
        ["Routing:Models:1:Capabilities:0"] = "code",
        ["Routing:Models:1:Capabilities:1"] = "function-calling",
        ["Routing:Models:1:Capabilities:2"] = "vision",
        ["Routing:Models:1:Capabilities:3"] = "reasoning",
        ["Routing:Models:1:Tiers:0"] = "complex",
        ["Routing:Models:2:Id"] = "nvidia/nv-embed-v1",
        ["Routing:Models:2:Provider"] = "nim",
        ["Routing:Models:2:InputPricePerMillion"] = "0.02",
        ["Routing:Models:2:Capabilities:0"] = "embedding",
    };

    public static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Wire", name));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OpenAiFixture_CachedAndReasoningTokens_PricedExactly_LedgerEqualsMetricsEqualsResponse(bool stream)
    {
        // Arrange
        await using var h = await UpstreamHarness.StartAsync(Registry());
        h.Fake.Enqueue(new FakeBehavior { RawBody = Fixture(stream ? "openai-chat-cached.sse" : "openai-chat-cached.json") });
        var body = $$"""{"model":"gpt-5-mini","stream":{{(stream ? "true" : "false")}},"stream_options":{{(stream ? "{\"include_usage\":true}" : "null")}},"messages":[{"role":"user","content":"What is the refund policy?"}]}""";

        // Act
        var usage = await PostAsync(h, "/v1/chat/completions", body, stream, "usage");

        // Assert
        Assert.Equal(2006, usage.Usage.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(1920, usage.Usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt64());
        Assert.Equal(192, usage.Usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt64());
        await AssertCostEverywhereAsync(h, usage.CostUsd, OpenAiCost, "gpt-5-mini", input: 2006, cacheRead: 1920, cacheWrite: 0, cacheWrite1h: 0, output: 300, reasoning: 192);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnthropicFixture_CacheReadsWritesAndThinking_PricedExactly_LedgerEqualsMetricsEqualsResponse(bool stream)
    {
        // Arrange
        await using var h = await UpstreamHarness.StartAsync(Registry());
        h.Fake.Enqueue(new FakeBehavior { RawBody = Fixture(stream ? "anthropic-message-cached.sse" : "anthropic-message-cached.json") });
        var body = $$$"""{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":{{{(stream ? "true" : "false")}}},"system":[{"type":"text","text":"Policy: returns within 30 days.","cache_control":{"type":"ephemeral","ttl":"1h"}}],"messages":[{"role":"user","content":"What is the refund policy?"}]}""";

        // Act
        var usage = await PostAsync(h, "/v1/messages", body, stream, "usage");

        // Assert: Anthropic's convention on the way out — input_tokens without the cached ones.
        Assert.Equal(50, usage.Usage.GetProperty("input_tokens").GetInt64());
        Assert.Equal(10_000, usage.Usage.GetProperty("cache_read_input_tokens").GetInt64());
        Assert.Equal(2051, usage.Usage.GetProperty("cache_creation_input_tokens").GetInt64());
        Assert.Equal(1000, usage.Usage.GetProperty("cache_creation").GetProperty("ephemeral_1h_input_tokens").GetInt64());
        Assert.Equal(503, usage.Usage.GetProperty("output_tokens").GetInt64());
        var sent = Assert.Single(h.Fake.Requests);
        Assert.Contains("\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}", sent.Body, StringComparison.Ordinal);
        await AssertCostEverywhereAsync(h, usage.CostUsd, AnthropicCost, "claude-sonnet-4-5", input: 12_101, cacheRead: 10_000, cacheWrite: 1_051, cacheWrite1h: 1_000, output: 503, reasoning: 200);
    }

    [Fact]
    public async Task AnthropicFixture_ThroughChatCompletions_ReportsOpenAiUsage_AndTheSameCost()
    {
        // Arrange: an OpenAI client, an Anthropic upstream.
        await using var h = await UpstreamHarness.StartAsync(Registry());
        h.Fake.Enqueue(new FakeBehavior { RawBody = Fixture("anthropic-message-cached.sse") });
        const string Body = """{"model":"claude-sonnet-4-5","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"What is the refund policy?"}]}""";

        // Act
        var usage = await PostAsync(h, "/v1/chat/completions", Body, stream: true, "usage");

        // Assert: OpenAI's convention — prompt_tokens includes the cached ones.
        Assert.Equal(12_101, usage.Usage.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(10_000, usage.Usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt64());
        Assert.Equal(AnthropicCost, usage.CostUsd, 9);
    }

    private static async Task AssertCostEverywhereAsync(UpstreamHarness h, double responseCost, double expected, string model,
        long input, long cacheRead, long cacheWrite, long cacheWrite1h, long output, long reasoning)
    {
        Assert.Equal(expected, responseCost, 9);
        using var summaryResponse = await h.App.Http.GetAsync("/api/cost/summary", Ct).DefaultTimeout();
        using var summary = JsonDocument.Parse(await summaryResponse.Content.ReadAsStringAsync(Ct));
        var root = summary.RootElement;
        Assert.Equal(expected, root.GetProperty("totalCost").GetDouble(), 9);
        Assert.Equal(expected, root.GetProperty("costByModel").GetProperty(model).GetDouble(), 9);
        var tokens = root.GetProperty("tokens");
        Assert.Equal(input, tokens.GetProperty("inputTokens").GetInt64());
        Assert.Equal(cacheRead, tokens.GetProperty("cacheReadTokens").GetInt64());
        Assert.Equal(cacheWrite, tokens.GetProperty("cacheWriteTokens").GetInt64());
        Assert.Equal(cacheWrite1h, tokens.GetProperty("cacheWrite1hTokens").GetInt64());
        Assert.Equal(output, tokens.GetProperty("outputTokens").GetInt64());
        Assert.Equal(reasoning, tokens.GetProperty("reasoningTokens").GetInt64());
        var filter = $"model=\"{model}\"";
        Assert.Equal(expected, await PrometheusScrape.SumAsync(h.App.Http, "llm_cost_usd_total", filter), 9);
        Assert.Equal(cacheRead, await PrometheusScrape.SumAsync(h.App.Http, "llm_tokens_total", "type=\"cache_read\""));
        Assert.Equal(cacheWrite + cacheWrite1h, await PrometheusScrape.SumAsync(h.App.Http, "llm_tokens_total", "type=\"cache_write"));
        Assert.Equal(reasoning, await PrometheusScrape.SumAsync(h.App.Http, "llm_tokens_total", "type=\"reasoning\""));
    }

    /// <summary>
    /// Posts a request and returns the usage object and the gateway's cost: from the JSON body, or from the stream's
    /// events (the last one that has a usage object, and x_grump.cost_usd).
    /// </summary>
    internal static async Task<(JsonElement Usage, double CostUsd)> PostAsync(UpstreamHarness h, string path, string body, bool stream, string usageField)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await h.App.Http.PostAsync(path, content, Ct).DefaultTimeout();
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, text);
        if (!stream)
        {
            using var document = JsonDocument.Parse(text);
            return (document.RootElement.GetProperty(usageField).Clone(), document.RootElement.GetProperty("x_grump").GetProperty("cost_usd").GetDouble());
        }

        JsonElement usage = default;
        double? cost = null;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith("data: {", StringComparison.Ordinal))
            {
                continue;
            }

            using var document = JsonDocument.Parse(line["data: ".Length..]);
            var root = document.RootElement;
            if (root.TryGetProperty(usageField, out var found) && found.ValueKind == JsonValueKind.Object)
            {
                usage = found.Clone();
            }

            if (root.TryGetProperty("x_grump", out var grump))
            {
                cost = grump.GetProperty("cost_usd").GetDouble();
            }
        }

        Assert.True(cost is not null, "no x_grump in the stream:\n" + text);
        return (usage, cost.Value);
    }
}
