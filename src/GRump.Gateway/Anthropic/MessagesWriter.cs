using System.Text.Json;
using GRump.Gateway.Chat;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Anthropic;

/// <summary>
/// The chat domain's answers in Anthropic Messages shape: a whole <c>message</c>, or a stream with Anthropic's event
/// sequence — <c>message_start</c>, per content block <c>content_block_start</c> / <c>_delta</c> / <c>_stop</c> (a
/// <c>ping</c> after the first block opens), <c>message_delta</c> (stop reason and the whole usage), <c>message_stop</c>;
/// <c>error</c> when the answer fails midway. Usage follows Anthropic's convention: <c>input_tokens</c> excludes the
/// prompt tokens read from or written to the prompt cache, which are reported apart.
/// </summary>
internal static class MessagesWriter
{
    public static string StopReason(string finishReason) => finishReason switch
    {
        FinishReasons.Length => "max_tokens",
        FinishReasons.ToolCalls => "tool_use",
        FinishReasons.ContentFilter => "refusal",
        _ => "end_turn",
    };

    /// <summary>A whole message. Tool arguments that are not a JSON object (a model's broken JSON) fail the call: Anthropic's input is always an object.</summary>
    public static void WriteMessage(Utf8JsonWriter writer, ChatResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        foreach (var call in result.ToolCalls)
        {
            if (!IsObject(call.ArgumentsJson))
            {
                throw new GatewayException(GatewayErrorKind.Unavailable,
                    $"The model '{result.Outcome.Model}' called '{call.Name}' with arguments that are not a JSON object; Anthropic's tool_use input must be one.")
                { Reason = "UPSTREAM_PROTOCOL" };
            }
        }

        writer.WriteStartObject();
        WriteHead(writer, MessageId(result.Id), result.Outcome.Model);
        writer.WriteStartArray("content");
        if (result.Reasoning.Length > 0 || result.ReasoningSignature.Length > 0)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "thinking");
            writer.WriteString("thinking", result.Reasoning);
            writer.WriteString("signature", result.ReasoningSignature);
            writer.WriteEndObject();
        }

        if (result.Content.Length > 0)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "text");
            writer.WriteString("text", result.Content);
            writer.WriteEndObject();
        }

        foreach (var call in result.ToolCalls)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "tool_use");
            writer.WriteString("id", call.Id);
            writer.WriteString("name", call.Name);
            writer.WritePropertyName("input");
            writer.WriteRawValue(call.ArgumentsJson.Length == 0 ? "{}" : call.ArgumentsJson);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteString("stop_reason", StopReason(result.FinishReason));
        writer.WriteNull("stop_sequence");
        WriteUsage(writer, result.Outcome.Usage);
        GrumpHeaders.WriteObject(writer, result.Outcome);
        writer.WriteEndObject();
    }

    /// <summary>Anthropic ids look like <c>msg_…</c>; the pipeline's id keeps its unique part.</summary>
    public static string MessageId(string id) =>
        "msg_" + (id.StartsWith("chatcmpl-", StringComparison.Ordinal) ? id["chatcmpl-".Length..] : id);

    public static void WriteHead(Utf8JsonWriter writer, string id, string model)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteString("id", id);
        writer.WriteString("type", "message");
        writer.WriteString("role", "assistant");
        writer.WriteString("model", model);
    }

    /// <summary>
    /// Anthropic's usage from the domain's: <c>input_tokens</c> is the uncached part; cache reads, 5-minute and 1-hour
    /// writes apart; thinking tokens in <c>output_tokens_details</c> when known (they are part of <c>output_tokens</c>).
    /// </summary>
    public static void WriteUsage(Utf8JsonWriter writer, TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject("usage");
        writer.WriteNumber("input_tokens", usage.UncachedInputTokens);
        writer.WriteNumber("output_tokens", usage.OutputTokens);
        writer.WriteNumber("cache_creation_input_tokens", usage.CacheWriteTokens + usage.CacheWrite1hTokens);
        writer.WriteNumber("cache_read_input_tokens", usage.CacheReadTokens);
        writer.WriteStartObject("cache_creation");
        writer.WriteNumber("ephemeral_5m_input_tokens", usage.CacheWriteTokens);
        writer.WriteNumber("ephemeral_1h_input_tokens", usage.CacheWrite1hTokens);
        writer.WriteEndObject();
        if (usage.ReasoningTokens > 0)
        {
            writer.WriteStartObject("output_tokens_details");
            writer.WriteNumber("thinking_tokens", usage.ReasoningTokens);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static bool IsObject(string json)
    {
        if (json.Length == 0)
        {
            return true;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>
/// One streamed answer as Anthropic events: opens a content block when the kind of delta changes (thinking, text, each
/// tool call), closes it when the next opens or the answer ends. A tool call whose pieces arrive after another block
/// opened (interleaved parallel calls) keeps its own block index, as Anthropic's events allow.
/// </summary>
internal sealed class MessagesStream(SseWriter sse, CancellationToken cancellationToken)
{
    private readonly Dictionary<int, int> _blockOfTool = [];
    private int _blocks;
    private int _open = -1;
    private BlockKind _openKind;
    private bool _pinged;

    private enum BlockKind
    {
        Text,
        Thinking,
        Tool,
    }

    public async ValueTask StartAsync(ChatStarted started)
    {
        ArgumentNullException.ThrowIfNull(started);
        var writer = sse.BeginEvent("message_start"u8);
        writer.WriteStartObject();
        writer.WriteString("type", "message_start");
        writer.WriteStartObject("message");
        MessagesWriter.WriteHead(writer, MessagesWriter.MessageId(started.Id), started.Model);
        writer.WriteStartArray("content");
        writer.WriteEndArray();
        writer.WriteNull("stop_reason");
        writer.WriteNull("stop_sequence");
        // The usage is known when the answer ends: message_delta carries all of it (cumulative, as Anthropic's does).
        MessagesWriter.WriteUsage(writer, default);
        writer.WriteEndObject();
        writer.WriteEndObject();
        await sse.EndEventAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DeltaAsync(ChatEvent item)
    {
        switch (item)
        {
            case TextDelta { Text.Length: 0 }:
                break;
            case TextDelta text:
                await EnsureOpenAsync(BlockKind.Text, null).ConfigureAwait(false);
                await WriteDeltaAsync(_open, "text_delta", "text", text.Text).ConfigureAwait(false);
                break;
            case ReasoningDelta reasoning:
                if (_open < 0 || _openKind != BlockKind.Thinking)
                {
                    await EnsureOpenAsync(BlockKind.Thinking, null).ConfigureAwait(false);
                }

                if (reasoning.Text.Length > 0)
                {
                    await WriteDeltaAsync(_open, "thinking_delta", "thinking", reasoning.Text).ConfigureAwait(false);
                }

                if (reasoning.Signature.Length > 0)
                {
                    await WriteDeltaAsync(_open, "signature_delta", "signature", reasoning.Signature).ConfigureAwait(false);
                }

                break;
            case ToolCallDelta call:
                if (!_blockOfTool.TryGetValue(call.Index, out var block))
                {
                    await EnsureOpenAsync(BlockKind.Tool, call).ConfigureAwait(false);
                    block = _open;
                    _blockOfTool[call.Index] = block;
                }

                if (call.Arguments.Length > 0)
                {
                    await WriteDeltaAsync(block, "input_json_delta", "partial_json", call.Arguments).ConfigureAwait(false);
                }

                break;
            default:
                break;
        }
    }

    public async ValueTask EndAsync(ChatEnded ended)
    {
        ArgumentNullException.ThrowIfNull(ended);
        await CloseAsync().ConfigureAwait(false);
        await PingOnceAsync().ConfigureAwait(false);
        var outcome = ended.Outcome;
        var writer = sse.BeginEvent("message_delta"u8);
        writer.WriteStartObject();
        writer.WriteString("type", "message_delta");
        writer.WriteStartObject("delta");
        writer.WriteString("stop_reason", MessagesWriter.StopReason(ended.FinishReason));
        writer.WriteNull("stop_sequence");
        writer.WriteEndObject();
        MessagesWriter.WriteUsage(writer, outcome?.Usage ?? ended.Usage);
        if (outcome is not null)
        {
            GrumpHeaders.WriteObject(writer, outcome);
        }

        writer.WriteEndObject();
        await sse.EndEventAsync(cancellationToken).ConfigureAwait(false);
        writer = sse.BeginEvent("message_stop"u8);
        writer.WriteStartObject();
        writer.WriteString("type", "message_stop");
        writer.WriteEndObject();
        await sse.EndEventAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The stream's last word when the answer failed midway: no message_stop follows, so no client takes it for whole.</summary>
    public async ValueTask ErrorAsync(GatewayException error)
    {
        AnthropicErrors.WriteObject(sse.BeginEvent("error"u8), error);
        await sse.EndEventAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async ValueTask EnsureOpenAsync(BlockKind kind, ToolCallDelta? call)
    {
        if (_open >= 0 && _openKind == kind && kind != BlockKind.Tool)
        {
            return;
        }

        await CloseAsync().ConfigureAwait(false);
        _open = _blocks++;
        _openKind = kind;
        var writer = sse.BeginEvent("content_block_start"u8);
        writer.WriteStartObject();
        writer.WriteString("type", "content_block_start");
        writer.WriteNumber("index", _open);
        writer.WriteStartObject("content_block");
        switch (kind)
        {
            case BlockKind.Text:
                writer.WriteString("type", "text");
                writer.WriteString("text", string.Empty);
                break;
            case BlockKind.Thinking:
                writer.WriteString("type", "thinking");
                writer.WriteString("thinking", string.Empty);
                writer.WriteString("signature", string.Empty);
                break;
            default:
                writer.WriteString("type", "tool_use");
                writer.WriteString("id", call?.Id ?? string.Empty);
                writer.WriteString("name", call?.Name ?? string.Empty);
                writer.WriteStartObject("input");
                writer.WriteEndObject();
                break;
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        await sse.EndEventAsync(cancellationToken).ConfigureAwait(false);
        await PingOnceAsync().ConfigureAwait(false);
    }

    private async ValueTask CloseAsync()
    {
        if (_open < 0)
        {
            return;
        }

        var writer = sse.BeginEvent("content_block_stop"u8);
        writer.WriteStartObject();
        writer.WriteString("type", "content_block_stop");
        writer.WriteNumber("index", _open);
        writer.WriteEndObject();
        await sse.EndEventAsync(cancellationToken).ConfigureAwait(false);
        _open = -1;
    }

    /// <summary>Anthropic sends one <c>ping</c> after the first block opens.</summary>
    private async ValueTask PingOnceAsync()
    {
        if (_pinged)
        {
            return;
        }

        _pinged = true;
        var writer = sse.BeginEvent("ping"u8);
        writer.WriteStartObject();
        writer.WriteString("type", "ping");
        writer.WriteEndObject();
        await sse.EndEventAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask WriteDeltaAsync(int index, string type, string field, string value)
    {
        var writer = sse.BeginEvent("content_block_delta"u8);
        writer.WriteStartObject();
        writer.WriteString("type", "content_block_delta");
        writer.WriteNumber("index", index);
        writer.WriteStartObject("delta");
        writer.WriteString("type", type);
        writer.WriteString(field, value);
        writer.WriteEndObject();
        writer.WriteEndObject();
        await sse.EndEventAsync(cancellationToken).ConfigureAwait(false);
    }
}
