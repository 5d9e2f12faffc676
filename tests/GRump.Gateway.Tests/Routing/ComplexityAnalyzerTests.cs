using GRump.Gateway.Routing;
using GRump.Gateway.Chat;
using GRump.Gateway.Intent;

namespace GRump.Gateway.Tests.Routing;

public sealed class ComplexityAnalyzerTests
{
    private static RoutingDecision Analyze(ChatRequest request, bool withIntent = false)
    {
        var factors = new List<ComplexityFactor>();
        var intent = withIntent ? RoutingTestHelpers.Compiler.Compile(ComplexityAnalyzer.TaskText(request)) : null;
        var score = ComplexityAnalyzer.Analyze(request, ChatTokens.CountPrompt(request), intent, factors);
        return new RoutingDecision(score, ComplexityTiers.FromScore(score), string.Empty, string.Empty, string.Empty) { Factors = factors };
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(29, 0)]
    [InlineData(30, 5)]
    [InlineData(99, 5)]
    [InlineData(100, 10)]
    [InlineData(299, 10)]
    [InlineData(300, 15)]
    [InlineData(999, 15)]
    [InlineData(1_000, 20)]
    [InlineData(2_999, 20)]
    [InlineData(3_000, 25)]
    [InlineData(200_000, 25)]
    public void LengthBand_Boundaries_GivePoints(int tokens, int points)
    {
        Assert.Equal(points, ComplexityAnalyzer.LengthBand(tokens).Points);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 3)]
    [InlineData(3, 3)]
    [InlineData(4, 6)]
    [InlineData(9, 6)]
    [InlineData(10, 10)]
    [InlineData(200, 10)]
    public void MessageCountPoints_Bands(int turns, int points)
    {
        Assert.Equal(points, ComplexityAnalyzer.MessageCountPoints(turns));
    }

    [Theory]
    [InlineData(ChatMode.Unspecified, 0)]
    [InlineData(ChatMode.Chat, 0)]
    [InlineData(ChatMode.Code, 10)]
    [InlineData(ChatMode.Spec, 20)]
    [InlineData(ChatMode.Plan, 25)]
    [InlineData(ChatMode.Architecture, 45)]
    [InlineData(ChatMode.Ship, 50)]
    public void ModePoints_PerMode(ChatMode mode, int points)
    {
        Assert.Equal(points, ComplexityAnalyzer.ModePoints(mode));
        var decision = Analyze(RoutingTestHelpers.Chat("hello there", mode));
        Assert.Equal(points, decision.Points(ComplexityAnalyzer.ModeFactor));
    }

    [Theory]
    [InlineData(29, ComplexityTier.Simple)]
    [InlineData(0, ComplexityTier.Simple)]
    [InlineData(30, ComplexityTier.Medium)]
    [InlineData(59, ComplexityTier.Medium)]
    [InlineData(60, ComplexityTier.Complex)]
    [InlineData(100, ComplexityTier.Complex)]
    public void FromScore_TierBoundaries(int score, ComplexityTier tier)
    {
        Assert.Equal(tier, ComplexityTiers.FromScore(score));
    }

    [Theory]
    [InlineData("Explain why tabs are better", "reasoning", 11)]
    [InlineData("Refactor this function", "code", 16)]
    [InlineData("First do this, then that, finally the rest", "multi_step", 13)]
    [InlineData("It must be exactly right for production", "accuracy", 11)]
    [InlineData("Write a poem and a story", "creativity", 12)]
    public void Analyze_MarkerCategory_AddsItsPoints(string text, string factor, double points)
    {
        // Act
        var decision = Analyze(RoutingTestHelpers.Chat(text));

        // Assert
        Assert.Equal(points, decision.Points(factor));
    }

    [Theory]
    [InlineData("whyever would the prefix match", "reasoning")]
    [InlineData("the fixture holds a classy codec", "code")]
    [InlineData("thence and firstly", "multi_step")]
    [InlineData("éwhy 2fix", "reasoning")]
    [InlineData("éwhy 2fix", "code")]
    public void Analyze_MarkersAreWordBounded(string text, string factor)
    {
        Assert.Equal(0, Analyze(RoutingTestHelpers.Chat(text)).Points(factor));
    }

    [Theory]
    [InlineData("what are the trade-offs?")]
    [InlineData("what are the trade offs?")]
    [InlineData("WHAT ARE THE TRADE\tOFFS?")]
    public void Analyze_PhraseMatchesAcrossHyphenSpaceAndCase(string text)
    {
        Assert.Equal(12, Analyze(RoutingTestHelpers.Chat(text)).Points("reasoning"));
    }

    [Fact]
    public void Analyze_RepeatedMarker_CountsOnce()
    {
        Assert.Equal(5, Analyze(RoutingTestHelpers.Chat("why why why why")).Points("reasoning"));
    }

    [Fact]
    public void Analyze_CategoryOverCap_IsCappedAndSaysSo()
    {
        // Arrange: design 12 + architecture 15 + scalable 8 + distributed 8 + trade-offs 12 = 55 > 50.
        var decision = Analyze(RoutingTestHelpers.Chat("design a scalable distributed architecture and its trade-offs"));

        // Assert
        var reasoning = Assert.Single(decision.Factors, f => f.Name == "reasoning");
        Assert.Equal(50, reasoning.Points);
        Assert.Contains("capped at 50", reasoning.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_TwoStrongCategories_AddCombination()
    {
        // Arrange: refactor 12 (code) and across 12 (multi_step) are both ≥ 10.
        var decision = Analyze(RoutingTestHelpers.Chat("refactor it across the app"));

        // Assert
        Assert.Equal(10, decision.Points(ComplexityAnalyzer.CombinationFactor));
    }

    [Fact]
    public void Analyze_MessageCount_CountsNonSystemMessages()
    {
        // Arrange
        var request = new ChatRequest
        {
            Messages =
            [
                ChatMessage.FromText(ChatRole.System, "be brief"),
                ChatMessage.FromText(ChatRole.User, "hi"),
                ChatMessage.FromText(ChatRole.Assistant, "hello"),
                ChatMessage.FromText(ChatRole.User, "thanks"),
            ],
        };

        // Act
        var decision = Analyze(request);

        // Assert: 3 turns besides system → 3 points; the task text is the last user message.
        Assert.Equal(3, decision.Points(ComplexityAnalyzer.MessageCountFactor));
        Assert.Equal("thanks", ComplexityAnalyzer.TaskText(request));
    }

    [Fact]
    public void IntentPoints_FollowFormula()
    {
        // Arrange
        var edge = new DependencyEdge("a", "b", "a needs b");
        var intent = new ParsedIntent
        {
            Raw = "task",
            Actors = ["user"],
            ComplexityScore = 0.5f,
            Features = ["a", "b", "c", "d", "e"],
            DependencyGraph = [edge, edge, edge],
            Verification = new IntentVerification(WellFormed: true, [], []),
        };

        // Act + Assert: 15 × 0.5 + min(6, 7.5) + min(4, 6) = 7.5 + 6 + 4.
        Assert.Equal(17.5, ComplexityAnalyzer.IntentPoints(intent));
        Assert.Equal(0, ComplexityAnalyzer.IntentPoints(new ParsedIntent { Raw = string.Empty, Actors = ["user"], Verification = default }));
    }

    [Fact]
    public void Analyze_ScoreIsSumOfFactorPointsRounded()
    {
        // Arrange
        var decision = Analyze(RoutingTestHelpers.Chat("Build a todo app with auth and a dashboard using React and Postgres, then write tests", ChatMode.Code), withIntent: true);

        // Assert
        var sum = decision.Factors.Sum(f => f.Points);
        Assert.Equal((int)Math.Round(sum, MidpointRounding.AwayFromZero), decision.Score);
        Assert.Equal(ComplexityAnalyzer.LengthFactor, decision.Factors[0].Name);
    }

    [Fact]
    public void Analyze_Greeting_HasOnlyLengthFactor()
    {
        var decision = Analyze(RoutingTestHelpers.Chat("hi"), withIntent: true);
        var factor = Assert.Single(decision.Factors);
        Assert.Equal(ComplexityAnalyzer.LengthFactor, factor.Name);
        Assert.Equal(0, decision.Score);
    }
}
