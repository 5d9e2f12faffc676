using System.Text.Json;
using GRump.Gateway.Chat;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Errors;
using GRump.Gateway.OpenAi;

namespace GRump.Gateway.Anthropic;

/// <summary>
/// Anthropic Messages request → the chat domain model: system blocks, user and assistant content blocks (text, image,
/// tool_use, tool_result, thinking, redacted_thinking, each with its <c>cache_control</c>), custom tools, tool_choice,
/// thinking, stop_sequences, metadata.user_id. A block or field the domain cannot carry to every provider (documents,
/// server tools, MCP servers, containers, top_k) is refused with a 400 naming it — never dropped, never sent on
/// opaquely (docs/agents.md says why). Unknown fields are ignored, as Anthropic ignores them.
/// </summary>
internal static class MessagesReader
{
    /// <summary>Domain field names → this API's (<see cref="MessageOrigins"/> maps the messages).</summary>
    private static readonly Dictionary<string, string> Renames = new(StringComparer.Ordinal)
    {
        [".function.name"] = ".name",
        [".function.parameters"] = ".input_schema",
        ["tool_choice.function.name"] = "tool_choice.name",
        ["reasoning.budget_tokens"] = "thinking.budget_tokens",
        ["stop"] = "stop_sequences",
        ["user"] = "metadata.user_id",
        ["response_format.json_schema.schema"] = "output_format.schema",
        [".function.arguments"] = ".input",
        [".tool_call_id"] = ".tool_use_id",
        [".image_url.url"] = ".source",
        [".image_url.detail"] = string.Empty,
    };

    /// <summary>The request, whether to stream it, and where each domain message came from (for error field names).</summary>
    public sealed record Read(ChatRequest Chat, bool Stream, MessageOrigins Origins)
    {
        /// <summary>The chat limits, with field names pointing into the Anthropic request rather than the domain's messages.</summary>
        public void Validate()
        {
            try
            {
                ChatLimits.Validate(Chat);
            }
            catch (GatewayException ex) when (ex.Kind == GatewayErrorKind.InvalidArgument && ex.FieldViolations.Count > 0)
            {
                throw Origins.Remap(ex);
            }
        }
    }

    /// <param name="body">The request body (a JSON object).</param>
    /// <param name="countTokens">For <c>/v1/messages/count_tokens</c>: no max_tokens, no stream.</param>
    public static Read Parse(JsonElement body, bool countTokens)
    {
        var model = JsonBody.String(body, "model", "model");
        if (string.IsNullOrEmpty(model))
        {
            throw JsonBody.Invalid("model", "is required (a model id, or auto to let the gateway route)");
        }

        var maxTokens = JsonBody.Int(body, "max_tokens", "max_tokens");
        if (!countTokens && maxTokens is null)
        {
            throw JsonBody.Invalid("max_tokens", "is required");
        }

        if (maxTokens is < 1)
        {
            throw JsonBody.Invalid("max_tokens", "must be at least 1");
        }

        Refuse(body, "top_k", "is not supported: models behind this gateway are not all Anthropic's, and OpenAI-compatible APIs have no top_k");
        Refuse(body, "mcp_servers", "is not supported: MCP servers run at Anthropic, outside the gateway's routing, cache and ledger");
        Refuse(body, "container", "is not supported: code-execution containers run at Anthropic, outside the gateway's routing and ledger");
        Refuse(body, "context_management", "is not supported: the gateway sends the conversation as given");

        if (!JsonBody.Array(body, "messages", "messages", ChatLimits.MaxMessages, out var messagesElement) || messagesElement.GetArrayLength() == 0)
        {
            throw JsonBody.Invalid("messages", "must be a non-empty array of messages");
        }

        var origins = new MessageOrigins(Renames);
        var messages = new List<ChatMessage>(messagesElement.GetArrayLength() + 1);
        ReadSystem(body, messages, origins);
        var i = 0;
        foreach (var message in messagesElement.EnumerateArray())
        {
            ReadMessage(message, $"messages[{i}]", messages, origins);
            i++;
        }

        if (messages.Count > ChatLimits.MaxMessages)
        {
            throw JsonBody.Invalid("messages", $"becomes {messages.Count} messages once tool results are split out; at most {ChatLimits.MaxMessages} are allowed");
        }

        var (toolChoice, parallel) = ToolChoice(body);
        var chat = new ChatRequest
        {
            Messages = messages,
            Model = model == "auto" ? string.Empty : model,
            MaxTokens = maxTokens ?? 0,
            Temperature = JsonBody.Float(body, "temperature", "temperature"),
            TopP = JsonBody.Float(body, "top_p", "top_p"),
            Stop = JsonBody.Strings(body, "stop_sequences", "stop_sequences", ChatLimits.MaxStopSequences),
            Tools = Tools(body),
            ToolChoice = toolChoice,
            ParallelToolCalls = parallel,
            Reasoning = Thinking(body),
            ResponseFormat = OutputFormat(body),
            User = JsonBody.Object(body, "metadata", "metadata", out var metadata) ? JsonBody.String(metadata, "user_id", "metadata.user_id") ?? string.Empty : string.Empty,
            Cache = ChatCompletionsReader.CacheMode(JsonBody.String(body, "x_grump_cache", "x_grump_cache")),
        };
        var stream = JsonBody.Bool(body, "stream", "stream") == true;
        if (countTokens && stream)
        {
            throw JsonBody.Invalid("stream", "is not a count_tokens parameter");
        }

        return new Read(chat, stream, origins);
    }

