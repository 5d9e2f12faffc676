using GRump.Gateway.Embeddings;
using GRump.Gateway.Embeddings.Internal;
using GRump.Gateway.Embeddings.Internal.Onnx;
using Google.Protobuf;

namespace GRump.Gateway.Tests.Embeddings;

/// <summary>
/// The router's encoder: all-MiniLM-L6-v2 cut after its first layers (<see cref="MiniLmLayers"/>). The cut graph holds
/// only what the inner layer's hidden state needs, and its vectors are unit vectors of their own that still put a
/// paraphrase nearest.
/// </summary>
public sealed class MiniLmLayersTests(MiniLmFixture wholeModel) : IClassFixture<MiniLmFixture>
{
    private static readonly string[] Texts =
    [
        "How do I reset my password?",
        "What are the steps to change my login password?",
        "The recipe needs two cups of flour and an egg.",
        "Design a multi-region active-active architecture for a payments ledger with exactly-once settlement.",
    ];

    private static byte[] Original() => MiniLmModel.ReadModelBytes(Path.Combine(AppContext.BaseDirectory, MiniLmModel.CarrierFileName));

    [Fact]
    public void Keep_TwoLayers_DropsEveryNodeAndWeightAfterTheSecondLayer()
    {
        // Arrange
        var original = Original();

        // Act
        var kept = MiniLmLayers.Keep(original, 2);
        var whole = MiniLmLayers.Keep(original, MiniLmModel.Layers);

        // Assert: one output (the pooler's is gone), two layers' six weight matrices each, no weight of a later layer.
        var graph = ModelProto.Parser.ParseFrom(kept).Graph;
        Assert.Equal(MiniLmModel.Layers, MiniLmLayers.Count(original));
        Assert.Equal(2, MiniLmLayers.Count(kept));
        Assert.Single(graph.Output);
        Assert.Equal(12, graph.Node.Count(n => n.OpType == "MatMul" && graph.Initializer.Any(i => i.Name == n.Input[1])));
        Assert.DoesNotContain(graph.Initializer, i => i.Name.StartsWith("encoder.layer.2.", StringComparison.Ordinal) || i.Name.StartsWith("pooler.", StringComparison.Ordinal));
        Assert.Contains(graph.Initializer, i => i.Name == "embeddings.word_embeddings.weight");
        // The output is layer 1's (the second's) own output: its final layer norm's bias Add, not a tensor inside it.
        var producer = Assert.Single(graph.Node, n => n.Output.Contains(graph.Output[0].Name));
        Assert.Equal("Add", producer.OpType);
        Assert.Contains("encoder.layer.1.output.LayerNorm.bias", producer.Input);
        Assert.Same(original, whole);
        Assert.True(kept.Length < original.Length * 0.7, $"{kept.Length:N0} bytes kept of {original.Length:N0}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void Keep_NoSuchLayer_Throws(int layers) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => MiniLmLayers.Keep(Original(), layers));

    [Fact]
    public void Keep_NotABertExport_IsInvalidData()
    {
        // Arrange: a graph with no encoder layers named as the Hugging Face export names them.
        var model = new ModelProto { Graph = new GraphProto { Node = { new NodeProto { OpType = "Relu", Input = { "x" }, Output = { "y" } } } } }.ToByteArray();

        // Act + Assert
        Assert.Throws<InvalidDataException>(() => MiniLmLayers.Keep(model, 1));
    }

    [Fact]
    public void TwoLayerEncoder_GivesItsOwnUnitVectors_Deterministic_AndAParaphraseStaysNearest()
    {
        // Arrange
        using var encoder = MiniLmModel.Load(LocalModelPrecision.Int8, layers: 2);

        // Act
        var vectors = encoder.Embed(Texts, out _);
        var again = encoder.Embed([Texts[0]], out _)[0];
        var whole = wholeModel.Model.Embed(Texts, out _);

        // Assert
        Assert.Equal(2, encoder.LayerCount);
        Assert.Equal(vectors[0], again);
        for (var i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(1.0, Math.Sqrt(MiniLmPrecisionTests.Dot(vectors[i], vectors[i])), 5);
            Assert.True(MiniLmPrecisionTests.Dot(vectors[i], whole[i]) < 0.95, $"text {i}: the second layer's vector is the whole model's ({MiniLmPrecisionTests.Dot(vectors[i], whole[i]):F3})");
        }

        var nearest = Enumerable.Range(1, Texts.Length - 1).MaxBy(i => MiniLmPrecisionTests.Dot(vectors[0], vectors[i]));
        Assert.Equal(1, nearest);
    }
}
