using System.Buffers;
using System.Text;

namespace GRump.Gateway.Errors;

/// <summary>
/// Removes anything key-like from text the gateway relays from an upstream (error messages, in-stream errors): an
/// upstream may echo the key it was sent (OpenAI's 401 quotes a masked key; some servers quote the whole header), and
/// that key is the gateway's, not the caller's. Replaced with <c>[redacted]</c>:
/// the given secrets wherever they occur; the token after <c>Bearer</c> (up to white space or a quote); and every word (letters, digits, <c>-</c>,
/// <c>_</c>, <c>*</c>) that starts with a well-known key prefix, contains a masking run (<c>***</c>), or is at least
/// 20 characters long with both letters and digits. Over-redacting an id is the price of never leaking a key.
/// Linear in the text; no regular expressions.
/// </summary>
public static class SecretRedactor
{
    public const string Replacement = "[redacted]";

    private const int LongWord = 20;

    private static readonly SearchValues<char> TokenEnd = SearchValues.Create(" \t\r\n\"'");

    private static readonly SearchValues<char> WordChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_*");

    // Prefixes of keys issued by the providers a gateway fronts (OpenAI, Anthropic, NVIDIA, Google, AWS, GitHub, Slack).
    private static readonly string[] KeyPrefixes = ["sk-", "sk_", "pk-", "rk-", "nvapi-", "AKIA", "AIza", "ghp_", "gho_", "github_pat_", "xox"];

    /// <summary>The text with secrets and key-like words replaced; null or empty stays as it is.</summary>
    public static string Redact(string? text, IReadOnlyCollection<string>? secrets = null)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        if (secrets is not null)
        {
            foreach (var secret in secrets)
            {
                // Short values would match ordinary words; configured keys are long.
                if (secret is { Length: >= 8 })
                {
                    text = text.Replace(secret, Replacement, StringComparison.Ordinal);
                }
            }
        }

        var result = new StringBuilder(text.Length);
        var afterBearer = false;
        var i = 0;
        while (i < text.Length)
        {
            var start = text.AsSpan(i).IndexOfAny(WordChars);
            if (start < 0)
            {
                result.Append(text.AsSpan(i));
                break;
            }

            result.Append(text.AsSpan(i, start));
            i += start;
            var length = text.AsSpan(i).IndexOfAnyExcept(WordChars);
            if (length < 0)
            {
                length = text.Length - i;
            }

            if (afterBearer)
            {
                // A bearer token may hold any non-space character (JWTs have dots, base64 has '/', '+', '='): all of it goes.
                var end = text.AsSpan(i).IndexOfAny(TokenEnd);
                length = end < 0 ? text.Length - i : end;
            }

            var word = text.AsSpan(i, length);
            if (afterBearer || IsKeyLike(word))
            {
                result.Append(Replacement);
            }
            else
            {
                result.Append(word);
            }

            afterBearer = word.Equals("Bearer", StringComparison.OrdinalIgnoreCase);
            i += length;
        }

        return result.ToString();
    }

    private static bool IsKeyLike(ReadOnlySpan<char> word)
    {
        if (word.Length < 8)
        {
            return false;
        }

        foreach (var prefix in KeyPrefixes)
        {
            if (word.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        if (word.Contains("***", StringComparison.Ordinal))
        {
            return true;
        }

        return word.Length >= LongWord && word.ContainsAnyInRange('0', '9') && (word.ContainsAnyInRange('a', 'z') || word.ContainsAnyInRange('A', 'Z'));
    }
}