    private static void Refuse(JsonElement body, string name, string why)
    {
        if (body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
        {
            throw JsonBody.Invalid(name, why);
        }
    }

    private static void ReadSystem(JsonElement body, List<ChatMessage> messages, MessageOrigins origins)
    {
        if (!body.TryGetProperty("system", out var system) || system.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (system.ValueKind == JsonValueKind.String)
        {
            var text = JsonBody.Text(system, "system");
            if (text.Length > 0)
            {
                origins.Add("system", ["system"], []);
                messages.Add(ChatMessage.FromText(ChatRole.System, text));
            }

            return;
        }

        if (system.ValueKind != JsonValueKind.Array)
        {
            throw JsonBody.Invalid("system", "must be a string or an array of text blocks");
        }

        if (system.GetArrayLength() > ChatLimits.MaxPartsPerMessage)
        {
            throw JsonBody.Invalid("system", $"has {system.GetArrayLength()} blocks; at most {ChatLimits.MaxPartsPerMessage} are allowed");
        }

        var parts = new List<ContentPart>(system.GetArrayLength());
        var paths = new List<string>(system.GetArrayLength());
        var i = 0;
        foreach (var block in system.EnumerateArray())
        {
            var at = $"system[{i++}]";
            if (Type(block, at) != "text")
            {
                throw JsonBody.Invalid(at + ".type", "system blocks must be text blocks");
            }

            parts.Add(Text(block, at));
            paths.Add(at);
        }

        if (parts.Count > 0)
        {
            origins.Add("system", paths, []);
            messages.Add(new ChatMessage(ChatRole.System, parts));
        }
    }

    /// <summary>
    /// One Anthropic message. A user turn's <c>tool_result</c> blocks become tool messages (in place, so the order of
    /// results and text is kept); the gateway's Anthropic adapter merges them back into one user turn.
    /// </summary>
    private static void ReadMessage(JsonElement message, string field, List<ChatMessage> messages, MessageOrigins origins)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            throw JsonBody.Invalid(field, "must be an object with a role and content");
        }

        var role = JsonBody.String(message, "role", field + ".role") switch
        {
            "user" => ChatRole.User,
            "assistant" => ChatRole.Assistant,
            null => throw JsonBody.Invalid(field + ".role", "is required"),
            _ => throw JsonBody.Invalid(field + ".role", "must be user or assistant (the system prompt is the top-level system field)"),
        };
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            throw JsonBody.Invalid(field + ".content", "is required");
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            origins.Add(field, [field + ".content"], []);
            messages.Add(ChatMessage.FromText(role, JsonBody.Text(content, field + ".content")));
            return;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw JsonBody.Invalid(field + ".content", "must be a string or an array of content blocks");
        }

