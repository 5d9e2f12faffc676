using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using GRump.Fakes;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Dashboard;

/// <summary>
/// The dashboard's routes on the real gateway in keyed mode, as a hostile caller would try them: the static shell,
/// <c>/api/dashboard/session</c> and the live feed <c>/api/cost/events</c> with no key, a bad key, another tenant's
/// userId and an admin key; and the data the page reads that this feature added to the contract.
/// </summary>
public sealed class DashboardRouteTests : IAsyncLifetime
{
    internal const string KeyA = "dash-tenant-a-key-0123456789";
    internal const string KeyB = "dash-tenant-b-key-0123456789";
    internal const string AdminKey = "dash-admin-key-0123456789ab";

    private UpstreamHarness _h = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static Dictionary<string, string?> KeyedSettings(IDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:Keys:0:Key"] = KeyA,
            ["Auth:Keys:0:Tenant"] = "a",
            ["Auth:Keys:1:Key"] = KeyB,
            ["Auth:Keys:1:Tenant"] = "b",
            ["Auth:Keys:2:Key"] = AdminKey,
            ["Auth:Keys:2:Tenant"] = "ops",
            ["Auth:Keys:2:Role"] = "admin",
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        return settings;
    }

    public async ValueTask InitializeAsync() => _h = await UpstreamHarness.StartAsync(KeyedSettings(new Dictionary<string, string?>
    {
        ["Dashboard:MaxFeedsPerTenant"] = "2",
        ["Providers:Nim:MaxRetries"] = "0",
        ["Providers:Nim:CircuitMinimumThroughput"] = "2",
    }));

    public async ValueTask DisposeAsync() => await _h.DisposeAsync();

