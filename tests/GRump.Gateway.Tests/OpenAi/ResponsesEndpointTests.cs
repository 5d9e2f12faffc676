using System.Net;
using System.Text;
using System.Text.Json;
using GRump.Fakes;
using GRump.Gateway.Tests.Anthropic;
using GRump.Gateway.Tests.Cost;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;

namespace GRump.Gateway.Tests.OpenAi;

/// <summary>
/// POST /v1/responses on a real gateway: stateless (stored state is a clear 400), function calls both ways, semantic
/// stream events, thinking carried across a tool round trip, and the route as a hostile tenant sees it.
/// </summary>
public sealed class ResponsesEndpointTests : IAsyncLifetime
{
    private const string KeyA = "tenant-a-key-0123456789";
    private const string KeyB = "tenant-b-key-0123456789";

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

    [Theory]
    [InlineData("""{"model":"auto","input":"hi","previous_response_id":"resp_123"}""", "previous_response_id")]
    [InlineData("""{"model":"auto","input":"hi","store":true}""", "store")]
    [InlineData("""{"model":"auto","input":[{"type":"item_reference","id":"msg_1"}]}""", "input[0].type")]
    [InlineData("""{"model":"auto","input":"hi","tools":[{"type":"web_search"}]}""", "tools[0].type")]
    [InlineData("""{"model":"auto","input":"hi","tools":[{"type":"function","name":"x y","parameters":{"type":"object"}}]}""", "tools[0].name")]
    [InlineData("""{"model":"auto","instructions":"be brief","input":[{"type":"function_call","call_id":"","name":"f","arguments":"{}"}]}""", "input[0].call_id")]
    public async Task Responses_StatefulOrUnsupportedInput_Is400NamingTheField(string body, string field)
    {
        // Act
        using var response = await PostAsync(body, KeyA);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error");

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(field, error.GetProperty("param").GetString());
        Assert.Equal(0, _h.Fake.RequestCount);
    }

    [Fact]
    public async Task Responses_FunctionCallFromAnAnthropicUpstream_CarriesThinkingAndItsSignature_BackToAnthropic()
    {
        // Arrange
        _h.Fake.Enqueue(new FakeBehavior { RawBody = GoldenCostTests.Fixture("anthropic-tool-use.json") });
        _h.Fake.Enqueue(new FakeBehavior { Content = "18 °C and sunny." });
        const string Tools = """[{"type":"function","name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]""";

        // Act
        using var first = await PostAsync($$"""{"model":"claude-sonnet-4-5","max_output_tokens":2048,"reasoning":{"effort":"low"},"tools":{{Tools}},"input":"Weather in Paris?"}""", KeyA);
        var response = JsonDocument.Parse(await first.Content.ReadAsStringAsync(Ct)).RootElement;
        var output = response.GetProperty("output");
        var items = string.Join(",", output.EnumerateArray().Select(i => i.GetRawText()));
        using var second = await PostAsync($$"""{"model":"claude-sonnet-4-5","max_output_tokens":2048,"reasoning":{"effort":"low"},"tools":{{Tools}},"input":[{"role":"user","content":"Weather in Paris?"},{{items}},{"type":"function_call_output","call_id":"toolu_01A09q90qw90lq917835lq9","output":"18C sunny"}]}""", KeyA);
        var answer = JsonDocument.Parse(await second.Content.ReadAsStringAsync(Ct)).RootElement;

        // Assert
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("reasoning", output[0].GetProperty("type").GetString());
        Assert.Equal("EqQBCgIYAhIMsig1", output[0].GetProperty("encrypted_content").GetString());
        Assert.Equal("function_call", output[1].GetProperty("type").GetString());
        Assert.Equal("""{"city":"Paris"}""", output[1].GetProperty("arguments").GetString());
        Assert.Equal("18 °C and sunny.", answer.GetProperty("output")[0].GetProperty("content")[0].GetProperty("text").GetString());
        var sent = JsonDocument.Parse(_h.Fake.Requests[1].Body).RootElement.GetProperty("messages");
        var assistant = sent[1].GetProperty("content");
        Assert.Equal("thinking", assistant[0].GetProperty("type").GetString());
        Assert.Equal("EqQBCgIYAhIMsig1", assistant[0].GetProperty("signature").GetString());
        Assert.Equal("tool_use", assistant[1].GetProperty("type").GetString());
        Assert.Equal("tool_result", sent[2].GetProperty("content")[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Responses_Stream_EmitsSemanticEvents_InOrder_WithSequenceNumbers()
    {
        // Arrange
        _h.Fake.Enqueue(new FakeBehavior { RawBody = GoldenCostTests.Fixture("openai-tool-call.sse") });

        // Act
        using var response = await PostAsync("""{"model":"gpt-5-mini","stream":true,"input":"Weather in Paris?","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]}""", KeyA);
        var events = MessagesEndpointTests.Events(await response.Content.ReadAsStringAsync(Ct));

        // Assert
        Assert.Equal(
            ["response.created", "response.in_progress", "response.output_item.added", "response.function_call_arguments.delta",
             "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done", "response.completed"],
            events.Select(e => e.Name));
        Assert.Equal(Enumerable.Range(0, events.Count).Select(i => (long)i), events.Select(e => e.Data.GetProperty("sequence_number").GetInt64()));
        var completed = events[^1].Data.GetProperty("response");
        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.Equal("""{"city":"Paris"}""", completed.GetProperty("output")[0].GetProperty("arguments").GetString());
        Assert.Equal(60, completed.GetProperty("usage").GetProperty("input_tokens").GetInt64());
    }

    [Fact]
    public async Task Responses_AsAHostileTenant_NoKeyIs401_SpentBudgetIs429_AndNothingReachesTheUpstream()
    {
        // Arrange
        using var budget = await PostAsync("""{"dailyLimitUsd":0.000001}""", KeyB, "/api/cost/budget");

        // Act
        using var noKey = await PostAsync("""{"model":"gpt-5-mini","input":"hi"}""", key: null);
        using var badKey = await PostAsync("""{"model":"gpt-5-mini","input":"hi"}""", "not-a-key");
        using var spent = await PostAsync("""{"model":"gpt-5-mini","input":"hi"}""", KeyB);

        // Assert
        Assert.Equal(HttpStatusCode.OK, budget.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, badKey.StatusCode);
        Assert.Equal((HttpStatusCode)429, spent.StatusCode);
        Assert.Equal("budget_exhausted", JsonDocument.Parse(await spent.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(0, _h.Fake.RequestCount);
    }

    private async Task<HttpResponseMessage> PostAsync(string body, string? key, string path = "/v1/responses")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        return await _h.App.Http.SendAsync(request, Ct).DefaultTimeout();
    }
}