        if (content.GetArrayLength() > ChatLimits.MaxPartsPerMessage)
        {
            throw JsonBody.Invalid(field + ".content", $"has {content.GetArrayLength()} blocks; at most {ChatLimits.MaxPartsPerMessage} are allowed");
        }

        var parts = new List<ContentPart>();
        var partPaths = new List<string>();
        var calls = new List<ToolCall>();
        var callPaths = new List<string>();
        var i = 0;
        foreach (var block in content.EnumerateArray())
        {
            var at = $"{field}.content[{i++}]";
            switch (Type(block, at))
            {
                case "text":
                    parts.Add(Text(block, at));
                    partPaths.Add(at);
                    break;
                case "image" when role == ChatRole.User:
                    parts.Add(Image(block, at));
                    partPaths.Add(at);
                    break;
                case "tool_result" when role == ChatRole.User:
                    // What came before the result stays before it.
                    Flush(role, field, messages, origins, parts, partPaths, calls, callPaths);
                    messages.Add(ToolResult(block, at, out var resultPaths));
                    origins.Add(at, resultPaths, []);
                    break;
                case "tool_use" when role == ChatRole.Assistant:
                    calls.Add(new ToolCall(
                        JsonBody.String(block, "id", at + ".id") ?? string.Empty,
                        JsonBody.String(block, "name", at + ".name") ?? string.Empty,
                        JsonBody.RawObject(block, "input", at + ".input") ?? throw JsonBody.Invalid(at + ".input", "is required (a JSON object)"))
                    {
                        CacheControl = CacheControlOf(block, at),
                    });
                    callPaths.Add(at);
                    break;
                case "thinking" when role == ChatRole.Assistant:
                    parts.Add(new ReasoningPart(
                        JsonBody.String(block, "thinking", at + ".thinking") ?? string.Empty,
                        JsonBody.String(block, "signature", at + ".signature") ?? string.Empty));
                    partPaths.Add(at);
                    break;
                case "redacted_thinking" when role == ChatRole.Assistant:
                    parts.Add(new ReasoningPart(string.Empty, RedactedData: JsonBody.String(block, "data", at + ".data") ?? throw JsonBody.Invalid(at + ".data", "is required")));
                    partPaths.Add(at);
                    break;
                case "image" or "tool_result":
                    throw JsonBody.Invalid(at + ".type", "is allowed in user messages only");
                case "tool_use" or "thinking" or "redacted_thinking":
                    throw JsonBody.Invalid(at + ".type", "is allowed in assistant messages only");
                case "document" or "search_result" or "container_upload":
                    throw JsonBody.Invalid(at + ".type", "is not supported: this gateway routes to models that cannot all read documents; send the text (or images of the pages)");
                case var type:
                    throw JsonBody.Invalid(at + ".type", $"'{JsonBody.Shorten(type)}' is not supported; use text, image, tool_use, tool_result, thinking or redacted_thinking blocks (server tools run at Anthropic, outside the gateway)");
            }
        }

