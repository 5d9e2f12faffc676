using System.Net;
using System.Text.Json;
using Grpc.Core;
using GRump.Gateway.Caching;
using GRump.Gateway.Providers;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tokens;
using GRump.Gateway.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Tests.Caching;

/// <summary>CacheService through the real host (Kestrel, gRPC and REST), L1 + L3 (no Redis configured).</summary>
public sealed class CacheServiceTests(SharedGateway shared)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WarmCache_ThenLookupStatsAndClear_WorkEndToEnd()
    {
        // Arrange
        await using var app = new GatewayApp().Start();
        var client = new CacheService.CacheServiceClient(app.Channel);
        var entry = new WarmEntry { Namespace = "chat", Model = "moonshotai/kimi-k2.5", Prompt = "What is 2+2?", Response = "4", CostUsd = 0.001 };

        // Act
        var warmed = await client.WarmCacheAsync(new WarmCacheRequest { Entries = { entry } }, cancellationToken: Ct);
        var cache = app.Services.GetRequiredService<ITieredCache>();
        var chat = new Gateway.Chat.ChatRequest { Messages = [Gateway.Chat.ChatMessage.FromText(Gateway.Chat.ChatRole.User, entry.Prompt)], Model = entry.Model, Temperature = 0f };
        var request = new ProviderChatRequest(entry.Model, chat, MaxOutputTokens: 1024, Stream: false);
        var hit = await cache.GetAsync(CacheNamespace.Chat, CacheKeys.ForChat("default", "nim", request), CacheAccess.On, Ct).AsTask().DefaultTimeout();
        var stats = await client.GetCacheStatsAsync(new GetCacheStatsRequest(), cancellationToken: Ct);
        var cleared = await client.ClearCacheAsync(new ClearCacheRequest { Namespace = "chat" }, cancellationToken: Ct);
        var miss = await cache.GetAsync(CacheNamespace.Chat, CacheKeys.ForChat("default", "nim", request), CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Assert
        Assert.Equal(1, warmed.Written);
        Assert.Equal(CacheLayer.L1, hit.Layer);
        var completion = CachedCompletion.Deserialize(hit.Entry!.Value.Span);
        Assert.Equal("4", completion.Content);
        Assert.Equal("nim", completion.Provider);
        Assert.Equal(["L1", "L2", "L3"], stats.Tiers.Select(t => t.Layer));
        Assert.Equal([true, false, true], stats.Tiers.Select(t => t.Enabled));
        Assert.Equal(1.0, stats.Namespaces.Single(n => n.Namespace == "chat").HitRate);
        // Credited at the registry's prices for the entry's tokens (less than the $0.001 claimed), not at the claim.
        var priced = ((Gateway.Chat.ChatTokens.CountPrompt(chat) * 0.60) + (TokenCounter.Shared.Count("4") * 2.50)) / 1e6;
        Assert.Equal(priced, completion.CostUsd, 12);
        Assert.Equal(priced, stats.SavingsUsd, 12);
        Assert.Equal(2, cleared.Removed); // L1 and the disk file
        Assert.False(miss.IsHit);
    }

    [Fact]
    public async Task WarmFile_AtStart_IsLoadedBeforeListening()
    {
        // Arrange
        var file = Path.Combine(Directory.CreateTempSubdirectory("grump-warm-").FullName, "warm.json");
        await File.WriteAllTextAsync(file, """[{"namespace":"plans","model":"m","prompt":"p","response":"r"}]""", Ct);

        // Act
        await using var app = new GatewayApp(new Dictionary<string, string?> { ["Cache:WarmFile"] = file }).Start();
        var found = await app.Services.GetRequiredService<ITieredCache>().GetAsync(CacheNamespace.Plans, CacheKeys.ForText(CacheNamespace.Plans, CacheWarmer.DefaultTenant, "m", "p"), CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Assert
        Assert.Equal(CacheLayer.L1, found.Layer);
        Assert.Equal("r"u8.ToArray(), found.Entry!.Value.ToArray());
    }

    [Fact]
    public void AddTieredCache_MissingWarmFile_FailsStartupValidation()
    {
        // Arrange: the host runs IStartupValidator before it starts any service or binds a port.
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Cache:WarmFile"] = "/nonexistent/warm.json" }).Build());
        services.AddLogging();
        services.AddMetrics();
        services.AddTieredCache();
        using var provider = services.BuildServiceProvider();

        // Act
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        // Assert
        Assert.Contains("Cache:WarmFile", string.Join(" ", error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClearCache_UnknownNamespace_InvalidArgument()
    {
        // Arrange
        var client = new CacheService.CacheServiceClient(shared.App.Channel);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => client.ClearCacheAsync(new ClearCacheRequest { Namespace = "sessions" }, cancellationToken: Ct).ResponseAsync).DefaultTimeout();

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("namespace", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClearCache_AnotherTenantsUserId_PermissionDenied()
    {
        var client = new CacheService.CacheServiceClient(shared.App.Channel);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.ClearCacheAsync(new ClearCacheRequest { UserId = "someone-else" }, cancellationToken: Ct).ResponseAsync).DefaultTimeout();

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Fact]
    public async Task WarmCache_BadEntries_InvalidArgumentAndNothingWritten()
    {
        // Arrange
        var client = new CacheService.CacheServiceClient(shared.App.Channel);
        var tooMany = new WarmCacheRequest();
        tooMany.Entries.AddRange(Enumerable.Range(0, 1001).Select(i => new WarmEntry { Model = "m", Provider = "p", Prompt = "x", Response = "y" }));
        var unknownModel = new WarmCacheRequest { Entries = { new WarmEntry { Namespace = "chat", Model = "nobody/knows", Prompt = "x", Response = "y" } } };
        var negativeCost = new WarmCacheRequest { Entries = { new WarmEntry { Model = "m", Provider = "p", Prompt = "x", Response = "y", CostUsd = -1 } } };

        // Act + Assert
        foreach (var (request, field) in new[] { (tooMany, "entries"), (unknownModel, "entries[0].provider"), (negativeCost, "entries[0].cost_usd") })
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => client.WarmCacheAsync(request, cancellationToken: Ct).ResponseAsync).DefaultTimeout();
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.StartsWith(field, error.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task GetCacheStats_OverRest_ReturnsTiersAndNamespaces()
    {
        // Act
        using var response = await shared.App.Http.GetAsync(new Uri("/api/cache/stats", UriKind.Relative), Ct);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(3, json.RootElement.GetProperty("tiers").GetArrayLength());
        Assert.Equal(4, json.RootElement.GetProperty("namespaces").GetArrayLength());
        Assert.Equal("L1", json.RootElement.GetProperty("tiers")[0].GetProperty("layer").GetString());
    }
}
