using System.Text.Json;
using GRump.Gateway.Chat;
using GRump.Gateway.Endpoints;

namespace GRump.Gateway.OpenAi;

/// <summary>
/// OpenAI Chat Completions request → the chat domain model: messages with text and image parts, assistant tool calls,
/// tool results, tools and tool choice, response formats, sampling, reasoning effort. Fields the gateway cannot honour
/// are refused with a 400 naming them (never silently dropped); unknown fields are ignored as OpenAI-compatible
/// servers do.
/// </summary>
internal static class ChatCompletionsReader
{
    public sealed record Read(ChatRequest Chat, bool Stream, bool IncludeUsage);

    public static Read Parse(JsonElement body)
    {
        if (!JsonBody.Array(body, "messages", "messages", ChatLimits.MaxMessages, out var messagesElement) || messagesElement.GetArrayLength() == 0)
        {
            throw JsonBody.Invalid("messages", "must be a non-empty array of messages");
        }

        if (JsonBody.Int(body, "n", "n") is { } n && n != 1)
        {
            throw JsonBody.Invalid("n", "only 1 choice per request is supported");
        }

        if (JsonBody.Bool(body, "logprobs", "logprobs") == true || body.TryGetProperty("top_logprobs", out var top) && top.ValueKind != JsonValueKind.Null)
        {
            throw JsonBody.Invalid("logprobs", "log probabilities are not supported by this gateway");
        }

        if (JsonBody.Bool(body, "store", "store") == true)
        {
            throw JsonBody.Invalid("store", "this gateway does not store completions (send false or leave it out)");
        }

        var messages = new ChatMessage[messagesElement.GetArrayLength()];
        var i = 0;
        foreach (var message in messagesElement.EnumerateArray())
        {
            messages[i] = Message(message, $"messages[{i}]");
            i++;
        }

        var model = JsonBody.String(body, "model", "model");
        var stream = JsonBody.Bool(body, "stream", "stream") == true;
        var includeUsage = JsonBody.Object(body, "stream_options", "stream_options", out var streamOptions)
            && JsonBody.Bool(streamOptions, "include_usage", "stream_options.include_usage") == true;
        var chat = new ChatRequest
        {
            Messages = messages,
            Model = model is null or "auto" ? string.Empty : model,
            Temperature = JsonBody.Float(body, "temperature", "temperature"),
            TopP = JsonBody.Float(body, "top_p", "top_p"),
            FrequencyPenalty = JsonBody.Float(body, "frequency_penalty", "frequency_penalty"),
            PresencePenalty = JsonBody.Float(body, "presence_penalty", "presence_penalty"),
            MaxTokens = JsonBody.Int(body, "max_completion_tokens", "max_completion_tokens") ?? JsonBody.Int(body, "max_tokens", "max_tokens") ?? 0,
            Seed = JsonBody.Long(body, "seed", "seed"),
            Stop = JsonBody.Strings(body, "stop", "stop", ChatLimits.MaxStopSequences),
            Tools = Tools(body),
            ToolChoice = ToolChoice(body),
            ParallelToolCalls = JsonBody.Bool(body, "parallel_tool_calls", "parallel_tool_calls"),
            ResponseFormat = ResponseFormat(body),
            Reasoning = JsonBody.String(body, "reasoning_effort", "reasoning_effort") is { Length: > 0 } effort ? new ReasoningOptions(Effort: effort) : null,
            User = JsonBody.String(body, "user", "user") ?? string.Empty,
            Cache = CacheMode(JsonBody.String(body, "x_grump_cache", "x_grump_cache")),
        };
        return new Read(chat, stream, includeUsage);
    }

    /// <summary>The gateway's extension field. Absent = the default policy (deterministic requests only), not an opt-in.</summary>
    public static ChatCacheMode CacheMode(string? value) => value?.ToUpperInvariant() switch
    {
        null or "" => ChatCacheMode.Default,
        "ON" => ChatCacheMode.On,
        "OFF" => ChatCacheMode.Off,
        "READ_ONLY" => ChatCacheMode.ReadOnly,
        "WRITE_ONLY" => ChatCacheMode.WriteOnly,
        _ => throw JsonBody.Invalid("x_grump_cache", "must be ON, OFF, READ_ONLY or WRITE_ONLY"),
    };

