using System.Text;
using Google.Protobuf.Reflection;

namespace GRump.LoadTests.Fuzz;

/// <summary>An HTTP request the fuzzer sends.</summary>
internal sealed record HttpCase(string Kind, HttpTarget Target, string Method, string Path, byte[]? Body, string? ContentType);

/// <summary>
/// Hostile HTTP requests for every REST route (bodies shaped after the route's proto message), the OpenAI-compatible
/// routes (bodies after OpenAI's request shapes) and paths that exist nowhere: plausible bodies, wrong JSON types at a
/// random field, invalid UTF-8, escaped unpaired surrogates, nesting past the parsers' depth limits, huge numbers,
/// broken and truncated JSON, random bytes, wrong content types, and (optionally) bodies over the size limits.
/// </summary>
internal static class JsonFuzzer
{
    private static readonly string[] Texts =
    [
        "hello", "Build a todo app with auth using React and Postgres", "Design a multi-region payments architecture", "ünïcödé ✓ 漢字 🙂",
        "", "auto", "grump-local-dev", "all-MiniLM-L6-v2", "claude-sonnet-4-5", "default", "user", "system", "assistant", "tool", "<script>",
        "ON", "OFF", "CACHE_MODE_OFF", "float", "base64", "text", "image_url", "moonshotai/kimi-k2.5", "nvidia/nv-embed-v1",
    ];

    public static HttpCase Next(Random random, IReadOnlyList<HttpTarget> targets, bool oversize)
    {
        var target = targets[random.Next(targets.Count)];
        var path = target.Path.Contains("{id}", StringComparison.Ordinal)
            ? target.Path.Replace("{id}", Pick(random, ["grump-local-dev", "all-MiniLM-L6-v2", "moonshotai/kimi-k2.5", "nope", "..%2f..%2fetc", "a/b/c/d", new string('m', 300)]), StringComparison.Ordinal)
            : target.Path;
        var query = target.Method == "GET" && target.Path.StartsWith("/api/", StringComparison.Ordinal) && random.Next(2) == 0 ? Query(random) : string.Empty;
        var method = random.Next(40) == 0 ? Pick(random, ["PUT", "DELETE", "PATCH", target.Method == "GET" ? "POST" : "GET"]) : target.Method;
        if (method == "GET" || (target.Body is null && target.OpenAi == OpenAiBody.None))
        {
            return new HttpCase("no-body", target, method, path + query, null, null);
        }
        if (oversize && random.Next(150) == 0)
        {
            // Over the door's limit (docs/hygiene.md): REST 4 MiB, /v1 (OpenAI and Anthropic) 32 MiB.
            var size = (target.OpenAi == OpenAiBody.None ? 4 << 20 : 32 << 20) + 1024;
            return new HttpCase("oversize", target, method, path, Encoding.UTF8.GetBytes("{\"raw\":\"" + new string('x', size) + "\"}"), "application/json");
        }
        var json = new StringBuilder();
        if (target.OpenAi == OpenAiBody.None)
        {
            Message(random, json, target.Body!, 0);
        }
        else
        {
            OpenAi(random, json, target.OpenAi);
        }
        var text = json.ToString();
        var roll = random.Next(100);
        var (kind, body) = roll switch
        {
            < 35 => ("plausible", Encoding.UTF8.GetBytes(text)),
            < 50 => ("wrong-type", Encoding.UTF8.GetBytes(ReplaceValue(random, text, WrongValue(random)))),
            < 60 => ("bad-utf8", InvalidUtf8(random, text)),
            < 66 => ("lone-surrogate", Encoding.UTF8.GetBytes(ReplaceString(random, text, "\\ud800x"))),
            < 72 => ("deep-nesting", Encoding.UTF8.GetBytes(ReplaceValue(random, text, Nested(70 + random.Next(300))))),
            < 77 => ("huge-number", Encoding.UTF8.GetBytes(ReplaceValue(random, text, Pick(random, ["1e400", "-1e400", "123456789012345678901234567890", "-0", "1.5", "0.0000000001"])))),
            < 83 => ("truncated", Encoding.UTF8.GetBytes(text[..random.Next(text.Length + 1)])),
            < 87 => ("random-bytes", RandomBytes(random)),
            < 91 => ("odd-json", Encoding.UTF8.GetBytes(Pick(random, ["null", "[]", "\"x\"", "0", "{}", "{\"a\":1,\"a\":2}", "{,}", "{\"messages\":[{}]}", "", " "]))),
            _ => ("plausible", Encoding.UTF8.GetBytes(text)),
        };
        var contentType = random.Next(25) switch
        {
            0 => null,
            1 => "text/plain",
            2 => "application/x-www-form-urlencoded",
            3 => "application/json; charset=utf-16",
            4 => "application/json; charset=banana",
            _ => "application/json",
        };
        return new HttpCase(kind, target, method, path, body, contentType);
    }

