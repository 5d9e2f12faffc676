using System.Text;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tokens;
using Microsoft.ML.Tokenizers;

namespace GRump.Gateway.Tests.Tokens;

public sealed class TokenCounterTests
{
    // The reference: Microsoft.ML.Tokenizers' own o200k_base tokenizer, over the same vocabulary file.
    private static readonly TiktokenTokenizer Raw = TiktokenTokenizer.CreateForEncoding("o200k_base");

    [Fact]
    public void ShortText_CountsExactlyAsTheTokenizer()
    {
        const string Text = "Refactor the payment module into three services, keep the public API stable, and add tests.";

        Assert.Equal(Raw.CountTokens(Text), TokenCounter.Shared.Count(Text));
    }

    [Theory]
    [InlineData("I'll say it: you've DON'T, they're WE'LL, she'd — it's fine.")]
    [InlineData("def add(a, b):\n    return a + b  # sum\n\n\tprint(add(1, 2))\r\n")]
    [InlineData("{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": 0.7}")]
    [InlineData("1234567890 3.14159 -42 1e10 0x1F 12,345,678 2026-12-05T23:59:59Z")]
    [InlineData("東京は日本の首都です。北京是中国的首都。서울은 한국의 수도입니다.")]
    [InlineData("Ünïcödé àccents façade naïve coöperate Ωmega Привет мир مرحبا بالعالم")]
    [InlineData("emoji 🙂👍🏽 family 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵 and ✓✗ symbols ∑∫√")]
    [InlineData("tabs\t\tand   spaces   \n\n\n   trailing   ")]
    [InlineData("markup <|notspecial|> and <| stray |> pipes")]
    [InlineData("URLs https://example.com/a/b?c=d&e=f#g and paths /usr/local/bin//x")]
    [InlineData("CamelCaseIdentifiers snake_case_names SCREAMING_CASE kebab-case-words")]
    [InlineData("lone surrogate \ud800 here and \udfff there")]
    public void Text_CountsExactlyAsTheTokenizer(string text) =>
        Assert.Equal(Raw.CountTokens(text), TokenCounter.Shared.Count(text));

    [Fact]
    public void SpecialTokenText_IsCountedAsTextWithinATokenPerOccurrence()
    {
        // Microsoft.ML.Tokenizers counts each of o200k's special-token strings as one token; the gateway counts them as
        // the text they are (what OpenAI's API does with such text in a prompt). Around them the counts agree, piece by
        // piece, within a token at each boundary (where the library moves a piece boundary).
        const string Text = "before<|endoftext|>after <|endofprompt|> and more";
        var counter = TokenCounter.Shared;
        var pieces = Raw.CountTokens("before") + counter.Count("<|endoftext|>") + Raw.CountTokens("after") +
            counter.Count(" <|endofprompt|>") + Raw.CountTokens(" and more");

        Assert.True(counter.Count("<|endoftext|>") > 1, "special-token text is counted as text");
        Assert.InRange(counter.Count(Text), pieces - 2, pieces + 2);
    }

    [Fact]
    public void ManyGeneratedTexts_CountExactlyAsTheTokenizer()
    {
        // Words drawn from scripts, digits, punctuation and whitespace of every kind, joined at random (fixed seed):
        // every branch of the split regex and long byte-pair merges. Each text stays under the counting window
        // (2,048 chars, runs of at most 64) so the count must be exactly the tokenizer's.
        const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'\".,;:!?-_()[]{}<>|/\\@#$%^&*+=~`éüßñçøåæ東京日本中国한국어Жизнь🙂";
        string[] separators = [" ", "  ", "\n", "\r\n", "\t", " \n ", "\n\n", ""];
        var random = new Random(22);
        var mismatches = new List<string>();
        for (var t = 0; t < 400; t++)
        {
            var text = new StringBuilder();
            var words = random.Next(1, 60);
            for (var w = 0; w < words; w++)
            {
                var length = random.Next(1, 14);
                for (var c = 0; c < length; c++)
                {
                    var at = random.Next(Alphabet.Length);
                    // Keep surrogate pairs whole: the emoji is the last two chars.
                    text.Append(char.IsHighSurrogate(Alphabet[at]) ? Alphabet.AsSpan(at, 2) : char.IsLowSurrogate(Alphabet[at]) ? Alphabet.AsSpan(at - 1, 2) : Alphabet.AsSpan(at, 1));
                }
                text.Append(separators[random.Next(separators.Length)]);
            }
            var sample = text.ToString();
            if (Raw.CountTokens(sample) != TokenCounter.Shared.Count(sample))
            {
                mismatches.Add(sample);
            }
        }

        Assert.Empty(mismatches);
    }

    [Fact]
    public void Vocabulary_IsHeldInAFewMegabytes()
    {
        // The footprint goal (docs/performance.md): the tokenizer's own dictionaries held ~45 MB after start.
        Assert.InRange(TokenCounter.Shared.VocabularyBytes, 1, 8L << 20);
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
    public void LongWhitespaceRuns_MergedInChunks_StayWithinFivePercent()
    {
        var text = string.Concat(Enumerable.Repeat(new string(' ', 1500) + "indented code\n" + new string('\n', 700) + "x = 1 ", 20));

        var exact = Raw.CountTokens(text);
        var chunked = TokenCounter.Shared.Count(text);

        Assert.InRange(chunked, exact * 0.95, exact * 1.05);
    }

    [Theory]
    [InlineData(' ')]
    [InlineData('\n')]
    public async Task AMegabyteOfWhitespace_IsCountedInBoundedTime(char whitespace)
    {
        // A run of whitespace is one pre-token as long as its window (2,048 chars); merged whole, its quadratic cost made
        // a 1 MB body of spaces take seconds of CPU. The bound is the default test timeout.
        var text = new string(whitespace, 1 << 20);

        var count = await Task.Run(() => TokenCounter.Shared.Count(text), TestContext.Current.CancellationToken).DefaultTimeout();

        Assert.InRange(count, 1, 1 << 20);
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
