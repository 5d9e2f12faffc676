using System.Text.Json;
using GRump.Gateway.Chat;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Providers;

namespace GRump.Gateway.OpenAi;

/// <summary>
/// The chat domain's answers in OpenAI Chat Completions shape: a whole <c>chat.completion</c>, or the events of a
/// stream as <c>chat.completion.chunk</c>s (role first; text, tool-call and reasoning deltas; the finish reason; an
/// optional usage chunk; <c>[DONE]</c>). Reasoning goes out as <c>reasoning_content</c>, the field OpenAI-compatible
/// servers use for it.
/// </summary>
internal static class ChatCompletionsWriter
{
    public static void WriteCompletion(Utf8JsonWriter writer, ChatResult result, long created)
    {
        writer.WriteStartObject();
        writer.WriteString("id", result.Id);
        writer.WriteString("object", "chat.completion");
        writer.WriteNumber("created", created);
        writer.WriteString("model", result.Outcome.Model);
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WriteStartObject("message");
        writer.WriteString("role", "assistant");
        if (result.Content.Length == 0 && result.ToolCalls.Count > 0)
        {
            writer.WriteNull("content");
        }
        else
        {
            writer.WriteString("content", result.Content);
        }

        if (result.Reasoning.Length > 0)
        {
            writer.WriteString("reasoning_content", result.Reasoning);
        }

        OpenAiToolCalls.Write(writer, result.ToolCalls);

        writer.WriteEndObject();
        writer.WriteNull("logprobs");
        writer.WriteString("finish_reason", result.FinishReason);
        writer.WriteEndObject();
        writer.WriteEndArray();
        WriteUsage(writer, result.Outcome.Usage);
        GrumpHeaders.WriteObject(writer, result.Outcome);
        writer.WriteEndObject();
    }

    /// <summary>One chunk for a pipeline event (the end event writes the finish chunk; usage follows separately).</summary>
    public static void WriteChunk(Utf8JsonWriter writer, ChatEvent item, string id, long created, string model, bool includeUsage)
    {
        writer.WriteStartObject();
        WriteChunkHeader(writer, id, created, model);
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WriteStartObject("delta");
        string? finish = null;
        switch (item)
        {
            case ChatStarted:
                writer.WriteString("role", "assistant");
                writer.WriteString("content", string.Empty);
                break;
            case TextDelta text:
                writer.WriteString("content", text.Text);
                break;
            case ReasoningDelta reasoning:
                writer.WriteString("reasoning_content", reasoning.Text);
                break;
            case ToolCallDelta call:
                writer.WriteStartArray("tool_calls");
                writer.WriteStartObject();
                writer.WriteNumber("index", call.Index);
                if (call.Id.Length > 0)
                {
                    writer.WriteString("id", call.Id);
                    writer.WriteString("type", "function");
                }

                writer.WriteStartObject("function");
                if (call.Name.Length > 0)
                {
                    writer.WriteString("name", call.Name);
                }

                writer.WriteString("arguments", call.Arguments);
                writer.WriteEndObject();
                writer.WriteEndObject();
                writer.WriteEndArray();
                break;
            case ChatEnded ended:
                finish = ended.FinishReason;
                break;
            default:
                break;
        }

        writer.WriteEndObject();
        writer.WriteNull("logprobs");
        if (finish is null)
        {
            writer.WriteNull("finish_reason");
        }
        else
        {
            writer.WriteString("finish_reason", finish);
        }

        writer.WriteEndObject();
        writer.WriteEndArray();

        // Without a usage chunk the finish chunk carries the gateway's account (the headers left before the cost was known).
        if (item is ChatEnded { Outcome: { } outcome } && !includeUsage)
        {
            GrumpHeaders.WriteObject(writer, outcome);
        }

        writer.WriteEndObject();
    }

    /// <summary>The usage chunk (<c>stream_options.include_usage</c>): no choices, the usage and the gateway's account.</summary>
    public static void WriteUsageChunk(Utf8JsonWriter writer, ChatOutcome outcome, string id, long created, string model)
    {
        writer.WriteStartObject();
        WriteChunkHeader(writer, id, created, model);
        writer.WriteStartArray("choices");
        writer.WriteEndArray();
        WriteUsage(writer, outcome.Usage);
        GrumpHeaders.WriteObject(writer, outcome);
        writer.WriteEndObject();
    }

    private static void WriteChunkHeader(Utf8JsonWriter writer, string id, long created, string model)
    {
        writer.WriteString("id", id);
        writer.WriteString("object", "chat.completion.chunk");
        writer.WriteNumber("created", created);
        writer.WriteString("model", model);
    }

    private static void WriteUsage(Utf8JsonWriter writer, TokenUsage usage)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", usage.InputTokens);
        writer.WriteNumber("completion_tokens", usage.OutputTokens);
        writer.WriteNumber("total_tokens", usage.InputTokens + usage.OutputTokens);
        writer.WriteStartObject("prompt_tokens_details");
        writer.WriteNumber("cached_tokens", usage.CacheReadTokens);
        writer.WriteEndObject();
        writer.WriteStartObject("completion_tokens_details");
        writer.WriteNumber("reasoning_tokens", usage.ReasoningTokens);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