    private static string Query(Random random) => random.Next(5) switch
    {
        0 => "?userId=" + Uri.EscapeDataString(Pick(random, Texts)),
        1 => "?startDate=" + Pick(random, ["0001-01-01", "9999-12-31", "2026-02-30", "banana", "2026-01-01T00:00:00Z"]) + "&endDate=" + Pick(random, ["0001-01-01", "9999-12-31", "x", ""]),
        2 => "?userId=%ff%fe",
        3 => "?userId=" + new string('u', 5000),
        _ => "?unknown=1&userId=",
    };

    private static void Message(Random random, StringBuilder json, MessageDescriptor type, int depth)
    {
        json.Append('{');
        var first = true;
        foreach (var field in type.Fields.InDeclarationOrder())
        {
            if (random.Next(100) >= 70)
            {
                continue;
            }
            if (!first)
            {
                json.Append(',');
            }
            first = false;
            json.Append('"').Append(random.Next(5) == 0 ? field.Name : field.JsonName).Append("\":");
            if (field.IsMap)
            {
                json.Append("{\"k\":");
                Value(random, json, field.MessageType.FindFieldByNumber(2), depth);
                json.Append('}');
            }
            else if (field.IsRepeated)
            {
                json.Append('[');
                var count = random.Next(0, 4);
                for (var i = 0; i < count; i++)
                {
                    if (i > 0)
                    {
                        json.Append(',');
                    }
                    Value(random, json, field, depth);
                }
                json.Append(']');
            }
            else
            {
                Value(random, json, field, depth);
            }
        }
        json.Append('}');
    }

    private static void Value(Random random, StringBuilder json, FieldDescriptor field, int depth)
    {
        switch (field.FieldType)
        {
            case FieldType.String or FieldType.Bytes:
                String(json, Pick(random, Texts));
                break;
            case FieldType.Bool:
                json.Append(random.Next(2) == 0 ? "true" : "false");
                break;
            case FieldType.Enum:
                var values = field.EnumType.Values;
                json.Append('"').Append(values[random.Next(values.Count)].Name).Append('"');
                break;
            case FieldType.Float or FieldType.Double:
                json.Append(Pick(random, ["0", "1", "0.7", "2", "-1", "1000000"]));
                break;
            case FieldType.Message when field.MessageType.FullName is "google.protobuf.Struct":
                json.Append("{\"deadline\":\"friday\",\"n\":[1,{\"x\":null}]}");
                break;
            case FieldType.Message when field.MessageType.FullName.StartsWith("google.protobuf.", StringComparison.Ordinal):
                json.Append("null");
                break;
            case FieldType.Message when depth < 3:
                Message(random, json, field.MessageType, depth + 1);
                break;
            case FieldType.Message:
                json.Append("{}");
                break;
            default:
                json.Append(Pick(random, ["0", "1", "7", "-1", "1024", "\"12\""]));
                break;
        }
    }

