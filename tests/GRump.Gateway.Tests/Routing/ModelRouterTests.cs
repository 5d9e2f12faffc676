using GRump.Gateway.Diagnostics;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Errors;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tokens;
using GRump.Gateway.Chat;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace GRump.Gateway.Tests.Routing;

public sealed class ModelRouterTests
{
    private const string Greeting = "hello there";
    private const string Architecture = "Design a scalable, fault-tolerant architecture for a multi-tenant SaaS billing platform using event sourcing, Kafka, PostgreSQL and Kubernetes, and explain the trade-offs of each choice.";
    private const string Comparison = "Compare REST and GraphQL for a mobile backend and explain the trade-offs.";

    private static ChatRequest WithRouting(string text, Action<RoutingBuilder> configure, int maxTokens = 0) =>
        RoutingTestHelpers.WithRouting(text, configure, maxTokens);

    [Fact]
    public void Route_LowComplexity_PicksCheapModel()
    {
        // Act
        var result = RoutingTestHelpers.Router().Route(RoutingTestHelpers.Chat(Greeting));

        // Assert
        var decision = result.Decision;
        Assert.Equal(ComplexityTier.Simple, decision.Tier);
        Assert.Equal(ModelRegistry.KimiK25, decision.Model);
        Assert.Equal("nim", decision.Provider);
        Assert.False(decision.ExplicitModel);
        Assert.StartsWith("simple (score 0) → moonshotai/kimi-k2.5: the simple tier's model", decision.Reason, StringComparison.Ordinal);
        Assert.Equal(ModelRegistry.KimiK25, result.Model.Id);
    }

