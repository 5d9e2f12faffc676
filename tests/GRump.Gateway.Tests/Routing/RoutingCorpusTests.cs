using System.Security.Cryptography;
using System.Text;
using GRump.Gateway.Routing;

namespace GRump.Gateway.Tests.Routing;

/// <summary>The labelled corpus: its size and mix, the fixed split, and a reader that names the bad line.</summary>
public sealed class RoutingCorpusTests
{
    private static string CorpusDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "GRump.Gateway.Core", "Routing", "Corpus");
            if (File.Exists(Path.Combine(candidate, "holdout.jsonl")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("The routing corpus was not found above the test binaries.");
    }

    private static IReadOnlyList<RoutingExemplar> Split(string name) => RoutingCorpus.ReadFile(Path.Combine(CorpusDirectory(), name + ".jsonl"));

    [Fact]
    public void Corpus_HasAtLeast400Prompts_OfEveryTierKindAndLanguageMix()
    {
        // Act
        var all = Split("train").Concat(Split("holdout")).ToList();

        // Assert
        Assert.True(all.Count >= 400, $"{all.Count} prompts");
        foreach (var tier in new[] { ComplexityTier.Simple, ComplexityTier.Medium, ComplexityTier.Complex })
        {
            Assert.True(all.Count(e => e.Tier == tier) >= 100, $"{tier}: {all.Count(e => e.Tier == tier)}");
        }

        Assert.True(all.Select(e => e.Domain).Distinct().Count() >= 6);
        Assert.True(all.Count(e => e.Language != "en") >= 30);
        Assert.True(all.Count(e => e.Messages.Count(m => m.Role == GRump.Gateway.Chat.ChatRole.User) > 1) >= 20);
        foreach (var tag in new[] { "misleading-up", "misleading-down", "long", "short" })
        {
            Assert.Contains(all, e => e.Tags.Contains(tag));
        }
    }

    [Fact]
    public void Split_FollowsTheHashRule_AndNeverSplitsAGroup()
    {
        // Arrange
        static bool InHoldout(string group) => SHA256.HashData(Encoding.UTF8.GetBytes("grump-routing-corpus:" + group))[0] % 10 < 3;
        var train = Split("train");
        var holdout = Split("holdout");

        // Assert
        Assert.All(train, e => Assert.False(InHoldout(e.Group), e.Id));
        Assert.All(holdout, e => Assert.True(InHoldout(e.Group), e.Id));
        Assert.Empty(train.Select(e => e.Id).Intersect(holdout.Select(e => e.Id)));
        Assert.Empty(train.Select(e => e.Group).Intersect(holdout.Select(e => e.Group)));
        Assert.Empty(train.Select(e => e.ClassifierPrompt.Text).Intersect(holdout.Select(e => e.ClassifierPrompt.Text)));
    }

    [Fact]
    public void BuiltInTraining_IsTheTrainingSplit_AndNotTheHoldout()
    {
        // Act
        var shipped = RoutingCorpus.BuiltInTraining();

        // Assert
        Assert.Equal(Split("train").Select(e => e.Id), shipped.Select(e => e.Id));
    }

    [Theory]
    [InlineData("""{"id": "x", "tier": "hard", "messages": [{"role": "user", "content": "a"}]}""", "tier 'hard' is not simple, medium or complex")]
    [InlineData("""{"id": "x", "tier": "simple", "messages": []}""", "messages is empty")]
    [InlineData("""{"id": "x", "tier": "simple", "messages": [{"role": "robot", "content": "a"}]}""", "messages[0].role 'robot' is not system, user, assistant or tool")]
    [InlineData("""{"id": "x", "tier": "simple", "messages": [{"role": "user", "content": " "}]}""", "messages[0].content is empty")]
    [InlineData("""{"id": "x", "tier": "simple", "messages": [{"role": "system", "content": "be nice"}]}""", "no user message")]
    [InlineData("""{"id": "x", "tier": "simple", "messages": [{"role": "user", "content": "a"}""", "not a JSON object")]
    [InlineData("[1, 2]", "not a JSON object")]
    public void Read_BadLine_NamesSourceLineAndProblem(string line, string problem)
    {
        // Arrange
        var text = "# an operator's exemplars\n" + """{"id": "ok", "tier": "medium", "messages": [{"role": "user", "content": "fine"}]}""" + "\n" + line + "\n";

        // Act
        var error = Assert.Throws<FormatException>(() => RoutingCorpus.Read(new StringReader(text), "mine.jsonl"));

        // Assert
        Assert.StartsWith("mine.jsonl line 3: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DuplicateId_IsRefused_AndMissingIdIsTheLineNumber()
    {
        // Arrange
        const string Line = """{"tier": "complex", "messages": [{"role": "user", "content": "a"}]}""";

        // Act
        var read = RoutingCorpus.Read(new StringReader(Line + "\n\n" + Line.Replace("\"a\"", "\"b\"", StringComparison.Ordinal)), "x");
        var duplicate = Assert.Throws<FormatException>(() => RoutingCorpus.Read(new StringReader("""{"id": "a", "tier": "simple", "messages": [{"role": "user", "content": "a"}]}""" + "\n" + """{"id": "a", "tier": "simple", "messages": [{"role": "user", "content": "b"}]}"""), "x"));

        // Assert
        Assert.Equal(["line-1", "line-3"], read.Select(e => e.Id));
        Assert.Equal(ComplexityTier.Complex, read[0].Tier);
        Assert.Equal("line-1", read[0].Group);
        Assert.Contains("id 'a' appears twice", duplicate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_OverLongContent_IsRefused()
    {
        var line = $$"""{"id": "x", "tier": "simple", "messages": [{"role": "user", "content": "{{new string('a', RoutingCorpus.MaxContentChars + 1)}}"}]}""";
        var error = Assert.Throws<FormatException>(() => RoutingCorpus.Read(new StringReader(line), "x"));
        Assert.Contains("is over 65536 characters", error.Message, StringComparison.Ordinal);
    }
}