    private static void OpenAi(Random random, StringBuilder json, OpenAiBody body)
    {
        json.Append('{');
        if (body == OpenAiBody.Chat)
        {
            json.Append("\"model\":");
            String(json, Pick(random, ["auto", "grump-local-dev", "nope", "all-MiniLM-L6-v2"]));
            json.Append(",\"messages\":[");
            var count = random.Next(0, 4);
            for (var i = 0; i < count; i++)
            {
                json.Append(i > 0 ? "," : string.Empty).Append("{\"role\":");
                String(json, Pick(random, ["user", "system", "assistant", "tool", "x"]));
                json.Append(",\"content\":");
                if (random.Next(4) == 0)
                {
                    json.Append("[{\"type\":\"text\",\"text\":");
                    String(json, Pick(random, Texts));
                    json.Append(random.Next(3) == 0 ? "},{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://x\"}}]" : "}]");
                }
                else
                {
                    String(json, Pick(random, Texts));
                }
                json.Append('}');
            }
            json.Append(']');
            Optional(random, json, "stream", () => random.Next(2) == 0 ? "true" : "false");
            Optional(random, json, "stream_options", () => "{\"include_usage\":true}");
            Optional(random, json, "temperature", () => Pick(random, ["0", "0.5", "2", "3", "-1"]));
            Optional(random, json, "top_p", () => Pick(random, ["0", "0.9", "1", "5"]));
            Optional(random, json, "max_tokens", () => Pick(random, ["1", "16", "0", "-5", "100000000"]));
            Optional(random, json, "seed", () => Pick(random, ["1", "42", "-1", "9223372036854775807"]));
            Optional(random, json, "stop", () => Pick(random, ["\"\\n\"", "[\"a\",\"b\"]", "[]", "[1]"]));
            Optional(random, json, "n", () => Pick(random, ["1", "2"]));
            Optional(random, json, "x_grump_cache", () => Pick(random, ["\"ON\"", "\"OFF\"", "\"READ_ONLY\"", "\"bogus\""]));
        }
        else if (body == OpenAiBody.Responses)
        {
            json.Append("\"model\":");
            String(json, Pick(random, ["auto", "grump-local-dev", "nope"]));
            json.Append(",\"input\":");
            if (random.Next(3) == 0)
            {
                String(json, Pick(random, Texts));
            }
            else
            {
                json.Append('[').AppendJoin(',', Enumerable.Range(0, random.Next(0, 4)).Select(_ =>
                    "{\"role\":" + Quoted(Pick(random, ["user", "system", "developer", "assistant", "x"])) + ",\"content\":" + Quoted(Pick(random, Texts)) + "}")).Append(']');
            }
            Optional(random, json, "instructions", () => Quoted(Pick(random, Texts)));
            Optional(random, json, "stream", () => random.Next(2) == 0 ? "true" : "false");
            Optional(random, json, "max_output_tokens", () => Pick(random, ["1", "16", "0", "-5", "100000000"]));
            Optional(random, json, "temperature", () => Pick(random, ["0", "0.5", "2", "3", "-1"]));
        }
        else if (body == OpenAiBody.AnthropicMessages)
        {
            json.Append("\"model\":");
            String(json, Pick(random, ["auto", "grump-local-dev", "claude-sonnet-4-5", "nope"]));
            json.Append(",\"max_tokens\":").Append(Pick(random, ["1", "64", "0", "-1", "100000000"]));
            json.Append(",\"messages\":[").AppendJoin(',', Enumerable.Range(0, random.Next(0, 4)).Select(_ =>
                "{\"role\":" + Quoted(Pick(random, ["user", "assistant", "system", "x"])) + ",\"content\":"
                + (random.Next(3) == 0 ? "[{\"type\":\"text\",\"text\":" + Quoted(Pick(random, Texts)) + "}]" : Quoted(Pick(random, Texts))) + "}")).Append(']');
            Optional(random, json, "system", () => random.Next(2) == 0 ? Quoted(Pick(random, Texts)) : "[{\"type\":\"text\",\"text\":" + Quoted(Pick(random, Texts)) + "}]");
            Optional(random, json, "stream", () => random.Next(2) == 0 ? "true" : "false");
            Optional(random, json, "temperature", () => Pick(random, ["0", "0.5", "1", "3", "-1"]));
            Optional(random, json, "stop_sequences", () => Pick(random, ["[\"a\"]", "[]", "[1]", "\"x\""]));
        }
        else
        {
            json.Append("\"model\":");
            String(json, Pick(random, ["auto", "all-MiniLM-L6-v2", "grump-local-dev", "nope", ""]));
            json.Append(",\"input\":");
            json.Append(random.Next(3) == 0 ? Quoted(Pick(random, Texts)) : "[" + string.Join(",", Enumerable.Range(0, random.Next(0, 4)).Select(_ => Quoted(Pick(random, Texts)))) + "]");
            Optional(random, json, "encoding_format", () => Pick(random, ["\"float\"", "\"base64\"", "\"int8\""]));
            Optional(random, json, "dimensions", () => Pick(random, ["384", "128", "0", "-1", "4096"]));
        }
        json.Append('}');
    }

