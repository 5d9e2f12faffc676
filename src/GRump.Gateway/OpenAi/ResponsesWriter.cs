using System.Text.Json;
using GRump.Gateway.Chat;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Errors;

namespace GRump.Gateway.OpenAi;

/// <summary>
/// The chat domain's answers as OpenAI Responses: a whole <c>response</c> object (output items: reasoning, message,
/// function calls), or its semantic stream events. Reasoning goes out as <c>reasoning_text</c> content; an Anthropic
/// thinking signature rides in the reasoning item's <c>encrypted_content</c>, so a client that sends the item back
/// (as Codex does) keeps the model's thinking across a tool round trip.
/// </summary>
internal sealed class ResponsesWriter(ChatRequest request, string id, long createdAt)
{
    public string Id => id;

    /// <summary>The response object up to and including <c>output</c>; the caller writes output items, then <see cref="WriteTail"/>.</summary>
    public void WriteHead(Utf8JsonWriter writer, string status, string model)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("id", id);
        writer.WriteString("object", "response");
        writer.WriteNumber("created_at", createdAt);
        writer.WriteString("status", status);
        writer.WriteString("model", model);
    }

    /// <summary>Everything after <c>output</c>: the request's settings echoed, usage, the gateway's account; closes the object.</summary>
    public void WriteTail(Utf8JsonWriter writer, ChatOutcome? outcome, string finishReason, GatewayException? error)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (error is not null)
        {
            writer.WriteStartObject("error");
            writer.WriteString("code", error.Kind == GatewayErrorKind.ResourceExhausted ? "rate_limit_exceeded" : "server_error");
            writer.WriteString("message", error.Message);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("error");
        }

        if (finishReason is FinishReasons.Length or FinishReasons.ContentFilter)
        {
            writer.WriteStartObject("incomplete_details");
            writer.WriteString("reason", finishReason == FinishReasons.Length ? "max_output_tokens" : "content_filter");
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("incomplete_details");
        }

        var system = request.Messages.Count > 0 && request.Messages[0].Role == ChatRole.System ? request.Messages[0].Text : null;
        writer.WriteString("instructions", system);
        if (request.MaxTokens > 0)
        {
            writer.WriteNumber("max_output_tokens", request.MaxTokens);
        }
        else
        {
            writer.WriteNull("max_output_tokens");
        }

        writer.WriteBoolean("parallel_tool_calls", request.ParallelToolCalls ?? true);
        writer.WriteNull("previous_response_id");
        writer.WriteStartObject("reasoning");
        writer.WriteString("effort", request.Reasoning is { Effort.Length: > 0 } reasoning ? reasoning.Effort : null);
        writer.WriteNull("summary");
        writer.WriteEndObject();
        writer.WriteBoolean("store", false);
        WriteNumberOrNull(writer, "temperature", request.Temperature);
        WriteNumberOrNull(writer, "top_p", request.TopP);
        writer.WriteStartObject("text");
        writer.WriteStartObject("format");
        switch (request.ResponseFormat)
        {
            case { Kind: ResponseFormatKind.JsonSchema } schema:
                writer.WriteString("type", "json_schema");
                writer.WriteString("name", schema.Name);
                writer.WritePropertyName("schema");
                writer.WriteRawValue(schema.SchemaJson);
                if (schema.Strict is { } strict)
                {
                    writer.WriteBoolean("strict", strict);
                }

                break;
            case { Kind: ResponseFormatKind.JsonObject }:
                writer.WriteString("type", "json_object");
                break;
            default:
                writer.WriteString("type", "text");
                break;
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        switch (request.ToolChoice)
        {
            case { Kind: ToolChoiceKind.Function } named:
                writer.WriteStartObject("tool_choice");
                writer.WriteString("type", "function");
                writer.WriteString("name", named.Name);
                writer.WriteEndObject();
                break;
            case { Kind: ToolChoiceKind.None }:
                writer.WriteString("tool_choice", "none");
                break;
            case { Kind: ToolChoiceKind.Required }:
                writer.WriteString("tool_choice", "required");
                break;
            default:
                writer.WriteString("tool_choice", "auto");
                break;
        }

        writer.WriteStartArray("tools");
        foreach (var tool in request.Tools)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "function");
            writer.WriteString("name", tool.Name);
            writer.WriteString("description", tool.Description);
            writer.WritePropertyName("parameters");
            writer.WriteRawValue(tool.ParametersJson);
            writer.WriteBoolean("strict", tool.Strict ?? false);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteString("truncation", "disabled");
        if (outcome is not null)
        {
            WriteUsage(writer, outcome.Usage);
        }
        else
        {
            writer.WriteNull("usage");
        }

        writer.WriteString("user", request.User.Length > 0 ? request.User : null);
        writer.WriteStartObject("metadata");
        writer.WriteEndObject();
        if (outcome is not null)
        {
            GrumpHeaders.WriteObject(writer, outcome);
        }

        writer.WriteEndObject();
    }

    public static string Status(string finishReason) =>
        finishReason is FinishReasons.Length or FinishReasons.ContentFilter ? "incomplete" : "completed";

    public static void WriteUsage(Utf8JsonWriter writer, TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject("usage");
        writer.WriteNumber("input_tokens", usage.InputTokens);
        writer.WriteStartObject("input_tokens_details");
        writer.WriteNumber("cached_tokens", usage.CacheReadTokens);
        writer.WriteEndObject();
        writer.WriteNumber("output_tokens", usage.OutputTokens);
        writer.WriteStartObject("output_tokens_details");
        writer.WriteNumber("reasoning_tokens", usage.ReasoningTokens);
        writer.WriteEndObject();
        writer.WriteNumber("total_tokens", usage.InputTokens + usage.OutputTokens);
        writer.WriteEndObject();
    }

    /// <summary>A reasoning item: its text as <c>reasoning_text</c> content, its signature (if any) as encrypted_content.</summary>
    public static void WriteReasoningItem(Utf8JsonWriter writer, string itemId, string text, string signature, bool done)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("type", "reasoning");
        writer.WriteString("id", itemId);
        writer.WriteStartArray("summary");
        writer.WriteEndArray();
        writer.WriteStartArray("content");
        if (done)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "reasoning_text");
            writer.WriteString("text", text);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        if (signature.Length > 0)
        {
            writer.WriteString("encrypted_content", signature);
        }

        if (done)
        {
            writer.WriteString("status", "completed");
        }

        writer.WriteEndObject();
    }

    public static void WriteMessageItem(Utf8JsonWriter writer, string itemId, string? text)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("type", "message");
        writer.WriteString("id", itemId);
        writer.WriteString("status", text is null ? "in_progress" : "completed");
        writer.WriteString("role", "assistant");
        writer.WriteStartArray("content");
        if (text is not null)
        {
            WriteTextPart(writer, text);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    public static void WriteTextPart(Utf8JsonWriter writer, string text)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("type", "output_text");
        writer.WriteString("text", text);
        writer.WriteStartArray("annotations");
        writer.WriteEndArray();
        writer.WriteStartArray("logprobs");
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    public static void WriteFunctionCallItem(Utf8JsonWriter writer, string itemId, ToolCall call, bool done)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(call);
        writer.WriteStartObject();
        writer.WriteString("type", "function_call");
        writer.WriteString("id", itemId);
        writer.WriteString("call_id", call.Id);
        writer.WriteString("name", call.Name);
        writer.WriteString("arguments", done ? call.ArgumentsJson : string.Empty);
        writer.WriteString("status", done ? "completed" : "in_progress");
        writer.WriteEndObject();
    }

    /// <summary>A whole response: reasoning, then the message (unless the answer is only tool calls), then the calls.</summary>
    public void WriteResponse(Utf8JsonWriter writer, ChatResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        var unique = ItemSuffix(result.Id);
        WriteHead(writer, Status(result.FinishReason), result.Outcome.Model);
        writer.WriteStartArray("output");
        if (result.Reasoning.Length > 0 || result.ReasoningSignature.Length > 0)
        {
            WriteReasoningItem(writer, "rs_" + unique, result.Reasoning, result.ReasoningSignature, done: true);
        }

        if (result.Content.Length > 0 || result.ToolCalls.Count == 0)
        {
            WriteMessageItem(writer, "msg_" + unique, result.Content);
        }

        for (var i = 0; i < result.ToolCalls.Count; i++)
        {
            WriteFunctionCallItem(writer, $"fc_{unique}_{i}", result.ToolCalls[i], done: true);
        }

        writer.WriteEndArray();
        WriteTail(writer, result.Outcome, result.FinishReason, null);
    }

    /// <summary>The unique part of the pipeline's id, for item ids.</summary>
    public static string ItemSuffix(string id) => id.StartsWith("chatcmpl-", StringComparison.Ordinal) ? id["chatcmpl-".Length..] : id;

    private static void WriteNumberOrNull(Utf8JsonWriter writer, string name, float? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
