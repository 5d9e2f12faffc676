using System.Text;
using System.Text.Json;
using GRump.Gateway.Auth;
using GRump.Gateway.Chat;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Errors;

namespace GRump.Gateway.OpenAi;

/// <summary>
/// <c>POST /v1/responses</c>, stateless, through the one chat pipeline (key, rate limit, routing, cache, budget,
/// provider, ledger): a whole <c>response</c>, or its semantic SSE events (<see cref="ResponsesStream"/>).
/// </summary>
internal static class ResponsesEndpoint
{
    public static async Task HandleAsync(HttpContext context, ChatPipeline pipeline, TimeProvider time)
    {
        try
        {
            var caller = context.GetCaller();
            ResponsesReader.Read request;
            using (var body = await JsonBody.ReadAsync(context, OpenAiEndpoints.MaxBodyBytes).ConfigureAwait(false))
            {
                request = ResponsesReader.Parse(body.RootElement);
            }

            request.Validate();
            var created = time.GetUtcNow().ToUnixTimeSeconds();
            if (request.Stream)
            {
                await StreamAsync(context, request.Chat, pipeline.StreamAsync(request.Chat, caller, context.RequestAborted), created).ConfigureAwait(false);
                return;
            }

            var result = await pipeline.CompleteAsync(request.Chat, caller, context.RequestAborted).ConfigureAwait(false);
            GrumpHeaders.WriteOutcome(context.Response, result.Outcome);
            context.Response.ContentType = "application/json";
            using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
            new ResponsesWriter(request.Chat, "resp_" + ResponsesWriter.ItemSuffix(result.Id), created).WriteResponse(writer, result);
            await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (GatewayException ex) when (!context.Response.HasStarted)
        {
            await OpenAiErrors.WriteAsync(context, ex).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; the pipeline cancelled the upstream call and billed what it produced.
        }
    }

    private static async Task StreamAsync(HttpContext context, ChatRequest request, IAsyncEnumerable<ChatEvent> events, long created)
    {
        using var sse = new SseWriter(context);
        ResponsesStream? stream = null;
        try
        {
            await foreach (var item in events.ConfigureAwait(false))
            {
                switch (item)
                {
                    case ChatStarted started:
                        GrumpHeaders.WriteStart(context.Response, started.Model, started.Provider, started.Cache);
                        SseWriter.Start(context);
                        stream = new ResponsesStream(sse, new ResponsesWriter(request, "resp_" + ResponsesWriter.ItemSuffix(started.Id), created),
                            ResponsesWriter.ItemSuffix(started.Id), started.Model, context.RequestAborted);
                        await stream.StartAsync().ConfigureAwait(false);
                        break;
                    case ChatEnded ended:
                        await stream!.EndAsync(ended).ConfigureAwait(false);
                        break;
                    default:
                        await stream!.DeltaAsync(item).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (GatewayException ex) when (!context.Response.HasStarted)
        {
            await OpenAiErrors.WriteAsync(context, ex).ConfigureAwait(false);
        }
        catch (GatewayException ex) when (stream is not null)
        {
            // Mid-stream: an error event (the SDKs raise it) and no response.completed.
            await stream.ErrorAsync(ex).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// One streamed answer as Responses events: <c>response.created</c>, <c>response.in_progress</c>, then per output item
/// <c>output_item.added</c> → its content/argument deltas → <c>…done</c> events → <c>output_item.done</c>, and
/// <c>response.completed</c> (or <c>response.incomplete</c>) with the whole response. Every event carries its
/// <c>sequence_number</c>.
/// </summary>
internal sealed class ResponsesStream(SseWriter sse, ResponsesWriter shape, string unique, string model, CancellationToken cancellationToken)
{
    private readonly List<Item> _items = [];
    private readonly Dictionary<int, Item> _itemOfTool = [];
    private Item? _open;
    private Utf8JsonWriter? _event;
    private long _sequence;

    private enum ItemKind
    {
        Reasoning,
        Message,
        FunctionCall,
    }

    public async ValueTask StartAsync()
    {
        foreach (var type in (string[])["response.created", "response.in_progress"])
        {
            var writer = Begin(type);
            writer.WritePropertyName("response");
            shape.WriteHead(writer, "in_progress", model);
            writer.WriteStartArray("output");
            writer.WriteEndArray();
            shape.WriteTail(writer, null, FinishReasons.Stop, null);
            await EndAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DeltaAsync(ChatEvent item)
    {
        switch (item)
        {
            case TextDelta { Text.Length: 0 }:
                break;
            case TextDelta text:
                var message = await EnsureOpenAsync(ItemKind.Message, null).ConfigureAwait(false);
                message.Text.Append(text.Text);
                var delta = Begin("response.output_text.delta");
                WriteIds(delta, message);
                delta.WriteNumber("content_index", 0);
                delta.WriteString("delta", text.Text);
                delta.WriteStartArray("logprobs");
                delta.WriteEndArray();
                await EndAsync().ConfigureAwait(false);
                break;
            case ReasoningDelta reasoning:
                var thought = await EnsureOpenAsync(ItemKind.Reasoning, null).ConfigureAwait(false);
                if (reasoning.Signature.Length > 0)
                {
                    thought.Signature = reasoning.Signature;
                }

                if (reasoning.Text.Length > 0)
                {
                    thought.Text.Append(reasoning.Text);
                    var reasoningDelta = Begin("response.reasoning_text.delta");
                    WriteIds(reasoningDelta, thought);
                    reasoningDelta.WriteNumber("content_index", 0);
                    reasoningDelta.WriteString("delta", reasoning.Text);
                    await EndAsync().ConfigureAwait(false);
                }

                break;
            case ToolCallDelta call:
                if (!_itemOfTool.TryGetValue(call.Index, out var function))
                {
                    function = await EnsureOpenAsync(ItemKind.FunctionCall, call).ConfigureAwait(false);
                    _itemOfTool[call.Index] = function;
                }

                if (call.Arguments.Length > 0)
                {
                    function.Text.Append(call.Arguments);
                    var argumentsDelta = Begin("response.function_call_arguments.delta");
                    WriteIds(argumentsDelta, function);
                    argumentsDelta.WriteString("delta", call.Arguments);
                    await EndAsync().ConfigureAwait(false);
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
        if (_items.Count == 0)
        {
            // An empty answer is still one (empty) message, as in a whole response.
            await EnsureOpenAsync(ItemKind.Message, null).ConfigureAwait(false);
            await CloseAsync().ConfigureAwait(false);
        }

        var writer = Begin(ResponsesWriter.Status(ended.FinishReason) == "completed" ? "response.completed" : "response.incomplete");
        writer.WritePropertyName("response");
        shape.WriteHead(writer, ResponsesWriter.Status(ended.FinishReason), model);
        writer.WriteStartArray("output");
        foreach (var item in _items)
        {
            WriteItem(writer, item, done: true);
        }

        writer.WriteEndArray();
        shape.WriteTail(writer, ended.Outcome, ended.FinishReason, null);
        await EndAsync().ConfigureAwait(false);
    }

    /// <summary>The stream's last word when the answer failed midway: an <c>error</c> event, which the SDKs raise.</summary>
    public async ValueTask ErrorAsync(GatewayException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var writer = sse.BeginEvent("error"u8);
        writer.WriteStartObject();
        writer.WriteString("type", "error");
        writer.WriteString("code", OpenAiErrors.Code(error));
        writer.WriteString("message", error.Message);
        writer.WriteNull("param");
        writer.WriteNumber("sequence_number", _sequence++);
        writer.WriteEndObject();
        await sse.EndEventAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async ValueTask<Item> EnsureOpenAsync(ItemKind kind, ToolCallDelta? call)
    {
        if (_open is { } open && open.Kind == kind && kind != ItemKind.FunctionCall)
        {
            return open;
        }

        await CloseAsync().ConfigureAwait(false);
        var index = _items.Count;
        var item = new Item(kind, index, kind switch
        {
            ItemKind.Reasoning => $"rs_{unique}_{index}",
            ItemKind.Message => $"msg_{unique}_{index}",
            _ => $"fc_{unique}_{index}",
        })
        {
            CallId = call?.Id ?? string.Empty,
            Name = call?.Name ?? string.Empty,
        };
        _items.Add(item);
        _open = item;
        var added = Begin("response.output_item.added");
        added.WriteNumber("output_index", index);
        added.WritePropertyName("item");
        WriteItem(added, item, done: false);
        await EndAsync().ConfigureAwait(false);
        if (kind != ItemKind.FunctionCall)
        {
            var part = Begin("response.content_part.added");
            WriteIds(part, item);
            part.WriteNumber("content_index", 0);
            part.WritePropertyName("part");
            WritePart(part, item, string.Empty);
            await EndAsync().ConfigureAwait(false);
        }

        return item;
    }

    private async ValueTask CloseAsync()
    {
        if (_open is not { } item)
        {
            return;
        }

        _open = null;
        var text = item.Text.ToString();
        switch (item.Kind)
        {
            case ItemKind.FunctionCall:
                var arguments = Begin("response.function_call_arguments.done");
                WriteIds(arguments, item);
                arguments.WriteString("arguments", text);
                await EndAsync().ConfigureAwait(false);
                break;
            default:
                var done = Begin(item.Kind == ItemKind.Message ? "response.output_text.done" : "response.reasoning_text.done");
                WriteIds(done, item);
                done.WriteNumber("content_index", 0);
                done.WriteString("text", text);
                if (item.Kind == ItemKind.Message)
                {
                    done.WriteStartArray("logprobs");
                    done.WriteEndArray();
                }

                await EndAsync().ConfigureAwait(false);
                var part = Begin("response.content_part.done");
                WriteIds(part, item);
                part.WriteNumber("content_index", 0);
                part.WritePropertyName("part");
                WritePart(part, item, text);
                await EndAsync().ConfigureAwait(false);
                break;
        }

        var itemDone = Begin("response.output_item.done");
        itemDone.WriteNumber("output_index", item.Index);
        itemDone.WritePropertyName("item");
        WriteItem(itemDone, item, done: true);
        await EndAsync().ConfigureAwait(false);
    }

    private static void WritePart(Utf8JsonWriter writer, Item item, string text)
    {
        if (item.Kind == ItemKind.Message)
        {
            ResponsesWriter.WriteTextPart(writer, text);
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("type", "reasoning_text");
        writer.WriteString("text", text);
        writer.WriteEndObject();
    }

    private static void WriteItem(Utf8JsonWriter writer, Item item, bool done)
    {
        switch (item.Kind)
        {
            case ItemKind.Reasoning:
                ResponsesWriter.WriteReasoningItem(writer, item.Id, item.Text.ToString(), item.Signature, done);
                break;
            case ItemKind.Message:
                ResponsesWriter.WriteMessageItem(writer, item.Id, done ? item.Text.ToString() : null);
                break;
            default:
                ResponsesWriter.WriteFunctionCallItem(writer, item.Id, new ToolCall(item.CallId, item.Name, item.Text.ToString()), done);
                break;
        }
    }

    private static void WriteIds(Utf8JsonWriter writer, Item item)
    {
        writer.WriteString("item_id", item.Id);
        writer.WriteNumber("output_index", item.Index);
    }

    private Utf8JsonWriter Begin(string type)
    {
        var writer = sse.BeginEvent(Encoding.UTF8.GetBytes(type));
        writer.WriteStartObject();
        writer.WriteString("type", type);
        writer.WriteNumber("sequence_number", _sequence++);
        _event = writer;
        return writer;
    }

    private ValueTask EndAsync()
    {
        _event!.WriteEndObject();
        return sse.EndEventAsync(cancellationToken);
    }

    private sealed class Item(ItemKind kind, int index, string id)
    {
        public ItemKind Kind => kind;

        public int Index => index;

        public string Id => id;

        public StringBuilder Text { get; } = new();

        public string CallId { get; init; } = string.Empty;

        public string Name { get; init; } = string.Empty;

        public string Signature { get; set; } = string.Empty;
    }
}
