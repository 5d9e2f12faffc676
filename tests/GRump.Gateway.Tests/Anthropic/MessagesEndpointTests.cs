using System.Net;
using System.Text;
using System.Text.Json;
using GRump.Fakes;
using GRump.Gateway.Tests.Cost;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;

namespace GRump.Gateway.Tests.Anthropic;

/// <summary>
/// POST /v1/messages and /v1/messages/count_tokens on a real gateway: translation both ways (an Anthropic client to an
/// OpenAI-compatible upstream), Anthropic's stream event sequence, errors in Anthropic's shape naming the field, and
/// the route as a hostile tenant sees it (no key, another tenant's key, a spent budget).
/// </summary>
public sealed class MessagesEndpointTests : IAsyncLifetime
{
    private const string KeyA = "tenant-a-key-0123456789";
    private const string KeyB = "tenant-b-key-0123456789";

    private const string ToolRequest = """
        {"model":"gpt-5-mini","max_tokens":256,"temperature":0,
         "system":[{"type":"text","text":"You are terse.","cache_control":{"type":"ephemeral"}}],
         "tools":[{"name":"get_weather","description":"Weather for a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],
         "messages":[{"role":"user","content":"Weather in Paris?"}]}
        """;

    private UpstreamHarness _h = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var settings = GoldenCostTests.Registry();
        settings["Auth:Keys:0:Key"] = KeyA;
        settings["Auth:Keys:0:Tenant"] = "a";
        settings["Auth:Keys:1:Key"] = KeyB;
        settings["Auth:Keys:1:Tenant"] = "b";
        _h = await UpstreamHarness.StartAsync(settings);
    }

    public async ValueTask DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Messages_ToolUseFromAnOpenAiUpstream_IsAToolUseBlock_AndTheToolResultGoesBackAsAToolMessage()
    {
        // Arrange
        _h.Fake.Enqueue(new FakeBehavior { RawBody = GoldenCostTests.Fixture("openai-tool-call.json") });
        _h.Fake.Enqueue(new FakeBehavior { Content = "18 °C and sunny." });

        // Act: the call, then the tool result (as Anthropic clients send it: a user turn of tool_result blocks).
        using var first = await PostAsync("/v1/messages", ToolRequest, KeyA, ("anthropic-version", "2023-06-01"));
        var call = JsonDocument.Parse(await first.Content.ReadAsStringAsync(Ct)).RootElement;
        var toolUse = call.GetProperty("content")[0];
        var followUp = ToolRequest.Replace(
            """[{"role":"user","content":"Weather in Paris?"}]""",
            $$$"""[{"role":"user","content":"Weather in Paris?"},{"role":"assistant","content":[{{{toolUse.GetRawText()}}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"{{{toolUse.GetProperty("id").GetString()}}}","content":"18C sunny","cache_control":{"type":"ephemeral"}}]}]""",
            StringComparison.Ordinal);
        using var second = await PostAsync("/v1/messages", followUp, KeyA);
        var answer = JsonDocument.Parse(await second.Content.ReadAsStringAsync(Ct)).RootElement;

        // Assert
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("tool_use", call.GetProperty("stop_reason").GetString());
        Assert.Equal("tool_use", toolUse.GetProperty("type").GetString());
        Assert.Equal("call_Wx1", toolUse.GetProperty("id").GetString());
        Assert.Equal("Paris", toolUse.GetProperty("input").GetProperty("city").GetString());
        Assert.Equal("18 °C and sunny.", answer.GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal("end_turn", answer.GetProperty("stop_reason").GetString());
        var upstream = JsonDocument.Parse(_h.Fake.Requests[1].Body).RootElement;
        var messages = upstream.GetProperty("messages");
        Assert.Equal("system", messages[0].GetProperty("role").GetString());
        Assert.Equal("get_weather", messages[2].GetProperty("tool_calls")[0].GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("tool", messages[3].GetProperty("role").GetString());
        Assert.Equal("call_Wx1", messages[3].GetProperty("tool_call_id").GetString());
        Assert.Equal("18C sunny", messages[3].GetProperty("content").GetString());
        Assert.Equal("get_weather", upstream.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Messages_Stream_HasAnthropicsEventSequence_WithToolInputDeltas_AndUsageInMessageDelta()
    {
        // Arrange
        _h.Fake.Enqueue(new FakeBehavior { RawBody = GoldenCostTests.Fixture("openai-tool-call.sse") });

        // Act
        using var response = await PostAsync("/v1/messages", ToolRequest.Replace("\"max_tokens\":256", "\"max_tokens\":256,\"stream\":true", StringComparison.Ordinal), KeyA);
        var text = await response.Content.ReadAsStringAsync(Ct);

        // Assert
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = Events(text);
        Assert.Equal(
            ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Name));
        Assert.Equal("tool_use", events[1].Data.GetProperty("content_block").GetProperty("type").GetString());
        Assert.Equal("call_Wx1", events[1].Data.GetProperty("content_block").GetProperty("id").GetString());
        var json = string.Concat(events.Where(e => e.Name == "content_block_delta").Select(e => e.Data.GetProperty("delta").GetProperty("partial_json").GetString()));
        Assert.Equal("""{"city":"Paris"}""", json);
        var delta = events[6].Data;
        Assert.Equal("tool_use", delta.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal(60, delta.GetProperty("usage").GetProperty("input_tokens").GetInt64());
        Assert.Equal(12, delta.GetProperty("usage").GetProperty("output_tokens").GetInt64());
    }

    [Fact]
    public async Task Messages_StreamCutMidway_EndsWithAnErrorEvent_AndNoMessageStop()
    {
        // Arrange
        _h.Fake.Enqueue(new FakeBehavior { Content = "one two three four", Chunks = 4, CutAfterChunks = 2 });

        // Act
        using var response = await PostAsync("/v1/messages", """{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"count"}]}""", KeyA);
        var events = Events(await response.Content.ReadAsStringAsync(Ct));

        // Assert
        Assert.Equal("error", events[^1].Name);
        Assert.Equal("overloaded_error", events[^1].Data.GetProperty("error").GetProperty("type").GetString());
        Assert.DoesNotContain(events, e => e.Name == "message_stop");
    }

    [Theory]
    [InlineData("""{"model":"auto","messages":[{"role":"user","content":"hi"}]}""", "max_tokens")]
    [InlineData("""{"model":"auto","max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"x"}}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"model":"auto","max_tokens":10,"tools":[{"type":"web_search_20250305","name":"web_search"}],"messages":[{"role":"user","content":"hi"}]}""", "tools[0].type")]
    [InlineData("""{"model":"auto","max_tokens":10,"tools":[{"name":"bad name!","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"hi"}]}""", "tools[0].name")]
    [InlineData("""{"model":"auto","max_tokens":10,"system":"s","messages":[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"tool_use","id":"","name":"f","input":{}}]}]}""", "messages[1].content[0].id")]
    [InlineData("""{"model":"auto","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/bmp","data":"AA=="}}]}]}""", "messages[0].content[0].source.media_type")]
    [InlineData("""{"model":"auto","max_tokens":10,"top_k":5,"messages":[{"role":"user","content":"hi"}]}""", "top_k")]
    [InlineData("""{"model":"auto","max_tokens":10,"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool"},"messages":[{"role":"user","content":"hi"}]}""", "tool_choice.name")]
    [InlineData("""{"model":"auto","max_tokens":10,"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":""},"messages":[{"role":"user","content":"hi"}]}""", "tool_choice.name")]
    public async Task Messages_BadInput_Is400InAnthropicsShape_NamingTheField(string body, string field)
    {
        // Act
        using var response = await PostAsync("/v1/messages", body, KeyA);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("error").GetProperty("type").GetString());
        Assert.StartsWith(field + ":", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, _h.Fake.RequestCount);
    }

    [Fact]
    public async Task Messages_AsAHostileTenant_NoKeyIs401_AnotherTenantsKeySeesNothing_SpentBudgetIs429()
    {
        // Arrange
        const string Body = """{"model":"gpt-5-mini","max_tokens":64,"messages":[{"role":"user","content":"hello"}]}""";
        using var noKey = await PostAsync("/v1/messages", Body, key: null);
        using var bearer = await PostAsync("/v1/messages", Body, key: null, ("Authorization", "Bearer " + KeyA));
        using var budget = await PostAsync("/api/cost/budget", """{"dailyLimitUsd":0.000001}""", KeyB);

        // Act: tenant b, over its budget, through both Anthropic routes.
        using var spent = await PostAsync("/v1/messages", Body, KeyB);
        using var count = await PostAsync("/v1/messages/count_tokens", """{"model":"auto","messages":[{"role":"user","content":"hello there"}]}""", KeyB);
        using var summaryB = await GetAsync("/api/cost/summary", KeyB);

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Equal("authentication_error", JsonDocument.Parse(await noKey.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, budget.StatusCode);
        Assert.Equal((HttpStatusCode)429, spent.StatusCode);
        Assert.Equal("rate_limit_error", JsonDocument.Parse(await spent.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, count.StatusCode);
        Assert.True(JsonDocument.Parse(await count.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("input_tokens").GetInt32() > 0);
        var b = JsonDocument.Parse(await summaryB.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(0, b.GetProperty("totalRequests").GetInt64());
        Assert.Equal(1, _h.Fake.RequestCount); // only tenant a's call reached the upstream
    }

    internal static List<(string Name, JsonElement Data)> Events(string text)
    {
        var events = new List<(string, JsonElement)>();
        string? name = null;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add((name ?? string.Empty, JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone()));
                name = null;
            }
        }

        return events;
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string body, string? key, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Add("x-api-key", key);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await _h.App.Http.SendAsync(request, Ct).DefaultTimeout();
    }

    private async Task<HttpResponseMessage> GetAsync(string path, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("x-api-key", key);
        return await _h.App.Http.SendAsync(request, Ct).DefaultTimeout();
    }
}
