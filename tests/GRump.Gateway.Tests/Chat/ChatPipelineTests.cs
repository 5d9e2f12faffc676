using System.Text;
using Grpc.Core;
using GRump.Fakes;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;
using ComplexityTier = GRump.Gateway.V1.ComplexityTier;

namespace GRump.Gateway.Tests.Chat;

/// <summary>The whole chat path through real parts: routing between two fake upstreams, the tiered cache, the ledger.</summary>
[Collection(MetricValueTests.Name)]
public sealed class ChatPipelineTests
{
    private const string Architecture = "Design a scalable, fault-tolerant architecture for a multi-tenant SaaS billing platform using event sourcing, Kafka, PostgreSQL and Kubernetes, and explain the trade-offs of each choice.";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ChatRequest Deterministic(string text, string model = "")
    {
        var request = UpstreamHarness.Ask(text, model);
        request.Temperature = 0;
        return request;
    }

    [Fact]
    public async Task Routing_SimpleToCheap_ComplexToPremium_ResponseCarriesDecisionAndSavings_MetricsAgree()
    {
        await using var premium = await FakeUpstream.StartAsync(Ct);
        await using var h = await UpstreamHarness.StartAsync(anthropicUrl: premium.BaseUrl);
        var before = await PrometheusScrape.SumAsync(h.App.Http, "model_routing_savings_usd_total");

        var simple = await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("hi, what time zone is UTC?") }, cancellationToken: Ct);
        var complex = await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask(Architecture) }, cancellationToken: Ct);
        var after = await PrometheusScrape.SumAsync(h.App.Http, "model_routing_savings_usd_total");

        Assert.Equal("/v1/chat/completions", Assert.Single(h.Fake.Requests).Path);
        Assert.Equal("/v1/messages", Assert.Single(premium.Requests).Path);
        Assert.Equal(ModelRegistry.KimiK25, simple.Outcome.Model);
        Assert.Equal(ComplexityTier.Simple, simple.Outcome.Routing.Tier);
        Assert.NotEmpty(simple.Outcome.Routing.Reason);
        Assert.Equal(ModelRegistry.ClaudeSonnet, complex.Outcome.Model);
        Assert.Equal(ComplexityTier.Complex, complex.Outcome.Routing.Tier);
        Assert.True(complex.Outcome.Routing.Score >= 60);
        var usage = simple.Outcome.Usage;
        var expectedSavings = (usage.InputTokens * 3 + usage.OutputTokens * 15) / 1e6 - simple.Outcome.CostUsd;
        Assert.Equal(expectedSavings, simple.Outcome.RoutingSavingsUsd, 12);
        Assert.Equal(0, complex.Outcome.RoutingSavingsUsd);
        Assert.Equal(simple.Outcome.RoutingSavingsUsd, after - before, 9);
    }

    [Fact]
    public async Task DeterministicRepeat_IsServedFromL1_Free_WithTheSavings()
    {
        await using var h = await UpstreamHarness.StartAsync();

        var first = await h.Chat.CompleteAsync(new CompleteRequest { Chat = Deterministic("What is gRPC?", ModelRegistry.KimiK25) }, cancellationToken: Ct);
        var second = await h.Chat.CompleteAsync(new CompleteRequest { Chat = Deterministic("What is gRPC?", ModelRegistry.KimiK25) }, cancellationToken: Ct);
        using var openAi = await h.App.Http.PostAsync("/v1/chat/completions", new StringContent(
            $$"""{"model":"{{ModelRegistry.KimiK25}}","temperature":0,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is gRPC?"}]}""",
            Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(1, h.Fake.RequestCount);
        Assert.Equal(CacheTier.Miss, first.Outcome.Cache);
        Assert.Equal(CacheTier.L1, second.Outcome.Cache);
        Assert.Equal(first.Content, second.Content);
        Assert.Equal(0, second.Outcome.CostUsd);
        Assert.Equal(first.Outcome.CostUsd, second.Outcome.CacheSavingsUsd, 15);
        Assert.Equal("L1", openAi.Headers.GetValues("x-grump-cache").Single());
    }

    [Fact]
    public async Task SampledRequests_AreNotCached_UnlessTheyOptIn()
    {
        await using var h = await UpstreamHarness.StartAsync();
        var sampled = UpstreamHarness.Ask("Tell me a joke", ModelRegistry.KimiK25);
        var optedIn = UpstreamHarness.Ask("Tell me a poem", ModelRegistry.KimiK25);
        optedIn.Cache = CacheMode.On;

        for (var i = 0; i < 2; i++)
        {
            await h.Chat.CompleteAsync(new CompleteRequest { Chat = sampled }, cancellationToken: Ct);
            await h.Chat.CompleteAsync(new CompleteRequest { Chat = optedIn }, cancellationToken: Ct);
        }

        Assert.Equal(2, h.Fake.Requests.Count(r => r.Body.Contains("joke", StringComparison.Ordinal)));
        Assert.Equal(1, h.Fake.Requests.Count(r => r.Body.Contains("poem", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ReplayedStream_EqualsTheOriginal_ChunkForChunk()
    {
        await using var h = await UpstreamHarness.StartAsync();
        h.Fake.Default = new FakeBehavior { Content = "alpha beta gamma delta epsilon", Chunks = 5 };

        var original = await StreamAsync(h, Deterministic("greek letters", ModelRegistry.KimiK25));
        var replay = await StreamAsync(h, Deterministic("greek letters", ModelRegistry.KimiK25));

        Assert.Equal(1, h.Fake.RequestCount);
        Assert.Equal(CacheTier.Miss, original[0].Start.Cache);
        Assert.Equal(CacheTier.L1, replay[0].Start.Cache);
        Assert.Equal(Deltas(original), Deltas(replay));
        Assert.Equal(5, Deltas(replay).Count);
        Assert.Equal(original[^1].End.Outcome.Usage, replay[^1].End.Outcome.Usage);
        Assert.Equal(original[^1].End.Outcome.CostUsd, replay[^1].End.Outcome.CacheSavingsUsd, 15);
    }

    [Fact]
    public async Task CutStream_IsNotCached()
    {
        await using var h = await UpstreamHarness.StartAsync();
        h.Fake.Enqueue(new FakeBehavior { Content = "a b c d", Chunks = 4, CutAfterChunks = 2 });

        await Assert.ThrowsAsync<RpcException>(() => StreamAsync(h, Deterministic("cut me", ModelRegistry.KimiK25)));
        var retry = await StreamAsync(h, Deterministic("cut me", ModelRegistry.KimiK25));

        Assert.Equal(2, h.Fake.RequestCount);
        Assert.Equal(CacheTier.Miss, retry[0].Start.Cache);
    }

    [Fact]
    public async Task HundredConcurrentIdenticalMisses_OneUpstreamCall()
    {
        await using var h = await UpstreamHarness.StartAsync();
        var gate = new TaskCompletionSource();
        h.Fake.Default = new FakeBehavior { HoldBeforeHeaders = gate.Task };

        var calls = Enumerable.Range(0, 100)
            .Select(_ => h.Chat.CompleteAsync(new CompleteRequest { Chat = Deterministic("same question", ModelRegistry.KimiK25) }, cancellationToken: Ct).ResponseAsync)
            .ToList();
        await h.Fake.WaitForRequestAsync(_ => true, Ct);
        gate.SetResult();
        var responses = await Task.WhenAll(calls).DefaultTimeout();

        Assert.Equal(1, h.Fake.RequestCount);
        Assert.All(responses, r => Assert.Equal(FakeUpstream.DefaultContentFor("same question"), r.Content));
        Assert.Single(responses, r => r.Outcome.CostUsd > 0);
    }

    [Fact]
    public async Task DiskTier_ServesTheAnswer_AfterAGatewayRestart()
    {
        var data = Directory.CreateTempSubdirectory("grump-restart-").FullName;
        await using var fake = await FakeUpstream.StartAsync(Ct);
        var settings = new Dictionary<string, string?> { ["Gateway:DataPath"] = data };

        await using (var first = await UpstreamHarness.StartAsync(settings, nimUrl: fake.BaseUrl))
        {
            await first.Chat.CompleteAsync(new CompleteRequest { Chat = Deterministic("remember me", ModelRegistry.KimiK25) }, cancellationToken: Ct);
        }
        await using var second = await UpstreamHarness.StartAsync(settings, nimUrl: fake.BaseUrl);
        var again = await second.Chat.CompleteAsync(new CompleteRequest { Chat = Deterministic("remember me", ModelRegistry.KimiK25) }, cancellationToken: Ct);

        Assert.Equal(1, fake.RequestCount);
        Assert.Equal(CacheTier.L3, again.Outcome.Cache);
    }

    private static async Task<List<StreamCompleteResponse>> StreamAsync(UpstreamHarness h, ChatRequest request)
    {
        using var call = h.Chat.StreamComplete(new StreamCompleteRequest { Chat = request }, cancellationToken: Ct);
        var events = new List<StreamCompleteResponse>();
        await foreach (var item in call.ResponseStream.ReadAllAsync(Ct))
        {
            events.Add(item);
        }
        return events;
    }

    private static List<string> Deltas(List<StreamCompleteResponse> events) =>
        [.. events.Where(e => e.EventCase == StreamCompleteResponse.EventOneofCase.Delta).Select(e => e.Delta.Content)];
}
