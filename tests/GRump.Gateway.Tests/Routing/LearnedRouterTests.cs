using System.Globalization;
using GRump.Gateway.Chat;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Errors;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace GRump.Gateway.Tests.Routing;

/// <summary>
/// The learned strategies inside <see cref="ModelRouter"/>: the verdict moves the score into its tier as one factor, the
/// reason says what changed it, the embedding runs only where hybrid needs it and is cached — and the router's existing
/// rules (cost cap, explicit model, capabilities, prefer_cheaper) hold under the default strategy exactly as before.
/// </summary>
public sealed class LearnedRouterTests(LearnedRouterFixture fixture) : IClassFixture<LearnedRouterFixture>
{
    /// <summary>A training exemplar labelled complex: the heuristic scores it simple (plain words), the learned router must not.</summary>
    private const string PlainWordsComplex = "every few days the site gets slow for about an hour and then it's fine again, nobody knows why. we've got a load balancer, 6 app servers, postgres and redis. where do we even start and how do we catch it next time?";

    private const string ZeroTrust = "Build a zero-trust access model for 300 engineers to production: SSO, short-lived credentials, break-glass access, audit, and a rollout plan that doesn't block on-call.";

    private const string HeuristicComplex = "Design a scalable, fault-tolerant architecture for a multi-tenant SaaS billing platform using event sourcing, Kafka, PostgreSQL and Kubernetes, and explain the trade-offs of each choice.";

    private static ChatRequest Chat(string text, Action<RoutingBuilder>? routing = null, string model = "") =>
        RoutingTestHelpers.WithRouting(text, routing, model: model);

    private static ComplexityFactor? Learned(RoutingDecision decision) => decision.Factors.FirstOrDefault(f => f.Name == ModelRouter.LearnedFactor);

