using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using GRump.Fakes;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Providers;

/// <summary>Chat through the real gateway to a real HTTP fake speaking the OpenAI and Anthropic wire formats.</summary>
public sealed class UpstreamChatTests
{
    private const string Kimi = ModelRegistry.KimiK25;
    private const string Claude = ModelRegistry.ClaudeSonnet;

    [Fact]
    public async Task Nim_Complete_SendsTheRequest_AndPricesTheReportedUsage()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await UpstreamHarness.StartAsync();
        var request = UpstreamHarness.Ask("What is gRPC?", Kimi);
        request.Temperature = 0;
        request.MaxTokens = 50;
        request.Seed = 7;

        var response = await h.Chat.CompleteAsync(new CompleteRequest { Chat = request }, cancellationToken: ct);

        var sent = Assert.Single(h.Fake.Requests);
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.Equal("Bearer " + UpstreamHarness.NimKey, sent.Header("Authorization"));
        Assert.False(sent.Stream);
        using var body = JsonDocument.Parse(sent.Body);
        Assert.Equal(Kimi, body.RootElement.GetProperty("model").GetString());
        Assert.Equal(50, body.RootElement.GetProperty("max_tokens").GetInt32());
        Assert.Equal(7, body.RootElement.GetProperty("seed").GetInt64());
        Assert.Equal(0, body.RootElement.GetProperty("temperature").GetDouble());
        Assert.Equal(FakeUpstream.DefaultContentFor("What is gRPC?"), response.Content);
        Assert.Equal(sent.ReportedPromptTokens, response.Outcome.Usage.InputTokens);
        Assert.Equal(sent.ReportedCompletionTokens, response.Outcome.Usage.OutputTokens);
        Assert.False(response.Outcome.Usage.Estimated);
        Assert.Equal((sent.ReportedPromptTokens * 0.60 + sent.ReportedCompletionTokens * 2.50) / 1e6, response.Outcome.CostUsd, 12);
        Assert.Equal("nim", response.Outcome.Provider);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public async Task Nim_Stream_UsageExact_WithSeparateOrSharedUsageChunk_OrEstimatedWithout(bool includeUsage, bool usageWithLastChunk)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await UpstreamHarness.StartAsync();
        h.Fake.Enqueue(new FakeBehavior { Content = "one two three four five six", Chunks = 6, IncludeUsage = includeUsage, UsageWithLastContentChunk = usageWithLastChunk });

        var events = await StreamAsync(h, UpstreamHarness.Ask("count to six", Kimi), ct);

        var sent = Assert.Single(h.Fake.Requests);
        using var body = JsonDocument.Parse(sent.Body);
        Assert.True(body.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.Equal("one two three four five six", string.Concat(events.Where(e => e.EventCase == StreamCompleteResponse.EventOneofCase.Delta).Select(e => e.Delta.Content)));
        var end = events[^1].End;
        if (includeUsage)
        {
            Assert.Equal(sent.ReportedPromptTokens, end.Outcome.Usage.InputTokens);
            Assert.Equal(sent.ReportedCompletionTokens, end.Outcome.Usage.OutputTokens);
            Assert.False(end.Outcome.Usage.Estimated);
        }
        else
        {
            Assert.True(end.Outcome.Usage.Estimated);
            Assert.Equal(Gateway.Tokens.TokenCounter.Shared.Count("one two three four five six"), end.Outcome.Usage.OutputTokens);
            Assert.True(end.Outcome.Usage.InputTokens > 0);
        }
        Assert.Equal(end.Outcome.Usage.InputTokens * 0.60e-6 + end.Outcome.Usage.OutputTokens * 2.50e-6, end.Outcome.CostUsd, 12);
    }

    [Fact]
    public async Task Anthropic_CompleteAndStream_SendMessagesFormat_AndReadUsageFromStartAndDelta()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await UpstreamHarness.StartAsync();

