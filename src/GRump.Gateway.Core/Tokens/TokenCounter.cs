using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using GRump.Gateway.Tokens.Internal;

namespace GRump.Gateway.Tokens;

/// <summary>
/// Counts tokens with a real BPE tokenizer (o200k_base, the GPT-4o family's encoding). Used where an upstream sends no
/// usage, for the local provider, and by routing (length bands, context-window fit, cost estimates). Counts for other
/// model families (Claude, Kimi) are close estimates, not their exact counts. Thread-safe; load once.
/// </summary>
/// <remarks>
/// tiktoken's algorithm over the vocabulary Microsoft.ML.Tokenizers.Data.O200kBase ships (its regex split and its
/// byte-pair merge; special-token text such as <c>&lt;|endoftext|&gt;</c> in a prompt is ordinary text, so a count may differ
/// from Microsoft.ML.Tokenizers' by a token at each such string, where that library moves a piece boundary), counted over a compact table (<see cref="BpeVocabulary"/>): Microsoft.ML.Tokenizers'
/// own TiktokenTokenizer holds the vocabulary three times over in per-token objects, ~45 MB of the gateway's ~57 MB
/// heap after start (docs/performance.md, Footprint). The counts are the same (TokenCounterTests compares them).
/// </remarks>
public sealed partial class TokenCounter
{
    /// <summary>
    /// OpenAI's chat accounting: each message costs its content and role plus 3 tokens of framing; a reply is primed
    /// with 3 more. Close enough for the other providers to bound costs and context windows.
    /// </summary>
    public const int TokensPerMessage = 3;

    /// <inheritdoc cref="TokensPerMessage"/>
    public const int ReplyPriming = 3;

    private static readonly Lazy<TokenCounter> SharedInstance = new(() => new TokenCounter());

    // tiktoken's o200k_base split (openai/tiktoken tiktoken_ext/openai_public.py), as Microsoft.ML.Tokenizers uses it.
    private const string O200kPattern = @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    // The byte-pair merge is quadratic in a piece's length. Pieces are short (the windows below cut runs of
    // non-whitespace at 64 chars), except a run of whitespace, up to a whole window: a piece longer than this many
    // UTF-8 bytes is merged in chunks of it — a token or two off at each cut, never seconds of CPU for a body of spaces.
    private const int MaxPieceBytes = 256;

    private readonly BpeVocabulary _vocabulary = BpeVocabulary.LoadDeflatedResource("Microsoft.ML.Tokenizers.Data.O200kBase", "o200k_base.tiktoken.deflate");

    /// <summary>The process-wide instance (the vocabulary is ~4.5 MB in memory: load it once).</summary>
    public static TokenCounter Shared => SharedInstance.Value;

    /// <summary>Bytes the vocabulary holds in memory.</summary>
    internal long VocabularyBytes => _vocabulary.SizeInBytes;

    // BPE cost grows with the square of a pre-token's length: one 200 KB "word" (no spaces) takes minutes. Text is
    // therefore counted in windows that end at whitespace, and a window without any is cut at MaxRunChars — a
    // bounded cost for any input, at the price of a token or two at such cuts.
    private const int WindowChars = 2048;
    private const int MaxRunChars = 64;

    public int Count(ReadOnlySpan<char> text)
    {
        var total = 0;
        while (!text.IsEmpty)
        {
            var length = WindowLength(text);
            total += CountOrdinary(text[..length]);
            text = text[length..];
        }
        return total;
    }

    public int Count(string? text) => string.IsNullOrEmpty(text) ? 0 : Count(text.AsSpan());

    /// <summary>Length of the next window: whole when short; else up to the last whitespace; else a run cut short.</summary>
    private static int WindowLength(ReadOnlySpan<char> text)
    {
        var limit = Math.Min(text.Length, WindowChars);
        var space = text[..limit].LastIndexOfAny(' ', '\n', '\t');
        if (limit == text.Length && LongestRun(text) <= MaxRunChars)
        {
            return text.Length;
        }
        if (space > 0 && LongestRun(text[..(space + 1)]) <= MaxRunChars)
        {
            return space + 1;
        }
        // A long run without whitespace: hand it over in short pieces.
        var firstSpace = text[..limit].IndexOfAny(' ', '\n', '\t');
        return firstSpace is > 0 and <= MaxRunChars ? firstSpace + 1 : Math.Min(MaxRunChars, text.Length);
    }

