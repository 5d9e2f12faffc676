using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tokens;
using Microsoft.ML.Tokenizers;

namespace GRump.Gateway.Tests.Tokens;

public sealed class TokenCounterTests
{
    private static readonly TiktokenTokenizer Raw = TiktokenTokenizer.CreateForEncoding("o200k_base");

    [Fact]
    public void ShortText_CountsExactlyAsTheTokenizer()
    {
        const string Text = "Refactor the payment module into three services, keep the public API stable, and add tests.";

        Assert.Equal(Raw.CountTokens(Text), TokenCounter.Shared.Count(Text));
    }

    [Fact]
    public void LongText_CountedInWindows_StaysWithinOnePercent()
    {
        var text = string.Concat(Enumerable.Repeat("The gateway streams tokens with near-zero added latency and accounts every token. ", 300));

        var exact = Raw.CountTokens(text);
        var windowed = TokenCounter.Shared.Count(text);

        Assert.InRange(windowed, exact * 0.99, exact * 1.01);
    }

    [Fact]
    public async Task AMegabyteWithoutWhitespace_IsCountedInBoundedTime()
    {
        // BPE over one 1 MB "word" is quadratic (minutes); the windowing keeps it bounded. The bound is the default test timeout.
        var text = string.Concat(Enumerable.Range(0, 1 << 20).Select(i => (char)('a' + (i * 7 % 26))));

        var count = await Task.Run(() => TokenCounter.Shared.Count(text), TestContext.Current.CancellationToken).DefaultTimeout();

        Assert.True(count > 100_000);
    }
}