        var whole = await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("Explain TCP", Claude) }, cancellationToken: ct);
        var events = await StreamAsync(h, UpstreamHarness.Ask("Explain TCP", Claude), ct);

        var sent = h.Fake.Requests;
        Assert.All(sent, r => Assert.Equal("/v1/messages", r.Path));
        Assert.All(sent, r => Assert.Equal(UpstreamHarness.AnthropicKey, r.Header("x-api-key")));
        Assert.All(sent, r => Assert.Equal("2023-06-01", r.Header("anthropic-version")));
        using var body = JsonDocument.Parse(sent[1].Body);
        Assert.Equal("Be brief.", body.RootElement.GetProperty("system").GetString());
        Assert.Equal(1, body.RootElement.GetProperty("messages").GetArrayLength());
        // The reservation is the cap: the upstream gets the output budget the call was admitted for (Routing:DefaultMaxOutputTokens).
        Assert.Equal(1024, body.RootElement.GetProperty("max_tokens").GetInt32());
        Assert.Equal(whole.Content, string.Concat(events.Where(e => e.EventCase == StreamCompleteResponse.EventOneofCase.Delta).Select(e => e.Delta.Content)));
        var end = events[^1].End;
        Assert.Equal(sent[1].ReportedPromptTokens, end.Outcome.Usage.InputTokens);
        Assert.Equal(sent[1].ReportedCompletionTokens, end.Outcome.Usage.OutputTokens);
        Assert.Equal((end.Outcome.Usage.InputTokens * 3 + end.Outcome.Usage.OutputTokens * 15) / 1e6, end.Outcome.CostUsd, 12);
        Assert.Equal(whole.Outcome.Usage.InputTokens, end.Outcome.Usage.InputTokens);
    }

    [Fact]
    public async Task TransientUpstreamErrors_AreRetried_ThenSucceed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await UpstreamHarness.StartAsync();
        h.Fake.Enqueue(new FakeBehavior { StatusCode = 503 });
        h.Fake.Enqueue(new FakeBehavior { StatusCode = 429, RetryAfter = TimeSpan.Zero });

        var response = await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("hi", Kimi) }, cancellationToken: ct);

        Assert.Equal(FakeUpstream.DefaultContentFor("hi"), response.Content);
        Assert.Equal([503, 429, 200], h.Fake.Requests.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task UpstreamDown_BeforeFirstByte_FallsBackToTheNextModel()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Providers:Nim:MaxRetries"] = "0",
            ["Chat:FallbackModels:" + Kimi + ":0"] = Claude,
        });
        h.Fake.Enqueue(new FakeBehavior { StatusCode = 500 });

        var events = await StreamAsync(h, UpstreamHarness.Ask("hello", Kimi), ct);

        Assert.Equal(["/v1/chat/completions", "/v1/messages"], h.Fake.Requests.Select(r => r.Path));
        Assert.Equal(Claude, events[0].Start.Model);
        Assert.Equal("anthropic", events[0].Start.Provider);
        Assert.Contains("fell back", events[0].Start.Routing.Reason, StringComparison.Ordinal);
        Assert.Equal(StreamCompleteResponse.EventOneofCase.End, events[^1].EventCase);
    }

    [Theory]
    [InlineData(502)]
    [InlineData(307)] // a destination that redirects (moved, or http behind an https redirect) is as broken as one that fails
    public async Task FirstDestinationDown_TheClusterTriesTheNextDestination(int status)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var second = await FakeUpstream.StartAsync(ct);
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Providers:Nim:MaxRetries"] = "0",
            ["Providers:Nim:Destinations:0"] = second.BaseUrl,
        });
        h.Fake.Default = new FakeBehavior { StatusCode = status, Location = status == 307 ? "https://elsewhere.example/v1/chat/completions" : null };

        // Rotation alternates the first destination tried; the failing one is skipped for the healthy one, then
        // taken out of rotation (YARP passive health).
        for (var i = 0; i < 4; i++)
        {
            var response = await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("hi", Kimi) }, cancellationToken: ct);
            Assert.Equal(FakeUpstream.DefaultContentFor("hi"), response.Content);
        }
        Assert.Equal(4, second.RequestCount);
        Assert.InRange(h.Fake.RequestCount, 1, 2);
    }

    [Fact]
    public async Task StreamCutMidway_EndsWithUnavailable_NeverOk()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await UpstreamHarness.StartAsync();
        h.Fake.Enqueue(new FakeBehavior { Content = "a b c d e f g h", Chunks = 8, CutAfterChunks = 3 });

        using var call = h.Chat.StreamComplete(new StreamCompleteRequest { Chat = UpstreamHarness.Ask("hi", Kimi) }, cancellationToken: ct);
        var received = new List<StreamCompleteResponse>();
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var item in call.ResponseStream.ReadAllAsync(ct))
            {
                received.Add(item);
            }
        });

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("ended before", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StreamCompleteResponse.EventOneofCase.Start, received[0].EventCase);
        Assert.DoesNotContain(received, e => e.EventCase == StreamCompleteResponse.EventOneofCase.End);
    }

    [Fact]
    public async Task StreamCutMidway_OverOpenAiSse_HasAnErrorEventAndNoDone()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await UpstreamHarness.StartAsync();
        h.Fake.Enqueue(new FakeBehavior { Content = "a b c d e f g h", Chunks = 8, CutAfterChunks = 3 });

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{Kimi}}","stream":true,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        using var response = await h.App.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        var text = new StringBuilder();
        using (var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct)))
        {
            try
            {
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    text.AppendLine(line);
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                // Tolerated: the assertion below is about what arrived.
            }
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"error\"", text.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"content\":\"a", text.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", text.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientCancels_TheUpstreamRequestIsAborted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await UpstreamHarness.StartAsync();
        var never = new TaskCompletionSource();
        h.Fake.Enqueue(new FakeBehavior { HoldBeforeFirstChunk = never.Task });
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);

        using var call = h.Chat.StreamComplete(new StreamCompleteRequest { Chat = UpstreamHarness.Ask("hi", Kimi) }, cancellationToken: cancel.Token);
        var read = call.ResponseStream.MoveNext(cancel.Token);
        await h.Fake.WaitForRequestAsync(r => r.Stream, ct);
        await cancel.CancelAsync();

        var aborted = await h.Fake.WaitForAbortAsync(ct);
        Assert.True(aborted.Aborted);
        await Assert.ThrowsAsync<RpcException>(() => read);
        never.SetResult();
    }

    [Fact]
    public async Task RepeatedFailures_OpenTheCircuit_AndLaterCallsDoNotReachTheUpstream()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Providers:Nim:MaxRetries"] = "0",
            ["Providers:Nim:CircuitMinimumThroughput"] = "3",
            ["Providers:Nim:CircuitBreakDuration"] = "00:01:00",
        });
        h.Fake.Default = new FakeBehavior { StatusCode = 500 };
        h.App.FailOnLoggedErrors = false; // Polly logs the circuit opening as an error, as an operator would want

        var errors = new List<RpcException>();
        for (var i = 0; i < 6; i++)
        {
            errors.Add(await Assert.ThrowsAsync<RpcException>(() => h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("hi", Kimi) }, cancellationToken: ct).ResponseAsync));
        }

        Assert.All(errors, e => Assert.Equal(StatusCode.Unavailable, e.StatusCode));
        Assert.Equal(3, h.Fake.RequestCount);
        Assert.Contains("circuit is open", errors[^1].Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParallelComplete_100Prompts_NeverMoreThan32InFlight()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await UpstreamHarness.StartAsync();
        // Every upstream call is held until 32 are waiting at once; then all go.
        var gate = new TaskCompletionSource();
        h.Fake.Default = new FakeBehavior { HoldBeforeHeaders = gate.Task };
        var request = new ParallelCompleteRequest();
        for (var i = 0; i < 100; i++)
        {
            request.Requests.Add(UpstreamHarness.Ask($"prompt {i}", Kimi));
        }

        using var call = h.Chat.ParallelComplete(request, cancellationToken: ct);
        await h.Fake.WaitForRequestAsync(r => r.Sequence >= 32, ct);
        var heldAtOnce = h.Fake.InFlight;
        gate.SetResult();
        var results = new List<ParallelCompleteResponse>();
        await foreach (var item in call.ResponseStream.ReadAllAsync(ct))
        {
            results.Add(item);
        }

        Assert.Equal(100, results.Count);
        Assert.All(results, r => Assert.Equal(FakeUpstream.DefaultContentFor($"prompt {r.Index}"), r.Response.Content));
        Assert.Equal(32, heldAtOnce);
        Assert.Equal(32, h.Fake.MaxConcurrency);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/v1")]
    [InlineData("/v1/")]
    public async Task NimUrlVariants_AllReachV1(string suffix)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await FakeUpstream.StartAsync(ct);
        await using var h = await UpstreamHarness.StartAsync(nimUrl: fake.BaseUrl + suffix);

        await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("hi", Kimi) }, cancellationToken: ct);

        Assert.Equal("/v1/chat/completions", Assert.Single(fake.Requests).Path);
    }

    [Fact]
    public async Task OpenAiJson_HasGrumpHeaders_AndOpenAiShape()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await UpstreamHarness.StartAsync();

        using var response = await h.App.Http.PostAsync("/v1/chat/completions",
            new StringContent($$"""{"model":"{{Kimi}}","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"), ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);

        var sent = Assert.Single(h.Fake.Requests);
        Assert.Equal(Kimi, response.Headers.GetValues("x-grump-model").Single());
        Assert.Equal("nim", response.Headers.GetValues("x-grump-provider").Single());
        Assert.Equal("MISS", response.Headers.GetValues("x-grump-cache").Single());
        var cost = double.Parse(response.Headers.GetValues("x-grump-cost-usd").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal((sent.ReportedPromptTokens * 0.60 + sent.ReportedCompletionTokens * 2.50) / 1e6, cost, 9);
        Assert.True(response.Headers.Contains("x-grump-overhead-ms"));
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.Equal("Echo: hi", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(sent.ReportedPromptTokens, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task GetStats_ShowsChatCallsInFlightPerProvider()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await UpstreamHarness.StartAsync();
        var gate = new TaskCompletionSource();
        h.Fake.Enqueue(new FakeBehavior { HoldBeforeHeaders = gate.Task });
        var cost = new CostService.CostServiceClient(h.App.Channel);

        var call = h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("hold on", Kimi) }, cancellationToken: ct).ResponseAsync;
        await h.Fake.WaitForRequestAsync(_ => true, ct);
        var during = await cost.GetStatsAsync(new GetStatsRequest(), cancellationToken: ct);
        gate.SetResult();
        await call.DefaultTimeout();
        var after = await cost.GetStatsAsync(new GetStatsRequest(), cancellationToken: ct);

        Assert.Equal(1, during.ProviderInFlight["nim"]);
        Assert.Equal(0, after.ProviderInFlight["nim"]);
        Assert.NotNull(after.Performance);
        Assert.NotEmpty(after.Cache.Tiers);
    }

    private static async Task<List<StreamCompleteResponse>> StreamAsync(UpstreamHarness h, ChatRequest request, CancellationToken ct)
    {
        using var call = h.Chat.StreamComplete(new StreamCompleteRequest { Chat = request }, cancellationToken: ct);
        var events = new List<StreamCompleteResponse>();
        await foreach (var item in call.ResponseStream.ReadAllAsync(ct))
        {
            events.Add(item);
        }
        return events;
    }
}
