using System.Runtime.InteropServices;
using GRump.Gateway.Embeddings.Internal;

namespace GRump.Gateway.Tests.Embeddings;

/// <summary>The vector ↔ cached bytes view: an L1 entry made from a vector gives that vector back; anything else is copied.</summary>
public sealed class VectorBytesTests
{
    private static readonly float[] Vector = [0.25f, -1.5f, 3e-7f, 42f];

    [Fact]
    public void ToVector_BytesMadeByOf_ReturnsTheSameArray()
    {
        // Arrange
        var bytes = VectorBytes.Of(Vector);

        // Act
        var back = VectorBytes.ToVector(bytes);

        // Assert
        Assert.Same(Vector, back);
        Assert.Equal(Vector.Length * sizeof(float), bytes.Length);
        Assert.True(MemoryMarshal.AsBytes(Vector.AsSpan()).SequenceEqual(bytes.Span));
    }

    [Fact]
    public void ToVector_PlainBytes_CopiesThem()
    {
        // Arrange: what L2/L3 hand back
        var plain = MemoryMarshal.AsBytes(Vector.AsSpan()).ToArray();

        // Act
        var back = VectorBytes.ToVector(plain);

        // Assert
        Assert.NotSame(Vector, back);
        Assert.Equal(Vector, back);
    }

    [Fact]
    public void ToVector_SliceOfAVector_CopiesOnlyTheSlice()
    {
        // Arrange
        var slice = VectorBytes.Of(Vector)[sizeof(float)..];

        // Act
        var back = VectorBytes.ToVector(slice);

        // Assert
        Assert.Equal(Vector[1..], back);
    }

    [Fact]
    public async Task Pin_WrittenThroughAStream_WritesTheVectorsBytes()
    {
        // Arrange: a file opened for async I/O pins the memory it writes from
        var path = Path.GetTempFileName();
        try
        {
            var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                // Act
                await file.WriteAsync(VectorBytes.Of(Vector), TestContext.Current.CancellationToken);
            }

            // Assert
            var written = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);
            Assert.Equal(MemoryMarshal.AsBytes(Vector.AsSpan()).ToArray(), written);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
