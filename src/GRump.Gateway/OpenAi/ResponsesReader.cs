using System.Text.Json;
using GRump.Gateway.Chat;
using GRump.Gateway.Endpoints;

namespace GRump.Gateway.OpenAi;

/// <summary>
/// OpenAI Responses request → the chat domain model, statelessly: <c>instructions</c>, <c>input</c> (a string or items:
/// messages with input_text / input_image / output_text parts, function_call, function_call_output, reasoning),
/// function tools, tool_choice, <c>text.format</c>, reasoning effort, max_output_tokens. The gateway keeps no
/// responses: <c>store: true</c>, <c>previous_response_id</c>, <c>conversation</c>, <c>background</c> and
/// <c>item_reference</c> inputs are a 400 that says so; hosted tools (web search, file search, code interpreter…) are a
/// 400 naming the tool.
/// </summary>
internal static class ResponsesReader
{
    private const string Stateless = "this gateway is stateless and keeps no responses: send the whole conversation as input items (store: false)";

    /// <summary>Domain field names → this API's (<see cref="MessageOrigins"/> maps the messages).</summary>
    private static readonly Dictionary<string, string> Renames = new(StringComparer.Ordinal)
    {
        [".function.name"] = ".name",
        [".function.parameters"] = ".parameters",
        [".function.arguments"] = ".arguments",
        [".tool_call_id"] = ".call_id",
        [".id"] = ".call_id",
        [".image_url.url"] = ".image_url",
        [".image_url.detail"] = ".detail",
        ["tool_choice.function.name"] = "tool_choice.name",
        ["response_format.json_schema.schema"] = "text.format.schema",
        ["response_format.json_schema.name"] = "text.format.name",
        ["max_tokens"] = "max_output_tokens",
    };

    public sealed record Read(ChatRequest Chat, bool Stream, MessageOrigins Origins)
    {
        /// <summary>The chat limits, with field names pointing into the Responses request.</summary>
        public void Validate()
        {
            try
            {
                ChatLimits.Validate(Chat);
            }
            catch (Errors.GatewayException ex) when (ex.Kind == Errors.GatewayErrorKind.InvalidArgument && ex.FieldViolations.Count > 0)
            {
                throw Origins.Remap(ex);
            }
        }
    }

    public static Read Parse(JsonElement body)
    {
        if (JsonBody.Bool(body, "store", "store") == true)
        {
            throw JsonBody.Invalid("store", Stateless);
        }

        if (JsonBody.String(body, "previous_response_id", "previous_response_id") is { Length: > 0 })
        {
            throw JsonBody.Invalid("previous_response_id", Stateless);
        }

        if (body.TryGetProperty("conversation", out var conversation) && conversation.ValueKind != JsonValueKind.Null)
        {
            throw JsonBody.Invalid("conversation", Stateless);
        }

        if (JsonBody.Bool(body, "background", "background") == true)
        {
            throw JsonBody.Invalid("background", "background responses need stored state; this gateway is stateless (stream instead)");
        }

        if (body.TryGetProperty("prompt", out var prompt) && prompt.ValueKind != JsonValueKind.Null)
        {
            throw JsonBody.Invalid("prompt", "stored prompt templates are not available through this gateway; send instructions and input");
        }

        if (JsonBody.Int(body, "top_logprobs", "top_logprobs") is > 0)
        {
            throw JsonBody.Invalid("top_logprobs", "log probabilities are not supported by this gateway");
        }

        var messages = new List<ChatMessage>();
        var origins = new MessageOrigins(Renames);
        var instructions = JsonBody.String(body, "instructions", "instructions") ?? string.Empty;
        if (instructions.Length > 0)
        {
            origins.Add("instructions", ["instructions"], []);
            messages.Add(ChatMessage.FromText(ChatRole.System, instructions));
        }

        ReadInput(body, messages, origins);
        var model = JsonBody.String(body, "model", "model");
        var chat = new ChatRequest
        {
            Messages = messages,
            Model = model is null or "auto" ? string.Empty : model,
            Temperature = JsonBody.Float(body, "temperature", "temperature"),
            TopP = JsonBody.Float(body, "top_p", "top_p"),
            MaxTokens = JsonBody.Int(body, "max_output_tokens", "max_output_tokens") ?? 0,
            Tools = Tools(body),
            ToolChoice = ToolChoice(body),
            ParallelToolCalls = JsonBody.Bool(body, "parallel_tool_calls", "parallel_tool_calls"),
            ResponseFormat = Format(body),
            Reasoning = Reasoning(body),
            User = JsonBody.String(body, "safety_identifier", "safety_identifier") ?? JsonBody.String(body, "user", "user") ?? string.Empty,
            Cache = ChatCompletionsReader.CacheMode(JsonBody.String(body, "x_grump_cache", "x_grump_cache")),
        };
        return new Read(chat, JsonBody.Bool(body, "stream", "stream") == true, origins);
    }

