using GRump.Gateway.Caching;
using GRump.Gateway.Chat;

namespace GRump.Gateway.Tests.Caching;

public sealed class CachedCompletionTests
{
    private static readonly CachedCompletion Streamed = new()
    {
        Model = "moonshotai/kimi-k2.5",
        Provider = "nim",
        FinishReason = "tool_calls",
        Usage = new TokenUsage(12, 34, Estimated: true) { CacheReadTokens = 5, CacheWriteTokens = 3, CacheWrite1hTokens = 2, ReasoningTokens = 7 },
        CostUsd = 0.000_093_2,
        Deltas =
        [
            new ReasoningDelta("Let me "), new ReasoningDelta("think.", "sig-1"),
            new TextDelta("Hel"), new TextDelta("lo, "), new TextDelta("wörld 🌍"), new TextDelta(""),
            new ToolCallDelta(0, "call_1", "weather", "{\"ci"), new ToolCallDelta(0, "", "", "ty\":\"Oslo\"}"),
            new ToolCallDelta(1, "call_2", "time", "{}"),
        ],
    };

    [Fact]
    public void Deserialize_Serialized_EqualsTheOriginalDeltaForDelta()
    {
        // Act
        var copy = CachedCompletion.Deserialize(Streamed.Serialize());

        // Assert
        Assert.Equal(Streamed.Model, copy.Model);
        Assert.Equal(Streamed.Provider, copy.Provider);
        Assert.Equal(Streamed.FinishReason, copy.FinishReason);
        Assert.Equal(Streamed.Usage, copy.Usage);
        Assert.Equal(Streamed.CostUsd, copy.CostUsd);
        Assert.Equal(Streamed.Deltas, copy.Deltas);
    }

    [Fact]
    public void ToEvents_Replay_EqualsTheOriginalStream()
    {
        // Act
        var replay = CachedCompletion.Deserialize(Streamed.Serialize()).ToEvents().ToArray();

        // Assert: the deltas as they came, then the end with the original usage.
        Assert.Equal([.. Streamed.Deltas, new ChatEnded("tool_calls", Streamed.Usage)], replay);
    }

    [Fact]
    public void Content_FoldsTheTextDeltas()
    {
        Assert.Equal("Hello, wörld 🌍", Streamed.Content);
    }

    [Fact]
    public void Deserialize_CorruptOrTruncated_ThrowsFormatException()
    {
        // Arrange
        var bytes = Streamed.Serialize();

        // Act + Assert
        Assert.Throws<FormatException>(() => CachedCompletion.Deserialize(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Throws<FormatException>(() => CachedCompletion.Deserialize([.. bytes, 0]));
        Assert.Throws<FormatException>(() => CachedCompletion.Deserialize([(byte)'X', 2]));
        Assert.Throws<FormatException>(() => CachedCompletion.Deserialize([(byte)'C', 1]));
        Assert.Throws<FormatException>(() => CachedCompletion.Deserialize([]));
    }
}
