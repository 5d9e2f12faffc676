using GRump.Gateway.Embeddings;

namespace GRump.Gateway.Tests.Embeddings;

/// <summary>Shortening a vector to its first values, scaled back to unit length.</summary>
public sealed class EmbeddingDimensionsTests
{
    [Fact]
    public void Shorten_TinyValues_StillFiniteAndUnitLength()
    {
        // Arrange: subnormal floats, whose 1/norm overflows a float
        float[] vector = [1e-45f, 2e-45f, 3e-45f, 0.5f];

        // Act
        var shortened = EmbeddingDimensions.Shorten([vector], 3)[0];

        // Assert
        Assert.All(shortened, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(1, Math.Sqrt(shortened.Sum(v => (double)v * v)), 5);
    }

    [Fact]
    public void Shorten_AllZeros_StaysZeros()
    {
        var shortened = EmbeddingDimensions.Shorten([[0f, 0f, 0f, 1f]], 2)[0];

        Assert.Equal([0f, 0f], shortened);
    }
}
