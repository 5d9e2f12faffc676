using System.Text;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Caching;

/// <summary>One cache policy on every door: only a deterministic request is cached unless the caller opted in.</summary>
public sealed class CachePolicyDoorsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("", "MISS")]                                      // sampled (default temperature), no opt-in
    [InlineData(""","temperature":0.7""", "MISS")]                // sampled explicitly
    [InlineData(""","temperature":0""", "L1")]                    // deterministic
    [InlineData(""","seed":42""", "L1")]                          // deterministic
    [InlineData(""","x_grump_cache":"ON" """, "L1")]              // explicit opt-in
    [InlineData(""","temperature":0,"x_grump_cache":"OFF" """, "MISS")]
    public async Task V1_RepeatedRequest_IsCachedOnlyWhenDeterministicOrOptedIn(string extra, string secondTier)
    {
        await using var h = await UpstreamHarness.StartAsync();
        var json = $$"""{"model":"{{ModelRegistry.KimiK25}}","messages":[{"role":"user","content":"Pick a random number"}]{{extra}}}""";

        var first = await PostAsync(h, json);
        var second = await PostAsync(h, json);

        Assert.Equal("MISS", first);
        Assert.Equal(secondTier, second);
        Assert.Equal(secondTier == "MISS" ? 2 : 1, h.Fake.RequestCount);
    }

    [Fact]
    public async Task Grpc_And_V1_AgreeOnASampledRequest()
    {
        await using var h = await UpstreamHarness.StartAsync();
        var request = new ChatRequest { Model = ModelRegistry.KimiK25, Messages = { new ChatMessage { Role = "user", Content = "Pick a random number" } } };

        var grpc1 = await h.Chat.CompleteAsync(new CompleteRequest { Chat = request }, cancellationToken: Ct);
        var grpc2 = await h.Chat.CompleteAsync(new CompleteRequest { Chat = request }, cancellationToken: Ct);

        Assert.Equal(CacheTier.Miss, grpc1.Outcome.Cache);
        Assert.Equal(CacheTier.Miss, grpc2.Outcome.Cache);
    }

    private static async Task<string> PostAsync(UpstreamHarness h, string json)
    {
        using var response = await h.App.Http.PostAsync("/v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        response.EnsureSuccessStatusCode();
        return response.Headers.GetValues("x-grump-cache").Single();
    }
}