    [Fact]
    public void Route_Complex_PicksPremiumModelAndPricesWorstCase()
    {
        // Act
        var result = RoutingTestHelpers.Router().Route(RoutingTestHelpers.Chat(Architecture));

        // Assert
        Assert.Equal(ComplexityTier.Complex, result.Decision.Tier);
        Assert.Equal(ModelRegistry.ClaudeSonnet, result.Decision.Model);
        Assert.Equal(1024, result.MaxOutputTokens);
        Assert.Equal((result.InputTokens * 3.0 + 1024 * 15.0) / 1e6, result.Decision.EstimatedCostUsd, 12);
        Assert.Contains("premium model", result.Decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Route_InputTokens_MatchTokenCounterCountPrompt()
    {
        // Arrange
        var request = new ChatRequest
        {
            Messages =
            [
                ChatMessage.FromText(ChatRole.System, "You are terse."),
                ChatMessage.FromText(ChatRole.User, "Explain the CAP theorem in two sentences."),
            ],
        };

        // Act
        var result = RoutingTestHelpers.Router().Route(request);

        // Assert
        var counter = TokenCounter.Shared;
        var expected = TokenCounter.ReplyPriming + (2 * TokenCounter.TokensPerMessage) + counter.Count("system") + counter.Count("You are terse.")
            + counter.Count("user") + counter.Count("Explain the CAP theorem in two sentences.");
        Assert.Equal(expected, result.InputTokens);
    }

    [Fact]
    public void Route_RequiredCapability_FiltersModels()
    {
        // Arrange: only Claude has vision; a simple prompt moves up to the nearest tier that has it.
        var request = WithRouting(Greeting, r => r.RequiredCapabilities.Add("vision"));

        // Act
        var decision = RoutingTestHelpers.Router().Route(request).Decision;

        // Assert
        Assert.Equal(ComplexityTier.Simple, decision.Tier);
        Assert.Equal(ModelRegistry.ClaudeSonnet, decision.Model);
        Assert.Contains("nearest tier complex", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Route_UnknownCapability_IsInvalidArgument()
    {
        var error = Assert.Throws<GatewayException>(() => RoutingTestHelpers.Router().Route(WithRouting(Greeting, r => r.RequiredCapabilities.Add("telepathy"))));
        Assert.Equal(GatewayErrorKind.InvalidArgument, error.Kind);
        Assert.Equal("routing.required_capabilities[0]", Assert.Single(error.FieldViolations).Field);
    }

    [Fact]
    public void Route_NoModelHasCapabilities_IsFailedPrecondition()
    {
        // Arrange: embedding is only on embedding models, which never answer chats.
        var error = Assert.Throws<GatewayException>(() => RoutingTestHelpers.Router().Route(WithRouting(Greeting, r => r.RequiredCapabilities.Add("embedding"))));

        // Assert
        Assert.Equal(GatewayErrorKind.FailedPrecondition, error.Kind);
        Assert.Equal("NO_MODEL_FITS", error.Reason);
    }

    [Fact]
    public void Route_ContextWindow_FiltersModels()
    {
        // Arrange: the cheap model's window is too small for 2,000 output tokens.
        var options = SmallRegistry();
        var request = RoutingTestHelpers.Chat(Greeting);
        request = request with { MaxTokens = 2_000 };

        // Act
        var decision = RoutingTestHelpers.Router(options: options).Route(request).Decision;

        // Assert
        Assert.Equal("big", decision.Model);
        Assert.Contains("nearest tier", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Route_TooLargeForEveryModel_IsFailedPrecondition()
    {
        var request = RoutingTestHelpers.Chat(Greeting);
        request = request with { MaxTokens = 1_000_000 };
        var error = Assert.Throws<GatewayException>(() => RoutingTestHelpers.Router().Route(request));
        Assert.Equal(GatewayErrorKind.FailedPrecondition, error.Kind);
        Assert.Contains("1000000 output tokens", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Route_MaxCostFits_KeepsChoice()
    {
        var decision = RoutingTestHelpers.Router().Route(WithRouting(Architecture, r => r.MaxCostPerRequestUsd = 1.0)).Decision;
        Assert.Equal(ModelRegistry.ClaudeSonnet, decision.Model);
        Assert.True(decision.EstimatedCostUsd <= 1.0);
    }

    [Fact]
    public void Route_MaxCostBelowPremium_DowngradesAndSaysSo()
    {
        // Arrange: Claude costs ~$0.0157 for this prompt + 1,024 output tokens, Kimi ~$0.0026.
        var request = WithRouting(Architecture, r => r.MaxCostPerRequestUsd = 0.01);

        // Act
        var decision = RoutingTestHelpers.Router().Route(request).Decision;

        // Assert
        Assert.Equal(ComplexityTier.Complex, decision.Tier);
        Assert.Equal(ModelRegistry.KimiK25, decision.Model);
        Assert.True(decision.EstimatedCostUsd <= 0.01);
        Assert.Contains("max_cost_per_request_usd $0.01", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("cost cap forces a cheaper model", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Route_NoModelWithinCap_IsFailedPreconditionWithCapAndCheapestEstimate()
    {
        // Arrange
        var request = WithRouting(Greeting, r => r.MaxCostPerRequestUsd = 0.0001, maxTokens: 1_000);
        var router = RoutingTestHelpers.Router();
        var tokens = ChatTokens.CountPrompt(request);
        var cheapest = (tokens * 0.60 + 1_000 * 2.50) / 1e6;

        // Act
        var error = Assert.Throws<GatewayException>(() => router.Route(request));

        // Assert
        Assert.Equal(GatewayErrorKind.FailedPrecondition, error.Kind);
        Assert.Equal(Grpc.Core.StatusCode.FailedPrecondition, GatewayStatus.ToStatusCode(error.Kind));
        Assert.Contains("max_cost_per_request_usd $0.0001", error.Message, StringComparison.Ordinal);
        Assert.Contains(ModelRegistry.KimiK25, error.Message, StringComparison.Ordinal);
        Assert.Contains("$" + cheapest.ToString("0.########", System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    public void Route_BadMaxCost_IsInvalidArgument(double cap)
    {
        var error = Assert.Throws<GatewayException>(() => RoutingTestHelpers.Router().Route(WithRouting(Greeting, r => r.MaxCostPerRequestUsd = cap)));
        Assert.Equal("routing.max_cost_per_request_usd", Assert.Single(error.FieldViolations).Field);
    }

    [Fact]
    public void Route_PreferCheaper_MediumGoesToCheapestCapable()
    {
        // Arrange: the medium tier's first model is the pricier one.
        var options = SmallRegistry();
        var request = WithRouting(Comparison, r => r.PreferCheaper = true);
        var router = RoutingTestHelpers.Router(options: options);

        // Act
        var without = router.Route(RoutingTestHelpers.Chat(Comparison)).Decision;
        var with = router.Route(request).Decision;

        // Assert
        Assert.Equal(ComplexityTier.Medium, with.Tier);
        Assert.Equal("mid", without.Model);
        Assert.Equal("small", with.Model);
        Assert.Contains("prefer_cheaper", with.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Route_PreferCheaper_NeverDowngradesComplex()
    {
        var decision = RoutingTestHelpers.Router().Route(WithRouting(Architecture, r => r.PreferCheaper = true)).Decision;
        Assert.Equal(ModelRegistry.ClaudeSonnet, decision.Model);
    }

    [Fact]
    public void Route_ExplicitKnownModel_BypassesTierButIsPriced()
    {
        // Arrange
        var request = RoutingTestHelpers.Chat(Architecture);
        request = request with { Model = ModelRegistry.KimiK25 };
        request = request with { MaxTokens = 500 };

        // Act
        var result = RoutingTestHelpers.Router().Route(request);

        // Assert
        Assert.True(result.Decision.ExplicitModel);
        Assert.Equal(ComplexityTier.Complex, result.Decision.Tier);
        Assert.Equal(ModelRegistry.KimiK25, result.Decision.Model);
        Assert.Equal((result.InputTokens * 0.60 + 500 * 2.50) / 1e6, result.Decision.EstimatedCostUsd, 12);
        Assert.Contains("routing bypassed", result.Decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Route_ExplicitUnknownModel_IsInvalidArgumentListingKnownIds()
    {
        // Arrange
        var request = RoutingTestHelpers.Chat(Greeting);
        request = request with { Model = "gpt-17" };

        // Act
        var error = Assert.Throws<GatewayException>(() => RoutingTestHelpers.Router().Route(request));

        // Assert
        Assert.Equal(GatewayErrorKind.InvalidArgument, error.Kind);
        Assert.Equal("model", Assert.Single(error.FieldViolations).Field);
        Assert.Contains(ModelRegistry.KimiK25, error.Message, StringComparison.Ordinal);
        Assert.Contains(ModelRegistry.ClaudeSonnet, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("claude-sonnet-4-5-20250929", ModelRegistry.ClaudeSonnet)]
    [InlineData("moonshotai/kimi-k2.5-20260101", ModelRegistry.KimiK25)]
    public void Route_ExplicitDatedSnapshotOfAKnownModel_IsThatModel(string snapshot, string expected)
    {
        // Arrange
        var request = RoutingTestHelpers.Chat(Greeting) with { Model = snapshot };

        // Act
        var result = RoutingTestHelpers.Router().Route(request);

        // Assert
        Assert.True(result.Decision.ExplicitModel);
        Assert.Equal(expected, result.Decision.Model);
    }

    [Theory]
    [InlineData("claude-sonnet-4-5-2025092x")]
    [InlineData("claude-sonnet-4-5_20250929")]
    [InlineData("claude-opus-9-20250929")]
    public void Route_ExplicitIdThatIsNotASnapshotOfAKnownModel_IsInvalidArgument(string id)
    {
        var error = Assert.Throws<GatewayException>(() => RoutingTestHelpers.Router().Route(RoutingTestHelpers.Chat(Greeting) with { Model = id }));
        Assert.Equal(GatewayErrorKind.InvalidArgument, error.Kind);
        Assert.Contains(id, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Route_ExplicitModelOverCap_IsFailedPrecondition()
    {
        var request = WithRouting(Greeting, r => r.MaxCostPerRequestUsd = 0.001);
        request = request with { Model = ModelRegistry.ClaudeSonnet };
        var error = Assert.Throws<GatewayException>(() => RoutingTestHelpers.Router().Route(request));
        Assert.Equal(GatewayErrorKind.FailedPrecondition, error.Kind);
        Assert.Contains("$0.001", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Route_ExplicitModelMissingCapability_IsFailedPrecondition()
    {
        var request = WithRouting(Greeting, r => r.RequiredCapabilities.Add("vision"));
        request = request with { Model = ModelRegistry.KimiK25 };
        var error = Assert.Throws<GatewayException>(() => RoutingTestHelpers.Router().Route(request));
        Assert.Equal(GatewayErrorKind.FailedPrecondition, error.Kind);
    }

    [Fact]
    public void Route_ExplicitModelOfUnconfiguredProvider_IsFailedPrecondition()
    {
        var request = RoutingTestHelpers.Chat(Greeting);
        request = request with { Model = ModelRegistry.ClaudeSonnet };
        var error = Assert.Throws<GatewayException>(() => RoutingTestHelpers.Router(["local", "nim"]).Route(request));
        Assert.Equal(GatewayErrorKind.FailedPrecondition, error.Kind);
        Assert.Equal("PROVIDER_NOT_CONFIGURED", error.Reason);
    }

    [Fact]
    public void Route_ExplicitEmbeddingModel_IsInvalidArgument()
    {
        var request = RoutingTestHelpers.Chat(Greeting);
        request = request with { Model = ModelRegistry.NvEmbed };
        var error = Assert.Throws<GatewayException>(() => RoutingTestHelpers.Router().Route(request));
        Assert.Equal(GatewayErrorKind.InvalidArgument, error.Kind);
    }

    [Fact]
    public void Route_OnlyLocalConfigured_FallsBackToLocal()
    {
        var decision = RoutingTestHelpers.Router(["local"]).Route(RoutingTestHelpers.Chat(Architecture)).Decision;
        Assert.Equal(ModelRegistry.LocalChat, decision.Model);
        Assert.Equal("local", decision.Provider);
        Assert.Equal(0, decision.EstimatedCostUsd);
        Assert.Contains("no available model serves any tier (providers: local)", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Route_ComplexWithoutPremiumProvider_FallsToNearestTier()
    {
        var decision = RoutingTestHelpers.Router(["local", "nim"]).Route(RoutingTestHelpers.Chat(Architecture)).Decision;
        Assert.Equal(ModelRegistry.KimiK25, decision.Model);
        Assert.Contains("no available model serves the complex tier", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("nearest tier medium", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RoutingSavings_IsPremiumCostMinusActual()
    {
        // Arrange
        var router = RoutingTestHelpers.Router();
        var registry = new ModelRegistry(Microsoft.Extensions.Options.Options.Create(new ModelRegistryOptions()));
        Assert.True(registry.TryGet(ModelRegistry.KimiK25, out var kimi));
        Assert.True(registry.TryGet(ModelRegistry.ClaudeSonnet, out var claude));

        // Act + Assert: 1,000 in + 500 out: Claude $0.0105, Kimi $0.00185.
        Assert.Equal(0.0105 - 0.00185, router.RoutingSavings(kimi, new TokenUsage(1_000, 500)), 12);
        Assert.Equal(0, router.RoutingSavings(claude, new TokenUsage(1_000, 500)));
        Assert.Equal(0, router.RoutingSavings(kimi, new TokenUsage(0, 0)));
    }

    [Fact]
    public void RecordOutcome_AddsSavingsToCounter_NotAtDecisionTime()
    {
        // Arrange
        using var meterFactory = new TestMeterFactory();
        using var savings = new MetricCollector<double>(meterFactory, GatewayTelemetry.Name, GatewayTelemetry.Metrics.RoutingSavings);
        using var selections = new MetricCollector<long>(meterFactory, GatewayTelemetry.Name, GatewayTelemetry.Metrics.ModelSelection);
        using var scores = new MetricCollector<int>(meterFactory, GatewayTelemetry.Name, GatewayTelemetry.Metrics.TaskComplexity);
        var router = RoutingTestHelpers.Router(meterFactory: meterFactory);

        // Act
        var result = router.Route(RoutingTestHelpers.Chat(Greeting));
        var atDecision = savings.GetMeasurementSnapshot().Count;
        var saved = router.RecordOutcome(result, new TokenUsage(1_000, 500));

        // Assert
        Assert.Equal(0, atDecision);
        Assert.Equal(0.0105 - 0.00185, saved, 12);
        Assert.Equal(saved, Assert.Single(savings.GetMeasurementSnapshot()).Value, 12);
        var selection = Assert.Single(selections.GetMeasurementSnapshot());
        Assert.Equal("simple", selection.Tags["tier"]);
        Assert.Equal(ModelRegistry.KimiK25, selection.Tags["model"]);
        Assert.Equal(0, Assert.Single(scores.GetMeasurementSnapshot()).Value);
    }

    [Fact]
    public void Analyze_DoesNotCountSelection_AndExplicitSavesNothing()
    {
        // Arrange
        using var meterFactory = new TestMeterFactory();
        using var selections = new MetricCollector<long>(meterFactory, GatewayTelemetry.Name, GatewayTelemetry.Metrics.ModelSelection);
        var router = RoutingTestHelpers.Router(meterFactory: meterFactory);
        var request = RoutingTestHelpers.Chat(Greeting);
        request = request with { Model = ModelRegistry.KimiK25 };

        // Act
        var result = router.Analyze(request);

        // Assert
        Assert.Empty(selections.GetMeasurementSnapshot());
        Assert.Equal(0, router.RecordOutcome(result, new TokenUsage(1_000, 500)));
    }

    /// <summary>small ($0.1/$0.2, 1,500-token window) and mid ($1/$2) serve simple+medium, mid listed first; big serves complex.</summary>
    private static ModelRegistryOptions SmallRegistry() => new()
    {
        PremiumModel = "big",
        Models =
        [
            new() { Id = "mid", Provider = "nim", InputPricePerMillion = 1, OutputPricePerMillion = 2, ContextWindow = 1_500, Tiers = ["medium"] },
            new() { Id = "small", Provider = "nim", InputPricePerMillion = 0.1, OutputPricePerMillion = 0.2, ContextWindow = 1_500, Tiers = ["simple", "medium"] },
            new() { Id = "big", Provider = "anthropic", InputPricePerMillion = 3, OutputPricePerMillion = 15, ContextWindow = 100_000, Tiers = ["complex"] },
        ],
    };
}
