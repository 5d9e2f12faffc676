using GRump.Gateway.Embeddings;
using GRump.Gateway.Embeddings.Internal;
using GRump.Gateway.Embeddings.Internal.Onnx;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Tests.Embeddings;

/// <summary>Loads all-MiniLM-L6-v2 at float32 once for the class (int8 comes from <see cref="MiniLmFixture"/>).</summary>
public sealed class Float32MiniLmFixture : IDisposable
{
    internal MiniLmModel Model { get; } = MiniLmModel.Load(LocalModelPrecision.Float32);

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// The int8 model the gateway runs by default (weights quantized at load, <see cref="MiniLmQuantizer"/>) against the
/// published float32 weights: close vectors, the same neighbours, and a vector that never depends on its batch.
/// </summary>
public sealed class MiniLmPrecisionTests(MiniLmFixture quantizedModel, Float32MiniLmFixture publishedModel) : IClassFixture<MiniLmFixture>, IClassFixture<Float32MiniLmFixture>
{
    private static readonly string[] Texts =
    [
        "How do I reset my password?",
        "What are the steps to change my login password?",
        "The recipe needs two cups of flour and an egg.",
        "Design a multi-region active-active architecture for a payments ledger with exactly-once settlement.",
        "Traduis cette phrase en anglais : le chat dort sur le canapé.",
        "SELECT region, SUM(total) FROM orders GROUP BY region;",
    ];

    /// <summary>Cosine of two unit vectors (their dot product), in double.</summary>
    internal static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * (double)b[i];
        }

        return sum;
    }

    [Fact]
    public void Int8_IsTheQuantizedModel_WithinCosine097OfFloat32_AndKeepsTheNeighbours()
    {
        // Act
        var quantized = quantizedModel.Model.Embed(Texts, out _);
        var published = publishedModel.Model.Embed(Texts, out _);

        // Assert: every vector close to its float32 twin, unit length, and the paraphrase still the nearest text.
        Assert.Equal(LocalModelPrecision.Int8, quantizedModel.Model.Precision);
        for (var i = 0; i < Texts.Length; i++)
        {
            Assert.InRange(Dot(quantized[i], published[i]), 0.97, 1.0001);
            Assert.Equal(1.0, Math.Sqrt(Dot(quantized[i], quantized[i])), 5);
        }

        var nearest = Enumerable.Range(1, Texts.Length - 1).MaxBy(i => Dot(quantized[0], quantized[i]));
        Assert.Equal(1, nearest);
    }

    [Fact]
    public void Quantize_RewritesEveryConstantMatMul_AndTheResultStillLoads()
    {
        // Arrange: the float32 model's bytes, as the carrier holds them.
        var carrier = Path.Combine(AppContext.BaseDirectory, MiniLmModel.CarrierFileName);
        var original = MiniLmModel.ReadModelBytes(carrier);

        // Act
        var rewritten = MiniLmQuantizer.Quantize(original, out var quantized);
        var again = MiniLmQuantizer.Quantize(rewritten, out var second);

        // Assert: 6 layers × (query, key, value, output, two feed-forward) matrices, each bias Add folded into its
        // operator except the one before GELU (ONNX Runtime fuses that Add into BiasGelu); nothing left to rewrite.
        var before = ModelProto.Parser.ParseFrom(original).Graph;
        var after = ModelProto.Parser.ParseFrom(rewritten).Graph;
        Assert.Equal(36, quantized);
        Assert.Equal(30, after.Node.Count(n => n.OpType == "DynamicQuantizeMatMul" && n.Input.Count == 5));
        Assert.Equal(before.Node.Count - 30, after.Node.Count);
        Assert.DoesNotContain(after.Node, n => n.OpType == "MatMul" && after.Initializer.Any(i => i.Name == n.Input[1]));
        Assert.Equal(0, second);
        Assert.Equal(rewritten.Length, again.Length);
        Assert.True(rewritten.Length < original.Length * 0.75, $"{rewritten.Length:N0} bytes quantized vs {original.Length:N0}");
    }

    [Fact]
    public void LocalSentenceModel_RunsAtTheConfiguredPrecision()
    {
        // Act
        using var byDefault = new LocalSentenceModel(NullLogger<LocalSentenceModel>.Instance, TimeProvider.System);
        using var configured = new LocalSentenceModel(NullLogger<LocalSentenceModel>.Instance, TimeProvider.System,
            Options.Create(new EmbeddingOptions { LocalModelPrecision = LocalModelPrecision.Float32 }));

        // Assert
        Assert.Equal(LocalModelPrecision.Int8, byDefault.Precision);
        Assert.Equal(LocalModelPrecision.Float32, configured.Precision);
    }
}
