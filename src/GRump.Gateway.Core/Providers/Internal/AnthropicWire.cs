using System.Buffers;
using System.Text.Json;
using GRump.Gateway.Chat;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Providers.Internal;

/// <summary>
/// The Anthropic Messages wire format: a <see cref="ProviderChatRequest"/> written as <c>POST /v1/messages</c>'s body
/// (system blocks, content blocks, tool_use / tool_result, images, thinking, cache_control), and answers read back into
/// <see cref="ChatEvent"/>s with usage normalised (Anthropic's <c>input_tokens</c> excludes cache reads and writes:
/// they are added back, so <see cref="TokenUsage.InputTokens"/> means the same for every provider).
/// </summary>
internal static class AnthropicWire
{
    /// <summary>The tool a JSON response format becomes (Anthropic has no JSON mode): its input is the answer.</summary>
    public const string JsonTool = "json_response";

    /// <summary>Budgets for an OpenAI-style reasoning effort when the request gives no token budget.</summary>
    private static int EffortBudget(string effort) => effort switch
    {
        "minimal" or "low" => 1_024,
        "high" => 16_384,
        _ => 4_096,
    };

    public static byte[] WriteRequest(ProviderChatRequest request, int defaultMaxTokens)
    {
        var chat = request.Chat;
        var maxTokens = request.MaxOutputTokens > 0 ? request.MaxOutputTokens : defaultMaxTokens;
        var thinking = chat.Reasoning is { } reasoning
            ? reasoning.BudgetTokens > 0 ? reasoning.BudgetTokens : reasoning.Effort.Length > 0 ? EffortBudget(reasoning.Effort) : 0
            : 0;
        if (thinking > 0 && thinking >= maxTokens)
        {
            GatewayErrors.ThrowInvalidArgument("max_tokens", $"must be greater than the thinking budget ({thinking} tokens) on Anthropic models; it is {maxTokens}.");
        }

        if (chat.FrequencyPenalty is not (null or 0) || chat.PresencePenalty is not (null or 0))
        {
            GatewayErrors.ThrowInvalidArgument(chat.FrequencyPenalty is not (null or 0) ? "frequency_penalty" : "presence_penalty",
                "is not supported by Anthropic models (leave it unset or 0)");
        }

        var json = chat.ResponseFormat is { Kind: not ResponseFormatKind.Text } format ? format : null;
        if (json is not null && chat.Tools.Count > 0)
        {
            GatewayErrors.ThrowInvalidArgument("response_format", "together with tools is not supported on Anthropic models (the JSON format is carried as a forced tool call).");
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model", request.Model);
            writer.WriteNumber("max_tokens", maxTokens);
            WriteSystem(writer, chat.Messages);
            WriteMessages(writer, chat.Messages);
            RequestJson.WriteSampling(writer, chat);
            RequestJson.WriteStop(writer, "stop_sequences", chat.Stop);
            if (thinking > 0)
            {
                writer.WriteStartObject("thinking");
                writer.WriteString("type", "enabled");
                writer.WriteNumber("budget_tokens", thinking);
                writer.WriteEndObject();
            }

            if (json is not null)
            {
                WriteJsonTool(writer, json);
            }
            else
            {
                WriteTools(writer, chat);
            }

            if (chat.User.Length > 0)
            {
                writer.WriteStartObject("metadata");
                writer.WriteString("user_id", chat.User);
                writer.WriteEndObject();
            }

            writer.WriteBoolean("stream", request.Stream);
            writer.WriteEndObject();
        }

        return buffer.WrittenMemory.ToArray();
    }

