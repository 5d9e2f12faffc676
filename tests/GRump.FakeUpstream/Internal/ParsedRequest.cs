using System.Text;
using System.Text.Json;

namespace GRump.Fakes.Internal;

/// <summary>The fields of an OpenAI or Anthropic request body the fake needs; lenient, like the real APIs about extras.</summary>
internal sealed class ParsedRequest
{
    public static readonly ParsedRequest Empty = new();

    public string? Model { get; private set; }

    public bool Stream { get; private set; }

    /// <summary>OpenAI <c>stream_options.include_usage</c>.</summary>
    public bool IncludeUsage { get; private set; }

    public bool HasMaxTokens { get; private set; }

    /// <summary>The output limit the request set (<c>max_tokens</c> or <c>max_completion_tokens</c>), else null.</summary>
    public int? MaxTokens { get; private set; }

    public bool HasMessages { get; private set; }

    /// <summary>Anthropic top-level <c>system</c> text, when present.</summary>
    public string? System { get; private set; }

    public List<string> MessageTexts { get; } = [];

    public string LastUserText { get; private set; } = "";

    public List<string> Inputs { get; } = [];

    public bool Base64 { get; private set; }

    public int? Dimensions { get; private set; }

    /// <summary>Why the body is unusable (not JSON, not an object), else null.</summary>
    public string? Invalid { get; private set; }

    public static ParsedRequest Parse(ReadOnlySpan<byte> body)
    {
        var parsed = new ParsedRequest();
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                parsed.Invalid = "The request body must be a JSON object.";
                return parsed;
            }

            parsed.Read(root);
        }
        catch (JsonException e)
        {
            parsed.Invalid = "The request body is not valid JSON: " + e.Message;
        }

        return parsed;
    }

    private void Read(JsonElement root)
    {
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "model" when value.ValueKind == JsonValueKind.String:
                    Model = value.GetString();
                    break;
                case "stream":
                    Stream = value.ValueKind == JsonValueKind.True;
                    break;
                case "stream_options" when value.ValueKind == JsonValueKind.Object:
                    IncludeUsage = value.TryGetProperty("include_usage", out var include) && include.ValueKind == JsonValueKind.True;
                    break;
                case "max_tokens" or "max_completion_tokens":
                    HasMaxTokens = value.ValueKind == JsonValueKind.Number;
                    MaxTokens = value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var maxTokens) ? maxTokens : MaxTokens;
                    break;
                case "system":
                    System = TextOf(value);
                    break;
                case "messages" when value.ValueKind == JsonValueKind.Array:
                    HasMessages = true;
                    ReadMessages(value);
                    break;
                case "input":
                    ReadInputs(value);
                    break;
                case "encoding_format":
                    Base64 = value.ValueKind == JsonValueKind.String && value.ValueEquals("base64"u8);
                    break;
                case "dimensions" when value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var dimensions) && dimensions > 0:
                    Dimensions = dimensions;
                    break;
                default:
                    break;
            }
        }
    }

    private void ReadMessages(JsonElement messages)
    {
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var text = message.TryGetProperty("content", out var content) ? TextOf(content) : "";
            MessageTexts.Add(text);
            if (message.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String && role.ValueEquals("user"u8))
            {
                LastUserText = text;
            }
        }
    }

    private void ReadInputs(JsonElement input)
    {
        switch (input.ValueKind)
        {
            case JsonValueKind.String:
                Inputs.Add(input.GetString() ?? "");
                break;
            case JsonValueKind.Array when input.GetArrayLength() > 0 && input[0].ValueKind == JsonValueKind.Number:
                // One input given as token ids: keep them as text so the vector still encodes the input.
                Inputs.Add(input.GetRawText());
                break;
            case JsonValueKind.Array:
                foreach (var item in input.EnumerateArray())
                {
                    Inputs.Add(item.ValueKind == JsonValueKind.String ? item.GetString() ?? "" : item.GetRawText());
                }

                break;
            default:
                break;
        }
    }

    /// <summary>A content value as text: a string, or the <c>text</c> of each part of a parts array, concatenated.</summary>
    private static string TextOf(JsonElement content)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return content.GetString() ?? "";
            case JsonValueKind.Array:
                var text = new StringBuilder();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var partText) && partText.ValueKind == JsonValueKind.String)
                    {
                        text.Append(partText.GetString());
                    }
                }

                return text.ToString();
            default:
                return "";
        }
    }
}
