using System.Text.Json;
using GRump.Fakes;
using GRump.Gateway.Tests.Cost;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;

namespace GRump.Gateway.Tests.Interop;

/// <summary>
/// The official SDKs (npm <c>openai</c>, <c>@anthropic-ai/sdk</c>) as real clients of a running gateway, against an
/// upstream speaking OpenAI and one speaking Anthropic, so every translation direction runs: tool round trips (whole and
/// streamed), json_schema, an image part, Responses (whole and streamed); messages.create, messages.stream with
/// thinking and a tool round trip, countTokens. The fake upstream answers with recorded wire fixtures, in call order.
/// </summary>
public sealed class AgentSdkTests
{
    private const string Key = "agent-key-0123456789";

    private static string NpmHint => $"run `npm ci --prefix {Path.Combine("tests", "interop")}`";

    [Theory]
    [InlineData("gpt-5-mini", "openai")]
    [InlineData("claude-sonnet-4-5", "anthropic")]
    public async Task OpenAiSdk_ToolsJsonSchemaImageAndResponses_ThroughTheGateway(string model, string upstream)
    {
        // Arrange
        ExternalTool.Require(Path.Combine(ExternalTool.InteropDir, "node_modules", "openai", "package.json"), NpmHint);
        await using var h = await StartAsync();
        var wire = upstream == "openai" ? "openai-tool-call" : "anthropic-tool-use";
        h.Fake.Enqueue(new FakeBehavior { RawBody = GoldenCostTests.Fixture(wire + ".json") });
        h.Fake.Enqueue(new FakeBehavior { Content = "18 °C and sunny." });
        h.Fake.Enqueue(new FakeBehavior { RawBody = GoldenCostTests.Fixture(wire + ".sse") });
        h.Fake.Enqueue(new FakeBehavior { Content = """{"city":"Paris"}""" });
        h.Fake.Enqueue(new FakeBehavior { Content = "A red pixel." });
        h.Fake.Enqueue(new FakeBehavior { Content = "Hello!" });
        h.Fake.Enqueue(new FakeBehavior { Content = "Hello again!", Chunks = 3 });

        // Act
        var result = await RunAsync(h, "openai", model);

        // Assert
        var r = result.RootElement;
        Assert.Equal("get_weather", r.GetProperty("toolCall").GetProperty("name").GetString());
        Assert.Equal("Paris", r.GetProperty("toolCall").GetProperty("arguments").GetProperty("city").GetString());
        Assert.Equal("tool_calls", r.GetProperty("toolCall").GetProperty("finish").GetString());
        Assert.Equal("18 °C and sunny.", r.GetProperty("toolAnswer").GetString());
        Assert.Equal("Paris", r.GetProperty("streamedToolCall").GetProperty("arguments").GetProperty("city").GetString());
        Assert.Equal(60, r.GetProperty("streamedToolCall").GetProperty("promptTokens").GetInt32());
        Assert.Equal("Paris", r.GetProperty("json").GetProperty("city").GetString());
        Assert.Equal("A red pixel.", r.GetProperty("image").GetString());
        Assert.Equal("Hello!", r.GetProperty("response").GetProperty("text").GetString());
        Assert.Equal("completed", r.GetProperty("response").GetProperty("status").GetString());
        Assert.Equal("Hello again!", r.GetProperty("streamedResponse").GetProperty("text").GetString());
        Assert.Equal("completed", r.GetProperty("streamedResponse").GetProperty("status").GetString());
        var requests = h.Fake.Requests;
        Assert.Equal(7, requests.Count);
        Assert.All(requests, q => Assert.Equal(upstream == "openai" ? FakeEndpoint.ChatCompletions : FakeEndpoint.Messages, q.Endpoint));
        Assert.Contains(upstream == "openai" ? "\"image_url\"" : "\"media_type\":\"image/png\"", requests[4].Body, StringComparison.Ordinal);
        Assert.Contains(upstream == "openai" ? "\"role\":\"tool\"" : "\"tool_result\"", requests[1].Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("claude-sonnet-4-5", "anthropic")]
    [InlineData("gpt-5-mini", "openai")]
    public async Task AnthropicSdk_MessagesStreamWithThinkingAndToolRoundTrip_AndCountTokens(string model, string upstream)
    {
        // Arrange
        ExternalTool.Require(Path.Combine(ExternalTool.InteropDir, "node_modules", "@anthropic-ai", "sdk", "package.json"), NpmHint);
        await using var h = await StartAsync();
        var wire = upstream == "openai" ? "openai-tool-call" : "anthropic-tool-use";
        h.Fake.Enqueue(new FakeBehavior { RawBody = GoldenCostTests.Fixture(wire + ".json") });
        h.Fake.Enqueue(new FakeBehavior { RawBody = GoldenCostTests.Fixture(wire + ".sse") });
        h.Fake.Enqueue(new FakeBehavior { Content = "18 °C and sunny.", Chunks = 3 });

        // Act
        var result = await RunAsync(h, "anthropic", model);

        // Assert
        var r = result.RootElement;
        Assert.Equal("get_weather", r.GetProperty("toolUse").GetProperty("name").GetString());
        Assert.Equal("Paris", r.GetProperty("toolUse").GetProperty("input").GetProperty("city").GetString());
        Assert.Equal("tool_use", r.GetProperty("toolUse").GetProperty("stop").GetString());
        Assert.Equal("Paris", r.GetProperty("streamedToolUse").GetProperty("input").GetProperty("city").GetString());
        Assert.Equal("18 °C and sunny.", r.GetProperty("answer").GetProperty("text").GetString());
        Assert.Equal("end_turn", r.GetProperty("answer").GetProperty("stop").GetString());
        Assert.True(r.GetProperty("countTokens").GetInt32() > 0);
        var requests = h.Fake.Requests;
        Assert.Equal(3, requests.Count); // countTokens calls no model
        if (upstream == "anthropic")
        {
            // Thinking and its signature went back to Anthropic with the tool result, block for block.
            Assert.Equal("EqQBCgIYAhIMsig1", r.GetProperty("streamedToolUse").GetProperty("signature").GetString());
            Assert.Contains("\"signature\":\"EqQBCgIYAhIMsig1\"", requests[2].Body, StringComparison.Ordinal);
            Assert.Contains("\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024}", requests[2].Body, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("\"role\":\"tool\"", requests[2].Body, StringComparison.Ordinal);
        }
    }

    private static async Task<UpstreamHarness> StartAsync()
    {
        var settings = GoldenCostTests.Registry();
        settings["Auth:Keys:0:Key"] = Key;
        settings["Auth:Keys:0:Tenant"] = "agents";
        return await UpstreamHarness.StartAsync(settings);
    }

    private static async Task<JsonDocument> RunAsync(UpstreamHarness h, string sdk, string model)
    {
        var url = h.App.HttpUrl.GetLeftPart(UriPartial.Authority);
        var result = await ExternalTool.RunAsync("node", [Path.Combine(ExternalTool.InteropDir, "agent_sdks.mjs"), sdk, url, Key, model], TestContext.Current.CancellationToken);
        Assert.True(result.ExitCode == 0, result + "\nupstream:\n" + string.Join("\n", h.Fake.Requests));
        return JsonDocument.Parse(result.StandardOutput);
    }
}