        Flush(role, field, messages, origins, parts, partPaths, calls, callPaths);
    }

    private static void Flush(ChatRole role, string field, List<ChatMessage> messages, MessageOrigins origins,
        List<ContentPart> parts, List<string> partPaths, List<ToolCall> calls, List<string> callPaths)
    {
        if (parts.Count == 0 && calls.Count == 0)
        {
            return;
        }

        origins.Add(field, [.. partPaths], [.. callPaths]);
        messages.Add(new ChatMessage(role, [.. parts]) { ToolCalls = [.. calls] });
        parts.Clear();
        partPaths.Clear();
        calls.Clear();
        callPaths.Clear();
    }

    private static ChatMessage ToolResult(JsonElement block, string at, out List<string> paths)
    {
        var id = JsonBody.String(block, "tool_use_id", at + ".tool_use_id") ?? throw JsonBody.Invalid(at + ".tool_use_id", "is required");
        paths = [];
        var parts = new List<ContentPart>();
        if (block.TryGetProperty("content", out var content) && content.ValueKind != JsonValueKind.Null)
        {
            if (content.ValueKind == JsonValueKind.String)
            {
                parts.Add(new TextPart(JsonBody.Text(content, at + ".content")));
                paths.Add(at + ".content");
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                if (content.GetArrayLength() > ChatLimits.MaxPartsPerMessage)
                {
                    throw JsonBody.Invalid(at + ".content", $"has {content.GetArrayLength()} blocks; at most {ChatLimits.MaxPartsPerMessage} are allowed");
                }

                var i = 0;
                foreach (var inner in content.EnumerateArray())
                {
                    var innerAt = $"{at}.content[{i++}]";
                    parts.Add(Type(inner, innerAt) switch
                    {
                        "text" => Text(inner, innerAt),
                        "image" => Image(inner, innerAt),
                        var type => throw JsonBody.Invalid(innerAt + ".type", $"'{JsonBody.Shorten(type)}' is not supported in a tool result; use text or image blocks"),
                    });
                    paths.Add(innerAt);
                }
            }
            else
            {
                throw JsonBody.Invalid(at + ".content", "must be a string or an array of text and image blocks");
            }
        }

        return new ChatMessage(ChatRole.Tool, parts)
        {
            ToolCallId = id,
            IsError = JsonBody.Bool(block, "is_error", at + ".is_error") == true,
            CacheControl = CacheControlOf(block, at),
        };
    }

    private static string Type(JsonElement block, string at)
    {
        if (block.ValueKind != JsonValueKind.Object)
        {
            throw JsonBody.Invalid(at, "must be a content block object");
        }

        return JsonBody.String(block, "type", at + ".type") ?? throw JsonBody.Invalid(at + ".type", "is required");
    }

    private static TextPart Text(JsonElement block, string at) =>
        new(JsonBody.String(block, "text", at + ".text") ?? throw JsonBody.Invalid(at + ".text", "is required"))
        {
            CacheControl = CacheControlOf(block, at),
        };

    /// <summary>An image block: base64 data becomes a <c>data:</c> URL, a URL source stays a URL.</summary>
    private static ImagePart Image(JsonElement block, string at)
    {
        if (!JsonBody.Object(block, "source", at + ".source", out var source))
        {
            throw JsonBody.Invalid(at + ".source", "is required: {type: base64, media_type, data} or {type: url, url}");
        }

        var url = JsonBody.String(source, "type", at + ".source.type") switch
        {
            "base64" => $"data:{MediaType(source, at)};base64,{JsonBody.String(source, "data", at + ".source.data") ?? throw JsonBody.Invalid(at + ".source.data", "is required")}",
            "url" => JsonBody.String(source, "url", at + ".source.url") ?? throw JsonBody.Invalid(at + ".source.url", "is required"),
            _ => throw JsonBody.Invalid(at + ".source.type", "must be base64 or url (the Files API is not available through this gateway)"),
        };
        return new ImagePart(url) { CacheControl = CacheControlOf(block, at) };
    }

    private static string MediaType(JsonElement source, string at) =>
        JsonBody.String(source, "media_type", at + ".source.media_type") switch
        {
            var type when type is "image/jpeg" or "image/png" or "image/gif" or "image/webp" => type,
            _ => throw JsonBody.Invalid(at + ".source.media_type", "must be image/jpeg, image/png, image/gif or image/webp"),
        };

    private static CacheControl? CacheControlOf(JsonElement block, string at)
    {
        if (!JsonBody.Object(block, "cache_control", at + ".cache_control", out var control))
        {
            return null;
        }

        if (JsonBody.String(control, "type", at + ".cache_control.type") != "ephemeral")
        {
            throw JsonBody.Invalid(at + ".cache_control.type", "must be ephemeral");
        }

        return JsonBody.String(control, "ttl", at + ".cache_control.ttl") switch
        {
            null => new CacheControl(),
            var ttl when ttl is "5m" or "1h" => new CacheControl(ttl),
            _ => throw JsonBody.Invalid(at + ".cache_control.ttl", "must be 5m or 1h"),
        };
    }

    private static ToolDefinition[] Tools(JsonElement body) =>
        JsonBody.Objects(body, "tools", "tools", ChatLimits.MaxTools, static (tool, at) =>
        {
            if (JsonBody.String(tool, "type", at + ".type") is { } type && type != "custom")
            {
                throw JsonBody.Invalid(at + ".type", $"'{JsonBody.Shorten(type)}' is a server tool that runs at Anthropic, outside the gateway's routing and ledger; only custom tools (name, description, input_schema) are supported");
            }

            return new ToolDefinition(
                JsonBody.String(tool, "name", at + ".name") ?? string.Empty,
                JsonBody.String(tool, "description", at + ".description") ?? string.Empty,
                JsonBody.RawObject(tool, "input_schema", at + ".input_schema") ?? throw JsonBody.Invalid(at + ".input_schema", "is required (a JSON Schema object)"))
            {
                CacheControl = CacheControlOf(tool, at),
                Strict = JsonBody.Bool(tool, "strict", at + ".strict"),
            };
        });

    private static (ToolChoice? Choice, bool? Parallel) ToolChoice(JsonElement body)
    {
        if (!JsonBody.Object(body, "tool_choice", "tool_choice", out var choice))
        {
            return (null, null);
        }

        var kind = JsonBody.String(choice, "type", "tool_choice.type") switch
        {
            "auto" => ToolChoiceKind.Auto,
            "any" => ToolChoiceKind.Required,
            "tool" => ToolChoiceKind.Function,
            "none" => ToolChoiceKind.None,
            _ => throw JsonBody.Invalid("tool_choice.type", "must be auto, any, tool or none"),
        };
        var name = kind == ToolChoiceKind.Function
            ? JsonBody.RequiredString(choice, "name", "tool_choice.name")
            : string.Empty;
        var noParallel = JsonBody.Bool(choice, "disable_parallel_tool_use", "tool_choice.disable_parallel_tool_use") == true;
        return (new ToolChoice(kind, name), noParallel ? false : null);
    }

    private static ReasoningOptions? Thinking(JsonElement body)
    {
        if (!JsonBody.Object(body, "thinking", "thinking", out var thinking))
        {
            return null;
        }

        switch (JsonBody.String(thinking, "type", "thinking.type"))
        {
            case "disabled":
                return null;
            case "enabled":
                var budget = JsonBody.Int(thinking, "budget_tokens", "thinking.budget_tokens") ?? throw JsonBody.Invalid("thinking.budget_tokens", "is required with type enabled");
                return budget >= 1 ? new ReasoningOptions(BudgetTokens: budget) : throw JsonBody.Invalid("thinking.budget_tokens", "must be at least 1");
            default:
                throw JsonBody.Invalid("thinking.type", "must be enabled (with budget_tokens) or disabled");
        }
    }

    /// <summary>Structured outputs (<c>output_format: {type: json_schema, schema}</c>): the domain's JSON-schema response format.</summary>
    private static ResponseFormat? OutputFormat(JsonElement body)
    {
        if (!JsonBody.Object(body, "output_format", "output_format", out var format))
        {
            return null;
        }

        return JsonBody.String(format, "type", "output_format.type") == "json_schema"
            ? new ResponseFormat(ResponseFormatKind.JsonSchema, "output",
                JsonBody.RawObject(format, "schema", "output_format.schema") ?? throw JsonBody.Invalid("output_format.schema", "is required"))
            : throw JsonBody.Invalid("output_format.type", "must be json_schema");
    }
}