    private static void ReadInput(JsonElement body, List<ChatMessage> messages, MessageOrigins origins)
    {
        if (!body.TryGetProperty("input", out var input) || input.ValueKind == JsonValueKind.Null)
        {
            throw JsonBody.Invalid("input", "is required: a string or an array of input items");
        }

        if (input.ValueKind == JsonValueKind.String)
        {
            origins.Add("input", ["input"], []);
            messages.Add(ChatMessage.FromText(ChatRole.User, JsonBody.Text(input, "input")));
            return;
        }

        if (!JsonBody.Array(body, "input", "input", ChatLimits.MaxMessages * 2, out input) || input.GetArrayLength() == 0)
        {
            throw JsonBody.Invalid("input", "must be a non-empty string or array of input items");
        }

        // Reasoning items precede the output of their turn: held until that turn's assistant message or call arrives.
        var reasoning = new List<ContentPart>();
        var reasoningPaths = new List<string>();
        var i = 0;
        foreach (var item in input.EnumerateArray())
        {
            var at = $"input[{i++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw JsonBody.Invalid(at, "must be an input item object");
            }

            var type = JsonBody.String(item, "type", at + ".type") ?? (item.TryGetProperty("role", out _) ? "message" : null);
            switch (type)
            {
                case "message":
                    var message = Message(item, at);
                    var paths = Enumerable.Range(0, message.Content.Count).Select(p => $"{at}.content[{p}]");
                    if (message.Role == ChatRole.Assistant && reasoning.Count > 0)
                    {
                        message = message with { Content = [.. reasoning, .. message.Content] };
                        paths = [.. reasoningPaths, .. paths];
                        reasoning.Clear();
                        reasoningPaths.Clear();
                    }

                    origins.Add(at, paths, []);
                    messages.Add(message);
                    break;
                case "function_call":
                    var call = new ToolCall(
                        JsonBody.String(item, "call_id", at + ".call_id") ?? throw JsonBody.Invalid(at + ".call_id", "is required"),
                        JsonBody.String(item, "name", at + ".name") ?? throw JsonBody.Invalid(at + ".name", "is required"),
                        JsonBody.String(item, "arguments", at + ".arguments") ?? string.Empty);
                    // Parallel calls of one turn are one assistant message with several calls (what every upstream expects).
                    if (reasoning.Count == 0 && messages.Count > 0 && messages[^1] is { Role: ChatRole.Assistant } previous)
                    {
                        messages[^1] = previous with { ToolCalls = [.. previous.ToolCalls, call] };
                        origins.AddCall(at);
                    }
                    else
                    {
                        origins.Add(at, reasoningPaths, [at]);
                        messages.Add(new ChatMessage(ChatRole.Assistant, [.. reasoning]) { ToolCalls = [call] });
                        reasoning.Clear();
                        reasoningPaths.Clear();
                    }

                    break;
                case "function_call_output":
                    origins.Add(at, [at + ".output"], []);
                    messages.Add(new ChatMessage(ChatRole.Tool, Output(item, at))
                    {
                        ToolCallId = JsonBody.String(item, "call_id", at + ".call_id") ?? throw JsonBody.Invalid(at + ".call_id", "is required"),
                    });
                    break;
                case "reasoning":
                    reasoning.Add(Reasoning(item, at));
                    reasoningPaths.Add(at);
                    break;
                case "item_reference":
                    throw JsonBody.Invalid(at + ".type", "item_reference: " + Stateless);
                case null:
                    throw JsonBody.Invalid(at + ".type", "is required");
                default:
                    throw JsonBody.Invalid(at + ".type", $"'{JsonBody.Shorten(type)}' is not supported; use message, function_call, function_call_output or reasoning items (hosted tools run at OpenAI, outside the gateway)");
            }
        }