    private static ChatMessage Message(JsonElement message, string field)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            throw JsonBody.Invalid(field, "must be an object with a role");
        }

        var roleName = JsonBody.String(message, "role", field + ".role");
        var role = roleName switch
        {
            "system" or "developer" => ChatRole.System,
            "user" => ChatRole.User,
            "assistant" => ChatRole.Assistant,
            "tool" => ChatRole.Tool,
            null => throw JsonBody.Invalid(field + ".role", "is required"),
            _ => throw JsonBody.Invalid(field + ".role", $"'{JsonBody.Shorten(roleName)}' is not one of system, developer, user, assistant, tool"),
        };
        var content = Content(message, field + ".content", role);
        if (role == ChatRole.Assistant && JsonBody.String(message, "reasoning_content", field + ".reasoning_content") is { Length: > 0 } reasoning)
        {
            content.Insert(0, new ReasoningPart(reasoning));
        }

        return new ChatMessage(role, content)
        {
            ToolCalls = role == ChatRole.Assistant ? ToolCalls(message, field) : [],
            ToolCallId = JsonBody.String(message, "tool_call_id", field + ".tool_call_id") ?? string.Empty,
            Name = JsonBody.String(message, "name", field + ".name") ?? string.Empty,
        };
    }

    private static List<ContentPart> Content(JsonElement message, string field, ChatRole role)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return [];
        }


        if (content.ValueKind == JsonValueKind.String)
        {
            return [new TextPart(JsonBody.Text(content, field))];
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw JsonBody.Invalid(field, "must be a string or an array of content parts");
        }

        if (content.GetArrayLength() > ChatLimits.MaxPartsPerMessage)
        {
            throw JsonBody.Invalid(field, $"has {content.GetArrayLength()} parts; at most {ChatLimits.MaxPartsPerMessage} are allowed");
        }

        var parts = new List<ContentPart>(content.GetArrayLength());
        var i = 0;
        foreach (var part in content.EnumerateArray())
        {
            var at = $"{field}[{i++}]";
            if (part.ValueKind != JsonValueKind.Object)
            {
                throw JsonBody.Invalid(at, "must be a content part object");
            }

            switch (JsonBody.String(part, "type", at + ".type"))
            {
                case "text":
                    parts.Add(new TextPart(JsonBody.String(part, "text", at + ".text") ?? throw JsonBody.Invalid(at + ".text", "is required")));
                    break;
                case "image_url" when role is ChatRole.User:
                    parts.Add(Image(part, at));
                    break;
                case "image_url":
                    throw JsonBody.Invalid(at, "images are allowed in user messages only");
                case "refusal" when role == ChatRole.Assistant:
                    parts.Add(new TextPart(JsonBody.String(part, "refusal", at + ".refusal") ?? string.Empty));
                    break;
                case var type:
                    throw JsonBody.Invalid(at + ".type", $"'{JsonBody.Shorten(type ?? "null")}' is not supported; use text or image_url parts");
            }
        }

        return parts;
    }

    private static ImagePart Image(JsonElement part, string field)
    {
        if (!part.TryGetProperty("image_url", out var image))
        {
            throw JsonBody.Invalid(field + ".image_url", "is required");
        }

        // The object form ({url, detail}); some clients send the URL as a bare string.
        if (image.ValueKind == JsonValueKind.String)
        {
            return new ImagePart(JsonBody.Text(image, field + ".image_url"));
        }

        if (image.ValueKind != JsonValueKind.Object)
        {
            throw JsonBody.Invalid(field + ".image_url", "must be an object with a url");
        }

        return new ImagePart(
            JsonBody.String(image, "url", field + ".image_url.url") ?? throw JsonBody.Invalid(field + ".image_url.url", "is required"),
            JsonBody.String(image, "detail", field + ".image_url.detail") ?? string.Empty);
    }

    private static ToolCall[] ToolCalls(JsonElement message, string field)
    {
        if (!JsonBody.Array(message, "tool_calls", field + ".tool_calls", ChatLimits.MaxToolCallsPerMessage, out var calls))
        {
            return [];
        }

        var result = new ToolCall[calls.GetArrayLength()];
        var i = 0;
        foreach (var call in calls.EnumerateArray())
        {
            var at = $"{field}.tool_calls[{i}]";
            if (call.ValueKind != JsonValueKind.Object || !JsonBody.Object(call, "function", at + ".function", out var function))
            {
                throw JsonBody.Invalid(at + ".function", "is required: {name, arguments}");
            }

            result[i++] = new ToolCall(
                JsonBody.String(call, "id", at + ".id") ?? string.Empty,
                JsonBody.String(function, "name", at + ".function.name") ?? string.Empty,
                JsonBody.String(function, "arguments", at + ".function.arguments") ?? string.Empty);
        }

        return result;
    }

    private static ToolDefinition[] Tools(JsonElement body) =>
        JsonBody.Objects(body, "tools", "tools", ChatLimits.MaxTools, static (tool, at) =>
        {
            if (JsonBody.String(tool, "type", at + ".type") is { } type && type != "function")
            {
                throw JsonBody.Invalid(at + ".type", $"'{JsonBody.Shorten(type)}' is not supported; only function tools are");
            }

            if (!JsonBody.Object(tool, "function", at + ".function", out var function))
            {
                throw JsonBody.Invalid(at + ".function", "is required: {name, description, parameters}");
            }

            return new ToolDefinition(
                JsonBody.String(function, "name", at + ".function.name") ?? string.Empty,
                JsonBody.String(function, "description", at + ".function.description") ?? string.Empty,
                JsonBody.RawObject(function, "parameters", at + ".function.parameters") ?? """{"type":"object","properties":{}}""")
            {
                Strict = JsonBody.Bool(function, "strict", at + ".function.strict"),
            };
        });

    private static ToolChoice? ToolChoice(JsonElement body)
    {
        if (!body.TryGetProperty("tool_choice", out var choice) || choice.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (choice.ValueKind == JsonValueKind.String)
        {
            return StringToolChoice(choice, "{type: function, function: {name}}");
        }

        if (choice.ValueKind == JsonValueKind.Object)
        {
            if (JsonBody.String(choice, "type", "tool_choice.type") is not (null or "function"))
            {
                throw JsonBody.Invalid("tool_choice.type", "must be function");
            }

            if (JsonBody.Object(choice, "function", "tool_choice.function", out var function))
            {
                return new ToolChoice(ToolChoiceKind.Function, JsonBody.RequiredString(function, "name", "tool_choice.function.name"));
            }
        }

        throw JsonBody.Invalid("tool_choice", "must be auto, none, required or {type: function, function: {name}}");
    }

    /// <summary>OpenAI's string tool choices, the same in Chat Completions and Responses; <paramref name="namedForm"/> is the door's object form, for the error.</summary>
    internal static ToolChoice StringToolChoice(JsonElement choice, string namedForm) => JsonBody.Text(choice, "tool_choice") switch
    {
        "auto" => Chat.ToolChoice.Auto,
        "none" => new ToolChoice(ToolChoiceKind.None),
        "required" => new ToolChoice(ToolChoiceKind.Required),
        _ => throw JsonBody.Invalid("tool_choice", "must be auto, none, required or " + namedForm),
    };

    private static ResponseFormat? ResponseFormat(JsonElement body)
    {
        if (!JsonBody.Object(body, "response_format", "response_format", out var format))
        {
            return null;
        }

        switch (JsonBody.String(format, "type", "response_format.type"))
        {
            case null or "text":
                return null;
            case "json_object":
                return new ResponseFormat(ResponseFormatKind.JsonObject);
            case "json_schema":
                if (!JsonBody.Object(format, "json_schema", "response_format.json_schema", out var schema))
                {
                    throw JsonBody.Invalid("response_format.json_schema", "is required: {name, schema, strict}");
                }

                return new ResponseFormat(
                    ResponseFormatKind.JsonSchema,
                    JsonBody.String(schema, "name", "response_format.json_schema.name") ?? string.Empty,
                    JsonBody.RawObject(schema, "schema", "response_format.json_schema.schema") ?? throw JsonBody.Invalid("response_format.json_schema.schema", "is required"),
                    JsonBody.Bool(schema, "strict", "response_format.json_schema.strict"));
            case var type:
                throw JsonBody.Invalid("response_format.type", $"'{JsonBody.Shorten(type)}' is not one of text, json_object, json_schema");
        }
    }
}
