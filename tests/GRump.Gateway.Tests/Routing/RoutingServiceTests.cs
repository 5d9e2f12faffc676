using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.V1;
using ComplexityTier = GRump.Gateway.V1.ComplexityTier;

namespace GRump.Gateway.Tests.Routing;

/// <summary>A gateway with NIM and Anthropic keys configured (no calls are made: AnalyzeComplexity never calls a model).</summary>
public sealed class KeyedGateway : IAsyncLifetime
{
    public GatewayApp App { get; } = new(new Dictionary<string, string?>
    {
        ["NVIDIA_NIM_API_KEY"] = "test-nim-key",
        ["ANTHROPIC_API_KEY"] = "test-anthropic-key",
    });

    public ValueTask InitializeAsync()
    {
        App.Start();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();
}

public sealed class RoutingServiceTests(KeyedGateway keyed, SharedGateway shared) : IClassFixture<KeyedGateway>
{
    private const string Architecture = "Design a scalable, fault-tolerant architecture for a multi-tenant SaaS billing platform using event sourcing, Kafka, PostgreSQL and Kubernetes, and explain the trade-offs of each choice.";

    private static AnalyzeComplexityRequest Request(string content) =>
        new() { Chat = new ChatRequest { Messages = { new ChatMessage { Role = "user", Content = content } } } };

    [Fact]
    public async Task AnalyzeComplexity_OverGrpc_ComplexTaskGoesToPremiumModel()
    {
        // Arrange
        var client = new RoutingService.RoutingServiceClient(keyed.App.Channel);

        // Act
        var response = await client.AnalyzeComplexityAsync(Request(Architecture), cancellationToken: TestContext.Current.CancellationToken).ResponseAsync.DefaultTimeout();

        // Assert
        Assert.Equal(ComplexityTier.Complex, response.Tier);
        Assert.True(response.Score >= 60);
        Assert.Equal(ModelRegistry.ClaudeSonnet, response.Model);
        Assert.Equal("anthropic", response.Provider);
        Assert.True(response.EstimatedCostUsd > 0);
        Assert.Contains(response.Factors, f => f.Name == "reasoning");
        Assert.StartsWith("complex (score ", response.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnalyzeComplexity_OverRest_ReturnsDecisionAsJson()
    {
        // Act
        using var response = await keyed.App.Http.PostAsJsonAsync("/api/routing/analyze", new { messages = new[] { new { role = "user", content = "hi" } } }, TestContext.Current.CancellationToken).DefaultTimeout();

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken).DefaultTimeout();
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal("COMPLEXITY_TIER_SIMPLE", root.GetProperty("tier").GetString());
        Assert.Equal(ModelRegistry.KimiK25, root.GetProperty("model").GetString());
        Assert.Equal("nim", root.GetProperty("provider").GetString());
        Assert.True(root.GetProperty("estimatedCostUsd").GetDouble() > 0);
        Assert.Equal("length", root.GetProperty("factors")[0].GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task AnalyzeComplexity_NoProviderKeys_RoutesToLocalAndSaysWhy()
    {
        // Arrange
        var client = new RoutingService.RoutingServiceClient(shared.App.Channel);

        // Act
        var response = await client.AnalyzeComplexityAsync(Request(Architecture), cancellationToken: TestContext.Current.CancellationToken).ResponseAsync.DefaultTimeout();

        // Assert
        Assert.Equal(ComplexityTier.Complex, response.Tier);
        Assert.Equal(ModelRegistry.LocalChat, response.Model);
        Assert.Contains("providers: local", response.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnalyzeComplexity_NoMessages_IsInvalidArgumentWithFieldViolation()
    {
        // Arrange
        var client = new RoutingService.RoutingServiceClient(keyed.App.Channel);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => client.AnalyzeComplexityAsync(new AnalyzeComplexityRequest(), cancellationToken: TestContext.Current.CancellationToken).ResponseAsync).DefaultTimeout();

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var badRequest = error.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>();
        Assert.NotNull(badRequest);
        Assert.Equal("messages", Assert.Single(badRequest.FieldViolations).Field);
    }

    [Fact]
    public async Task AnalyzeComplexity_EmptyContentOverRest_Is400NamingTheField()
    {
        // Act
        using var response = await keyed.App.Http.PostAsJsonAsync("/api/routing/analyze", new { messages = new[] { new { role = "user", content = " " } } }, TestContext.Current.CancellationToken).DefaultTimeout();

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken).DefaultTimeout();
        Assert.Contains("messages[0].content", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnalyzeComplexity_TooLarge_IsInvalidArgument()
    {
        // Arrange: 1 MiB + 1 KiB of text over two messages.
        var request = Request(new string('a', 1000 * 1024));
        request.Chat.Messages.Add(new ChatMessage { Role = "user", Content = new string('b', 49 * 1024) });
        var client = new RoutingService.RoutingServiceClient(keyed.App.Channel);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => client.AnalyzeComplexityAsync(request, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync).DefaultTimeout();

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("1 MiB", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnalyzeComplexity_UnknownExplicitModel_IsInvalidArgumentNamingModel()
    {
        // Arrange
        var request = Request("hi");
        request.Chat.Model = "gpt-17";
        var client = new RoutingService.RoutingServiceClient(keyed.App.Channel);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => client.AnalyzeComplexityAsync(request, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync).DefaultTimeout();

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("model", Assert.Single(error.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>()!.FieldViolations).Field);
    }

    [Fact]
    public async Task AnalyzeComplexity_NoModelWithinCap_IsFailedPreconditionOverRestAs400()
    {
        // Act
        using var response = await keyed.App.Http.PostAsJsonAsync("/api/routing/analyze", new
        {
            messages = new[] { new { role = "user", content = "hi" } },
            routing = new { maxCostPerRequestUsd = 0.000001 },
        }, TestContext.Current.CancellationToken).DefaultTimeout();

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken).DefaultTimeout();
        Assert.Contains("max_cost_per_request_usd $0.000001", body, StringComparison.Ordinal);
    }
}