    [Theory]
    [InlineData("/", "text/html")]
    [InlineData("/dashboard/app.js", "text/javascript")]
    [InlineData("/dashboard/app.css", "text/css")]
    [InlineData("/dashboard/lib/chart.js/chart.umd.min.js", "text/javascript")]
    [InlineData("/dashboard/lib/chart.js/LICENSE.md", "text/markdown")]
    [InlineData("/dashboard/favicon.svg", "image/svg+xml")]
    public async Task StaticShell_WithoutAKey_IsServedWithASelfOnlyContentSecurityPolicy(string path, string mediaType)
    {
        // Act
        using var response = await Send(HttpMethod.Get, path, key: null);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        var csp = string.Join(' ', response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task StaticShell_HoldsNoTenantData_AndLoadsNothingFromOtherOrigins()
    {
        // Arrange: a tenant with spend, so any data baked into the shell would show.
        await _h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("hi", ModelRegistry.KimiK25) }, Key(KeyA), cancellationToken: Ct);

        // Act
        var html = await _h.App.Http.GetStringAsync("/", Ct);
        var script = await _h.App.Http.GetStringAsync("/dashboard/app.js", Ct);

        // Assert
        Assert.DoesNotContain(ModelRegistry.KimiK25, html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", script, StringComparison.Ordinal);
        Assert.DoesNotContain("new EventSource", script, StringComparison.Ordinal); // the key would have to go in the URL
    }

    [Fact]
    public async Task VendoredChartJs_IsByteForByteTheNpmPackage()
    {
        // Arrange
        var npm = Path.Combine(ExternalTool.InteropDir, "node_modules", "chart.js", "dist", "chart.umd.min.js");
        ExternalTool.Require(npm, "run `npm ci --prefix tests/interop`");

        // Act
        var served = await _h.App.Http.GetByteArrayAsync("/dashboard/lib/chart.js/chart.umd.min.js", Ct);

        // Assert: tests/interop/package.json pins the version the gateway ships; bump both together.
        Assert.Equal(await File.ReadAllBytesAsync(npm, Ct), served);
    }

    [Fact]
    public async Task Session_NoKey_SaysOnlyThatAKeyIsNeeded()
    {
        // Act
        using var response = await Send(HttpMethod.Get, "/api/dashboard/session", key: null);
        var session = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(session.GetProperty("authenticated").GetBoolean());
        Assert.True(session.GetProperty("keyed").GetBoolean());
        Assert.Equal(string.Empty, session.GetProperty("userId").GetString());
        Assert.Equal(0, session.GetProperty("tenants").GetArrayLength());
    }

    [Fact]
    public async Task Session_BadKey_Is401_InTheApisErrorShape()
    {
        // Act
        using var response = await Send(HttpMethod.Get, "/api/dashboard/session", "not-a-key");
        var error = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal((int)StatusCode.Unauthenticated, error.GetProperty("code").GetInt32());
        Assert.Contains("not valid", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains(error.GetProperty("details").EnumerateArray(), d => d.GetProperty("reason").GetString() == "API_KEY_INVALID");
    }

    [Theory]
    [InlineData(KeyA, "a", false, new[] { "a" })]
    [InlineData(AdminKey, "ops", true, new[] { "a", "b", "ops" })]
    public async Task Session_ValidKey_NamesItsTenant_AndOnlyAdminsSeeTheOthers(string key, string tenant, bool admin, string[] tenants)
    {
        // Act
        var session = await (await Send(HttpMethod.Get, "/api/dashboard/session", key)).Content.ReadFromJsonAsync<JsonElement>(Ct);

        // Assert
        Assert.True(session.GetProperty("authenticated").GetBoolean());
        Assert.Equal(tenant, session.GetProperty("userId").GetString());
        Assert.Equal(admin, session.GetProperty("admin").GetBoolean());
        Assert.Equal(tenants, session.GetProperty("tenants").EnumerateArray().Select(t => t.GetString()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-key")]
    public async Task Events_NoOrBadKey_Is401_BeforeAnyStream(string? key)
    {
        // Act
        using var response = await Send(HttpMethod.Get, "/api/cost/events", key);

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Events_AnotherTenantsUserId_Is403()
    {
        // Act
        using var response = await Send(HttpMethod.Get, "/api/cost/events?userId=b", KeyA);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        // Assert
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains(error.GetProperty("details").EnumerateArray(), d => d.GetProperty("reason").GetString() == "OTHER_TENANT");
    }

    [Fact]
    public async Task Events_UserKey_StreamsItsOwnRecordsOnly()
    {
        // Arrange
        await using var feed = await SseFeed.OpenAsync(_h.App.Http, "/api/cost/events", KeyA);

        // Act: tenant b spends first, then tenant a.
        await _h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("b spends", ModelRegistry.KimiK25) }, Key(KeyB), cancellationToken: Ct);
        var mine = await _h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("a spends", ModelRegistry.KimiK25) }, Key(KeyA), cancellationToken: Ct);
        var (name, data) = await feed.NextEventAsync();

        // Assert: the first event after b's call is a's own record, with the contract's field names.
        Assert.Equal("record", name);
        Assert.Equal("a", data.GetProperty("userId").GetString());
        Assert.Equal(ModelRegistry.KimiK25, data.GetProperty("model").GetString());
        Assert.Equal(mine.Outcome.CostUsd, data.GetProperty("costUsd").GetDouble(), 12);
    }

    [Fact]
    public async Task Events_AdminKey_FollowsTheTenantItNames()
    {
        // Arrange
        await using var feed = await SseFeed.OpenAsync(_h.App.Http, "/api/cost/events?userId=b", AdminKey);
        Assert.Equal("b", feed.Ready.GetProperty("userId").GetString());

        // Act
        await _h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("a spends", ModelRegistry.KimiK25) }, Key(KeyA), cancellationToken: Ct);
        await _h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("b spends", ModelRegistry.KimiK25) }, Key(KeyB), cancellationToken: Ct);
        var (name, data) = await feed.NextEventAsync();

        // Assert
        Assert.Equal("record", name);
        Assert.Equal("b", data.GetProperty("userId").GetString());
    }

    [Fact]
    public async Task Events_BudgetAlert_IsAnAlertEvent()
    {
        // Arrange: each call costs (1000 × 0.60 + 1000 × 2.50) / 1e6 = $0.0031; 50 % of $0.005 is crossed by the first.
        _h.Fake.Default = new FakeBehavior { PromptTokens = 1000, CompletionTokens = 1000 };
        using var budget = await Send(HttpMethod.Post, "/api/cost/budget", KeyB, """{"dailyLimitUsd":0.005,"alertThresholdPercent":50}""");
        Assert.Equal(HttpStatusCode.OK, budget.StatusCode);
        await using var feed = await SseFeed.OpenAsync(_h.App.Http, "/api/cost/events", KeyB);

        // Act
        var request = UpstreamHarness.Ask("spend", ModelRegistry.KimiK25);
        request.MaxTokens = 100;
        await _h.Chat.CompleteAsync(new CompleteRequest { Chat = request }, Key(KeyB), cancellationToken: Ct);
        var first = await feed.NextEventAsync();
        var second = await feed.NextEventAsync();

        // Assert
        Assert.Equal("record", first.Name);
        Assert.Equal("alert", second.Name);
        Assert.StartsWith("daily:", second.Data.GetProperty("period").GetString(), StringComparison.Ordinal);
        Assert.Equal(0.005, second.Data.GetProperty("limitUsd").GetDouble());
    }

    [Fact]
    public async Task Events_OverTheTenantsFeedCap_Is429_UntilOneCloses()
    {
        // Arrange: the cap is 2 per tenant here.
        var first = await SseFeed.OpenAsync(_h.App.Http, "/api/cost/events", KeyA);
        await using var second = await SseFeed.OpenAsync(_h.App.Http, "/api/cost/events", KeyA);

        // Act
        using var refused = await Send(HttpMethod.Get, "/api/cost/events", KeyA);
        await using (var otherTenant = await SseFeed.OpenAsync(_h.App.Http, "/api/cost/events", KeyB))
        {
            Assert.Equal("b", otherTenant.Ready.GetProperty("userId").GetString());
        }
        var closed = _h.App.Logs.WaitForAsync(e => e.Message.StartsWith("Live cost feed closed for tenant a", StringComparison.Ordinal), Ct);
        await first.DisposeAsync();
        await closed.DefaultTimeout();
        await using var third = await SseFeed.OpenAsync(_h.App.Http, "/api/cost/events", KeyA);

        // Assert
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal("a", third.Ready.GetProperty("userId").GetString());
    }

    [Fact]
    public async Task WatchCost_PastTheTenantsFeedCap_IsResourceExhausted_OtherTenantsStillWatch()
    {
        // Arrange: the cap is 2 (InitializeAsync); two watches of tenant a are open.
        var client = new CostService.CostServiceClient(_h.App.Channel);
        using var first = client.WatchCost(new WatchCostRequest(), Key(KeyA), cancellationToken: Ct);
        using var second = client.WatchCost(new WatchCostRequest(), Key(KeyA), cancellationToken: Ct);
        await first.ResponseHeadersAsync.DefaultTimeout();
        await second.ResponseHeadersAsync.DefaultTimeout();

        // Act
        using var third = client.WatchCost(new WatchCostRequest(), Key(KeyA), cancellationToken: Ct);
        var refused = await Assert.ThrowsAsync<RpcException>(() => third.ResponseStream.MoveNext(Ct)).DefaultTimeout();
        using var otherTenant = client.WatchCost(new WatchCostRequest(), Key(KeyB), cancellationToken: Ct);
        await otherTenant.ResponseHeadersAsync.DefaultTimeout();

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("MaxFeedsPerTenant", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_AfterCalls_ReportOverheadPercentiles_AndEveryUpstreamDestination()
    {
        // Arrange
        await _h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("one", ModelRegistry.KimiK25) }, Key(KeyA), cancellationToken: Ct);
        await _h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("two", ModelRegistry.ClaudeSonnet) }, Key(KeyA), cancellationToken: Ct);

        // Act
        var stats = await new CostService.CostServiceClient(_h.App.Channel).GetStatsAsync(new GetStatsRequest(), Key(KeyA), cancellationToken: Ct);
        var asAdmin = await new CostService.CostServiceClient(_h.App.Channel).GetStatsAsync(new GetStatsRequest(), Key(AdminKey), cancellationToken: Ct);

        // Assert
        Assert.True(stats.Overhead.Count >= 2, $"overhead count {stats.Overhead.Count}");
        Assert.InRange(stats.Overhead.P50Ms, 0.000001, stats.Overhead.P99Ms);
        Assert.InRange(stats.Overhead.P99Ms, stats.Overhead.P50Ms, stats.Overhead.MaxMs);
        Assert.Equal(300, stats.Overhead.WindowSeconds);
        var upstreams = stats.Upstreams.ToDictionary(u => u.Provider);
        Assert.Equal(["anthropic", "nim"], upstreams.Keys.Order(StringComparer.Ordinal));
        var nim = Assert.Single(upstreams["nim"].Destinations);
        Assert.Equal("nim-0", nim.Id);
        Assert.Equal("closed", nim.Circuit);
        Assert.Equal(string.Empty, nim.Address); // a user key does not learn the operator's upstream hosts
        var adminNim = asAdmin.Upstreams.Single(u => u.Provider == "nim").Destinations.Single();
        Assert.StartsWith(_h.Fake.BaseUrl.TrimEnd('/'), adminNim.Address.TrimEnd('/'), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_UpstreamFailing_ShowsItsCircuitOpen_AndPassiveHealthUnhealthy()
    {
        // Arrange: NIM answers 503; with 2 calls of throughput and a 50 % failure ratio its circuit opens.
        for (var i = 0; i < 4; i++)
        {
            _h.Fake.Enqueue(new FakeBehavior { StatusCode = 503 });
        }
        for (var i = 0; i < 4; i++)
        {
            var call = _h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask($"fail {i}", ModelRegistry.KimiK25) }, Key(KeyA), cancellationToken: Ct);
            var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        }

        // Act
        var stats = await new CostService.CostServiceClient(_h.App.Channel).GetStatsAsync(new GetStatsRequest(), Key(KeyA), cancellationToken: Ct);

        // Assert
        var nim = Assert.Single(stats.Upstreams.Single(u => u.Provider == "nim").Destinations);
        Assert.Equal("open", nim.Circuit);
        Assert.Equal("unhealthy", nim.PassiveHealth);
        Assert.Equal("unknown", nim.ActiveHealth); // no active health check path is configured
        Assert.Equal("closed", stats.Upstreams.Single(u => u.Provider == "anthropic").Destinations.Single().Circuit);
    }

    [Fact]
    public async Task Realtime_CostByHour_ListsTheLast24Hours_WithThisHoursSpend()
    {
        // Arrange
        var cost = (await _h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("hourly", ModelRegistry.KimiK25) }, Key(KeyA), cancellationToken: Ct)).Outcome.CostUsd;

        // Act
        var realtime = await new CostService.CostServiceClient(_h.App.Channel).GetRealtimeAsync(new GetRealtimeRequest(), Key(KeyA), cancellationToken: Ct);

        // Assert
        Assert.Equal(24, realtime.CostByHour.Count);
        var hours = realtime.CostByHour.Select(h => DateTimeOffset.Parse(h.Hour, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.All(hours.Zip(hours.Skip(1)), pair => Assert.Equal(TimeSpan.FromHours(1), pair.Second - pair.First));
        var now = TimeProvider.System.GetUtcNow();
        Assert.InRange(now - hours[^1], TimeSpan.Zero, TimeSpan.FromHours(1));
        Assert.Equal(cost, realtime.CostByHour[^1].Cost, 12);
        Assert.Equal(1, realtime.CostByHour[^1].Requests);
        Assert.Equal(realtime.LastHourCost, realtime.CostByHour.Sum(h => h.Cost), 12);
    }

    [Fact]
    public async Task Summary_CostByProvider_SumsEachModelUnderItsRegistryProvider()
    {
        // Arrange
        var kimi = (await _h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("cheap", ModelRegistry.KimiK25) }, Key(KeyB), cancellationToken: Ct)).Outcome.CostUsd;
        var claude = (await _h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("premium", ModelRegistry.ClaudeSonnet) }, Key(KeyB), cancellationToken: Ct)).Outcome.CostUsd;

        // Act
        var summary = await (await Send(HttpMethod.Get, "/api/cost/summary", KeyB)).Content.ReadFromJsonAsync<JsonElement>(Ct);

        // Assert
        var byProvider = summary.GetProperty("costByProvider");
        Assert.Equal(kimi, byProvider.GetProperty("nim").GetDouble(), 12);
        Assert.Equal(claude, byProvider.GetProperty("anthropic").GetDouble(), 12);
        Assert.Equal(summary.GetProperty("totalCost").GetDouble(), byProvider.EnumerateObject().Sum(p => p.Value.GetDouble()), 12);
    }

    private static Metadata Key(string key) => new() { { "authorization", "Bearer " + key } };

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string? key, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        return await _h.App.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct).DefaultTimeout();
    }
}

