using GRump.Gateway.Embeddings;
using GRump.Gateway.Embeddings.Internal;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Embeddings;

/// <summary>Loads all-MiniLM-L6-v2 once for the class (about a second).</summary>
public sealed class MiniLmFixture : IDisposable
{
    internal MiniLmModel Model { get; } = MiniLmModel.Load(LocalModelPrecision.Int8);

    public void Dispose() => Model.Dispose();
}

/// <summary>The local provider's real model, in-process and offline: stable vectors, sensible similarity, truncation.</summary>
public sealed class LocalEmbeddingTests(MiniLmFixture fixture, SharedGateway gateway) : IClassFixture<MiniLmFixture>
{
    private const double Tolerance = 1e-5;

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance, $"dimension {i}: {expected[i]} vs {actual[i]}");
        }
    }

    [Fact]
    public void Embed_SameText_SameVector_AcrossCallsPositionsAndBatchSizes()
    {
        // Arrange
        const string text = "The quick brown fox jumps over the lazy dog.";
        var fillers = Enumerable.Range(0, 40).Select(i => string.Join(' ', Enumerable.Repeat($"filler sentence number {i}", 1 + i % 7))).ToArray();

        // Act: alone, twice; first of a small batch; in the middle of a 41-input batch (two length-sorted chunks)
        var alone = fixture.Model.Embed([text], out _)[0];
        var again = fixture.Model.Embed([text], out _)[0];
        var small = fixture.Model.Embed([text, "Something else entirely, and rather longer than the fox."], out _)[0];
        var large = fixture.Model.Embed([.. fillers[..20], text, .. fillers[20..]], out _)[20];

        // Assert
        Assert.Equal(MiniLmModel.Dimensions, alone.Length);
        Assert.Equal(1.0, Math.Sqrt(alone.Sum(v => v * (double)v)), 5);
        AssertClose(alone, again);
        AssertClose(alone, small);
        AssertClose(alone, large);
    }

    [Fact]
    public void Embed_Paraphrases_CloserThanUnrelatedTexts()
    {
        // Arrange
        string[] texts = ["How do I reset my password?", "What are the steps to change my login password?", "The recipe needs two cups of flour and an egg."];

        // Act
        var v = fixture.Model.Embed(texts, out _);

        // Assert
        var paraphrase = Cosine(v[0], v[1]);
        var unrelated = Cosine(v[0], v[2]);
        Assert.True(paraphrase > unrelated + 0.2, $"paraphrase {paraphrase:0.###} vs unrelated {unrelated:0.###}");
    }

    [Fact]
    public void Tokenize_LongTextOrAccents_TruncatedTo256WordPieces_AccentsStripped()
    {
        // Arrange
        var longText = string.Join(' ', Enumerable.Repeat("hello", 300));
        var longWords = string.Join(' ', Enumerable.Repeat("antidisestablishmentarianism", 300));

        // Act
        var ids = fixture.Model.Tokenize(longText);
        var accented = fixture.Model.Embed(["Café crème à la française"], out _)[0];
        var plain = fixture.Model.Embed(["cafe creme a la francaise"], out _)[0];

        // Assert
        Assert.Equal(MiniLmModel.MaxWordPieces, ids.Length);
        Assert.InRange(fixture.Model.Tokenize(longWords).Length, MiniLmModel.MaxWordPieces - 10, MiniLmModel.MaxWordPieces); // whole words only
        Assert.Equal(fixture.Model.Tokenize("x")[^1], ids[^1]); // still ends with [SEP]
        Assert.Equal(fixture.Model.Tokenize("cafe creme a la francaise"), fixture.Model.Tokenize("Café crème à la française"));
        AssertClose(plain, accented);
    }

    [Fact]
    public async Task GrpcEmbed_NoUpstreamConfigured_DefaultsToTheLocalModel_AtZeroCost()
    {
        // Arrange
        var client = new EmbeddingService.EmbeddingServiceClient(gateway.App.Channel);
        var expected = fixture.Model.Embed(["offline embedding"], out var tokens)[0];

        // Act
        var response = await client.EmbedAsync(new EmbedRequest { Inputs = { "offline embedding" } }, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync.DefaultTimeout();

        // Assert
        Assert.Equal(ModelRegistry.LocalEmbedding, response.Model);
        Assert.Equal("local", response.Provider);
        Assert.Equal(0, response.CostUsd);
        Assert.Equal(tokens, response.Usage.PromptTokens);
        AssertClose(expected, [.. Assert.Single(response.Embeddings).Values]);
    }
}
