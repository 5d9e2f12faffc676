using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using GRump.Fakes;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Auth;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Passthrough;

/// <summary>
/// The /v1 passthrough in keyed mode (two users, one admin), through real Kestrel and the fake upstream behind NIM,
/// tried as a hostile tenant would: no key, path tricks on both ports, unlisted paths, unpriced models, a spent budget.
/// </summary>
public sealed class PassthroughTests : IAsyncLifetime
{
    private const string KeyA = TestKeys.A;
    private const string KeyB = TestKeys.B;
    private const string AdminKey = TestKeys.Admin;
    private const double PerCallPrice = 0.002;

    private UpstreamHarness _h = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _h = await UpstreamHarness.StartAsync(TestKeys.Settings(new Dictionary<string, string?>
    {
        ["Passthrough:Routes:0:Path"] = "/v1/completions",
        ["Passthrough:Routes:0:Metering"] = "usage",
        ["Passthrough:Routes:1:Path"] = "/v1/moderations",
        ["Passthrough:Routes:1:Metering"] = "per-call",
        ["Passthrough:Routes:1:PricePerCallUsd"] = PerCallPrice.ToString(CultureInfo.InvariantCulture),
        ["Passthrough:Routes:2:Path"] = "/v1/files/*",
        ["Passthrough:Routes:2:Methods:0"] = "GET",
        ["Passthrough:Routes:2:Metering"] = "per-call",
        ["Passthrough:Routes:2:PricePerCallUsd"] = "0",
    }));

    public async ValueTask DisposeAsync() => await _h.DisposeAsync();

    public static TheoryData<string> PathTricks =>
    [
        "/v1//chat/completions",
        "/v1//completions",
        "/v1/%2Fchat/completions",
        "/v1/chat%2Fcompletions",
        "/v1/chat%2fcompletions",
        "/v1/./chat/completions",
        "/v1/x/../chat/completions",
        "/v1/%2e%2e/v1/completions",
        "/v1/%2E/completions",
        "/v1/.%2e/v1/completions",
        "/v1/completions/..",
        "/v1/chat%5ccompletions",
        "/v1/chat%5Ccompletions",
        "//v1/completions",
    ];

    [Fact]
    public async Task NoKey_IsUnauthenticated_OnEveryV1PathButModels_AndNothingIsForwarded()
    {
        foreach (var (method, path) in new[] { ("POST", "/v1/completions"), ("POST", "/v1/moderations"), ("GET", "/v1/files/abc"), ("POST", "/v1/anything"), ("POST", "/v1/chat/completions"), ("POST", "/v1/embeddings") })
        {
            using var response = await SendAsync(_h.App.Http, method, path, key: null, """{"model":"moonshotai/kimi-k2.5","prompt":"x"}""");
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path}: {response.StatusCode}");
        }