    private static void Optional(Random random, StringBuilder json, string name, Func<string> value)
    {
        if (random.Next(3) == 0)
        {
            json.Append(",\"").Append(name).Append("\":").Append(value());
        }
    }

    /// <summary>A value of another JSON type than the field wants (where the field is, is random).</summary>
    private static string WrongValue(Random random) =>
        Pick(random, ["\"x\"", "5", "true", "null", "{}", "[]", "[[[]]]", "{\"a\":{\"b\":1}}", "\"hot\"", "-1", "[null]", "[1,\"a\",{}]"]);

    /// <summary>Replaces the value after a random <c>":</c> with <paramref name="value"/> (the rest of the text stays as it was: often broken, sometimes not).</summary>
    private static string ReplaceValue(Random random, string json, string value)
    {
        var colons = Positions(json, "\":");
        if (colons.Count == 0)
        {
            return value;
        }
        var at = colons[random.Next(colons.Count)] + 2;
        var end = at;
        var depth = 0;
        var inString = false;
        for (; end < json.Length; end++)
        {
            var c = json[end];
            if (inString)
            {
                if (c == '\\')
                {
                    end++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
                continue;
            }
            if (c == '"')
            {
                inString = true;
            }
            else if (c is '{' or '[')
            {
                depth++;
            }
            else if (c is '}' or ']')
            {
                if (depth == 0)
                {
                    break;
                }
                depth--;
            }
            else if (c == ',' && depth == 0)
            {
                break;
            }
        }
        return json[..at] + value + json[end..];
    }

    /// <summary>Puts <paramref name="inside"/> into a random string value (escaped text such as <c>\ud800</c>).</summary>
    private static string ReplaceString(Random random, string json, string inside)
    {
        var quotes = Positions(json, ":\"");
        return quotes.Count == 0 ? "{\"raw\":\"" + inside + "\"}" : json.Insert(quotes[random.Next(quotes.Count)] + 2, inside);
    }

    private static string Nested(int depth) => new string('[', depth) + new string(']', depth);

    private static byte[] InvalidUtf8(Random random, string json)
    {
        byte[][] invalid = [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe2, 0x82, 0x22]];
        var quotes = Positions(json, ":\"");
        var bytes = Encoding.UTF8.GetBytes(json);
        if (quotes.Count == 0)
        {
            return [.. Encoding.UTF8.GetBytes("{\"raw\":\""), .. invalid[random.Next(invalid.Length)], .. "\"}"u8];
        }
        var at = Encoding.UTF8.GetByteCount(json.AsSpan(0, quotes[random.Next(quotes.Count)] + 2));
        return [.. bytes[..at], .. invalid[random.Next(invalid.Length)], .. bytes[at..]];
    }

    private static List<int> Positions(string text, string what)
    {
        var positions = new List<int>();
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal))
        {
            positions.Add(i);
        }
        return positions;
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 512)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static void String(StringBuilder json, string value) => json.Append(Quoted(value));

    private static string Quoted(string value) => System.Text.Json.JsonSerializer.Serialize(value, FuzzJsonContext.Default.String);

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class FuzzJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