    private static void WriteSystem(Utf8JsonWriter writer, IReadOnlyList<ChatMessage> messages)
    {
        var blocks = 0;
        var cached = false;
        foreach (var message in messages)
        {
            if (message.Role == ChatRole.System)
            {
                foreach (var part in message.Content)
                {
                    if (part is TextPart text)
                    {
                        blocks++;
                        cached |= text.CacheControl is not null;
                    }
                }
            }
        }

        if (blocks == 0)
        {
            return;
        }

        if (!cached)
        {
            // One string, as before: system messages joined by a blank line.
            var joined = string.Empty;
            foreach (var message in messages)
            {
                if (message.Role == ChatRole.System)
                {
                    joined = joined.Length == 0 ? message.Text : joined + "\n\n" + message.Text;
                }
            }

            writer.WriteString("system", joined);
            return;
        }

        writer.WriteStartArray("system");
        foreach (var message in messages)
        {
            if (message.Role != ChatRole.System)
            {
                continue;
            }

            foreach (var part in message.Content)
            {
                if (part is TextPart text)
                {
                    WriteTextBlock(writer, text);
                }
            }
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// User and assistant turns as content blocks. Tool results are user turns of <c>tool_result</c> blocks; consecutive
    /// turns of one role are merged (Anthropic alternates user and assistant).
    /// </summary>
    private static void WriteMessages(Utf8JsonWriter writer, IReadOnlyList<ChatMessage> messages)
    {
        writer.WriteStartArray("messages");
        string? open = null;
        foreach (var message in messages)
        {
            if (message.Role == ChatRole.System)
            {
                continue;
            }

            var role = message.Role == ChatRole.Assistant ? "assistant" : "user";
            if (open != role)
            {
                if (open is not null)
                {
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }

                writer.WriteStartObject();
                writer.WriteString("role", role);
                writer.WriteStartArray("content");
                open = role;
            }

            WriteBlocks(writer, message);
        }

        if (open is not null)
        {
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteBlocks(Utf8JsonWriter writer, ChatMessage message)
    {
        if (message.Role == ChatRole.Tool)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "tool_result");
            writer.WriteString("tool_use_id", message.ToolCallId);
            writer.WriteStartArray("content");
            foreach (var part in message.Content)
            {
                // Anthropic refuses empty text blocks; an empty tool result is an empty content list.
                if (part is not TextPart { Text.Length: 0 })
                {
                    WritePart(writer, part);
                }
            }

            writer.WriteEndArray();
            if (message.IsError)
            {
                writer.WriteBoolean("is_error", true);
            }

            WriteCacheControl(writer, message.CacheControl);
            writer.WriteEndObject();
            return;
        }

        // Thinking first: Anthropic wants an assistant turn's thinking blocks before its text and tool use.
        foreach (var part in message.Content)
        {
            if (part is ReasoningPart)
            {
                WritePart(writer, part);
            }
        }

        foreach (var part in message.Content)
        {
            if (part is not ReasoningPart && !(part is TextPart { Text.Length: 0 }))
            {
                WritePart(writer, part);
            }
        }

        foreach (var call in message.ToolCalls)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "tool_use");
            writer.WriteString("id", call.Id);
            writer.WriteString("name", call.Name);
            writer.WritePropertyName("input");
            writer.WriteRawValue(ArgumentsObject(call));
            WriteCacheControl(writer, call.CacheControl);
            writer.WriteEndObject();
        }
    }

    /// <summary>Anthropic takes a tool call's input as a JSON object, where OpenAI carries any string: check it.</summary>
    private static string ArgumentsObject(ToolCall call)
    {
        if (call.ArgumentsJson.Length == 0)
        {
            return "{}";
        }

        try
        {
            using var document = JsonDocument.Parse(call.ArgumentsJson);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return call.ArgumentsJson;
            }
        }
        catch (JsonException)
        {
        }

