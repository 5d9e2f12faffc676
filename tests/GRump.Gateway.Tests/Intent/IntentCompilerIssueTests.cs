using GRump.Gateway.Intent;

namespace GRump.Gateway.Tests.Intent;

/// <summary>The examples from the intent compiler issue.</summary>
public class IntentCompilerIssueTests
{
    private readonly IntentCompiler _compiler = new();

    [Fact]
    public void Compile_AliasesPgAndK8s_ResolveToPostgresqlAndKubernetes()
    {
        // Act
        var intent = _compiler.Compile("Use pg database with k8s");

        // Assert
        Assert.Contains("postgresql", intent.TechStackHints);
        Assert.Contains("kubernetes", intent.TechStackHints);
        Assert.Equal("pg", intent.Tech("postgresql")!.Value.MatchedAs);
        Assert.Equal(TechCategory.Database, intent.Tech("postgresql")!.Value.Category);
        Assert.Equal(TechCategory.Devops, intent.Tech("kubernetes")!.Value.Category);
    }

    [Theory]
    [InlineData("Don't use React, build with Vue")]
    [InlineData("Use Vue instead of React")]
    public void Compile_ReactNegated_ReactOnlyInEnrichedTechAsNegated(string raw)
    {
        // Act
        var intent = _compiler.Compile(raw);

        // Assert
        var react = intent.Tech("react");
        Assert.NotNull(react);
        Assert.True(react.Value.Negated);
        Assert.DoesNotContain("react", intent.TechStackHints);
        Assert.False(intent.Tech("vue")!.Value.Negated);
        Assert.Contains("vue", intent.TechStackHints);
    }

    [Fact]
    public void Compile_RestApiWithExpressAndPostgres_IsApi()
    {
        // Act
        var intent = _compiler.Compile("Build a REST API with Express and PostgreSQL");

        // Assert
        Assert.Equal(ProjectType.Api, intent.ProjectType);
        Assert.Equal(["express", "postgresql"], intent.TechStackHints);
        Assert.Contains("rest-api", intent.Features);
    }

    [Fact]
    public void Compile_ECommercePlatform_IsComplexWithExpectedEdges()
    {
        // Arrange
        const string raw = "Build an e-commerce platform with authentication, RBAC, dashboard, payments, real-time chat, " +
            "notifications using React, Node, PostgreSQL, Redis, Docker, Kubernetes";

        // Act
        var intent = _compiler.Compile(raw);

        // Assert
        Assert.True(intent.ComplexityScore > 0.7f, $"complexity {intent.ComplexityScore}");
        Assert.True(intent.HasEdge("role-based-access", "authentication"));
        Assert.True(intent.HasEdge("e-commerce", "payments"));
        Assert.True(intent.HasEdge("e-commerce", "authentication"));
        Assert.True(intent.HasEdge("chat", "real-time"));
        Assert.True(intent.HasEdge("chat", "authentication"));
        Assert.True(intent.HasEdge("real-time", "websocket"));
        Assert.Equal(6, intent.DependencyGraph.Count);
        Assert.Equal(["react", "nodejs", "postgresql", "redis", "docker", "kubernetes"], intent.TechStackHints);
        Assert.Equal(ProjectType.WebApp, intent.ProjectType);
        Assert.Equal(ArchitecturePattern.Microservices, intent.ArchitecturePattern);
        Assert.Equal(
            ["e-commerce", "authentication", "role-based-access", "dashboard", "payments", "real-time", "chat", "notifications"],
            intent.EnrichedFeatures.Select(f => f.Name));
    }
}