    private static int LongestRun(ReadOnlySpan<char> text)
    {
        var longest = 0;
        var run = 0;
        foreach (var c in text)
        {
            run = c is ' ' or '\n' or '\t' ? 0 : run + 1;
            longest = Math.Max(longest, run);
        }
        return longest;
    }

    private int CountOrdinary(ReadOnlySpan<char> text)
    {
        var total = 0;
        Span<byte> stack = stackalloc byte[MaxPieceBytes];
        foreach (var match in PreTokenizer().EnumerateMatches(text))
        {
            var piece = text.Slice(match.Index, match.Length);
            var byteCount = Encoding.UTF8.GetByteCount(piece);
            byte[]? rented = null;
            Span<byte> bytes = byteCount <= MaxPieceBytes ? stack : (rented = ArrayPool<byte>.Shared.Rent(byteCount));
            try
            {
                var written = Encoding.UTF8.GetBytes(piece, bytes);
                var rest = bytes[..written];
                while (rest.Length > MaxPieceBytes)
                {
                    total += CountPiece(rest[..MaxPieceBytes]);
                    rest = rest[MaxPieceBytes..];
                }
                total += CountPiece(rest);
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }
        return total;
    }

    /// <summary>
    /// Tokens in one pre-token: one when the vocabulary holds it whole, else tiktoken's byte-pair merge — repeatedly
    /// join the adjacent pair whose joined bytes have the lowest rank (the leftmost on a tie) until no pair is in the
    /// vocabulary; the parts left are the tokens. At most <see cref="MaxPieceBytes"/> bytes.
    /// </summary>
    private int CountPiece(ReadOnlySpan<byte> piece)
    {
        if (piece.Length <= 1 || _vocabulary.Rank(piece) >= 0)
        {
            return piece.Length == 0 ? 0 : 1;
        }

        // starts[i] = where part i begins (starts[parts] = the end); ranks[i] = rank of parts i and i+1 joined.
        var n = piece.Length;
        Span<int> buffer = stackalloc int[2 * (MaxPieceBytes + 1)];
        var starts = buffer[..(n + 1)];
        var ranks = buffer.Slice(n + 1, n + 1);
        for (var i = 0; i <= n; i++)
        {
            starts[i] = i;
        }
        var parts = n;
        for (var i = 0; i < parts - 1; i++)
        {
            ranks[i] = PairRank(piece, starts, parts, i);
        }
        while (parts > 1)
        {
            var best = -1;
            var bestRank = int.MaxValue;
            for (var i = 0; i < parts - 1; i++)
            {
                if (ranks[i] >= 0 && ranks[i] < bestRank)
                {
                    bestRank = ranks[i];
                    best = i;
                }
            }
            if (best < 0)
            {
                break;
            }
            // Join parts best and best+1: drop the boundary between them, then re-rank the joins that touch it.
            starts[(best + 2)..(parts + 1)].CopyTo(starts[(best + 1)..]);
            ranks[(best + 2)..parts].CopyTo(ranks[(best + 1)..]);
            parts--;
            ranks[best] = PairRank(piece, starts, parts, best);
            if (best > 0)
            {
                ranks[best - 1] = PairRank(piece, starts, parts, best - 1);
            }
        }
        return parts;
    }

    /// <summary>Rank of parts <paramref name="i"/> and i+1 joined, or -1 when there is no part i+1 or no such token.</summary>
    private int PairRank(ReadOnlySpan<byte> piece, ReadOnlySpan<int> starts, int parts, int i) =>
        i + 1 < parts ? _vocabulary.Rank(piece[starts[i]..starts[i + 2]]) : -1;

    [GeneratedRegex(O200kPattern)]
    private static partial Regex PreTokenizer();
}
