using System.Buffers;
using System.Text.Json;
using GRump.Gateway.Chat;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Providers.Internal;

/// <summary>
/// The OpenAI Chat Completions wire format, as OpenAI-compatible upstreams (NIM, vLLM, Ollama, OpenAI) speak it: the
/// request body written from a <see cref="ProviderChatRequest"/>, and answers (one JSON completion, or one stream
/// chunk at a time) read into <see cref="ChatEvent"/>s.
/// </summary>
internal static class OpenAiChatWire
{
    public static byte[] WriteRequest(ProviderChatRequest request)
    {
        var chat = request.Chat;
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model", request.Model);
            writer.WriteStartArray("messages");
            for (var messageIndex = 0; messageIndex < chat.Messages.Count; messageIndex++)
            {
                var message = chat.Messages[messageIndex];
                WriteMessage(writer, message);
            }

            writer.WriteEndArray();
            RequestJson.WriteSampling(writer, chat);
            if (chat.FrequencyPenalty is { } frequency)
            {
                writer.WriteNumber("frequency_penalty", frequency);
            }

            if (chat.PresencePenalty is { } presence)
            {
                writer.WriteNumber("presence_penalty", presence);
            }

            if (request.MaxOutputTokens > 0)
            {
                writer.WriteNumber("max_tokens", request.MaxOutputTokens);
            }

            if (chat.Seed is { } seed)
            {
                writer.WriteNumber("seed", seed);
            }

            RequestJson.WriteStop(writer, "stop", chat.Stop);
            WriteTools(writer, chat);
            WriteResponseFormat(writer, chat.ResponseFormat);
            if (chat.Reasoning is { Effort.Length: > 0 } reasoning)
            {
                writer.WriteString("reasoning_effort", reasoning.Effort);
            }

            if (chat.User.Length > 0)
            {
                writer.WriteString("user", chat.User);
            }

            writer.WriteBoolean("stream", request.Stream);
            if (request.Stream)
            {
                writer.WriteStartObject("stream_options");
                writer.WriteBoolean("include_usage", true);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenMemory.ToArray();
    }

    private static void WriteMessage(Utf8JsonWriter writer, ChatMessage message)
    {
        writer.WriteStartObject();
        writer.WriteString("role", ChatMessage.RoleName(message.Role));
        if (message.Role == ChatRole.Tool)
        {
            if (message.HasImage)
            {
                // Chat Completions tool messages carry text only: refuse rather than drop the image the model was to see.
                throw new GatewayException(GatewayErrorKind.InvalidArgument,
                    $"tool result '{message.ToolCallId}': images in tool results cannot be sent to OpenAI-compatible models; route to a model with the vision capability on Anthropic or send the image in a user message.",
                    [new("messages.content", "images in tool results are not supported by this model's API")]);
            }

            writer.WriteString("tool_call_id", message.ToolCallId);
            writer.WriteString("content", message.Text);
        }
        else if (message.Role == ChatRole.Assistant)
        {
            // An assistant turn is text (its reasoning is not sent back: OpenAI-compatible APIs have no field for it).
            var text = message.Text;
            if (text.Length > 0 || message.ToolCalls.Count == 0)
            {
                writer.WriteString("content", text);
            }
            else
            {
                writer.WriteNull("content");
            }

            OpenAiToolCalls.Write(writer, message.ToolCalls);
        }
        else if (message.Content.Count == 1 && message.Content[0] is TextPart only)
        {
            writer.WriteString("content", only.Text);
        }
        else
        {
            writer.WriteStartArray("content");
            for (var partIndex = 0; partIndex < message.Content.Count; partIndex++)
            {
                var part = message.Content[partIndex];
                switch (part)
                {
                    case TextPart text:
                        writer.WriteStartObject();
                        writer.WriteString("type", "text");
                        writer.WriteString("text", text.Text);
                        writer.WriteEndObject();
                        break;
                    case ImagePart image:
                        writer.WriteStartObject();
                        writer.WriteString("type", "image_url");
                        writer.WriteStartObject("image_url");
                        writer.WriteString("url", image.Url);
                        if (image.Detail.Length > 0)
                        {
                            writer.WriteString("detail", image.Detail);
                        }

                        writer.WriteEndObject();
                        writer.WriteEndObject();
                        break;
                    default:
                        break;
                }
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteTools(Utf8JsonWriter writer, ChatRequest chat)
    {
        if (chat.Tools.Count > 0)
        {
            writer.WriteStartArray("tools");
            for (var toolIndex = 0; toolIndex < chat.Tools.Count; toolIndex++)
            {
                var tool = chat.Tools[toolIndex];
                writer.WriteStartObject();
                writer.WriteString("type", "function");
                writer.WriteStartObject("function");
                writer.WriteString("name", tool.Name);
                if (tool.Description.Length > 0)
                {
                    writer.WriteString("description", tool.Description);
                }

                writer.WritePropertyName("parameters");
                writer.WriteRawValue(tool.ParametersJson);
                if (tool.Strict is { } strict)
                {
                    writer.WriteBoolean("strict", strict);
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        switch (chat.ToolChoice)
        {
            case null:
                break;
            case { Kind: ToolChoiceKind.Function } named:
                writer.WriteStartObject("tool_choice");
                writer.WriteString("type", "function");
                writer.WriteStartObject("function");
                writer.WriteString("name", named.Name);
                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
            case { Kind: var kind }:
                writer.WriteString("tool_choice", kind switch
                {
                    ToolChoiceKind.None => "none",
                    ToolChoiceKind.Required => "required",
                    _ => "auto",
                });
                break;
        }

        if (chat.ParallelToolCalls is { } parallel && chat.Tools.Count > 0)
        {
            writer.WriteBoolean("parallel_tool_calls", parallel);
        }
    }

    private static void WriteResponseFormat(Utf8JsonWriter writer, ResponseFormat? format)
    {
        if (format is null || format.Kind == ResponseFormatKind.Text)
        {
            return;
        }

        writer.WriteStartObject("response_format");
        if (format.Kind == ResponseFormatKind.JsonObject)
        {
            writer.WriteString("type", "json_object");
        }
        else
        {
            writer.WriteString("type", "json_schema");
            writer.WriteStartObject("json_schema");
            writer.WriteString("name", format.Name.Length > 0 ? format.Name : "response");
            writer.WritePropertyName("schema");
            writer.WriteRawValue(format.SchemaJson);
            if (format.Strict is { } strict)
            {
                writer.WriteBoolean("strict", strict);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    /// <summary>A whole <c>chat.completion</c>: its first choice's text, reasoning and tool calls, the finish reason and usage.</summary>
    public static (List<ChatEvent> Deltas, string Finish, TokenUsage? Usage) ReadCompletion(JsonElement root)
    {
        if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
        {
            throw Protocol("a completion without choices");
        }

        var deltas = new List<ChatEvent>(2);
        var choice = choices[0];
        var finish = FinishReasons.Stop;
        if (choice.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
        {
            if (message.TryGetProperty("reasoning_content", out var reasoning) && reasoning.ValueKind == JsonValueKind.String && reasoning.GetString() is { Length: > 0 } thought)
            {
                deltas.Add(new ReasoningDelta(thought));
            }

            if (message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
            {
                deltas.Add(new TextDelta(content.GetString() ?? string.Empty));
            }

            if (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
            {
                var index = 0;
                foreach (var call in calls.EnumerateArray())
                {
                    var function = call.TryGetProperty("function", out var f) ? f : default;
                    deltas.Add(new ToolCallDelta(index++, String(call, "id"), String(function, "name"), String(function, "arguments")));
                }
            }
        }

        if (choice.TryGetProperty("finish_reason", out var reason) && reason.ValueKind == JsonValueKind.String)
        {
            finish = reason.GetString() ?? finish;
        }

        if (deltas.Count == 0)
        {
            deltas.Add(new TextDelta(string.Empty));
        }

        return (deltas, finish, root.TryGetProperty("usage", out var usage) ? ReadUsage(usage) : null);
    }

    /// <summary>
    /// One <c>chat.completion.chunk</c>: adds its deltas (of the first choice) to <paramref name="deltas"/>, and keeps the
    /// finish reason and usage when present (both may share a chunk with text).
    /// </summary>
    public static void ReadChunk(ReadOnlySpan<byte> json, List<ChatEvent> deltas, ref string finish, ref TokenUsage? usage, ProviderSettings? provider = null)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw Protocol("a stream chunk that is not a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        ReadFirstChoice(ref reader, deltas, ref finish);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        using var document = JsonDocument.ParseValue(ref reader);
                        usage = ReadUsage(document.RootElement) ?? usage;
                    }
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    using var document = JsonDocument.ParseValue(ref reader);
                    var error = document.RootElement;
                    var message = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
                        ? m.GetString() : error.ToString();
                    // Relayed, so never with a key in it (security.md, "Upstream errors").
                    throw new GatewayException(GatewayErrorKind.Unavailable,
                        $"Upstream '{provider?.Name ?? "openai"}' sent an error in the stream: {SecretRedactor.Redact(message, provider is null ? null : [provider.ApiKey])}")
                    { Reason = "UPSTREAM_STREAM_ERROR" };
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new GatewayException(GatewayErrorKind.Unavailable, "The upstream sent a malformed stream chunk.", null, ex) { Reason = "UPSTREAM_PROTOCOL" };
        }
    }

    private static void ReadFirstChoice(ref Utf8JsonReader reader, List<ChatEvent> deltas, ref string finish)
    {
        var first = true;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (!first || reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            first = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("delta"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        ReadDelta(ref reader, deltas);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("finish_reason"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        finish = reader.GetString() ?? finish;
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
    }

    private static void ReadDelta(ref Utf8JsonReader reader, List<ChatEvent> deltas)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && reader.GetString() is { Length: > 0 } text)
                {
                    deltas.Add(new TextDelta(text));
                }
            }
            else if (reader.ValueTextEquals("reasoning_content"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && reader.GetString() is { Length: > 0 } text)
                {
                    deltas.Add(new ReasoningDelta(text));
                }
            }
            else if (reader.ValueTextEquals("tool_calls"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    reader.Skip();
                    continue;
                }

                using var document = JsonDocument.ParseValue(ref reader);
                foreach (var call in document.RootElement.EnumerateArray())
                {
                    var index = call.TryGetProperty("index", out var i) && i.TryGetInt32(out var n) ? n : 0;
                    var function = call.TryGetProperty("function", out var f) ? f : default;
                    deltas.Add(new ToolCallDelta(index, String(call, "id"), String(function, "name"), String(function, "arguments")));
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    /// <summary>
    /// OpenAI's usage: <c>prompt_tokens</c> (cached reads included, broken out in <c>prompt_tokens_details.cached_tokens</c>),
    /// <c>completion_tokens</c> (reasoning included, in <c>completion_tokens_details.reasoning_tokens</c>).
    /// </summary>
    public static TokenUsage? ReadUsage(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object
            || !usage.TryGetProperty("prompt_tokens", out var prompt) || !prompt.TryGetInt64(out var input)
            || !usage.TryGetProperty("completion_tokens", out var completion) || !completion.TryGetInt64(out var output))
        {
            return null;
        }

        return new TokenUsage(input, output)
        {
            CacheReadTokens = Nested(usage, "prompt_tokens_details", "cached_tokens"),
            ReasoningTokens = Nested(usage, "completion_tokens_details", "reasoning_tokens"),
        };
    }

    private static long Nested(JsonElement usage, string details, string field) =>
        usage.TryGetProperty(details, out var d) && d.ValueKind == JsonValueKind.Object && d.TryGetProperty(field, out var v) && v.TryGetInt64(out var n) ? n : 0;

    private static string String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString() ?? string.Empty
            : string.Empty;

    public static GatewayException Protocol(string what) =>
        new(GatewayErrorKind.Unavailable, $"The upstream sent {what}.") { Reason = "UPSTREAM_PROTOCOL" };

    public static GatewayException Malformed(JsonException exception) =>
        new(GatewayErrorKind.Unavailable, "The upstream sent a malformed JSON response.", null, exception) { Reason = "UPSTREAM_PROTOCOL" };

    public static GatewayException ReadCut(Exception exception) =>
        new(GatewayErrorKind.Unavailable, "The upstream connection failed while reading the response.", null, exception) { Reason = "UPSTREAM_STREAM_CUT" };
}
