using GRump.Gateway.Intent;
using GRump.Gateway.Intent.Internal;

namespace GRump.Gateway.Tests.Intent;

/// <summary>Every entry of every lexicon category is reachable through the compiler, and the loader is strict.</summary>
public class LexiconTests
{
    private static readonly Lexicon Lex = Lexicon.Default;
    private readonly IntentCompiler _compiler = new();

    public static TheoryData<string> TechAliases() => [.. Lex.TechTable.Keys.Order(StringComparer.Ordinal)];

    public static TheoryData<string> FeatureTokens() => [.. Lex.FeatureTokenTable.Keys.Order(StringComparer.Ordinal)];

    public static TheoryData<string> Phrases() => [.. Lex.PhraseTable.Keys.Order(StringComparer.Ordinal)];

    public static TheoryData<string> Verbs() => [.. Lex.VerbTable.Keys.Order(StringComparer.Ordinal)];

    public static TheoryData<string> NegationCues() => [.. Lex.NegationCues.Order(StringComparer.Ordinal)];

    public static TheoryData<string> DataFlowAliases() => [.. Lex.DataFlowTable.Keys.Order(StringComparer.Ordinal)];

    public static TheoryData<string> RoleWords() => [.. Lex.RoleTable.Keys.Order(StringComparer.Ordinal)];

    public static TheoryData<int> DependencyRules() => [.. Enumerable.Range(0, Lex.Dependencies.Length)];

    [Theory]
    [MemberData(nameof(TechAliases))]
    public void Compile_EveryTechAlias_ResolvesToItsCanonical(string alias)
    {
        // Arrange: "using" is a tech cue, so everyday-word aliases ("go", "next") count too.
        var entry = Lex.TechAliases[Lex.TechTable[alias]];
        var canonical = Lex.TechNames[entry.Tech];

        // Act
        var intent = _compiler.Compile($"Ship it using {alias}.");

        // Assert
        var tech = intent.Tech(canonical);
        Assert.NotNull(tech);
        Assert.Equal(alias, tech.Value.MatchedAs);
        Assert.Equal(Lex.TechCategories[entry.Tech], tech.Value.Category);
        Assert.Contains(canonical, intent.TechStackHints);
    }

    [Theory]
    [InlineData("Postgres", "postgresql", TechCategory.Database)]
    [InlineData("Svelte", "svelte", TechCategory.Frontend)]
    [InlineData("FastAPI", "fastapi", TechCategory.Backend)]
    [InlineData("Prisma", "prisma", TechCategory.Tool)]
    [InlineData("TypeScript", "typescript", TechCategory.Language)]
    [InlineData("Terraform", "terraform", TechCategory.Devops)]
    [InlineData("GCP", "gcp", TechCategory.Cloud)]
    public void Compile_EachTechCategory_MapsToProtoEnum(string word, string canonical, TechCategory category)
    {
        Assert.Equal(category, _compiler.Compile($"Use {word}").Tech(canonical)!.Value.Category);
    }

    [Theory]
    [MemberData(nameof(FeatureTokens))]
    public void Compile_EveryFeatureToken_ResolvesToItsCanonical(string token)
    {
        // Arrange
        var canonical = Lex.Names[Lex.FeatureTokenTable[token]];

        // Act
        var intent = _compiler.Compile($"We want {token} here");

        // Assert
        var feature = intent.Feature(canonical);
        Assert.NotNull(feature);
        Assert.False(feature.Value.Negated);
        Assert.Equal(0.90f, feature.Value.Confidence);
        Assert.Contains(canonical, intent.Features);
    }

    [Theory]
    [MemberData(nameof(Phrases))]
    public void Compile_EveryPhrase_ResolvesToItsCanonical(string phrase)
    {
        // Arrange
        var canonical = Lex.Names[Lex.PhraseTable[phrase]];

        // Act
        var intent = _compiler.Compile($"We want {phrase} here");

        // Assert
        Assert.Contains(canonical, intent.Features);
    }

    [Theory]
    [MemberData(nameof(Verbs))]
    public void Compile_EveryVerb_SetsTheFeatureAction(string verb)
    {
        // Act
        var feature = _compiler.Compile($"{verb} the dashboard").Feature("dashboard");

        // Assert
        Assert.NotNull(feature);
        Assert.Equal(Lex.VerbTable[verb], feature.Value.Action);
        Assert.NotEqual(FeatureAction.Unspecified, feature.Value.Action);
    }

    [Theory]
    [MemberData(nameof(NegationCues))]
    public void Compile_EveryNegationCue_NegatesTheNextTech(string cue)
    {
        // Act
        var intent = _compiler.Compile($"Use Vue {cue} React");

        // Assert
        Assert.True(intent.Tech("react")!.Value.Negated);
        Assert.DoesNotContain("react", intent.TechStackHints);
    }

    [Theory]
    [MemberData(nameof(DataFlowAliases))]
    public void Compile_EveryDataFlowAlias_IsReported(string alias)
    {
        // Arrange
        var flow = Lex.DataFlowNames[Lex.DataFlowTable[alias]];

        // Act / Assert
        Assert.Equal([flow], _compiler.Compile($"Hello {alias} there").DataFlows);
    }

    [Theory]
    [MemberData(nameof(RoleWords))]
    public void Compile_EveryRoleWord_IsASingularActor(string word)
    {
        Assert.Contains(Lex.RoleTable[word], _compiler.Compile($"Some {word} here").Actors);
    }

    [Theory]
    [MemberData(nameof(DependencyRules))]
    public void Compile_EveryDependencyRule_EmitsItsEdge(int index)
    {
        // Arrange: any key that names the rule's source feature.
        var rule = Lex.Dependencies[index];
        var key = Lex.FeatureTokenTable.Where(p => p.Value == rule.FromName).Select(p => p.Key)
            .Concat(Lex.PhraseTable.Where(p => p.Value == rule.FromName).Select(p => p.Key))
            .Order(StringComparer.Ordinal)
            .First();

        // Act
        var intent = _compiler.Compile($"We want {key} here");

        // Assert
        var edge = Assert.Single(intent.DependencyGraph, e => e.From == rule.From && e.To == rule.To);
        Assert.Equal(rule.Reason, edge.Reason);
        Assert.DoesNotContain('\n', edge.Reason);
    }

    [Fact]
    public void Default_Loads_WithEveryCategory()
    {
        Assert.True(Lex.TechNames.Length >= 100);
        Assert.Equal(7, Lex.TechCategories.Distinct().Count());
        Assert.DoesNotContain(TechCategory.Unspecified, Lex.TechCategories);
        Assert.Equal(8, Lex.VerbTable.Values.Distinct().Count());
        Assert.Equal(30, Lex.Dependencies.Length);
        Assert.Equal(13, Lex.DataFlowNames.Length);
    }

    [Theory]
    [InlineData("alias outside a section")]
    [InlineData("[nonsense]\nfoo")]
    [InlineData("[tech nowhere]\nfoo")]
    [InlineData("[tech database]\npostgresql\npostgresql")]
    [InlineData("[feature]\nauth: a\nlogin: a")]
    [InlineData("[phrase]\nx: three word phrase")]
    [InlineData("[dependency]\nno arrow here")]
    [InlineData("[signal nowhere]\nfoo")]
    [InlineData("[tech-trait serverless]\nnot-a-tech")]
    [InlineData("[broken")]
    public void Parse_MalformedLexicon_ThrowsFormatException(string text)
    {
        Assert.Throws<FormatException>(() => Lexicon.Parse(new StringReader(text)));
    }
}