        throw new GatewayException(GatewayErrorKind.InvalidArgument,
            $"tool call '{call.Id}': its arguments must be a JSON object for Anthropic models.", [new("messages.tool_calls.function.arguments", "must be a JSON object")]);
    }

    private static void WritePart(Utf8JsonWriter writer, ContentPart part)
    {
        switch (part)
        {
            case TextPart text:
                WriteTextBlock(writer, text);
                break;
            case ImagePart image:
                writer.WriteStartObject();
                writer.WriteString("type", "image");
                writer.WriteStartObject("source");
                if (image.TryGetData(out var mediaType, out var data))
                {
                    writer.WriteString("type", "base64");
                    writer.WriteString("media_type", mediaType);
                    writer.WriteString("data", data);
                }
                else
                {
                    writer.WriteString("type", "url");
                    writer.WriteString("url", image.Url);
                }

                writer.WriteEndObject();
                WriteCacheControl(writer, image.CacheControl);
                writer.WriteEndObject();
                break;
            case ReasoningPart { RedactedData.Length: > 0 } redacted:
                writer.WriteStartObject();
                writer.WriteString("type", "redacted_thinking");
                writer.WriteString("data", redacted.RedactedData);
                writer.WriteEndObject();
                break;
            case ReasoningPart { Signature.Length: 0 }:
                // Reasoning without Anthropic's signature (another model's, or a client that dropped it) cannot be
                // verified by Anthropic, which rejects such a block: it is left out, as Anthropic permits for past turns.
                break;
            case ReasoningPart reasoning:
                writer.WriteStartObject();
                writer.WriteString("type", "thinking");
                writer.WriteString("thinking", reasoning.Text);
                writer.WriteString("signature", reasoning.Signature);
                writer.WriteEndObject();
                break;
            default:
                break;
        }
    }

    private static void WriteTextBlock(Utf8JsonWriter writer, TextPart text)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "text");
        writer.WriteString("text", text.Text);
        WriteCacheControl(writer, text.CacheControl);
        writer.WriteEndObject();
    }

    private static void WriteCacheControl(Utf8JsonWriter writer, CacheControl? cacheControl)
    {
        if (cacheControl is null)
        {
            return;
        }

        writer.WriteStartObject("cache_control");
        writer.WriteString("type", "ephemeral");
        if (cacheControl.Ttl.Length > 0)
        {
            writer.WriteString("ttl", cacheControl.Ttl);
        }

        writer.WriteEndObject();
    }

    private static void WriteTools(Utf8JsonWriter writer, ChatRequest chat)
    {
        if (chat.Tools.Count == 0)
        {
            return;
        }

        writer.WriteStartArray("tools");
        foreach (var tool in chat.Tools)
        {
            writer.WriteStartObject();
            writer.WriteString("name", tool.Name);
            if (tool.Description.Length > 0)
            {
                writer.WriteString("description", tool.Description);
            }

            writer.WritePropertyName("input_schema");
            writer.WriteRawValue(tool.ParametersJson);
            WriteCacheControl(writer, tool.CacheControl);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        var choice = chat.ToolChoice;
        var noParallel = chat.ParallelToolCalls == false;
        if (choice is null && !noParallel)
        {
            return;
        }

        writer.WriteStartObject("tool_choice");
        switch (choice?.Kind ?? ToolChoiceKind.Auto)
        {
            case ToolChoiceKind.None:
                writer.WriteString("type", "none");
                break;
            case ToolChoiceKind.Required:
                writer.WriteString("type", "any");
                break;
            case ToolChoiceKind.Function:
                writer.WriteString("type", "tool");
                writer.WriteString("name", choice!.Name);
                break;
            default:
                writer.WriteString("type", "auto");
                break;
        }

        if (noParallel && choice?.Kind != ToolChoiceKind.None)
        {
            writer.WriteBoolean("disable_parallel_tool_use", true);
        }

        writer.WriteEndObject();
    }

    /// <summary>A JSON response format as one forced tool whose input schema is the format's (any object for json_object).</summary>
    private static void WriteJsonTool(Utf8JsonWriter writer, ResponseFormat format)
    {
        writer.WriteStartArray("tools");
        writer.WriteStartObject();
        writer.WriteString("name", JsonTool);
        writer.WriteString("description", "Respond with the answer as this tool's input: a JSON value matching the schema.");
        writer.WritePropertyName("input_schema");
        writer.WriteRawValue(format.Kind == ResponseFormatKind.JsonSchema && format.SchemaJson.Length > 0 ? format.SchemaJson : """{"type":"object"}""");
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteStartObject("tool_choice");
        writer.WriteString("type", "tool");
        writer.WriteString("name", JsonTool);
        writer.WriteEndObject();
    }

    public static string Finish(string? stopReason) => stopReason switch
    {
        "max_tokens" => FinishReasons.Length,
        "tool_use" => FinishReasons.ToolCalls,
        "refusal" => FinishReasons.ContentFilter,
        _ => FinishReasons.Stop,
    };

    /// <summary>A whole message: its content blocks as deltas, the finish reason and the usage (null when absent).</summary>
    public static (List<ChatEvent> Deltas, string Finish, TokenUsage? Usage) ReadMessage(JsonElement root, bool jsonFormat)
    {
        var deltas = new List<ChatEvent>(2);
        var tools = 0;
        if (root.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in content.EnumerateArray())
            {
                switch (String(block, "type"))
                {
                    case "text":
                        deltas.Add(new TextDelta(String(block, "text")));
                        break;
                    case "thinking":
                        deltas.Add(new ReasoningDelta(String(block, "thinking"), String(block, "signature")));
                        break;
                    case "tool_use" when jsonFormat && String(block, "name") == JsonTool:
                        deltas.Add(new TextDelta(block.TryGetProperty("input", out var answer) ? answer.GetRawText() : "{}"));
                        break;
                    case "tool_use":
                        deltas.Add(new ToolCallDelta(tools++, String(block, "id"), String(block, "name"),
                            block.TryGetProperty("input", out var input) ? input.GetRawText() : "{}"));
                        break;
                    default:
                        break;
                }
            }
        }

        var finish = Finish(root.TryGetProperty("stop_reason", out var stop) && stop.ValueKind == JsonValueKind.String ? stop.GetString() : null);
        if (jsonFormat && finish == FinishReasons.ToolCalls)
        {
            finish = FinishReasons.Stop;
        }

        var usage = new UsageState();
        if (root.TryGetProperty("usage", out var u))
        {
            usage.Read(u);
        }

        return (deltas, finish, usage.ToUsage());
    }

    /// <summary>Anthropic's usage, which arrives in parts: <c>message_start</c> (input and cache) and <c>message_delta</c> (output, cumulative).</summary>
    public struct UsageState
    {
        private long _input;
        private long _output;
        private long _cacheRead;
        private long _cacheWrite;
        private long _cacheWrite1h;
        private long _thinking;
        private bool _hasInput;
        private bool _hasOutput;

        /// <summary>Takes every field present; later values replace earlier ones (message_delta's counts are cumulative).</summary>
        public void Read(JsonElement usage)
        {
            if (usage.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            if (Number(usage, "input_tokens") is { } input)
            {
                _input = input;
                _hasInput = true;
            }

            if (Number(usage, "output_tokens") is { } output)
            {
                _output = output;
                _hasOutput = true;
            }

            _cacheRead = Number(usage, "cache_read_input_tokens") ?? _cacheRead;
            if (usage.TryGetProperty("output_tokens_details", out var details) && details.ValueKind == JsonValueKind.Object
                && Number(details, "thinking_tokens") is { } thinking)
            {
                _thinking = thinking;
            }

            if (Number(usage, "cache_creation_input_tokens") is { } creation)
            {
                // The TTL split, when the API gives it; otherwise every write is a 5-minute write.
                if (usage.TryGetProperty("cache_creation", out var split) && split.ValueKind == JsonValueKind.Object)
                {
                    _cacheWrite1h = Number(split, "ephemeral_1h_input_tokens") ?? 0;
                    _cacheWrite = creation - _cacheWrite1h;
                }
                else if (creation != _cacheWrite + _cacheWrite1h)
                {
                    _cacheWrite = creation;
                    _cacheWrite1h = 0;
                }

                // Else: the same total repeated without its split (message_delta after message_start): keep the split.
            }
        }

        public readonly TokenUsage? ToUsage() => _hasInput && _hasOutput
            ? new TokenUsage(_input + _cacheRead + _cacheWrite + _cacheWrite1h, _output)
            {
                CacheReadTokens = _cacheRead,
                CacheWriteTokens = _cacheWrite,
                CacheWrite1hTokens = _cacheWrite1h,
                ReasoningTokens = _thinking,
            }
            : null;

        private static long? Number(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.TryGetInt64(out var number) ? number : null;
    }

    /// <summary>What a stream has said so far: usage, finish reason, whether it stopped, and which block is which.</summary>
    public sealed class StreamState(bool jsonFormat, ProviderSettings? provider = null)
    {
        private readonly Dictionary<int, int> _toolIndexByBlock = [];
        private int _jsonBlock = -1;

        public UsageState Usage;

        public string Finish { get; private set; } = FinishReasons.Stop;

        public bool Stopped { get; private set; }

        /// <summary>One event (its <c>type</c> field says which): its deltas go to <paramref name="deltas"/>.</summary>
        public void Read(ReadOnlySpan<byte> json, List<ChatEvent> deltas)
        {
            try
            {
                using var document = JsonDocument.Parse(json.ToArray());
                var root = document.RootElement;
                switch (String(root, "type"))
                {
                    case "message_start":
                        if (root.TryGetProperty("message", out var message) && message.TryGetProperty("usage", out var startUsage))
                        {
                            Usage.Read(startUsage);
                        }

                        break;
                    case "content_block_start":
                        StartBlock(root, deltas);
                        break;
                    case "content_block_delta":
                        Delta(root, deltas);
                        break;
                    case "message_delta":
                        if (root.TryGetProperty("delta", out var d) && d.TryGetProperty("stop_reason", out var stop) && stop.ValueKind == JsonValueKind.String)
                        {
                            Finish = AnthropicWire.Finish(stop.GetString());
                            if (jsonFormat && Finish == FinishReasons.ToolCalls)
                            {
                                Finish = FinishReasons.Stop;
                            }
                        }

                        if (root.TryGetProperty("usage", out var usage))
                        {
                            Usage.Read(usage);
                        }

                        break;
                    case "message_stop":
                        Stopped = true;
                        break;
                    case "error":
                        var error = root.TryGetProperty("error", out var e) && e.TryGetProperty("message", out var m) ? m.GetString() : "unknown error";
                        // Relayed, so never with a key in it (security.md, "Upstream errors").
                        throw new GatewayException(GatewayErrorKind.Unavailable,
                            $"Upstream '{provider?.Name ?? "anthropic"}' (Anthropic) sent an error in the stream: {SecretRedactor.Redact(error, provider is null ? null : [provider.ApiKey])}")
                        { Reason = "UPSTREAM_STREAM_ERROR" };
                    default:
                        break;
                }
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
            {
                throw new GatewayException(GatewayErrorKind.Unavailable, "Anthropic sent a malformed stream event.", null, ex) { Reason = "UPSTREAM_PROTOCOL" };
            }
        }

        private void StartBlock(JsonElement root, List<ChatEvent> deltas)
        {
            var index = root.TryGetProperty("index", out var i) && i.TryGetInt32(out var n) ? n : 0;
            if (!root.TryGetProperty("content_block", out var block))
            {
                return;
            }

            switch (String(block, "type"))
            {
                case "tool_use" when jsonFormat && String(block, "name") == JsonTool:
                    _jsonBlock = index;
                    break;
                case "tool_use":
                    var tool = _toolIndexByBlock.Count;
                    _toolIndexByBlock[index] = tool;
                    deltas.Add(new ToolCallDelta(tool, String(block, "id"), String(block, "name"), string.Empty));
                    break;
                case "text" when String(block, "text") is { Length: > 0 } text:
                    deltas.Add(new TextDelta(text));
                    break;
                default:
                    break;
            }
        }

        private void Delta(JsonElement root, List<ChatEvent> deltas)
        {
            var index = root.TryGetProperty("index", out var i) && i.TryGetInt32(out var n) ? n : 0;
            if (!root.TryGetProperty("delta", out var delta))
            {
                return;
            }

            switch (String(delta, "type"))
            {
                case "text_delta":
                    deltas.Add(new TextDelta(String(delta, "text")));
                    break;
                case "thinking_delta":
                    deltas.Add(new ReasoningDelta(String(delta, "thinking")));
                    break;
                case "signature_delta":
                    deltas.Add(new ReasoningDelta(string.Empty, String(delta, "signature")));
                    break;
                case "input_json_delta" when index == _jsonBlock:
                    deltas.Add(new TextDelta(String(delta, "partial_json")));
                    break;
                case "input_json_delta" when _toolIndexByBlock.TryGetValue(index, out var tool):
                    deltas.Add(new ToolCallDelta(tool, string.Empty, string.Empty, String(delta, "partial_json")));
                    break;
                default:
                    break;
            }
        }
    }

    private static string String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString() ?? string.Empty
            : string.Empty;
}
