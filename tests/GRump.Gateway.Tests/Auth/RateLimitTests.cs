using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Grpc.Core;
using GRump.Fakes;
using GRump.Gateway.Auth;
using GRump.Gateway.Auth.Internal;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Errors;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Caching;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace GRump.Gateway.Tests.Auth;

/// <summary>
/// Per-tenant rate limits: exact for any rate (a sliding 60 s window), on every costed operation, shared by replicas
/// over Redis, per replica while Redis is down. Time is a FakeTimeProvider given to the limiter only.
/// </summary>
public sealed class RateLimitTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private const string Key = "tenant-a-key-0123456789";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void SlidingWindow_5PerMinute_Admits5AtOnce_ThenOneAsEachLeavesTheWindow()
    {
        var limiter = new SlidingWindowLimiter();
        var ask = new RateAsk(RequestLimit: 5, TokenLimit: 0, Tokens: 0);
        var t0 = 1_000_000L;

        var burst = Enumerable.Range(0, 5).Select(i => limiter.Admit("t", ask, t0 + (i * 10_000)).IsAdmitted).ToList();
        var sixth = limiter.Admit("t", ask, t0 + 50_000);
        var justBefore = limiter.Admit("t", ask, t0 + 59_999);
        var firstLeft = limiter.Admit("t", ask, t0 + 60_000);
        var secondNotYet = limiter.Admit("t", ask, t0 + 65_000);
        var otherTenant = limiter.Admit("u", ask, t0 + 65_000);

        Assert.All(burst, Assert.True);
        Assert.Equal(RateLimitKind.Requests, sixth.RefusedBy);
        Assert.Equal(10_000, sixth.RetryAfterMs); // the first admission leaves the window at t0 + 60 s
        Assert.False(justBefore.IsAdmitted);
        Assert.True(firstLeft.IsAdmitted);
        Assert.Equal(5_000, secondNotYet.RetryAfterMs);
        Assert.True(otherTenant.IsAdmitted);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(59)]
    [InlineData(61)]
    [InlineData(1000)]
    public void SlidingWindow_AnyRate_NeverAdmitsMoreThanTheLimitInAny60Seconds(int perMinute)
    {
        // One attempt every 100 ms for five minutes: the admitted count of every 60 s window is exactly the limit at most,
        // and a steady stream gets the whole limit each minute.
        var limiter = new SlidingWindowLimiter();
        var ask = new RateAsk(perMinute, 0, 0);
        var admitted = new List<long>();
        for (var t = 0L; t < 300_000; t += 100)
        {
            if (limiter.Admit("t", ask, t).IsAdmitted)
            {
                admitted.Add(t);
            }
        }

        for (var i = 0; i < admitted.Count; i++)
        {
            var inWindow = admitted.Count(a => a >= admitted[i] && a < admitted[i] + 60_000);
            Assert.True(inWindow <= perMinute, $"{inWindow} admitted in the 60 s from {admitted[i]} ms");
        }

        Assert.Equal(Math.Min(perMinute, 600) * 5, admitted.Count);
    }

    [Fact]
    public void SlidingWindow_HighLimitsAtAnyRate_HoldAtMostOneEntryPerMillisecondInTheWindow()
    {
        // Limits high enough never to refuse, 400,000 admissions over two minutes (several per millisecond): memory is
        // bounded by the window's milliseconds, not by the admissions, and the limit still counts every one of them.
        var limiter = new SlidingWindowLimiter();
        var ask = new RateAsk(RequestLimit: int.MaxValue, TokenLimit: int.MaxValue, Tokens: 3);
        var peakEntries = 0;
        for (var i = 0; i < 400_000; i++)
        {
            Assert.True(limiter.Admit("t", ask, i * 120_000L / 400_000).IsAdmitted);
            peakEntries = Math.Max(peakEntries, limiter.EntryCount("t"));
        }
        var refused = limiter.Admit("t", new RateAsk(RequestLimit: 150_000, TokenLimit: 0, Tokens: 0), 120_000);

        Assert.InRange(peakEntries, 1, 2 * 60_001);
        Assert.Equal(RateLimitKind.Requests, refused.RefusedBy); // the last 60 s hold ~200,000 admissions
    }

    [Fact]
    public void SlidingWindow_Tokens_RefusesWhatWouldOverflow_AndSaysWhenItFits()
    {
        var limiter = new SlidingWindowLimiter();

        var first = limiter.Admit("t", new RateAsk(0, 1000, 600), 0);
        var second = limiter.Admit("t", new RateAsk(0, 1000, 500), 1_000);
        var smaller = limiter.Admit("t", new RateAsk(0, 1000, 400), 2_000);
        var afterFirstLeft = limiter.Admit("t", new RateAsk(0, 1000, 500), 60_000);
        var over = limiter.Admit("t", new RateAsk(0, 1000, 500), 61_000);
        var afterSecondLeft = limiter.Admit("t", new RateAsk(0, 1000, 500), 62_000);

        Assert.True(first.IsAdmitted);
        Assert.Equal(RateLimitKind.Tokens, second.RefusedBy);
        Assert.Equal(59_000, second.RetryAfterMs); // the 600 leave the window at 60 s
        Assert.True(smaller.IsAdmitted);
        Assert.True(afterFirstLeft.IsAdmitted); // 400 + 500 in the window
        Assert.Equal(1_000, over.RetryAfterMs); // 900 + 500 > 1,000 until the 400 leave at 62 s
        Assert.True(afterSecondLeft.IsAdmitted);
    }

    [Fact]
    public async Task Gateway_5PerMinute_HoldsOnEveryCostedDoor()
    {
        // Arrange: keyed mode, 5 requests a minute; the limiter's clock is fake.
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var h = await UpstreamHarness.StartAsync(Keyed(new Dictionary<string, string?>
        {
            ["Auth:RequestsPerMinute"] = "5",
            ["Passthrough:Routes:0:Path"] = "/v1/moderations",
            ["Passthrough:Routes:0:Metering"] = "per-call",
            ["Passthrough:Routes:0:PricePerCallUsd"] = "0.001",
        }), configureServices: services => UseLimiterClock(services, time));
        var embed = new EmbeddingService.EmbeddingServiceClient(h.App.Channel);

        // Act: two chats, two embeddings, one passthrough fill the minute; then one of each kind is refused.
        await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("one", ModelRegistry.KimiK25) }, Auth(), cancellationToken: Ct);
        await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("two", ModelRegistry.KimiK25) }, Auth(), cancellationToken: Ct);
        await embed.EmbedAsync(new EmbedRequest { Inputs = { "three" } }, Auth(), cancellationToken: Ct);
        using (var four = await PostAsync(h.App.Http, "/v1/embeddings", """{"input":"four"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, four.StatusCode);
        }

        using (var five = await PostAsync(h.App.Http, "/v1/moderations", """{"input":"five"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, five.StatusCode);
        }

        var forwarded = h.Fake.RequestCount;
        var chat = await Assert.ThrowsAsync<RpcException>(() => h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("six", ModelRegistry.KimiK25) }, Auth(), cancellationToken: Ct).ResponseAsync);
        var embedding = await Assert.ThrowsAsync<RpcException>(() => embed.EmbedAsync(new EmbedRequest { Inputs = { "seven" } }, Auth(), cancellationToken: Ct).ResponseAsync);
        using var passthrough = await PostAsync(h.App.Http, "/v1/moderations", """{"input":"eight"}""");
        using var v1Chat = await PostAsync(h.App.Http, "/v1/chat/completions", """{"model":"moonshotai/kimi-k2.5","messages":[{"role":"user","content":"nine"}]}""");
        using var messages = await PostAsync(h.App.Http, "/v1/messages", """{"model":"moonshotai/kimi-k2.5","max_tokens":64,"messages":[{"role":"user","content":"nine"}]}""");
        using var countTokens = await PostAsync(h.App.Http, "/v1/messages/count_tokens", """{"model":"moonshotai/kimi-k2.5","messages":[{"role":"user","content":"nine"}]}""");
        using var responses = await PostAsync(h.App.Http, "/v1/responses", """{"model":"moonshotai/kimi-k2.5","input":"nine"}""");
        using var plan = await PostAsync(h.App.Http, "/api/plan", """{"message":"Todo app"}""");
        var refusedForwards = h.Fake.RequestCount - forwarded;

        time.Advance(TimeSpan.FromSeconds(60));
        var afterAMinute = await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("ten", ModelRegistry.KimiK25) }, Auth(), cancellationToken: Ct);

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, chat.StatusCode);
        Assert.Contains("5 per minute", chat.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.ResourceExhausted, embedding.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, passthrough.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, v1Chat.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, messages.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, countTokens.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, responses.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, plan.StatusCode);
        Assert.NotNull(passthrough.Headers.RetryAfter);
        Assert.Equal(0, refusedForwards);
        Assert.NotNull(afterAMinute.Content);
    }

    [Fact]
    public async Task TwoReplicasOnOneRedis_5PerMinute_Admit5AMinuteInTotal()
    {
        // Arrange: two gateways on one Redis (fresh key prefixes), the same fake clock for both limiters.
        var prefix = $"grump:test:{Guid.CreateVersion7():N}:";
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var fake = await FakeUpstream.StartAsync(Ct);
        var settings = Keyed(new Dictionary<string, string?>
        {
            ["NVIDIA_NIM_URL"] = fake.BaseUrl,
            ["NVIDIA_NIM_API_KEY"] = UpstreamHarness.NimKey,
            ["Redis:Configuration"] = redis.Require(),
            ["Cost:RedisKeyPrefix"] = prefix + "ledger:",
            ["Cache:RedisKeyPrefix"] = prefix + "cache:",
            ["Auth:RateLimitRedisKeyPrefix"] = prefix + "rate:",
            ["Auth:RequestsPerMinute"] = "5",
        });
        await using var first = new GatewayApp(settings, services => UseLimiterClock(services, time)).Start();
        await using var second = new GatewayApp(settings, services => UseLimiterClock(services, time)).Start();
        ChatService.ChatServiceClient[] replicas = [new(first.Channel), new(second.Channel)];

        // Act: 12 distinct chats alternating replicas, a minute later 12 more.
        var minute1 = await RunAsync(replicas, 0);
        time.Advance(TimeSpan.FromSeconds(60));
        var minute2 = await RunAsync(replicas, 100);

        // Assert: 5 a minute for the fleet, not 5 per replica; only the admitted reached the upstream.
        Assert.Equal(5, minute1.Count(ok => ok));
        Assert.Equal(5, minute2.Count(ok => ok));
        Assert.Equal(10, fake.RequestCount);
    }

    [Fact]
    public async Task RedisDown_EachReplicaLimitsOnItsOwn_SaysSoOnce_AndSharesAgainWhenRedisIsBack()
    {
        // Arrange: a Redis of our own (killed and restarted), 2 requests a minute.
        await using var server = await RedisServer.StartAsync(Ct);
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        using var meters = new TestMeterFactory();
        using var fallback = new MetricCollector<long>(meters, GatewayTelemetry.Name, GatewayTelemetry.Metrics.RateLimitFallback);
        using var shared = new MetricCollector<int>(meters, GatewayTelemetry.Name, GatewayTelemetry.Metrics.RateLimitShared);
        var logs = new RecordingLoggerProvider();
        using var loggers = LoggerFactory.Create(builder => builder.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        await using var redis = new GRump.Gateway.Caching.RedisConnection(server.Configuration);
        var options = Options.Create(new AuthOptions
        {
            RequestsPerMinute = 2,
            RateLimitRedisKeyPrefix = $"grump:test:{Guid.CreateVersion7():N}:",
            RateLimitRedisRetryInterval = TimeSpan.FromSeconds(5),
        });
        var limiter = new TenantRateLimiter(options, redis, time, meters, loggers.CreateLogger<TenantRateLimiter>());

        // Act + Assert: shared while Redis answers.
        await limiter.AdmitAsync("t", 0, Ct);
        await limiter.AdmitAsync("t", 0, Ct);
        await Assert.ThrowsAsync<GatewayException>(() => limiter.AdmitAsync("t", 0, Ct).AsTask());
        shared.RecordObservableInstruments();
        Assert.Equal(1, shared.LastMeasurement?.Value);

        // Redis dies: the replica decides alone, starting from what it admitted itself (so still full), and says so once.
        await server.KillAsync();
        await limiter.WaitForRedisAsync(connected: false, Ct).DefaultTimeout();
        await Assert.ThrowsAsync<GatewayException>(() => limiter.AdmitAsync("t", 0, Ct).AsTask());
        time.Advance(TimeSpan.FromSeconds(61));
        await limiter.AdmitAsync("t", 0, Ct);
        await limiter.AdmitAsync("t", 0, Ct);
        await Assert.ThrowsAsync<GatewayException>(() => limiter.AdmitAsync("t", 0, Ct).AsTask());
        shared.RecordObservableInstruments();
        Assert.Equal(0, shared.LastMeasurement?.Value);
        Assert.Equal(4, fallback.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("Redis cannot answer", StringComparison.Ordinal));

        // Redis is back (empty: no persistence): after the retry interval the fleet's window is used again.
        await server.StartAgainAsync(Ct);
        await limiter.WaitForRedisAsync(connected: true, Ct).DefaultTimeout();
        time.Advance(TimeSpan.FromSeconds(6));
        await limiter.AdmitAsync("t", 0, Ct);
        await logs.WaitForAsync(e => e.Message.Contains("Redis answers again", StringComparison.Ordinal), Ct);
        shared.RecordObservableInstruments();
        Assert.Equal(1, shared.LastMeasurement?.Value);
    }

    private static Dictionary<string, string?> Keyed(Dictionary<string, string?> settings)
    {
        settings["Auth:Keys:0:Key"] = Key;
        settings["Auth:Keys:0:Tenant"] = "a";
        return settings;
    }

    /// <summary>The gateway's own limiter, on a fake clock (the rest of the gateway keeps the system clock).</summary>
    private static void UseLimiterClock(IServiceCollection services, FakeTimeProvider time) =>
        services.AddSingleton(sp => new TenantRateLimiter(
            sp.GetRequiredService<IOptions<AuthOptions>>(), sp.GetRequiredService<GRump.Gateway.Caching.RedisConnection>(), time,
            sp.GetRequiredService<IMeterFactory>(), sp.GetRequiredService<ILogger<TenantRateLimiter>>()));

    private static Metadata Auth() => new() { { "authorization", "Bearer " + Key } };

    private static async Task<bool[]> RunAsync(ChatService.ChatServiceClient[] replicas, int offset)
    {
        var outcomes = new bool[12];
        for (var i = 0; i < outcomes.Length; i++)
        {
            try
            {
                await replicas[i % 2].CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask($"question {offset + i}", ModelRegistry.KimiK25) }, Auth(), cancellationToken: Ct);
                outcomes[i] = true;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
            {
                Assert.Contains("rate limit", ex.Status.Detail, StringComparison.Ordinal);
            }
        }

        return outcomes;
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        return await http.SendAsync(request, Ct).DefaultTimeout();
    }
}
