using GRump.Gateway.Intent;

namespace GRump.Gateway.Tests.Intent;

/// <summary>One test per defect of the original that the spec says we do not copy.</summary>
public class IntentRegressionTests
{
    private readonly IntentCompiler _compiler = new();

    [Theory]
    [InlineData("Search Google for ideas", "go")]
    [InlineData("Build trust with users", "rust")]
    [InlineData("A reactive dashboard", "react")]
    [InlineData("Plain javascript only", "java")]
    [InlineData("A typescriptish thing", "typescript")]
    [InlineData("Reroute the nodes", "nodejs")]
    public void Compile_WordContainingAlias_IsNotThatTech(string raw, string canonical)
    {
        Assert.Null(_compiler.Compile(raw).Tech(canonical));
    }

    [Fact]
    public void Compile_Javascript_IsJavascriptNotJava()
    {
        Assert.Equal(["javascript"], _compiler.Compile("Plain javascript only").TechStackHints);
    }

    [Fact]
    public void Compile_ClientPortal_IsNotCli()
    {
        Assert.NotEqual(ProjectType.Cli, _compiler.Compile("Build a client portal").ProjectType);
    }

    [Fact]
    public void Compile_Studios_IsNotMobile()
    {
        Assert.NotEqual(ProjectType.MobileApp, _compiler.Compile("A booking site for yoga studios").ProjectType);
    }

    [Theory]
    [InlineData("The tool has a config file")]
    [InlineData("It has an editor and whoever has a key")]
    public void Compile_HasA_IsNoActor(string raw)
    {
        Assert.Equal(["user"], _compiler.Compile(raw).Actors);
    }

    [Fact]
    public void Compile_NodeJs_DoesNotSplitSentence()
    {
        // Act
        var intent = _compiler.Compile("Use Node.js for the backend. Add auth.");

        // Assert
        Assert.Equal(["Use Node.js for the backend.", "Add auth."], intent.Sentences.Select(s => s.Text));
        Assert.Equal(["nodejs"], intent.Sentences[0].TechFound);
    }

    [Theory]
    [InlineData("Don't use React, build with Vue")]
    [InlineData("Use Vue instead of React")]
    [InlineData("Vue, but avoid React and MongoDB")]
    [InlineData("Use React. Then, remove React")]
    public void Compile_NegatedTech_NeverInTechStackHints(string raw)
    {
        // Act
        var intent = _compiler.Compile(raw);

        // Assert
        foreach (var tech in intent.EnrichedTech.Where(t => t.Negated))
        {
            Assert.DoesNotContain(tech.Canonical, intent.TechStackHints);
        }

        Assert.Equal(intent.EnrichedTech.Where(t => !t.Negated).Select(t => t.Canonical), intent.TechStackHints);
    }

    [Fact]
    public void Compile_NegatedItems_DoNotRaiseComplexity()
    {
        // Act
        var plain = _compiler.Compile("Add a blog with Vue");
        var withNegated = _compiler.Compile("Add a blog with Vue. No chat, no Redis, no Kafka");

        // Assert
        Assert.Equal(plain.ComplexityScore, withNegated.ComplexityScore);
        Assert.Contains(withNegated.EnrichedTech, t => t.Negated);
        Assert.Contains(withNegated.EnrichedFeatures, f => f.Negated);
    }

    [Fact]
    public void Compile_DevelopAPythonBackend_YieldsFeatures()
    {
        // Act
        var intent = _compiler.Compile("Develop a Python backend");

        // Assert
        Assert.Contains("backend-service", intent.Features);
        Assert.Contains("a python backend", intent.Features);
        Assert.Contains("python", intent.TechStackHints);
        Assert.Empty(intent.Verification.Warnings);
    }

    [Theory]
    [InlineData("Write it in C#")]
    [InlineData("A c# service.")]
    public void Compile_CSharp_IsCsharp(string raw)
    {
        // Act
        var intent = _compiler.Compile(raw);

        // Assert
        Assert.Equal(["csharp"], intent.TechStackHints);
        Assert.Equal("c#", intent.Tech("csharp")!.Value.MatchedAs);
    }
}