    [Fact]
    public void Hybrid_PlainWordsComplexTask_GoesToPremiumWithLearnedFactor()
    {
        // Arrange
        var heuristic = RoutingTestHelpers.Router().Analyze(Chat(PlainWordsComplex)).Decision;

        // Act
        var decision = fixture.Router().Analyze(Chat(PlainWordsComplex)).Decision;

        // Assert
        Assert.NotEqual(ComplexityTier.Complex, heuristic.Tier);
        Assert.Equal(ComplexityTier.Complex, decision.Tier);
        Assert.Equal(ModelRegistry.ClaudeSonnet, decision.Model);
        var learned = Assert.IsType<ComplexityFactor>(Learned(decision));
        Assert.Equal(decision.Score - heuristic.Score, learned.Points);
        Assert.Equal(ComplexityTiers.ComplexFrom, decision.Score);
        Assert.StartsWith("hybrid (", learned.Detail, StringComparison.Ordinal);
        Assert.Contains("complex from 0.31", learned.Detail, StringComparison.Ordinal);
        Assert.Contains("by the heuristic, complex by the hybrid router", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Hybrid_Score_IsTheSumOfTheFactors_AndTheTierFollowsTheScore()
    {
        foreach (var text in new[] { "hi", PlainWordsComplex, ZeroTrust, HeuristicComplex, "Write a Python function that merges overlapping intervals, with tests." })
        {
            // Act
            var decision = fixture.Router().Analyze(Chat(text)).Decision;

            // Assert
            var sum = decision.Factors.Sum(f => f.Points);
            Assert.Equal((int)Math.Clamp(Math.Round(sum, MidpointRounding.AwayFromZero), 0, 100), decision.Score);
            Assert.Equal(ComplexityTiers.FromScore(decision.Score), decision.Tier);
        }
    }

    [Fact]
    public void Hybrid_Greeting_StaysOnTheCheapModel()
    {
        // Act
        var decision = fixture.Router().Analyze(Chat("hi")).Decision;

        // Assert
        Assert.Equal(ComplexityTier.Simple, decision.Tier);
        Assert.Equal(ModelRegistry.KimiK25, decision.Model);
    }

    [Fact]
    public void Hybrid_HeuristicComplex_IsKept_WithoutTheSentenceModel()
    {
        // Arrange
        var lookups = fixture.Classifier.Embedder.Lookups;

        // Act
        var decision = fixture.Router().Analyze(Chat(HeuristicComplex)).Decision;

        // Assert
        Assert.Equal(ComplexityTier.Complex, decision.Tier);
        Assert.Null(Learned(decision));
        Assert.Equal(lookups, fixture.Classifier.Embedder.Lookups);
    }

    [Fact]
    public void Embedding_RepeatedPrompt_IsEmbeddedOnceThenServedFromTheCache()
    {
        // Arrange
        using var meters = new TestMeterFactory();
        using var lookups = new MetricCollector<long>(meters, GatewayTelemetry.Name, GatewayTelemetry.Metrics.RoutingEmbeddingLookups);
        var router = fixture.Router(RoutingStrategy.Embedding, meters: meters);
        var text = "Summarize the plot of a film you like in three sentences " + Guid.CreateVersion7().ToString("N");

        // Act
        router.Route(Chat(text));
        router.Route(Chat(text));

        // Assert
        var measurements = lookups.GetMeasurementSnapshot();
        Assert.Equal(2, measurements.Count);
        Assert.Equal("miss", measurements[0].Tags["cache"]);
        Assert.Equal("hit", measurements[1].Tags["cache"]);
    }

    [Fact]
    public void Analyze_CountsNoEmbeddingLookup()
    {
        // Arrange
        using var meters = new TestMeterFactory();
        using var lookups = new MetricCollector<long>(meters, GatewayTelemetry.Name, GatewayTelemetry.Metrics.RoutingEmbeddingLookups);

        // Act
        fixture.Router(RoutingStrategy.Embedding, meters: meters).Analyze(Chat("What's a good name for a goldfish?"));

        // Assert
        Assert.Empty(lookups.GetMeasurementSnapshot());
    }

    [Fact]
    public void Embedding_Decision_ListsItsProbabilitiesAndNearestExemplar()
    {
        // Act
        var decision = fixture.Router(RoutingStrategy.Embedding).Analyze(Chat(ZeroTrust)).Decision;

        // Assert: the exact text of a training exemplar is its own nearest neighbour, and takes its label.
        var learned = Assert.IsType<ComplexityFactor>(Learned(decision));
        Assert.Contains("embedding (near-duplicate of an exemplar)", learned.Detail, StringComparison.Ordinal);
        Assert.Contains("nearest exemplar ops-", learned.Detail, StringComparison.Ordinal);
        Assert.Contains("(1.00)", learned.Detail, StringComparison.Ordinal);
        Assert.Equal(ComplexityTier.Complex, decision.Tier);
    }

    [Fact]
    public void Hybrid_ExplicitModel_BypassesTheLearnedRouter()
    {
        // Arrange
        var lookups = fixture.Classifier.Embedder.Lookups;

        // Act
        var decision = fixture.Router().Analyze(Chat(PlainWordsComplex, model: ModelRegistry.KimiK25)).Decision;

        // Assert
        Assert.True(decision.ExplicitModel);
        Assert.Equal(ModelRegistry.KimiK25, decision.Model);
        Assert.Null(Learned(decision));
        Assert.Equal(lookups, fixture.Classifier.Embedder.Lookups);
        Assert.Contains("the request named this model; routing bypassed", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Hybrid_CostCapBelowPremium_DowngradesALearnedComplexTaskAndSaysSo()
    {
        // Act
        var result = fixture.Router().Analyze(Chat(PlainWordsComplex, r => r.MaxCostPerRequestUsd = 0.01));

        // Assert
        Assert.Equal(ComplexityTier.Complex, result.Decision.Tier);
        Assert.Equal(ModelRegistry.KimiK25, result.Decision.Model);
        Assert.Contains("the caller's cost cap forces a cheaper model for a complex task", result.Decision.Reason, StringComparison.Ordinal);
        Assert.True(result.Decision.EstimatedCostUsd <= 0.01);
    }

    [Fact]
    public void Hybrid_CostCapBelowEveryModel_IsFailedPrecondition()
    {
        // Act
        var error = Assert.Throws<GatewayException>(() => fixture.Router().Analyze(Chat(PlainWordsComplex, r => r.MaxCostPerRequestUsd = 0.0001)));

        // Assert
        Assert.Equal(GatewayErrorKind.FailedPrecondition, error.Kind);
        Assert.Contains("No model fits max_cost_per_request_usd $0.0001", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hybrid_PreferCheaper_NeverDowngradesALearnedComplexTask()
    {
        // Act
        var decision = fixture.Router().Analyze(Chat(PlainWordsComplex, r => r.PreferCheaper = true)).Decision;

        // Assert
        Assert.Equal(ComplexityTier.Complex, decision.Tier);
        Assert.Equal(ModelRegistry.ClaudeSonnet, decision.Model);
    }

    [Fact]
    public void Hybrid_PreferCheaper_SimpleTaskTakesTheCheapestCapableModel()
    {
        // Act
        var decision = fixture.Router().Analyze(Chat("hi", r => r.PreferCheaper = true)).Decision;

        // Assert
        Assert.Equal(ModelRegistry.KimiK25, decision.Model);
        Assert.Contains("prefer_cheaper: the cheapest capable model", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Hybrid_RequiredCapability_FiltersTheLearnedTiersModel()
    {
        // Act: vision only on the premium model — a simple task must go there, and nowhere without it.
        var decision = fixture.Router().Analyze(Chat("hi", r => r.RequiredCapabilities.Add("vision"))).Decision;
        var unknown = Assert.Throws<GatewayException>(() => fixture.Router().Analyze(Chat(PlainWordsComplex, r => r.RequiredCapabilities.Add("telepathy"))));
        var missing = Assert.Throws<GatewayException>(() => fixture.Router(providers: ["local", "nim"]).Analyze(Chat(PlainWordsComplex, r => r.RequiredCapabilities.Add("vision"))));

        // Assert
        Assert.Equal(ModelRegistry.ClaudeSonnet, decision.Model);
        Assert.Equal(GatewayErrorKind.InvalidArgument, unknown.Kind);
        Assert.Equal(GatewayErrorKind.FailedPrecondition, missing.Kind);
    }

    [Fact]
    public void Hybrid_ComplexWithoutPremiumProvider_FallsToTheNearestTier()
    {
        // Act
        var decision = fixture.Router(providers: ["local", "nim"]).Analyze(Chat(PlainWordsComplex)).Decision;

        // Assert
        Assert.Equal(ComplexityTier.Complex, decision.Tier);
        Assert.Equal(ModelRegistry.KimiK25, decision.Model);
        Assert.Contains("nearest tier medium", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Route_CountsTheLearnedTier_InModelSelection()
    {
        // Arrange
        using var meters = new TestMeterFactory();
        using var selections = new MetricCollector<long>(meters, GatewayTelemetry.Name, GatewayTelemetry.Metrics.ModelSelection);

        // Act
        fixture.Router(meters: meters).Route(Chat(PlainWordsComplex));

        // Assert
        var selection = Assert.Single(selections.GetMeasurementSnapshot());
        Assert.Equal("complex", selection.Tags["tier"]);
        Assert.Equal(ModelRegistry.ClaudeSonnet, selection.Tags["model"]);
    }

    [Fact]
    public void Decide_OtherLanguages_AndEmptyTexts_DoNotThrow()
    {
        foreach (var text in new[] { "東京の人口はどれくらいですか？", "Wie spät ist es?", " ", new string('x', 70_000), "🙂🙂🙂" })
        {
            var decision = fixture.Router(RoutingStrategy.Embedding).Analyze(Chat(text)).Decision;
            Assert.InRange(decision.Score, 0, 100);
            Assert.False(string.IsNullOrEmpty(decision.Model), text.Length.ToString(CultureInfo.InvariantCulture));
        }
    }
}