/// <summary>A Server-Sent Events reader over a real HTTP response: opened once the server said <c>ready</c>.</summary>
internal sealed class SseFeed : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseFeed(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public JsonElement Ready { get; private set; }

    public static async Task<SseFeed> OpenAsync(HttpClient http, string path, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken).DefaultTimeout();
        if (!response.IsSuccessStatusCode)
        {
            var status = response.StatusCode;
            response.Dispose();
            throw new HttpRequestException($"feed answered {(int)status}", null, status);
        }
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var feed = new SseFeed(response, new StreamReader(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken)));
        var (name, data) = await feed.NextEventAsync();
        Assert.Equal("ready", name);
        feed.Ready = data;
        return feed;
    }

    /// <summary>The next named event (comment lines skipped), bounded by the default timeout.</summary>
    public async Task<(string Name, JsonElement Data)> NextEventAsync()
    {
        string? name = null;
        var data = new StringBuilder();
        while (true)
        {
            var line = await _reader.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().DefaultTimeout()
                ?? throw new InvalidOperationException("The feed ended.");
            if (line.Length == 0)
            {
                if (name is not null)
                {
                    using var json = JsonDocument.Parse(data.ToString());
                    return (name, json.RootElement.Clone());
                }
                continue;
            }
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Append(line["data: ".Length..]);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
