using System.Net;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using GRump.Fakes;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Endpoints;

/// <summary>
/// <c>Gateway:MaxRequestBytesInFlight</c>: request bodies held at once are bounded, on every door. A call whose body
/// would pass the bound is refused RESOURCE_EXHAUSTED / 429 before anything of it goes upstream; the room comes back
/// when the calls holding it end.
/// </summary>
public sealed class RequestBytesInFlightTests
{
    private const int Bound = 64 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BoundReached_EveryDoorRefusesTheNextBody_NothingGoesUpstream_RoomComesBackWhenTheHolderEnds()
    {
        // Arrange: one gRPC chat of ~50 KB held at the upstream holds that much of the 64 KiB bound.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var h = await StartAsync();
        h.Fake.Default = new FakeBehavior { HoldBeforeHeaders = release.Task };
        var held = h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("held " + new string('a', 50_000), ModelRegistry.KimiK25) }, cancellationToken: Ct).ResponseAsync;
        await h.Fake.WaitForRequestAsync(_ => true, Ct);

        // Act: ~20 KB more through each door.
        var text = "next " + new string('b', 20_000);
        var grpc = await Assert.ThrowsAsync<RpcException>(() => h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask(text, ModelRegistry.KimiK25) }, cancellationToken: Ct).ResponseAsync.DefaultTimeout());
        using var openAi = await PostAsync(h, "/v1/chat/completions", text);
        using var anthropic = await PostAsync(h, "/v1/messages", text, maxTokens: true);
        using var rest = await PostAsync(h, "/api/chat/complete", text);
        var upstreamWhileHeld = h.Fake.RequestCount;

        // Assert: refused on every door, in the door's own shape, and nothing went upstream.
        Assert.Equal(StatusCode.ResourceExhausted, grpc.StatusCode);
        Assert.Contains("Gateway:MaxRequestBytesInFlight", grpc.Status.Detail, StringComparison.Ordinal);
        foreach (var response in new[] { openAi, anthropic, rest })
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.Contains("Gateway:MaxRequestBytesInFlight", body, StringComparison.Ordinal);
            using var _ = JsonDocument.Parse(body);
        }
        Assert.Equal(1, upstreamWhileHeld);

        // The holder ends: the same calls go through. (A JSON door's lease goes back once its response is sent, so a
        // client may find the previous call's bytes still held for a moment: 3 × 20 KB stays under the bound.)
        release.SetResult();
        await held.DefaultTimeout();
        await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask(text, ModelRegistry.KimiK25) }, cancellationToken: Ct).ResponseAsync.DefaultTimeout();
        using var openAiAgain = await PostAsync(h, "/v1/chat/completions", text);
        using var anthropicAgain = await PostAsync(h, "/v1/messages", text, maxTokens: true);
        using var restAgain = await PostAsync(h, "/api/chat/complete", text);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (openAiAgain.StatusCode, anthropicAgain.StatusCode, restAgain.StatusCode));
        Assert.Equal(5, h.Fake.RequestCount);
    }

    [Fact]
    public async Task ACallAlone_LargerThanTheBound_IsTaken()
    {
        // Arrange: a bound below one body; nothing else in flight.
        await using var h = await StartAsync();
        var text = "alone " + new string('c', 100_000);

        // Act
        var grpc = await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask(text, ModelRegistry.KimiK25) }, cancellationToken: Ct).ResponseAsync.DefaultTimeout();
        using var openAi = await PostAsync(h, "/v1/chat/completions", text);

        // Assert
        Assert.NotEmpty(grpc.Outcome.Model);
        Assert.Equal(HttpStatusCode.OK, openAi.StatusCode);
    }

    private static Task<UpstreamHarness> StartAsync() =>
        UpstreamHarness.StartAsync(new Dictionary<string, string?> { ["Gateway:MaxRequestBytesInFlight"] = Bound.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    private static async Task<HttpResponseMessage> PostAsync(UpstreamHarness h, string path, string text, bool maxTokens = false)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = ModelRegistry.KimiK25,
            ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = text } },
            [maxTokens ? "max_tokens" : "temperature"] = maxTokens ? 256 : 0.5,
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (path == "/v1/messages")
        {
            request.Headers.Add("anthropic-version", "2023-06-01");
        }
        return await h.App.Http.SendAsync(request, Ct).DefaultTimeout();
    }
}