        using var models = await _h.App.Http.GetAsync("/v1/models", Ct);

        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        Assert.Equal(0, _h.Fake.RequestCount);
    }

    [Theory]
    [MemberData(nameof(PathTricks))]
    public async Task PathTricks_AreRefusedOnBothPorts_WithOrWithoutAKey_AndNeverReachTheUpstream(string path)
    {
        using var h2 = H2cClient(_h.App.GrpcUrl);
        foreach (var key in new[] { null, KeyA })
        {
            using var http1 = await SendAsync(_h.App.Http, "POST", path, key, """{"model":"moonshotai/kimi-k2.5","messages":[{"role":"user","content":"x"}]}""");
            using var http2 = await SendAsync(h2, "POST", path, key, """{"model":"moonshotai/kimi-k2.5","messages":[{"role":"user","content":"x"}]}""");

            Assert.Equal(HttpStatusCode.BadRequest, http1.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, http2.StatusCode);
            using var error = JsonDocument.Parse(await http1.Content.ReadAsStringAsync(Ct));
            Assert.Equal("path", error.RootElement.GetProperty("error").GetProperty("param").GetString());
        }

        Assert.Equal(0, _h.Fake.RequestCount);
    }

    [Fact]
    public async Task GrpcPort_ForwardsNothing_EvenAnAllowListedPathWithAKey()
    {
        using var h2 = H2cClient(_h.App.GrpcUrl);

        using var response = await SendAsync(h2, "POST", "/v1/moderations", KeyA, """{"input":"x"}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, _h.Fake.RequestCount);
    }

    [Theory]
    [InlineData("POST", "/v1/files")]
    [InlineData("POST", "/v1/files/abc")]
    [InlineData("DELETE", "/v1/files/abc")]
    [InlineData("POST", "/v1/assistants")]
    [InlineData("GET", "/v1/completions")]
    [InlineData("GET", "/v1/chat/completions")]
    [InlineData("POST", "/v1")]
    public async Task UnlistedPathOrMethod_Is404_AndNotForwarded(string method, string path)
    {
        using var response = await SendAsync(_h.App.Http, method, path, KeyA, """{"model":"moonshotai/kimi-k2.5","prompt":"x"}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("not_found", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(0, _h.Fake.RequestCount);
    }

    [Fact]
    public async Task UsageRoute_Json_SendsTheProviderKeyAndTheReservedLimit_AndBillsTheAnswersUsage()
    {
        // Arrange
        const string answer = """{"id":"cmpl-1","object":"text_completion","model":"moonshotai/kimi-k2.5","choices":[{"text":"hi","index":0}],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}""";
        _h.Fake.Default = new FakeBehavior { RawBody = answer };
        using var request = Request(_h.App.Http, "POST", "/v1/completions", KeyA, """{"model":"moonshotai/kimi-k2.5","prompt":"Say hi","max_tokens":100000}""");
        request.Headers.Add("x-api-key", "callers-other-key");
        request.Headers.Add("Cookie", "session=secret");

        // Act
        using var response = await _h.App.Http.SendAsync(request, Ct).DefaultTimeout();
        var body = await response.Content.ReadAsStringAsync(Ct);
        var summary = await Summary(KeyA);

        // Assert: relayed as it came, the caller's credentials stripped, the provider's key set, the output capped.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(answer, body);
        var sent = Assert.Single(_h.Fake.Requests);
        Assert.Equal("/v1/completions", sent.Path);
        Assert.Equal("Bearer " + UpstreamHarness.NimKey, sent.Header("Authorization"));
        Assert.Null(sent.Header("x-api-key"));
        Assert.Null(sent.Header("Cookie"));
        using var forwarded = JsonDocument.Parse(sent.Body);
        Assert.Equal(100000, forwarded.RootElement.GetProperty("max_tokens").GetInt32()); // Kimi has no max output: the request's own limit
        Assert.Equal("Say hi", forwarded.RootElement.GetProperty("prompt").GetString());

        // One ledger row for tenant a, priced from the answer's usage.
        Assert.Equal(1, summary.TotalRequests);
        Assert.Equal(((7 * 0.60) + (3 * 2.50)) / 1e6, summary.TotalCost, 12);
        Assert.Equal(summary.TotalCost, summary.CostByOperation["passthrough"], 12);
        Assert.Equal(summary.TotalCost, summary.CostByModel[ModelRegistry.KimiK25], 12);
    }

    [Fact]
    public async Task UsageRoute_WithoutALimit_GetsTheDefaultOutputLimit()
    {
        _h.Fake.Default = new FakeBehavior { RawBody = """{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}""" };

        using var response = await SendAsync(_h.App.Http, "POST", "/v1/completions", KeyA, """{"model":"moonshotai/kimi-k2.5","prompt":"Say hi"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var forwarded = JsonDocument.Parse(Assert.Single(_h.Fake.Requests).Body);
        Assert.Equal(1024, forwarded.RootElement.GetProperty("max_tokens").GetInt32());
    }

    [Fact]
    public async Task UsageRoute_Sse_AsksForUsage_StreamsThrough_AndBillsTheFinalUsageChunk()
    {
        // Arrange
        var stream = new StringBuilder()
            .Append("data: {\"choices\":[{\"text\":\"Hel\",\"index\":0}],\"usage\":null}\n\n")
            .Append("data: {\"choices\":[{\"text\":\"lo\",\"index\":0,\"finish_reason\":\"stop\"}],\"usage\":null}\n\n")
            .Append("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":2,\"total_tokens\":13}}\n\n")
            .Append("data: [DONE]\n\n")
            .ToString();
        _h.Fake.Default = new FakeBehavior { RawBody = stream, RawContentType = "text/event-stream" };

        // Act
        using var response = await SendAsync(_h.App.Http, "POST", "/v1/completions", KeyB, """{"model":"moonshotai/kimi-k2.5","prompt":"Say hello","stream":true}""");
        var body = await response.Content.ReadAsStringAsync(Ct);
        var summary = await Summary(KeyB);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(stream, body);
        using var forwarded = JsonDocument.Parse(Assert.Single(_h.Fake.Requests).Body);
        Assert.True(forwarded.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.Equal(((11 * 0.60) + (2 * 2.50)) / 1e6, summary.TotalCost, 12);
        Assert.Equal(1, summary.TotalRequests);
    }

    [Fact]
    public async Task UsageRoute_AnswerWithoutUsage_IsBilledAtItsReservation_NeverAtNothing()
    {
        _h.Fake.Default = new FakeBehavior { RawBody = """{"choices":[{"text":"hi"}]}""" };

        using var response = await SendAsync(_h.App.Http, "POST", "/v1/completions", KeyA, """{"model":"moonshotai/kimi-k2.5","prompt":"Say hi","max_tokens":10}""");
        var summary = await Summary(KeyA);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(summary.TotalCost >= 10 * 2.50 / 1e6, $"billed {summary.TotalCost}");
    }

    [Theory]
    [InlineData("""{"prompt":"x"}""", "model")]
    [InlineData("""{"model":"gpt-4o-mini","prompt":"x"}""", "model")]
    [InlineData("""{"model":"moonshotai/kimi-k2.5","prompt":"x","max_tokens":-5}""", "max_tokens")]
    [InlineData("""{"model":"moonshotai/kimi-k2.5","prompt":"x","max_tokens":"lots"}""", "max_tokens")]
    [InlineData("""{"model":"moonshotai/kimi-k2.5","max_tokens":5,"max_tokens":100000}""", "body")]
    [InlineData("""[1,2]""", "body")]
    [InlineData("""not json""", "body")]
    public async Task UsageRoute_UnpricedModelOrBadBody_IsRefused_AndNotForwarded(string json, string field)
    {
        using var response = await SendAsync(_h.App.Http, "POST", "/v1/completions", KeyA, json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(field, error.RootElement.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal(0, _h.Fake.RequestCount);
    }

    [Fact]
    public async Task UsageRoute_ModelOfANonOpenAiProvider_IsRefused()
    {
        using var response = await SendAsync(_h.App.Http, "POST", "/v1/completions", KeyA, $$"""{"model":"{{ModelRegistry.ClaudeSonnet}}","prompt":"x"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, _h.Fake.RequestCount);
    }

    [Fact]
    public async Task PerCallRoutes_BillTheirConfiguredPrice_AndKeepTheQuery()
    {
        using var moderation = await SendAsync(_h.App.Http, "POST", "/v1/moderations", KeyA, """{"input":"is this fine?"}""");
        using var file = await SendAsync(_h.App.Http, "GET", "/v1/files/file-123?purpose=batch", KeyA, json: null);
        var summary = await Summary(KeyA);

        Assert.Equal(HttpStatusCode.OK, moderation.StatusCode);
        Assert.Equal(PerCallPrice, double.Parse(moderation.Headers.GetValues("x-grump-cost-usd").Single(), CultureInfo.InvariantCulture), 12);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal(["/v1/moderations", "/v1/files/file-123"], _h.Fake.Requests.Select(r => r.Path));
        Assert.Equal("?purpose=batch", _h.Fake.Requests[1].QueryString);
        Assert.Equal(2, summary.TotalRequests);
        Assert.Equal(PerCallPrice, summary.TotalCost, 12);
    }

    [Fact]
    public async Task SpentBudget_Is429_OnEveryPathThatSpends_AndNothingMoreReachesTheUpstream()
    {
        // Arrange: an admin gives tenant b $0.002 a day; one per-call passthrough spends all of it.
        await new CostService.CostServiceClient(_h.App.Channel).SetBudgetAsync(new SetBudgetRequest { UserId = "b", DailyLimitUsd = PerCallPrice }, Key(AdminKey), cancellationToken: Ct);
        using (var spend = await SendAsync(_h.App.Http, "POST", "/v1/moderations", KeyB, """{"input":"x"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, spend.StatusCode);
        }

        var forwarded = _h.Fake.RequestCount;

        // Act + Assert: every door that can spend is refused before the upstream.
        var chat = new ChatService.ChatServiceClient(_h.App.Channel);
        var embed = new EmbeddingService.EmbeddingServiceClient(_h.App.Channel);
        var grpcChat = await Assert.ThrowsAsync<RpcException>(() => chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("hi", ModelRegistry.KimiK25) }, Key(KeyB), cancellationToken: Ct).ResponseAsync);
        var grpcStream = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = chat.StreamComplete(new StreamCompleteRequest { Chat = UpstreamHarness.Ask("hi", ModelRegistry.KimiK25) }, Key(KeyB), cancellationToken: Ct);
            await call.ResponseStream.MoveNext(Ct);
        });
        var grpcEmbed = await Assert.ThrowsAsync<RpcException>(() => embed.EmbedAsync(new EmbedRequest { Inputs = { "hello" } }, Key(KeyB), cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, grpcChat.StatusCode);
        Assert.Equal(StatusCode.ResourceExhausted, grpcStream.StatusCode);
        Assert.Equal(StatusCode.ResourceExhausted, grpcEmbed.StatusCode);
        foreach (var (path, json) in new[]
        {
            ("/api/chat/complete", """{"messages":[{"role":"user","content":"hi"}],"model":"moonshotai/kimi-k2.5"}"""),
            ("/api/embeddings", """{"inputs":["hello"]}"""),
            ("/v1/chat/completions", """{"model":"moonshotai/kimi-k2.5","messages":[{"role":"user","content":"hi"}]}"""),
            ("/v1/chat/completions", """{"model":"moonshotai/kimi-k2.5","stream":true,"messages":[{"role":"user","content":"hi"}]}"""),
            ("/v1/embeddings", """{"input":"hello"}"""),
            ("/v1/messages", """{"model":"moonshotai/kimi-k2.5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}"""),
            ("/v1/messages", """{"model":"moonshotai/kimi-k2.5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}"""),
            ("/v1/responses", """{"model":"moonshotai/kimi-k2.5","input":"hi"}"""),
            ("/v1/responses", """{"model":"moonshotai/kimi-k2.5","stream":true,"input":"hi"}"""),
            ("/api/plan", """{"message":"Todo app"}"""),
            ("/v1/completions", """{"model":"moonshotai/kimi-k2.5","prompt":"hi"}"""),
            ("/v1/moderations", """{"input":"x"}"""),
        })
        {
            using var response = await SendAsync(_h.App.Http, "POST", path, KeyB, json);
            Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"{path} ({json}): {response.StatusCode}");
        }

        Assert.Equal(forwarded, _h.Fake.RequestCount);

        // Issue 15, item 5: the user cannot lift the admin's budget to get going again.
        using var lift = await SendAsync(_h.App.Http, "POST", "/api/cost/budget", KeyB, """{"dailyLimitUsd":0}""");
        using var after = await SendAsync(_h.App.Http, "POST", "/v1/moderations", KeyB, """{"input":"x"}""");
        Assert.Equal(HttpStatusCode.Forbidden, lift.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, after.StatusCode);
    }

    [Fact]
    public async Task UpstreamAuthError_BodyIsNeverRelayed()
    {
        _h.Fake.Default = new FakeBehavior { StatusCode = 401, ErrorMessage = $"Incorrect API key provided: {UpstreamHarness.NimKey}. See https://example.com/keys" };

        using var response = await SendAsync(_h.App.Http, "POST", "/v1/moderations", KeyA, """{"input":"x"}""");
        var body = await ErrorMessage(response);
        var summary = await Summary(KeyA);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("'nim' answered 401", body, StringComparison.Ordinal);
        Assert.DoesNotContain(UpstreamHarness.NimKey, body, StringComparison.Ordinal);
        Assert.DoesNotContain("Incorrect API key", body, StringComparison.Ordinal);
        Assert.Equal(0, summary.TotalRequests); // a refused call costs nothing
    }

    [Fact]
    public async Task UpstreamError_KeyLikeTextIsRedacted()
    {
        _h.Fake.Default = new FakeBehavior { StatusCode = 400, ErrorMessage = "Bad value; your key sk-proj-A1b2C3d4E5f6G7h8 and Bearer tokenvalue were logged" };

        using var response = await SendAsync(_h.App.Http, "POST", "/v1/moderations", KeyA, """{"input":"x"}""");
        var body = await ErrorMessage(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'nim' answered 400: Bad value", body, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-proj", body, StringComparison.Ordinal);
        Assert.DoesNotContain("tokenvalue", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableUpstream_Is503_AndTheReservationIsReleased()
    {
        await using var dead = await UpstreamHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Passthrough:Routes:0:Path"] = "/v1/moderations",
            ["Passthrough:Routes:0:Metering"] = "per-call",
            ["Passthrough:Routes:0:PricePerCallUsd"] = "0.5",
        }, nimUrl: "http://127.0.0.1:1");
        await new CostService.CostServiceClient(dead.App.Channel).SetBudgetAsync(new SetBudgetRequest { DailyLimitUsd = 1 }, cancellationToken: Ct);

        using var response = await SendAsync(dead.App.Http, "POST", "/v1/moderations", key: null, """{"input":"x"}""");
        var budget = await new CostService.CostServiceClient(dead.App.Channel).GetBudgetAsync(new GetBudgetRequest(), cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(0, budget.Status.ReservedUsd);
        Assert.Equal(0, budget.Status.DailySpentUsd);
    }

    private static async Task<string> ErrorMessage(HttpResponseMessage response)
    {
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return error.RootElement.GetProperty("error").GetProperty("message").GetString()!;
    }

    private static Metadata Key(string key) => TestKeys.Bearer(key);

    private async Task<GetSummaryResponse> Summary(string key) =>
        await new CostService.CostServiceClient(_h.App.Channel).GetSummaryAsync(new GetSummaryRequest(), Key(key), cancellationToken: Ct).ResponseAsync.DefaultTimeout();

    /// <summary>An HTTP/2 cleartext (prior knowledge) client for the gRPC port.</summary>
    private static HttpClient H2cClient(Uri baseAddress) => new()
    {
        BaseAddress = baseAddress,
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = TestTimeouts.Default,
    };

    /// <summary>A request whose path goes out exactly as written: no dot-segment removal, no unescaping.</summary>
    private static HttpRequestMessage Request(HttpClient client, string method, string path, string? key, string? json)
    {
        var target = new Uri(client.BaseAddress!.GetLeftPart(UriPartial.Authority) + path, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        var request = new HttpRequestMessage(new HttpMethod(method), target)
        {
            Version = client.DefaultRequestVersion,
            VersionPolicy = client.DefaultVersionPolicy,
        };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return request;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path, string? key, string? json)
    {
        using var request = Request(client, method, path, key, json);
        return await client.SendAsync(request, Ct).DefaultTimeout();
    }
}
