using System.Text.Json;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Chat;

/// <summary>
/// What one chat request may carry, checked once for every door: anything beyond is INVALID_ARGUMENT naming the field
/// (snake_case, as the wire formats name it).
/// </summary>
public static class ChatLimits
{
    public const int MaxMessages = 512;

    /// <summary>UTF-8 bytes of all text (messages, tool calls, tool schemas) together (1 MiB, about 250k tokens of English).</summary>
    public const int MaxTotalContentBytes = 1 << 20;

    public const int MaxStopSequences = 4;
    public const int MaxStopChars = 256;
    public const int MaxIdChars = 256;
    public const int MaxOutputTokens = 1_000_000;
    public const int MaxParallelRequests = 1000;
    public const int MaxPartsPerMessage = 256;
    public const int MaxImages = 32;

    /// <summary>Characters of one image URL (a <c>data:</c> URL carries the image: 16 MiB of base64 is ~12 MiB of image).</summary>
    public const int MaxImageUrlChars = 16 << 20;

    public const int MaxTools = 128;
    public const int MaxToolNameChars = 64;
    public const int MaxToolCallsPerMessage = 128;

    /// <summary>UTF-8 bytes of one JSON schema (a tool's parameters or a response format).</summary>
    public const int MaxSchemaBytes = 64 << 10;

