using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Grpc.Core;
using GRump.Gateway.Auth;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Auth;

/// <summary>Keyed mode: API keys → tenant and role, tenant isolation of cost data and budgets, rate limits.</summary>
public sealed class AuthTests : IAsyncLifetime
{
    private const string KeyA = "tenant-a-key-0123456789";
    private const string KeyB = "tenant-b-key-0123456789";
    private const string AdminKey = "admin-key-0123456789abc";

    private UpstreamHarness _h = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _h = await UpstreamHarness.StartAsync(new Dictionary<string, string?>
    {
        ["Auth:Keys:0:Key"] = KeyA,
        ["Auth:Keys:0:Tenant"] = "a",
        // A stored hash works like a plain key.
        ["Auth:Keys:1:KeySha256"] = ApiKeyAuthenticator.Hash(KeyB),
        ["Auth:Keys:1:Tenant"] = "b",
        ["Auth:Keys:2:Key"] = AdminKey,
        ["Auth:Keys:2:Tenant"] = "ops",
        ["Auth:Keys:2:Role"] = "admin",
        ["Auth:RequestsPerMinute"] = "5",
    });

    public async ValueTask DisposeAsync() => await _h.DisposeAsync();

    private static Metadata Key(string key) => new() { { "authorization", "Bearer " + key } };

    private CostService.CostServiceClient Cost => new(_h.App.Channel);

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-key")]
    public async Task MissingOrBadKey_IsUnauthenticated_OnGrpcRestAndV1(string? key)
    {
        var headers = key is null ? [] : Key(key);

        var grpc = await Assert.ThrowsAsync<RpcException>(() => Cost.GetSummaryAsync(new GetSummaryRequest(), headers, cancellationToken: Ct).ResponseAsync);
        using var rest = await Send(HttpMethod.Get, "/api/cost/summary", key);
        using var v1 = await Send(HttpMethod.Post, "/v1/chat/completions", key, """{"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(StatusCode.Unauthenticated, grpc.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, rest.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, v1.StatusCode);
        Assert.Equal(0, _h.Fake.RequestCount);
    }

    [Fact]
    public async Task HealthAndReflection_StayOpen()
    {
        using var health = await _h.App.Http.GetAsync("/healthz", Ct);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task XApiKeyHeader_IsAccepted()
    {
        var summary = await Cost.GetSummaryAsync(new GetSummaryRequest(), new Metadata { { "x-api-key", KeyA } }, cancellationToken: Ct);

        Assert.Equal("a", summary.UserId);
    }

    [Fact]
    public async Task User_SeesOnlyItsOwnTenant_OtherTenantsDataAndBudgetsAreDenied()
    {
        await _h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("hi", ModelRegistry.KimiK25) }, Key(KeyA), cancellationToken: Ct);

        var own = await Cost.GetSummaryAsync(new GetSummaryRequest(), Key(KeyA), cancellationToken: Ct);
        var bView = await Cost.GetSummaryAsync(new GetSummaryRequest(), Key(KeyB), cancellationToken: Ct);
        var read = await Assert.ThrowsAsync<RpcException>(() => Cost.GetSummaryAsync(new GetSummaryRequest { UserId = "b" }, Key(KeyA), cancellationToken: Ct).ResponseAsync);
        var write = await Assert.ThrowsAsync<RpcException>(() => Cost.SetBudgetAsync(new SetBudgetRequest { UserId = "b", DailyLimitUsd = 1 }, Key(KeyA), cancellationToken: Ct).ResponseAsync);
        using var restRead = await Send(HttpMethod.Get, "/api/cost/summary?userId=b", KeyA);
        using var restWrite = await Send(HttpMethod.Post, "/api/cost/budget", KeyA, """{"userId":"b","dailyLimitUsd":1}""");

        Assert.Equal(1, own.TotalRequests);
        Assert.Equal(0, bView.TotalRequests);
        Assert.Equal(StatusCode.PermissionDenied, read.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, write.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, restRead.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, restWrite.StatusCode);
    }

    [Fact]
    public async Task Admin_MayActForAnotherTenant()
    {
        await Cost.SetBudgetAsync(new SetBudgetRequest { UserId = "b", DailyLimitUsd = 3 }, Key(AdminKey), cancellationToken: Ct);

        var budget = await Cost.GetBudgetAsync(new GetBudgetRequest(), Key(KeyB), cancellationToken: Ct);

        Assert.Equal(3, budget.Budget.DailyLimitUsd);
        Assert.Equal("b", budget.Budget.UserId);
    }

    [Fact]
    public async Task CacheClear_NeedsAnAdminKey()
    {
        var cache = new CacheService.CacheServiceClient(_h.App.Channel);

        var denied = await Assert.ThrowsAsync<RpcException>(() => cache.ClearCacheAsync(new ClearCacheRequest(), Key(KeyA), cancellationToken: Ct).ResponseAsync);
        await cache.ClearCacheAsync(new ClearCacheRequest(), Key(AdminKey), cancellationToken: Ct);

        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
    }

    [Fact]
    public async Task RateLimit_IsResourceExhaustedWithRetryAfter()
    {
        var chat = UpstreamHarness.Ask("hi", ModelRegistry.KimiK25);
        for (var i = 0; i < 5; i++)
        {
            await _h.Chat.CompleteAsync(new CompleteRequest { Chat = chat }, Key(KeyB), cancellationToken: Ct);
        }

        var limited = await Assert.ThrowsAsync<RpcException>(() => _h.Chat.CompleteAsync(new CompleteRequest { Chat = chat }, Key(KeyB), cancellationToken: Ct).ResponseAsync);
        using var rest = await Send(HttpMethod.Post, "/v1/chat/completions", KeyB, $$"""{"model":"{{ModelRegistry.KimiK25}}","messages":[{"role":"user","content":"hi"}]}""");
        var otherTenant = await _h.Chat.CompleteAsync(new CompleteRequest { Chat = chat }, Key(KeyA), cancellationToken: Ct);

        Assert.Equal(StatusCode.ResourceExhausted, limited.StatusCode);
        Assert.Contains("rate limit", limited.Status.Detail, StringComparison.Ordinal);
        Assert.Contains(limited.Trailers, t => t.Key == "grpc-status-details-bin");
        Assert.Equal(HttpStatusCode.TooManyRequests, rest.StatusCode);
        Assert.NotNull(rest.Headers.RetryAfter);
        Assert.NotNull(otherTenant);
    }

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
        return await _h.App.Http.SendAsync(request, Ct).DefaultTimeout();
    }
}