        if (messages.Count > ChatLimits.MaxMessages)
        {
            throw JsonBody.Invalid("input", $"has {messages.Count} messages; at most {ChatLimits.MaxMessages} are allowed");
        }
    }

    private static ChatMessage Message(JsonElement item, string at)
    {
        var role = JsonBody.String(item, "role", at + ".role") switch
        {
            "user" => ChatRole.User,
            "system" or "developer" => ChatRole.System,
            "assistant" => ChatRole.Assistant,
            null => throw JsonBody.Invalid(at + ".role", "is required"),
            var other => throw JsonBody.Invalid(at + ".role", $"'{JsonBody.Shorten(other)}' is not one of user, system, developer, assistant"),
        };
        if (!item.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            throw JsonBody.Invalid(at + ".content", "is required");
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return ChatMessage.FromText(role, JsonBody.Text(content, at + ".content"));
        }

        if (!JsonBody.Array(item, "content", at + ".content", ChatLimits.MaxPartsPerMessage, out content))
        {
            throw JsonBody.Invalid(at + ".content", "must be a string or an array of content parts");
        }

        var parts = new List<ContentPart>(content.GetArrayLength());
        var i = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partAt = $"{at}.content[{i++}]";
            parts.Add(Part(part, partAt, role));
        }

        return new ChatMessage(role, parts);
    }

    private static ContentPart Part(JsonElement part, string at, ChatRole role)
    {
        if (part.ValueKind != JsonValueKind.Object)
        {
            throw JsonBody.Invalid(at, "must be a content part object");
        }

        switch (JsonBody.String(part, "type", at + ".type"))
        {
            case "input_text" or "output_text" or "text":
                return new TextPart(JsonBody.String(part, "text", at + ".text") ?? throw JsonBody.Invalid(at + ".text", "is required"));
            case "refusal" when role == ChatRole.Assistant:
                return new TextPart(JsonBody.String(part, "refusal", at + ".refusal") ?? string.Empty);
            case "input_image" when role is ChatRole.User or ChatRole.Tool:
                if (JsonBody.String(part, "file_id", at + ".file_id") is { Length: > 0 })
                {
                    throw JsonBody.Invalid(at + ".file_id", "uploaded files are not available through this gateway; send image_url (https or a data: URL)");
                }

                return new ImagePart(
                    JsonBody.String(part, "image_url", at + ".image_url") ?? throw JsonBody.Invalid(at + ".image_url", "is required"),
                    JsonBody.String(part, "detail", at + ".detail") is { } detail && detail != "auto" ? detail : string.Empty);
            case "input_image":
                throw JsonBody.Invalid(at + ".type", "images are allowed in user messages and function outputs only");
            case "input_file":
                throw JsonBody.Invalid(at + ".type", "files are not supported by this gateway; send the text, or the pages as images");
            case var type:
                throw JsonBody.Invalid(at + ".type", $"'{JsonBody.Shorten(type ?? "null")}' is not supported; use input_text, input_image or output_text parts");
        }
    }

    private static List<ContentPart> Output(JsonElement item, string at)
    {
        if (!item.TryGetProperty("output", out var output) || output.ValueKind == JsonValueKind.Null)
        {
            throw JsonBody.Invalid(at + ".output", "is required");
        }

        if (output.ValueKind == JsonValueKind.String)
        {
            return [new TextPart(JsonBody.Text(output, at + ".output"))];
        }

        if (!JsonBody.Array(item, "output", at + ".output", ChatLimits.MaxPartsPerMessage, out output))
        {
            throw JsonBody.Invalid(at + ".output", "must be a string or an array of content parts");
        }

        var parts = new List<ContentPart>(output.GetArrayLength());
        var i = 0;
        foreach (var part in output.EnumerateArray())
        {
            parts.Add(Part(part, $"{at}.output[{i++}]", ChatRole.Tool));
        }

        return parts;
    }

    /// <summary>
    /// A reasoning item: its text (reasoning_text content, else the summaries) and, in <c>encrypted_content</c>, the
    /// signature this gateway put there when an Anthropic model reasoned (so thinking survives a tool round trip).
    /// </summary>
    private static ReasoningPart Reasoning(JsonElement item, string at)
    {
        var text = new System.Text.StringBuilder();
        foreach (var (name, field) in (ReadOnlySpan<(string, string)>)[("content", "text"), ("summary", "text")])
        {
            if (text.Length == 0 && JsonBody.Array(item, name, $"{at}.{name}", ChatLimits.MaxPartsPerMessage, out var pieces))
            {
                var i = 0;
                foreach (var piece in pieces.EnumerateArray())
                {
                    text.Append(piece.ValueKind == JsonValueKind.Object ? JsonBody.String(piece, field, $"{at}.{name}[{i}].{field}") : null);
                    i++;
                }
            }
        }

        return new ReasoningPart(text.ToString(), JsonBody.String(item, "encrypted_content", at + ".encrypted_content") ?? string.Empty);
    }

    private static ToolDefinition[] Tools(JsonElement body) =>
        JsonBody.Objects(body, "tools", "tools", ChatLimits.MaxTools, static (tool, at) =>
        {
            var type = JsonBody.String(tool, "type", at + ".type");
            if (type != "function")
            {
                throw JsonBody.Invalid(at + ".type", $"'{JsonBody.Shorten(type ?? "null")}' is not supported; only function tools are (hosted tools run at OpenAI, outside the gateway's routing and ledger)");
            }

            return new ToolDefinition(
                JsonBody.String(tool, "name", at + ".name") ?? string.Empty,
                JsonBody.String(tool, "description", at + ".description") ?? string.Empty,
                JsonBody.RawObject(tool, "parameters", at + ".parameters") ?? """{"type":"object","properties":{}}""")
            {
                Strict = JsonBody.Bool(tool, "strict", at + ".strict"),
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
            return ChatCompletionsReader.StringToolChoice(choice, "{type: function, name}");
        }

        if (choice.ValueKind == JsonValueKind.Object && JsonBody.String(choice, "type", "tool_choice.type") == "function")
        {
            return new ToolChoice(ToolChoiceKind.Function, JsonBody.RequiredString(choice, "name", "tool_choice.name"));
        }

        throw JsonBody.Invalid("tool_choice", "must be auto, none, required or {type: function, name}");
    }

    private static ResponseFormat? Format(JsonElement body)
    {
        if (!JsonBody.Object(body, "text", "text", out var text) || !JsonBody.Object(text, "format", "text.format", out var format))
        {
            return null;
        }

        return JsonBody.String(format, "type", "text.format.type") switch
        {
            null or "text" => null,
            "json_object" => new ResponseFormat(ResponseFormatKind.JsonObject),
            "json_schema" => new ResponseFormat(
                ResponseFormatKind.JsonSchema,
                JsonBody.String(format, "name", "text.format.name") ?? string.Empty,
                JsonBody.RawObject(format, "schema", "text.format.schema") ?? throw JsonBody.Invalid("text.format.schema", "is required"),
                JsonBody.Bool(format, "strict", "text.format.strict")),
            var type => throw JsonBody.Invalid("text.format.type", $"'{JsonBody.Shorten(type)}' is not one of text, json_object, json_schema"),
        };
    }

    private static ReasoningOptions? Reasoning(JsonElement body)
    {
        if (!JsonBody.Object(body, "reasoning", "reasoning", out var reasoning))
        {
            return null;
        }

        return JsonBody.String(reasoning, "effort", "reasoning.effort") switch
        {
            null or "none" => null,
            var effort => new ReasoningOptions(Effort: effort),
        };
    }
}
