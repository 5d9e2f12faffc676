using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Grpc.Core;
using GRump.Gateway.Caching;
using GRump.Gateway.Cost;
using GRump.Gateway.Cost.Internal;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Caching;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.Tokens;
using GRump.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GRump.Gateway.Tests.Auth;

/// <summary>
/// What each role may do with money: an admin's budget is a cap the tenant's own key cannot raise or remove (it may
/// lower it); warming the cache is an admin's, scoped to one tenant, and never credits more than the registry's prices.
/// </summary>
public sealed class RoleTests(RedisFixture redis) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private const string KeyA = TestKeys.A;
    private const string KeyB = TestKeys.B;
    private const string AdminKey = TestKeys.Admin;

    private UpstreamHarness _h = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private CostService.CostServiceClient Cost => new(_h.App.Channel);

    public async ValueTask InitializeAsync() => _h = await UpstreamHarness.StartAsync(TestKeys.Settings());

    public async ValueTask DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task AdminBudget_IsACap_TheUserMayLowerButNotRaiseOrRemove()
    {
        // Arrange: an admin gives tenant b $1 a day and $20 a month.
        await Cost.SetBudgetAsync(new SetBudgetRequest { UserId = "b", DailyLimitUsd = 1, MonthlyLimitUsd = 20 }, Key(AdminKey), cancellationToken: Ct);

        // Act
        var remove = await Assert.ThrowsAsync<RpcException>(() => Cost.SetBudgetAsync(new SetBudgetRequest { DailyLimitUsd = 0, MonthlyLimitUsd = 20 }, Key(KeyB), cancellationToken: Ct).ResponseAsync);
        var raise = await Assert.ThrowsAsync<RpcException>(() => Cost.SetBudgetAsync(new SetBudgetRequest { DailyLimitUsd = 2, MonthlyLimitUsd = 20 }, Key(KeyB), cancellationToken: Ct).ResponseAsync);
        var dropMonthly = await Assert.ThrowsAsync<RpcException>(() => Cost.SetBudgetAsync(new SetBudgetRequest { DailyLimitUsd = 1 }, Key(KeyB), cancellationToken: Ct).ResponseAsync);
        using var restRemove = await PostAsync("/api/cost/budget", KeyB, """{"dailyLimitUsd":0,"monthlyLimitUsd":20}""");
        var lowered = await Cost.SetBudgetAsync(new SetBudgetRequest { DailyLimitUsd = 0.25, MonthlyLimitUsd = 5, AlertThresholdPercent = 50 }, Key(KeyB), cancellationToken: Ct);
        var backUpToTheCap = await Cost.SetBudgetAsync(new SetBudgetRequest { DailyLimitUsd = 1, MonthlyLimitUsd = 20 }, Key(KeyB), cancellationToken: Ct);
        var aOwn = await Cost.SetBudgetAsync(new SetBudgetRequest { DailyLimitUsd = 0 }, Key(KeyA), cancellationToken: Ct);

        // Assert
        Assert.All(new[] { remove, raise, dropMonthly }, e => Assert.Equal(StatusCode.PermissionDenied, e.StatusCode));
        Assert.Contains("capped tenant 'b' at $1 daily", raise.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("monthly_limit_usd", dropMonthly.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, restRemove.StatusCode);
        Assert.Equal(0.25, lowered.Budget.DailyLimitUsd);
        Assert.Equal(1, lowered.Budget.DailyCapUsd);
        Assert.Equal(20, lowered.Budget.MonthlyCapUsd);
        Assert.Equal(1, backUpToTheCap.Budget.DailyLimitUsd);
        Assert.Equal(0, aOwn.Budget.DailyCapUsd); // no admin cap on a: its own key sets what it likes

        // The admin may lift the cap; then the user may set anything again.
        await Cost.SetBudgetAsync(new SetBudgetRequest { UserId = "b" }, Key(AdminKey), cancellationToken: Ct);
        var free = await Cost.SetBudgetAsync(new SetBudgetRequest { DailyLimitUsd = 50 }, Key(KeyB), cancellationToken: Ct);
        Assert.Equal(50, free.Budget.DailyLimitUsd);
        Assert.Equal(0, free.Budget.DailyCapUsd);
    }

    [Fact]
    public async Task AdminCaps_SurviveARestart_InSqlite()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("grump-caps-").FullName, "ledger.db");
        await using (var store = new SqliteCostStore(path, 64, NullLogger.Instance))
        {
            await store.SetBudgetAsync("b", new BudgetSettings(0.5, 10, 80, 1, 20), Ct);
        }

        await using var reopened = new SqliteCostStore(path, 64, NullLogger.Instance);
        var budget = await reopened.GetBudgetAsync("b", Ct);

        Assert.Equal(new BudgetSettings(0.5, 10, 80, 1, 20), budget);
    }

    [Fact]
    public async Task AdminCaps_RoundTrip_InRedis()
    {
        await using var store = new RedisCostStore(redis.Require(), $"grump:test:{Guid.CreateVersion7():N}:", TimeSpan.FromMinutes(1), NullLogger.Instance);

        await store.SetBudgetAsync("b", new BudgetSettings(0.5, 10, 80, 1, 20), Ct);
        var budget = await store.GetBudgetAsync("b", Ct);

        Assert.Equal(new BudgetSettings(0.5, 10, 80, 1, 20), budget);
    }

    [Fact]
    public async Task WarmCache_IsAdminOnly()
    {
        var cache = new CacheService.CacheServiceClient(_h.App.Channel);
        var entry = new WarmEntry { Model = ModelRegistry.KimiK25, Prompt = "What is 2+2?", Response = "4", CostUsd = 1e15 };

        var user = await Assert.ThrowsAsync<RpcException>(() => cache.WarmCacheAsync(new WarmCacheRequest { Entries = { entry } }, Key(KeyA), cancellationToken: Ct).ResponseAsync);
        var noKey = await Assert.ThrowsAsync<RpcException>(() => cache.WarmCacheAsync(new WarmCacheRequest { Entries = { entry } }, cancellationToken: Ct).ResponseAsync);
        using var rest = await PostAsync("/api/cache/warm", KeyA, """{"entries":[{"model":"moonshotai/kimi-k2.5","prompt":"p","response":"r","costUsd":1e15}]}""");

        Assert.Equal(StatusCode.PermissionDenied, user.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, noKey.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, rest.StatusCode);
        Assert.Equal(0, (await cache.GetCacheStatsAsync(new GetCacheStatsRequest(), Key(KeyA), cancellationToken: Ct)).SavingsUsd);
    }

    [Fact]
    public async Task WarmCache_ForOneTenant_ServesOnlyThatTenant_AndCreditsAtMostTheRegistryPrice()
    {
        // Arrange: an admin warms an answer for tenant b, claiming it cost $1e15.
        var cache = new CacheService.CacheServiceClient(_h.App.Channel);
        const string prompt = "What is the capital of France?";
        await cache.WarmCacheAsync(new WarmCacheRequest
        {
            UserId = "b",
            Entries = { new WarmEntry { Model = ModelRegistry.KimiK25, Prompt = prompt, Response = "Paris.", CostUsd = 1e15 } },
        }, Key(AdminKey), cancellationToken: Ct);
        var ask = new ChatRequest { Model = ModelRegistry.KimiK25, Temperature = 0, Messages = { new ChatMessage { Role = "user", Content = prompt } } };

        // Act
        var b = await _h.Chat.CompleteAsync(new CompleteRequest { Chat = ask }, Key(KeyB), cancellationToken: Ct);
        var a = await _h.Chat.CompleteAsync(new CompleteRequest { Chat = ask }, Key(KeyA), cancellationToken: Ct);
        var stats = await cache.GetCacheStatsAsync(new GetCacheStatsRequest(), Key(AdminKey), cancellationToken: Ct);
        var bSummary = await Cost.GetSummaryAsync(new GetSummaryRequest(), Key(KeyB), cancellationToken: Ct);

        // Assert: b gets the warmed answer; a's identical request is a miss that goes upstream.
        var priced = ((Gateway.Chat.ChatTokens.CountPrompt([Gateway.Chat.ChatMessage.FromText(Gateway.Chat.ChatRole.User, prompt)], []) * 0.60) + (TokenCounter.Shared.Count("Paris.") * 2.50)) / 1e6;
        Assert.Equal("Paris.", b.Content);
        Assert.Equal(CacheTier.L1, b.Outcome.Cache);
        Assert.Equal(priced, b.Outcome.CacheSavingsUsd, 12);
        Assert.Equal(CacheTier.Miss, a.Outcome.Cache);
        Assert.Equal(1, _h.Fake.RequestCount);
        Assert.Equal(priced, stats.SavingsUsd, 12);
        Assert.Equal(priced, bSummary.CacheSavings, 12);
    }

    [Fact]
    public async Task WarmCache_UnknownModel_CreditsNothing()
    {
        var cache = new CacheService.CacheServiceClient(_h.App.Channel);

        await cache.WarmCacheAsync(new WarmCacheRequest { Entries = { new WarmEntry { Model = "somebody/else", Provider = "nim", Prompt = "p", Response = "r", CostUsd = 5 } } },
            Key(AdminKey), cancellationToken: Ct);
        var warmer = _h.App.Services.GetRequiredService<CacheWarmer>();

        Assert.Equal(0, warmer.Credit(new CacheWarmEntry("chat", "somebody/else", "p", "r", 5, "nim"), CacheNamespace.Chat));
        Assert.Equal(0, warmer.Credit(new CacheWarmEntry("intents", ModelRegistry.KimiK25, "p", "r", 5), CacheNamespace.Intents));
        Assert.Equal(1e-9, warmer.Credit(new CacheWarmEntry("chat", ModelRegistry.KimiK25, "p", "r", 1e-9), CacheNamespace.Chat));
    }

    private static Metadata Key(string key) => TestKeys.Bearer(key);

    private async Task<HttpResponseMessage> PostAsync(string path, string key, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await _h.App.Http.SendAsync(request, Ct).DefaultTimeout();
    }
}
