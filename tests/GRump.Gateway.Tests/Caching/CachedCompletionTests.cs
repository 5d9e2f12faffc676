using GRump.Gateway.Caching;
using GRump.Gateway.Providers;

namespace GRump.Gateway.Tests.Caching;

public sealed class CachedCompletionTests
{
    private static readonly CachedCompletion Streamed = new()
    {
        Model = "moonshotai/kimi-k2.5",
        Provider = "nim",
        FinishReason = "stop",
        Usage = new ProviderUsage(12, 34, Estimated: true),
        CostUsd = 0.000_093_2,
        Chunks = ["Hel", "lo, ", "wörld 🌍", ""],
    };

    [Fact]
    public void Deserialize_Serialized_EqualsTheOriginalChunkForChunk()
    {
        // Act
        var copy = CachedCompletion.Deserialize(Streamed.Serialize());

        // Assert
        Assert.Equal(Streamed.Model, copy.Model);
        Assert.Equal(Streamed.Provider, copy.Provider);
        Assert.Equal(Streamed.FinishReason, copy.FinishReason);
        Assert.Equal(Streamed.Usage, copy.Usage);
        Assert.Equal(Streamed.CostUsd, copy.CostUsd);
        Assert.Equal(Streamed.Chunks, copy.Chunks);
    }

    [Fact]
    public void ToStreamEvents_Replay_EqualsTheOriginalStream()
    {
        // Arrange
        ChatStreamEvent[] original =
        [
            ChatStreamEvent.Delta("Hel"), ChatStreamEvent.Delta("lo, "), ChatStreamEvent.Delta("wörld 🌍"), ChatStreamEvent.Delta(""),
            ChatStreamEvent.End("stop", new ProviderUsage(12, 34, Estimated: true)),
        ];

        // Act
        var replay = CachedCompletion.Deserialize(Streamed.Serialize()).ToStreamEvents().ToArray();

        // Assert
        Assert.Equal(original, replay);
    }

    [Fact]
    public void FromCompletion_NonStreamed_IsOneChunk()
    {
        // Arrange
        var completion = new ChatCompletion("whole answer", "length", new ProviderUsage(1, 2));

        // Act
        var cached = CachedCompletion.Deserialize(CachedCompletion.FromCompletion("m", "local", completion, 0).Serialize());

        // Assert
        Assert.Equal(["whole answer"], cached.Chunks);
        Assert.Equal(completion, cached.ToCompletion());
    }

    [Fact]
    public void Deserialize_CorruptOrTruncated_ThrowsFormatException()
    {
        // Arrange
        var bytes = Streamed.Serialize();

        // Act + Assert
        Assert.Throws<FormatException>(() => CachedCompletion.Deserialize(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Throws<FormatException>(() => CachedCompletion.Deserialize([.. bytes, 0]));
        Assert.Throws<FormatException>(() => CachedCompletion.Deserialize([(byte)'X', 1]));
        Assert.Throws<FormatException>(() => CachedCompletion.Deserialize([]));
    }
}
