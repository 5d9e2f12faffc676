using System.Text;
using GRump.Gateway.Errors;
using GRump.Gateway.Providers.Internal;

namespace GRump.Gateway.Tests.Providers;

/// <summary>Reading an OpenAI embeddings answer: any property order, pretty-printed or not, and a clear error for anything else.</summary>
public sealed class OpenAiEmbeddingsWireTests
{
    [Fact]
    public void Read_PropertiesInAnyOrderAndPrettyPrinted_VectorsInIndexOrderAndTheUsage()
    {
        // Arrange: "embedding" before "index", data out of order, unknown members (objects, arrays) before and after
        var json = """
            {
              "object": "list",
              "extra": {"nested": [1, {"a": [2, 3]}]},
              "data": [
                {"object": "embedding", "embedding": [ 0.5 , -1.25e-3 ], "index": 1, "more": [[]]},
                {
                  "index": 0,
                  "embedding": [
                    3,
                    -0.012345678
                  ]
                }
              ],
              "model": "m",
              "usage": {"total_tokens": 9, "prompt_tokens": 7, "details": {"x": 1}}
            }
            """;

        // Act
        var vectors = OpenAiEmbeddingsWire.Read(Encoding.UTF8.GetBytes(json), 2, out var tokens);

        // Assert
        Assert.Equal([3f, -0.012345678f], vectors[0]);
        Assert.Equal([0.5f, -1.25e-3f], vectors[1]);
        Assert.Equal(7, tokens);
    }

    [Fact]
    public void Read_NoUsage_TokensNull()
    {
        var vectors = OpenAiEmbeddingsWire.Read("""{"data":[{"index":0,"embedding":[]}]}"""u8, 1, out var tokens);

        Assert.Empty(vectors[0]);
        Assert.Null(tokens);
    }

    [Fact]
    public void Read_Base64Embeddings_TheFloatsLittleEndian_EscapedOrNot()
    {
        // Arrange: 0.5f, -2f as little-endian bytes; the second with its '+' and '/' escaped as some JSON writers do
        var first = Convert.ToBase64String([.. BitConverter.GetBytes(0.5f), .. BitConverter.GetBytes(-2f)]);
        var second = Convert.ToBase64String([.. BitConverter.GetBytes(1.5e-3f), .. BitConverter.GetBytes(0.1f), .. BitConverter.GetBytes(-7.25f)]);
        var escaped = second.Replace("+", "\\u002B", StringComparison.Ordinal).Replace("/", "\\/", StringComparison.Ordinal);
        var json = $$$"""{"data":[{"index":0,"embedding":"{{{first}}}"},{"index":1,"embedding":"{{{escaped}}}"}],"usage":{"prompt_tokens":3}}""";

        // Act
        var vectors = OpenAiEmbeddingsWire.Read(Encoding.UTF8.GetBytes(json), 2, out var tokens);

        // Assert
        Assert.Equal([0.5f, -2f], vectors[0]);
        Assert.Equal([1.5e-3f, 0.1f, -7.25f], vectors[1]);
        Assert.Equal(3, tokens);
    }

    [Fact]
    public void Read_AByteOrderMarkFirst_ReadsTheAnswer()
    {
        var vectors = OpenAiEmbeddingsWire.Read([0xEF, 0xBB, 0xBF, .. """{"data":[{"index":0,"embedding":[0.5]}]}"""u8], 1, out _);

        Assert.Equal([0.5f], vectors[0]);
    }

    [Theory]
    [InlineData("""{"data":[{"index":0,"embedding":[1e39]}]}""")]          // not finite as a float
    [InlineData("""{"data":[{"index":0,"embedding":[1,"2"]}]}""")]         // a string among the numbers
    [InlineData("""{"data":[{"index":0,"embedding":[1,null]}]}""")]
    [InlineData("""{"data":[{"index":0,"embedding":[1,]}]}""")]
    [InlineData("""{"data":[{"index":0,"embedding":"AACAfw=="}]}""")]      // base64 of +Infinity
    [InlineData("""{"data":[{"index":0,"embedding":"AAAA"}]}""")]          // base64 of 3 bytes: not whole floats
    [InlineData("""{"data":[{"index":0,"embedding":"A@AA"}]}""")]          // not base64
    [InlineData("""{"data":[{"index":0,"embedding":{"a":1}}]}""")]
    [InlineData("""{"data":[{"index":1,"embedding":[1]}]}""")]             // index out of range
    [InlineData("""{"data":[{"embedding":[1]}]}""")]                       // no index
    [InlineData("""{"data":[{"index":{"a":0},"embedding":[1]}]}""")]
    [InlineData("""{"data":[]}""")]                                        // fewer embeddings than inputs
    [InlineData("""{"object":"list"}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"data":[1]}""")]                                      // not an object in data
    [InlineData("""{"data":[{"index":0,"embedding":[1]}""")]               // cut short
    [InlineData("""{"data":[{"index":0,"embedding":[1]}]} trailing""")]
    [InlineData("")]
    public void Read_NotAnEmbeddingsAnswer_UnavailableUpstreamProtocol(string json)
    {
        var error = Assert.Throws<GatewayException>(() => OpenAiEmbeddingsWire.Read(Encoding.UTF8.GetBytes(json), 1, out _));

        Assert.Equal(GatewayErrorKind.Unavailable, error.Kind);
        Assert.Equal("UPSTREAM_PROTOCOL", error.Reason);
    }
}
