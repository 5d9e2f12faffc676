using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GRump.Fakes;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.OpenAi;

/// <summary>
/// The OpenAI-compatible door against input a client gets wrong: OpenAI's error object (message, type, param,
/// snake_case code) with no .NET type names; invalid text → 400, never 500; 413 over the limit; models by id; the
/// embeddings model "auto" and "dimensions" where the model can shorten, else 400; unknown-model errors that list only
/// what this gateway can serve.
/// </summary>
public sealed class OpenAiHygieneTests(SharedGateway gateway)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800\"}]}", "messages[0].content")]
    [InlineData("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"\\udfff\"}]}]}", "messages[0].content[0].text")]
    [InlineData("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stop\":[\"\\ud800\"]}", "stop[0]")]
    [InlineData("/v1/embeddings", "{\"input\":[\"ok\",\"\\ud800\"]}", "input[1]")]
    public async Task Post_UnpairedSurrogateEscape_Is400NamingTheField(string path, string json, string param)
    {
        // Act
        var (status, error) = await PostAsync(path, Encoding.UTF8.GetBytes(json));

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal("invalid_argument", error.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"", "\"}]}")]
    [InlineData("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"", "\"}]}]}")]
    [InlineData("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stop\":\"", "\"}")]
    [InlineData("/v1/embeddings", "{\"input\":\"", "\"}")]
    [InlineData("/v1/embeddings", "{\"model\":\"", "\",\"input\":\"x\"}")]
    [InlineData("/v1/responses", "{\"input\":\"", "\"}")]
    [InlineData("/v1/messages", "{\"model\":\"auto\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"", "\"}]}")]
    [InlineData("/v1/messages/count_tokens", "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"", "\"}]}")]
    public async Task Post_InvalidUtf8_Is400NotA500(string path, string before, string after)
    {
        // Arrange: bytes FF FE inside the string
        byte[] body = [.. Encoding.UTF8.GetBytes(before), 0xff, 0xfe, .. Encoding.UTF8.GetBytes(after)];

        // Act
        var (status, error) = await PostAsync(path, body);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains("UTF-8", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"messages":"x"}""", "messages")]
    [InlineData("""{"messages":[{"role":5,"content":"hi"}]}""", "messages[0].role")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"temperature":"hot"}""", "temperature")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"n":1.5}""", "n")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"stream":"yes"}""", "stream")]
    public async Task Chat_WrongJsonType_NamesTheFieldWithoutDotNetTypes(string json, string param)
    {
        // Act
        var (status, error) = await PostAsync("/v1/chat/completions", Encoding.UTF8.GetBytes(json));

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal("invalid_argument", error.GetProperty("code").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.DoesNotContain("System.", message, StringComparison.Ordinal);
        Assert.DoesNotContain("GRump.", message, StringComparison.Ordinal);
        Assert.DoesNotContain("`", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"tool_choice":{"type":"function","function":{}}}""", "tool_choice.function.name")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":{"type":"function","function":{"name":""}}}""", "tool_choice.function.name")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":{"type":"custom","function":{"name":"f"}}}""", "tool_choice.type")]
    [InlineData("/v1/responses", """{"input":"hi","tool_choice":{"type":"function"}}""", "tool_choice.name")]
    [InlineData("/v1/responses", """{"input":"hi","tools":[{"type":"function","name":"f","parameters":{"type":"object"}}],"tool_choice":{"type":"function","name":""}}""", "tool_choice.name")]
    public async Task Post_ToolChoiceWithoutAName_Is400NamingTheName(string path, string json, string param)
    {
        // Act: a named-function tool choice that names nothing (absent or empty), or is not a function choice
        var (status, error) = await PostAsync(path, Encoding.UTF8.GetBytes(json));

        // Assert: refused at the door, naming the field as this door spells it
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.StartsWith(param + ": ", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("invalid_argument", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Post_OverTheLimit_Is413WithOpenAiError()
    {
        // Arrange: more than the door's limit, announced with Expect: 100-continue — the gateway answers 413 from the
        // Content-Length without reading the body, so a client that waits for "100 Continue" never sends it
        var body = Encoding.UTF8.GetBytes("{\"input\":\"" + new string('x', (int)GRump.Gateway.Hosting.RequestLimits.OpenAiMaxBodyBytes) + "\"}");

        // Act
        var (status, error) = await PostAsync("/v1/embeddings", body, expectContinue: true);

        // Assert
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("payload_too_large", error.GetProperty("code").GetString());
        Assert.Equal("body", error.GetProperty("param").GetString());
    }

    [Theory]
    [InlineData("/v1/responses", "payload_too_large")]
    [InlineData("/v1/messages", "request_too_large")]
    public async Task Post_OverTheLimit_Is413OnEveryV1Door(string path, string expected)
    {
        // Arrange: the OpenAI Responses and Anthropic Messages doors share /v1's one limit
        var body = Encoding.UTF8.GetBytes("{\"input\":\"" + new string('x', (int)GRump.Gateway.Hosting.RequestLimits.OpenAiMaxBodyBytes) + "\"}");

        // Act
        var (status, error) = await PostAsync(path, body, expectContinue: true);

        // Assert: OpenAI's code, or Anthropic's error type
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        var code = error.TryGetProperty("code", out var c) ? c.GetString() : error.GetProperty("type").GetString();
        Assert.Equal(expected, code);
    }

    [Fact]
    public async Task Embeddings_ModelAuto_IsTheDefaultModel()
    {
        // Act
        using var response = await gateway.App.Http.PostAsJsonAsync("/v1/embeddings", new { model = "auto", input = "hello" }, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("all-MiniLM-L6-v2", body.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData(384, HttpStatusCode.OK)]
    [InlineData(100, HttpStatusCode.BadRequest)]
    [InlineData(0, HttpStatusCode.BadRequest)]
    [InlineData(1000, HttpStatusCode.BadRequest)]
    public async Task Embeddings_Dimensions_OnlyWhatTheModelCanDo(int dimensions, HttpStatusCode expected)
    {
        // Act: the local MiniLM model has 384 dimensions and was not trained to be cut short
        using var response = await gateway.App.Http.PostAsJsonAsync("/v1/embeddings", new { input = "hello", dimensions }, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        // Assert
        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.OK)
        {
            Assert.Equal(384, body.GetProperty("data")[0].GetProperty("embedding").GetArrayLength());
        }
        else
        {
            Assert.Equal("dimensions", body.GetProperty("error").GetProperty("param").GetString());
        }
    }

    [Fact]
    public async Task Embeddings_Dimensions_ShortenableModel_ServesTheNormalizedPrefix()
    {
        // Arrange: a Matryoshka model on the fake NIM (8 values per vector)
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Routing:Models:0:Id"] = "moonshotai/kimi-k2.5", ["Routing:Models:0:Provider"] = "nim", ["Routing:Models:0:Tiers:0"] = "simple",
            ["Routing:Models:0:InputPricePerMillion"] = "0.6", ["Routing:Models:0:OutputPricePerMillion"] = "2.5",
            ["Routing:Models:1:Id"] = "claude-sonnet-4-5", ["Routing:Models:1:Provider"] = "anthropic", ["Routing:Models:1:Tiers:0"] = "complex",
            ["Routing:Models:1:InputPricePerMillion"] = "3", ["Routing:Models:1:OutputPricePerMillion"] = "15",
            ["Routing:Models:2:Id"] = "text-embedding-3-small", ["Routing:Models:2:Provider"] = "nim", ["Routing:Models:2:Capabilities:0"] = "embedding",
            ["Routing:Models:2:InputPricePerMillion"] = "0.02", ["Routing:Models:2:EmbeddingDimensions"] = "8", ["Routing:Models:2:ShortenableEmbeddings"] = "true",
        });

        // Act
        var full = await EmbedAsync(h.App.Http, new { model = "text-embedding-3-small", input = "shorten me" });
        var shortened = await EmbedAsync(h.App.Http, new { model = "text-embedding-3-small", input = "shorten me", dimensions = 3 });
        using var tooMany = await h.App.Http.PostAsJsonAsync("/v1/embeddings", new { model = "text-embedding-3-small", input = "x", dimensions = 9 }, Ct);

        // Assert
        Assert.Equal(8, full.Length);
        Assert.Equal(3, shortened.Length);
        var norm = Math.Sqrt(full[..3].Sum(v => (double)v * v));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(full[i] / norm, shortened[i], 5);
        }
        Assert.Equal(1, Math.Sqrt(shortened.Sum(v => (double)v * v)), 5);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Single(h.Fake.Requests, r => r.Endpoint == FakeEndpoint.Embeddings); // the shortened call was a cache hit of the full vector
    }

    [Fact]
    public async Task Models_ById_ListedModelWithSlash_IsFound_OthersAre404()
    {
        // Arrange: NIM configured (its models are served), a model id with a slash
        await using var h = await UpstreamHarness.StartAsync();

        // Act
        var listed = await h.App.Http.GetFromJsonAsync<JsonElement>("/v1/models", Ct);
        using var found = await h.App.Http.GetAsync("/v1/models/moonshotai/kimi-k2.5", Ct);
        using var missing = await h.App.Http.GetAsync("/v1/models/no-such-model", Ct);
        var error = (await missing.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error");

        // Assert
        Assert.Contains(listed.GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == "moonshotai/kimi-k2.5");
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal("moonshotai/kimi-k2.5", (await found.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task UnknownModel_ErrorsListOnlyModelsServedHere()
    {
        // Act: the shared gateway has no provider keys, only the local models
        var (_, chat) = await PostAsync("/v1/chat/completions", """{"model":"nope","messages":[{"role":"user","content":"hi"}]}"""u8.ToArray());
        var (_, embeddings) = await PostAsync("/v1/embeddings", """{"model":"nope","input":"hi"}"""u8.ToArray());

        // Assert
        var chatMessage = chat.GetProperty("message").GetString()!;
        Assert.Contains("grump-local-dev", chatMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("claude-sonnet-4-5", chatMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("kimi", chatMessage, StringComparison.Ordinal);
        var embeddingsMessage = embeddings.GetProperty("message").GetString()!;
        Assert.Contains("all-MiniLM-L6-v2", embeddingsMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("nv-embed", embeddingsMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GrpcEmbed_EachInputCarriesItsOwnCacheTier()
    {
        // Arrange
        var client = new EmbeddingService.EmbeddingServiceClient(gateway.App.Channel);
        var seen = "cached " + Guid.CreateVersion7();
        var fresh = "fresh " + Guid.CreateVersion7();
        await client.EmbedAsync(new EmbedRequest { Inputs = { seen } }, cancellationToken: Ct);

        // Act
        var response = await client.EmbedAsync(new EmbedRequest { Inputs = { seen, fresh } }, cancellationToken: Ct);

        // Assert
        Assert.Equal(CacheTier.L1, response.Embeddings[0].Cache);
        Assert.Equal(CacheTier.Miss, response.Embeddings[1].Cache);
    }

    private async Task<(HttpStatusCode Status, JsonElement Error)> PostAsync(string path, byte[] body, bool expectContinue = false)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.ExpectContinue = expectContinue;
        using var response = await gateway.App.Http.SendAsync(request, Ct);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (response.StatusCode, json.GetProperty("error").Clone());
    }

    private static async Task<float[]> EmbedAsync(HttpClient http, object request)
    {
        using var response = await http.PostAsJsonAsync("/v1/embeddings", request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return [.. body.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())];
    }
}
