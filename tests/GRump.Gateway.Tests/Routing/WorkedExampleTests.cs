using GRump.Gateway.Routing;
using GRump.Gateway.Chat;

namespace GRump.Gateway.Tests.Routing;

/// <summary>The worked examples of docs/routing.md, number for number (default registry, nim + anthropic configured).</summary>
public sealed class WorkedExampleTests
{
    private const string Design = "Design a scalable, fault-tolerant architecture for a multi-tenant SaaS billing platform using event sourcing, Kafka, PostgreSQL and Kubernetes, and explain the trade-offs of each choice.";

    private static void AssertFactors(RoutingDecision decision, params (string Name, double Points, string Detail)[] expected)
    {
        Assert.Equal(expected.Length, decision.Factors.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Name, decision.Factors[i].Name);
            Assert.Equal(expected[i].Points, decision.Factors[i].Points, 9);
            Assert.Equal(expected[i].Detail, decision.Factors[i].Detail);
        }
    }

    [Fact]
    public void Example1_Greeting()
    {
        var result = RoutingTestHelpers.Router().Route(RoutingTestHelpers.Chat("hi"));

        Assert.Equal(8, result.InputTokens);
        Assert.Equal(0, result.Decision.Score);
        Assert.Equal(ComplexityTier.Simple, result.Decision.Tier);
        Assert.Equal(ModelRegistry.KimiK25, result.Decision.Model);
        Assert.Equal(0.0025648, result.Decision.EstimatedCostUsd, 12);
        AssertFactors(result.Decision, ("length", 0, "8 prompt tokens (band under 30)"));
        Assert.Equal("simple (score 0) → moonshotai/kimi-k2.5: the simple tier's model", result.Decision.Reason);
    }

    [Fact]
    public void Example2_Comparison()
    {
        var result = RoutingTestHelpers.Router().Route(RoutingTestHelpers.Chat("Compare REST and GraphQL for a mobile backend and explain the trade-offs."));

        Assert.Equal(22, result.InputTokens);
        Assert.Equal(38, result.Decision.Score);
        Assert.Equal(ComplexityTier.Medium, result.Decision.Tier);
        Assert.Equal(ModelRegistry.KimiK25, result.Decision.Model);
        Assert.Equal(0.0025732, result.Decision.EstimatedCostUsd, 12);
        AssertFactors(result.Decision,
            ("length", 0, "22 prompt tokens (band under 30)"),
            ("reasoning", 28, "explain, compare, trade offs"),
            ("intent", 10.3, "complexity 0.39, 3 features, 0 dependencies"));
    }

    [Fact]
    public void Example3_ArchitectureDesign_AndWithCostCap()
    {
        // Act
        var router = RoutingTestHelpers.Router();
        var result = router.Route(RoutingTestHelpers.Chat(Design));
        var capped = RoutingTestHelpers.Chat(Design) with { Routing = new RoutingPreferences(MaxCostPerRequestUsd: 0.01) };
        var downgraded = router.Route(capped).Decision;

        // Assert
        Assert.Equal(45, result.InputTokens);
        Assert.Equal(71, result.Decision.Score);
        Assert.Equal(ComplexityTier.Complex, result.Decision.Tier);
        Assert.Equal(ModelRegistry.ClaudeSonnet, result.Decision.Model);
        Assert.Equal(0.015495, result.Decision.EstimatedCostUsd, 12);
        AssertFactors(result.Decision,
            ("length", 5, "45 prompt tokens (band 30–99)"),
            ("reasoning", 50, "explain, trade offs, design +3 more (63, capped at 50)"),
            ("intent", 15.9, "complexity 0.53, 4 features, 1 dependencies"));

        Assert.Equal(ModelRegistry.KimiK25, downgraded.Model);
        Assert.Equal(0.002587, downgraded.EstimatedCostUsd, 12);
        Assert.Equal(
            "complex (score 71) → moonshotai/kimi-k2.5: claude-sonnet-4-5 would cost up to $0.015495 > max_cost_per_request_usd $0.01; downgraded to the best model within the cap (the caller's cost cap forces a cheaper model for a complex task)",
            downgraded.Reason);

        // Savings if the downgraded call used 45 input and 800 output tokens: Claude $0.012135 − Kimi $0.002027.
        Assert.True(new ModelRegistry(Microsoft.Extensions.Options.Options.Create(new ModelRegistryOptions())).TryGet(ModelRegistry.KimiK25, out var kimi));
        Assert.Equal(0.010108, router.RoutingSavings(kimi, new TokenUsage(45, 800)), 12);
    }
}
