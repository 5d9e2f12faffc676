using System.Net;
using System.Text;
using Grpc.Core;
using GRump.Fakes;
using GRump.Gateway.Routing;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Providers;

/// <summary>Upstream errors on the chat path: the provider and status are named; an auth failure's body and anything key-like never reach the caller.</summary>
public sealed class UpstreamErrorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AuthError_IsUnavailable_NamingProviderAndStatus_WithoutTheUpstreamsBody()
    {
        await using var h = await UpstreamHarness.StartAsync();
        var echo = $"Incorrect API key provided: {UpstreamHarness.NimKey}. You can find your API key at https://example.com.";
        h.Fake.Default = new FakeBehavior { StatusCode = 401, ErrorMessage = echo };

        var grpc = await Assert.ThrowsAsync<RpcException>(() => h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("hi", ModelRegistry.KimiK25) }, cancellationToken: Ct).ResponseAsync);
        using var v1 = await h.App.Http.PostAsync("/v1/chat/completions",
            new StringContent("""{"model":"moonshotai/kimi-k2.5","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"), Ct);
        var v1Body = await v1.Content.ReadAsStringAsync(Ct);

        Assert.Equal(StatusCode.Unavailable, grpc.StatusCode);
        Assert.Contains("Upstream 'nim' answered 401", grpc.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(UpstreamHarness.NimKey, grpc.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Incorrect API key", grpc.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", grpc.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, v1.StatusCode);
        Assert.DoesNotContain(UpstreamHarness.NimKey, v1Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Incorrect API key", v1Body, StringComparison.Ordinal);

        // The operator still learns why, from the log (redacted).
        var logged = h.App.Logs.Entries.Where(e => e.Message.Contains("refused the gateway's credentials with 401", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, logged.Count);
        Assert.All(logged, e => Assert.Contains("Incorrect API key provided: [redacted]", e.Message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(307, ModelRegistry.ClaudeSonnet, "/v1/messages")] // Anthropic: the key travels in x-api-key
    [InlineData(308, ModelRegistry.KimiK25, "/v1/chat/completions")]
    [InlineData(302, ModelRegistry.KimiK25, "/v1/chat/completions")]
    public async Task Redirect_IsAnUpstreamError_AndNothingIsSentWhereItPoints(int status, string model, string path)
    {
        // Arrange: the upstream points somewhere else, which records whatever reaches it
        await using var elsewhere = await FakeUpstream.StartAsync(Ct);
        await using var h = await UpstreamHarness.StartAsync();
        h.Fake.Default = new FakeBehavior { StatusCode = status, Location = elsewhere.BaseUrl + path };

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("a secret prompt", model) }, cancellationToken: Ct).ResponseAsync);

        // Assert: the caller is told the upstream answered with a redirect; neither the prompt nor a key went there
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains($"answered {status}", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(elsewhere.BaseUrl, error.Status.Detail, StringComparison.Ordinal);
        Assert.Single(h.Fake.Requests);
        Assert.Empty(elsewhere.Requests);
    }

    [Fact]
    public async Task RejectedRequest_RelaysTheReason_WithKeyLikeTextRedacted()
    {
        await using var h = await UpstreamHarness.StartAsync();
        h.Fake.Default = new FakeBehavior { StatusCode = 400, ErrorMessage = $"Prompt too long for key {UpstreamHarness.NimKey} (org sk-org-Q1w2E3r4T5y6U7i8)" };

        var error = await Assert.ThrowsAsync<RpcException>(() => h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("hi", ModelRegistry.KimiK25) }, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("Upstream 'nim' answered 400: Prompt too long for key [redacted] (org [redacted])", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InStreamError_IsRedacted()
    {
        await using var h = await UpstreamHarness.StartAsync();
        h.Fake.Default = new FakeBehavior { StreamErrorEvent = 1, ErrorMessage = $"overloaded; key {UpstreamHarness.NimKey}" };

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = h.Chat.StreamComplete(new StreamCompleteRequest { Chat = UpstreamHarness.Ask("hi", ModelRegistry.KimiK25) }, cancellationToken: Ct);
            await foreach (var item in call.ResponseStream.ReadAllAsync(Ct))
            {
                _ = item;
            }
        });

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("Upstream 'nim' sent an error in the stream: overloaded; key [redacted]", error.Status.Detail, StringComparison.Ordinal);
    }
}