    /// <summary>Throws INVALID_ARGUMENT for the first problem found, with <paramref name="prefix"/> before field names.</summary>
    public static void Validate(ChatRequest? request, string prefix = "")
    {
        if (request is null)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "chat", "is required");
        }

        var messages = request.Messages;
        if (messages.Count == 0)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "messages", "must contain at least one message");
        }

        if (messages.Count > MaxMessages)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "messages", $"has {messages.Count} messages; at most {MaxMessages} are allowed");
        }

        long textChars = 0;
        var images = 0;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var field = $"{prefix}messages[{i}]";
            if (!Enum.IsDefined(message.Role))
            {
                GatewayErrors.ThrowInvalidArgument(field + ".role", "is not one of system, user, assistant, tool");
            }

            if (message.Content.Count > MaxPartsPerMessage)
            {
                GatewayErrors.ThrowInvalidArgument(field + ".content", $"has {message.Content.Count} parts; at most {MaxPartsPerMessage} are allowed");
            }

            var hasContent = false;
            for (var p = 0; p < message.Content.Count; p++)
            {
                switch (message.Content[p])
                {
                    case TextPart text:
                        hasContent |= !string.IsNullOrWhiteSpace(text.Text);
                        textChars += text.Text.Length;
                        break;
                    case ImagePart image:
                        if (message.Role is not (ChatRole.User or ChatRole.Tool))
                        {
                            GatewayErrors.ThrowInvalidArgument($"{field}.content[{p}]", "images are allowed in user and tool messages only");
                        }

                        if (!IsImageUrl(image.Url))
                        {
                            GatewayErrors.ThrowInvalidArgument($"{field}.content[{p}].image_url.url", "must be an http(s) URL or a data:image/…;base64 URL");
                        }

                        if (image.Url.Length > MaxImageUrlChars)
                        {
                            GatewayErrors.ThrowInvalidArgument($"{field}.content[{p}].image_url.url", $"is longer than {MaxImageUrlChars} characters");
                        }

                        if (image.Detail is not ("" or "auto" or "low" or "high"))
                        {
                            GatewayErrors.ThrowInvalidArgument($"{field}.content[{p}].image_url.detail", "must be auto, low or high");
                        }

                        images++;
                        hasContent = true;
                        break;
                    case ReasoningPart thought:
                        if (message.Role != ChatRole.Assistant)
                        {
                            GatewayErrors.ThrowInvalidArgument($"{field}.content[{p}]", "reasoning is allowed in assistant messages only");
                        }

                        textChars += thought.Text.Length + thought.Signature.Length + thought.RedactedData.Length;
                        break;
                    default:
                        GatewayErrors.ThrowInvalidArgument($"{field}.content[{p}]", "is not a known content part");
                        break;
                }
            }

            if (message.ToolCalls.Count > 0)
            {
                if (message.Role != ChatRole.Assistant)
                {
                    GatewayErrors.ThrowInvalidArgument(field + ".tool_calls", "only assistant messages make tool calls");
                }

                if (message.ToolCalls.Count > MaxToolCallsPerMessage)
                {
                    GatewayErrors.ThrowInvalidArgument(field + ".tool_calls", $"has {message.ToolCalls.Count} calls; at most {MaxToolCallsPerMessage} are allowed");
                }

                for (var c = 0; c < message.ToolCalls.Count; c++)
                {
                    var call = message.ToolCalls[c];
                    if (call.Id.Length is 0 or > MaxIdChars)
                    {
                        GatewayErrors.ThrowInvalidArgument($"{field}.tool_calls[{c}].id", $"must be 1–{MaxIdChars} characters");
                    }

                    CheckToolName($"{field}.tool_calls[{c}].function.name", call.Name);
                    textChars += call.ArgumentsJson.Length;
                }

                hasContent = true;
            }

            if (message.Role == ChatRole.Tool)
            {
                if (message.ToolCallId.Length is 0 or > MaxIdChars)
                {
                    GatewayErrors.ThrowInvalidArgument(field + ".tool_call_id", $"is required for a tool message (1–{MaxIdChars} characters)");
                }

                // An empty tool result is a legitimate answer ("no rows").
                hasContent = true;
            }

            if (!hasContent)
            {
                GatewayErrors.ThrowInvalidArgument(field + ".content", "is empty");
            }
        }

        if (images > MaxImages)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "messages", $"has {images} images; at most {MaxImages} are allowed");
        }

        ValidateTools(request, prefix, ref textChars);

        // A UTF-16 unit is at most 3 bytes of UTF-8: most requests skip the exact count.
        if (textChars * 3 > MaxTotalContentBytes && TextBytes(request) > MaxTotalContentBytes)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "messages",
                $"the messages hold {TextBytes(request)} bytes of UTF-8 text; the limit is {MaxTotalContentBytes} bytes (1 MiB) per request. Split the work or summarise first.");
        }

        if (request.Model.Length > MaxIdChars)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "model", $"is longer than {MaxIdChars} characters");
        }

        if (request.SessionId.Length > MaxIdChars)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "session_id", $"is longer than {MaxIdChars} characters");
        }

        if (request.User.Length > MaxIdChars)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "user", $"is longer than {MaxIdChars} characters");
        }

        if (request.Temperature is { } temperature && (temperature is < 0 or > 2 || float.IsNaN(temperature)))
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "temperature", "must be between 0 and 2");
        }

        if (request.TopP is { } topP && (topP is <= 0 or > 1 || float.IsNaN(topP)))
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "top_p", "must be greater than 0 and at most 1");
        }

        if (request.FrequencyPenalty is { } frequency && (frequency is < -2 or > 2 || float.IsNaN(frequency)))
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "frequency_penalty", "must be between -2 and 2");
        }

        if (request.PresencePenalty is { } presence && (presence is < -2 or > 2 || float.IsNaN(presence)))
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "presence_penalty", "must be between -2 and 2");
        }

        if (request.MaxTokens is < 0 or > MaxOutputTokens)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "max_tokens", $"must be between 0 (model default) and {MaxOutputTokens}");
        }

        if (request.Stop.Count > MaxStopSequences)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "stop", $"has {request.Stop.Count} sequences; at most {MaxStopSequences} are allowed");
        }

        for (var stopIndex = 0; stopIndex < request.Stop.Count; stopIndex++)
        {
            var stop = request.Stop[stopIndex];
            if (stop.Length is 0 or > MaxStopChars)
            {
                GatewayErrors.ThrowInvalidArgument(prefix + "stop", $"each sequence must be 1–{MaxStopChars} characters");
            }
        }

        var routing = request.Routing;
        if (routing.MaxCostPerRequestUsd < 0 || !double.IsFinite(routing.MaxCostPerRequestUsd))
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "routing.max_cost_per_request_usd", "must be 0 (no cap) or positive");
        }

        if (routing.RequiredCapabilities.Count > 16)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "routing.required_capabilities", "at most 16 are allowed");
        }

        if (request.ResponseFormat is { } format)
        {
            if (!Enum.IsDefined(format.Kind))
            {
                GatewayErrors.ThrowInvalidArgument(prefix + "response_format.type", "must be text, json_object or json_schema");
            }

            if (format.Kind == ResponseFormatKind.JsonSchema)
            {
                if (format.Name.Length > MaxToolNameChars)
                {
                    GatewayErrors.ThrowInvalidArgument(prefix + "response_format.json_schema.name", $"is longer than {MaxToolNameChars} characters");
                }

                CheckSchema(prefix + "response_format.json_schema.schema", format.SchemaJson);
            }
        }

        if (request.Reasoning is { } reasoning)
        {
            if (reasoning.BudgetTokens < 0 || reasoning.BudgetTokens > MaxOutputTokens)
            {
                GatewayErrors.ThrowInvalidArgument(prefix + "reasoning.budget_tokens", $"must be between 0 and {MaxOutputTokens}");
            }

            if (reasoning.Effort is not ("" or "minimal" or "low" or "medium" or "high"))
            {
                GatewayErrors.ThrowInvalidArgument(prefix + "reasoning.effort", "must be minimal, low, medium or high");
            }
        }

        if (!Enum.IsDefined(request.Mode) || !Enum.IsDefined(request.Cache))
        {
            GatewayErrors.ThrowInvalidArgument(prefix + (Enum.IsDefined(request.Mode) ? "cache" : "mode"), "is not a known value");
        }
    }

    private static void ValidateTools(ChatRequest request, string prefix, ref long textChars)
    {
        var tools = request.Tools;
        if (tools.Count > MaxTools)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "tools", $"has {tools.Count} tools; at most {MaxTools} are allowed");
        }

        for (var i = 0; i < tools.Count; i++)
        {
            var tool = tools[i];
            CheckToolName($"{prefix}tools[{i}].function.name", tool.Name);
            for (var j = 0; j < i; j++)
            {
                if (tools[j].Name == tool.Name)
                {
                    GatewayErrors.ThrowInvalidArgument($"{prefix}tools[{i}].function.name", $"'{tool.Name}' is defined twice");
                }
            }

            CheckSchema($"{prefix}tools[{i}].function.parameters", tool.ParametersJson);
            textChars += tool.Description.Length + tool.ParametersJson.Length;
        }

        if (request.ToolChoice is { } choice)
        {
            if (!Enum.IsDefined(choice.Kind))
            {
                GatewayErrors.ThrowInvalidArgument(prefix + "tool_choice", "must be auto, none, required or a named function");
            }

            if (choice.Kind is ToolChoiceKind.Required or ToolChoiceKind.Function && tools.Count == 0)
            {
                GatewayErrors.ThrowInvalidArgument(prefix + "tool_choice", "requires tools");
            }

            if (choice.Kind == ToolChoiceKind.Function && !tools.Any(t => t.Name == choice.Name))
            {
                GatewayErrors.ThrowInvalidArgument(prefix + "tool_choice.function.name", $"'{choice.Name}' is not one of the tools");
            }
        }
    }

    private static void CheckToolName(string field, string name)
    {
        if (name.Length is 0 or > MaxToolNameChars)
        {
            GatewayErrors.ThrowInvalidArgument(field, $"must be 1–{MaxToolNameChars} characters");
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            {
                GatewayErrors.ThrowInvalidArgument(field, "may contain only letters, digits, '_', '-' and '.'");
            }
        }
    }

    /// <summary>A JSON Schema is a JSON object of bounded size (upstreams receive it as it is).</summary>
    private static void CheckSchema(string field, string json)
    {
        if (json.Length > MaxSchemaBytes)
        {
            GatewayErrors.ThrowInvalidArgument(field, $"is larger than {MaxSchemaBytes} bytes");
        }

        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                GatewayErrors.ThrowInvalidArgument(field, "must be a JSON object (a JSON Schema)");
            }
        }
        catch (JsonException)
        {
            GatewayErrors.ThrowInvalidArgument(field, "must be a JSON object (a JSON Schema)");
        }
    }

    private static bool IsImageUrl(string url) =>
        url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
        || url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        || (url.StartsWith("data:image/", StringComparison.OrdinalIgnoreCase) && url.Contains(";base64,", StringComparison.OrdinalIgnoreCase));

    private static long TextBytes(ChatRequest request)
    {
        long total = 0;
        for (var messageIndex = 0; messageIndex < request.Messages.Count; messageIndex++)
        {
            var message = request.Messages[messageIndex];
            for (var partIndex = 0; partIndex < message.Content.Count; partIndex++)
            {
                var part = message.Content[partIndex];
                total += part switch
                {
                    TextPart text => System.Text.Encoding.UTF8.GetByteCount(text.Text),
                    ReasoningPart reasoning => System.Text.Encoding.UTF8.GetByteCount(reasoning.Text),
                    _ => 0,
                };
            }

            for (var callIndex = 0; callIndex < message.ToolCalls.Count; callIndex++)
            {
                var call = message.ToolCalls[callIndex];
                total += System.Text.Encoding.UTF8.GetByteCount(call.ArgumentsJson);
            }
        }

        for (var toolIndex = 0; toolIndex < request.Tools.Count; toolIndex++)
        {
            var tool = request.Tools[toolIndex];
            total += System.Text.Encoding.UTF8.GetByteCount(tool.Description) + System.Text.Encoding.UTF8.GetByteCount(tool.ParametersJson);
        }

        return total;
    }
}
