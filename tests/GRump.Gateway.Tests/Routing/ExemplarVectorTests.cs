using GRump.Gateway.Embeddings;
using GRump.Gateway.Routing;
using GRump.Gateway.Routing.Internal;

namespace GRump.Gateway.Tests.Routing;

/// <summary>
/// The precomputed vectors of the built-in exemplars (<c>Routing/Corpus/train.vectors</c>): they must be what the model
/// gives now for what the router reads of each exemplar, or the gateway would train on stale vectors. Regenerate with
/// <c>dotnet run -c Release --project loadtests/GRump.Benchmarks -- routing-vectors</c>.
/// </summary>
public sealed class ExemplarVectorTests(SentenceModelFixture fixture) : IClassFixture<SentenceModelFixture>
{
    private const string Regenerate = "run `dotnet run -c Release --project loadtests/GRump.Benchmarks -- routing-vectors` after editing train.jsonl or changing the model or the cut";

    [Fact]
    public void BuiltIn_HasEveryTrainingExemplar_AtTheShippedCut()
    {
        // Arrange
        var vectors = ExemplarVectors.BuiltIn;
        var asks = RoutingCorpus.BuiltInTraining().Select(e => e.ClassifierPrompt.Text).ToArray();

        // Act
        var missing = asks.Where(a => !vectors.TryGet(ExemplarVectors.Key(a), out _)).ToArray();

        // Assert
        Assert.Equal(PromptEmbedder.DefaultWordPieces, vectors.WordPieces);
        Assert.Equal(LocalModelPrecision.Int8, vectors.Precision); // the shipped default precision
        Assert.Equal(RoutingStrategyOptions.DefaultEncoderLayers, vectors.Layers);
        Assert.Equal(LocalSentenceModel.Dimensions, vectors.Dimensions);
        Assert.True(missing.Length == 0, $"{missing.Length} built-in exemplars have no precomputed vector (first: \"{missing.FirstOrDefault()}\"): {Regenerate}.");
        Assert.Equal(asks.Distinct(StringComparer.Ordinal).Count(), vectors.Count);
    }

    [Fact]
    public void BuiltIn_EqualsWhatTheModelGivesNow()
    {
        // Arrange
        var asks = RoutingCorpus.BuiltInTraining().Select(e => e.ClassifierPrompt.Text).ToArray();
        var fresh = new PromptEmbedder(fixture.Model, cacheEntries: 0, precomputed: ExemplarVectors.Empty);

        // Act
        var expected = fresh.EmbedMany(asks, TestContext.Current.CancellationToken);

        // Assert: float16 keeps ~3 significant digits of components below 0.5.
        for (var i = 0; i < asks.Length; i++)
        {
            Assert.True(ExemplarVectors.BuiltIn.TryGet(ExemplarVectors.Key(asks[i]), out var shipped), Regenerate);
            var worst = 0f;
            for (var d = 0; d < expected[i].Length; d++)
            {
                worst = Math.Max(worst, Math.Abs(expected[i][d] - shipped[d]));
            }

            Assert.True(worst <= 1e-3f, $"\"{asks[i]}\": the shipped vector differs from the model's by {worst} in one dimension: {Regenerate}.");
        }
    }

    [Fact]
    public void WriteThenRead_RoundTripsWithinFloat16_AndDropsDuplicates()
    {
        // Arrange
        float[] a = [0.6f, 0.8f, 0f];
        float[] b = [0.123456f, -0.5f, 0.857f];
        using var stream = new MemoryStream();

        // Act
        ExemplarVectors.Write(stream, ["first", "second", "first"], [a, b, a], wordPieces: 64, LocalModelPrecision.Int8, layers: 2);
        stream.Position = 0;
        var read = ExemplarVectors.Read(stream);

        // Assert
        Assert.Equal((3, 64, 2, 2), (read.Dimensions, read.WordPieces, read.Layers, read.Count));
        Assert.True(read.TryGet(ExemplarVectors.Key("second"), out var second));
        Assert.Equal(b, second, (x, y) => Math.Abs(x - y) < 5e-4f);
        Assert.False(read.TryGet(ExemplarVectors.Key("third"), out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(30)]
    public void Read_NotASetOrCutShort_IsInvalidData(int keep)
    {
        // Arrange
        using var whole = new MemoryStream();
        ExemplarVectors.Write(whole, ["one"], [[1f, 0f]], wordPieces: 64, LocalModelPrecision.Int8, layers: 2);
        var bytes = keep == 0 ? "not a vector set at all"u8.ToArray() : whole.ToArray()[..keep];

        // Act + Assert
        Assert.Throws<InvalidDataException>(() => ExemplarVectors.Read(new MemoryStream(bytes)));
    }

    [Fact]
    public void Embedder_AnotherCut_UsesNoPrecomputedVector()
    {
        // Act
        var shipped = new PromptEmbedder(fixture.Model, cacheEntries: 0);
        var other = new PromptEmbedder(fixture.Model, cacheEntries: 0, wordPieces: 128);

        // Assert
        Assert.Equal(ExemplarVectors.BuiltIn.Count, shipped.Precomputed);
        Assert.Equal(0, other.Precomputed);
    }

    [Fact]
    public void Embedder_AnotherPrecision_UsesNoPrecomputedVector()
    {
        // Arrange: vectors of the float32 model are other vectors than the shipped int8 ones (the same layer, so only the
        // precision differs).
        using var published = new LocalSentenceModel(Microsoft.Extensions.Logging.Abstractions.NullLogger<LocalSentenceModel>.Instance, TimeProvider.System,
            Microsoft.Extensions.Options.Options.Create(new EmbeddingOptions { LocalModelPrecision = LocalModelPrecision.Float32 }), RoutingStrategyOptions.DefaultEncoderLayers);

        // Act
        var embedder = new PromptEmbedder(published, cacheEntries: 0);

        // Assert
        Assert.Equal(0, embedder.Precomputed);
    }

    [Fact]
    public void Embedder_AnotherLayer_UsesNoPrecomputedVector()
    {
        // Arrange: the whole model's vectors (the local embedding provider's) are other vectors than the router's layer.
        using var wholeModel = LearnedRouterFixture.RouterEncoder(LocalSentenceModel.AllLayers);

        // Act
        var embedder = new PromptEmbedder(wholeModel, cacheEntries: 0);

        // Assert
        Assert.Equal(0, embedder.Precomputed);
    }
}
