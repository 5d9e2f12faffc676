using Google.Protobuf;
using GRump.Gateway.Caching;
using GRump.Gateway.Chat;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Errors;
using Domain = GRump.Gateway.Chat;

namespace GRump.Gateway.Services;

/// <summary>
/// The gRPC/REST door's translator: contract messages (<c>grump.gateway.v1</c>) to the chat domain model and back.
/// Wire-level problems (an unknown role, a part with nothing in it) are INVALID_ARGUMENT naming the field; limits are
/// checked once, by the pipeline.
/// </summary>
internal static class ChatMapper
{
    private static readonly string EmptyObjectSchema = """{"type":"object","properties":{}}""";

    public static Domain.ChatRequest ToDomain(V1.ChatRequest? request, string prefix = "")
    {
        if (request is null)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "chat", "is required");
        }

        var messages = new Domain.ChatMessage[request.Messages.Count];
        for (var i = 0; i < messages.Length; i++)
        {
            messages[i] = ToDomain(request.Messages[i], $"{prefix}messages[{i}]");
        }

        return new Domain.ChatRequest
        {
            Messages = messages,
            Model = request.Model,
            Mode = request.Mode switch
            {
                V1.ChatMode.Chat => ChatMode.Chat,
                V1.ChatMode.Code => ChatMode.Code,
                V1.ChatMode.Plan => ChatMode.Plan,
                V1.ChatMode.Ship => ChatMode.Ship,
                V1.ChatMode.Architecture => ChatMode.Architecture,
                V1.ChatMode.Spec => ChatMode.Spec,
                V1.ChatMode.Unspecified => ChatMode.Unspecified,
                _ => (ChatMode)(-1),
            },
            Temperature = request.HasTemperature ? request.Temperature : null,
            TopP = request.HasTopP ? request.TopP : null,
            MaxTokens = request.MaxTokens,
            Seed = request.HasSeed ? request.Seed : null,
            Stop = request.Stop.Count == 0 ? [] : [.. request.Stop],
            Tools = request.Tools.Count == 0 ? [] : ToDomain(request.Tools),
            ToolChoice = request.ToolChoice is { } choice ? ToDomain(choice, prefix) : null,
            ParallelToolCalls = request.HasParallelToolCalls ? request.ParallelToolCalls : null,
            ResponseFormat = request.ResponseFormat is { } format ? ToDomain(format, prefix) : null,
            Reasoning = request.Reasoning is { } reasoning ? new ReasoningOptions(reasoning.BudgetTokens, reasoning.Effort) : null,
            Routing = request.Routing is { } routing
                ? new RoutingPreferences(routing.MaxCostPerRequestUsd, routing.PreferCheaper) { RequiredCapabilities = [.. routing.RequiredCapabilities] }
                : RoutingPreferences.None,
            // UNSPECIFIED is the default policy, not an opt-in: sampled answers are cached only on an explicit ON.
            Cache = ToDomain(request.Cache),
            SessionId = request.SessionId,
            User = request.User,
        };
    }

    /// <summary>The contract's cache mode; an undefined number maps to an undefined mode, which the pipeline refuses.</summary>
    public static ChatCacheMode ToDomain(V1.CacheMode mode) => mode switch
    {
        V1.CacheMode.Unspecified => ChatCacheMode.Default,
        V1.CacheMode.On => ChatCacheMode.On,
        V1.CacheMode.Off => ChatCacheMode.Off,
        V1.CacheMode.ReadOnly => ChatCacheMode.ReadOnly,
        V1.CacheMode.WriteOnly => ChatCacheMode.WriteOnly,
        _ => (ChatCacheMode)(-1),
    };

    private static Domain.ChatMessage ToDomain(V1.ChatMessage message, string field)
    {
        var role = message.Role switch
        {
            "system" => ChatRole.System,
            "user" => ChatRole.User,
            "assistant" => ChatRole.Assistant,
            "tool" => ChatRole.Tool,
            _ => throw InvalidRole(field, message.Role),
        };
        IReadOnlyList<ContentPart> content;
        if (message.Parts.Count == 0)
        {
            content = [new TextPart(message.Content)];
        }
        else
        {
            if (message.Content.Length > 0)
            {
                GatewayErrors.ThrowInvalidArgument(field + ".content", "set content or parts, not both");
            }

            var parts = new ContentPart[message.Parts.Count];
            for (var i = 0; i < parts.Length; i++)
            {
                parts[i] = ToDomain(message.Parts[i], $"{field}.parts[{i}]");
            }

            content = parts;
        }

        return new Domain.ChatMessage(role, content)
        {
            ToolCalls = message.ToolCalls.Count == 0 ? [] : [.. message.ToolCalls.Select(c => new Domain.ToolCall(c.Id, c.Name, c.Arguments) { CacheControl = ToDomain(c.CacheControl) })],
            ToolCallId = message.ToolCallId,
            Name = message.Name,
            IsError = message.IsError,
            CacheControl = ToDomain(message.CacheControl),
        };
    }

    private static Domain.CacheControl? ToDomain(V1.CacheControl? control) => control is null ? null : new Domain.CacheControl(control.Ttl);

    private static ContentPart ToDomain(V1.ContentPart part, string field)
    {
        var cacheControl = ToDomain(part.CacheControl);
        return part.PartCase switch
        {
            V1.ContentPart.PartOneofCase.Text => new TextPart(part.Text) { CacheControl = cacheControl },
            V1.ContentPart.PartOneofCase.Image => new ImagePart(part.Image.Url, part.Image.Detail) { CacheControl = cacheControl },
            V1.ContentPart.PartOneofCase.Reasoning => new ReasoningPart(part.Reasoning.Text, part.Reasoning.Signature, part.Reasoning.RedactedData),
            _ => throw new GatewayException(GatewayErrorKind.InvalidArgument, $"{field}: set one of text, image or reasoning", [new(field, "set one of text, image or reasoning")]),
        };
    }

    private static ToolDefinition[] ToDomain(Google.Protobuf.Collections.RepeatedField<V1.Tool> tools)
    {
        var result = new ToolDefinition[tools.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var tool = tools[i];
            result[i] = new ToolDefinition(tool.Name, tool.Description, tool.Parameters is { } schema ? Json(schema, $"tools[{i}].parameters") : EmptyObjectSchema)
            {
                Strict = tool.HasStrict ? tool.Strict : null,
                CacheControl = tool.CacheControl is { } control ? new Domain.CacheControl(control.Ttl) : null,
            };
        }

        return result;
    }

    private static Domain.ToolChoice? ToDomain(V1.ToolChoice choice, string prefix) => choice.Mode switch
    {
        V1.ToolChoiceMode.Unspecified => null,
        V1.ToolChoiceMode.Auto => Domain.ToolChoice.Auto,
        V1.ToolChoiceMode.None => new Domain.ToolChoice(ToolChoiceKind.None),
        V1.ToolChoiceMode.Required => new Domain.ToolChoice(ToolChoiceKind.Required),
        V1.ToolChoiceMode.Function when choice.Name.Length == 0 =>
            throw new GatewayException(GatewayErrorKind.InvalidArgument, $"{prefix}tool_choice.name: is required with TOOL_CHOICE_MODE_FUNCTION", [new(prefix + "tool_choice.name", "is required with TOOL_CHOICE_MODE_FUNCTION")]),
        V1.ToolChoiceMode.Function => new Domain.ToolChoice(ToolChoiceKind.Function, choice.Name),
        _ => throw new GatewayException(GatewayErrorKind.InvalidArgument, $"{prefix}tool_choice.mode: not a known value", [new(prefix + "tool_choice.mode", "not a known value")]),
    };

    private static Domain.ResponseFormat? ToDomain(V1.ResponseFormat format, string prefix) => format.Type switch
    {
        V1.ResponseFormatType.Unspecified or V1.ResponseFormatType.Text => null,
        V1.ResponseFormatType.JsonObject => new Domain.ResponseFormat(ResponseFormatKind.JsonObject),
        V1.ResponseFormatType.JsonSchema when format.Schema is null =>
            throw new GatewayException(GatewayErrorKind.InvalidArgument, $"{prefix}response_format.schema: is required for JSON_SCHEMA", [new(prefix + "response_format.schema", "is required for JSON_SCHEMA")]),
        V1.ResponseFormatType.JsonSchema => new Domain.ResponseFormat(ResponseFormatKind.JsonSchema, format.Name, Json(format.Schema, prefix + "response_format.schema"), format.HasStrict ? format.Strict : null),
        _ => throw new GatewayException(GatewayErrorKind.InvalidArgument, $"{prefix}response_format.type: not a known value", [new(prefix + "response_format.type", "not a known value")]),
    };

    /// <summary>
    /// A Struct as JSON text. A Struct that parses can still have no JSON form (a Value with no kind set, an empty
    /// key): the formatter throws for those, which is the caller's input, so INVALID_ARGUMENT naming the field.
    /// </summary>
    private static string Json(Google.Protobuf.WellKnownTypes.Struct schema, string field)
    {
        try
        {
            return JsonFormatter.Default.Format(schema);
        }
        catch (InvalidOperationException)
        {
            throw new GatewayException(GatewayErrorKind.InvalidArgument, $"{field}: is not a JSON object (every value must hold one kind, no key may be empty)",
                [new(field, "every value must hold one kind, no key may be empty")]);
        }
    }

    private static GatewayException InvalidRole(string field, string role) =>
        new(GatewayErrorKind.InvalidArgument, $"{field}.role: '{(role.Length <= 32 ? role : role[..32] + "…")}' is not one of system, user, assistant, tool",
            [new(field + ".role", "must be system, user, assistant or tool")]);

    /// <summary>One event of the pipeline as StreamComplete sends it.</summary>
    public static V1.StreamCompleteResponse ToProto(ChatEvent item) => item switch
    {
        TextDelta text => new V1.StreamCompleteResponse { Delta = new V1.StreamDelta { Content = text.Text } },
        ToolCallDelta call => new V1.StreamCompleteResponse
        {
            Delta = new V1.StreamDelta { ToolCall = new V1.ToolCallDelta { Index = call.Index, Id = call.Id, Name = call.Name, Arguments = call.Arguments } },
        },
        ReasoningDelta reasoning => new V1.StreamCompleteResponse { Delta = new V1.StreamDelta { Reasoning = reasoning.Text, ReasoningSignature = reasoning.Signature } },
        ChatStarted started => new V1.StreamCompleteResponse
        {
            Start = new V1.StreamStart { Id = started.Id, Model = started.Model, Provider = started.Provider, Routing = ToProto(started.Routing), Cache = ToProto(started.Cache) },
        },
        ChatEnded ended => new V1.StreamCompleteResponse { End = new V1.StreamEnd { FinishReason = ended.FinishReason, Outcome = ToProto(ended.Outcome!) } },
        _ => throw new InvalidOperationException($"No contract message for {item.GetType().Name}."),
    };

    public static V1.CompleteResponse ToProto(ChatResult result)
    {
        var response = new V1.CompleteResponse
        {
            Id = result.Id,
            Content = result.Content,
            FinishReason = result.FinishReason,
            Outcome = ToProto(result.Outcome),
            Reasoning = result.Reasoning,
            ReasoningSignature = result.ReasoningSignature,
        };
        foreach (var call in result.ToolCalls)
        {
            response.ToolCalls.Add(new V1.ToolCall { Id = call.Id, Name = call.Name, Arguments = call.ArgumentsJson });
        }

        return response;
    }

    public static V1.ChatOutcome ToProto(ChatOutcome outcome) => new()
    {
        Model = outcome.Model,
        Provider = outcome.Provider,
        Routing = ToProto(outcome.Routing),
        Cache = ToProto(outcome.Cache),
        Usage = ToProto(outcome.Usage),
        CostUsd = outcome.CostUsd,
        CacheSavingsUsd = outcome.CacheSavingsUsd,
        RoutingSavingsUsd = outcome.RoutingSavingsUsd,
        OverheadMs = outcome.Overhead.TotalMilliseconds,
    };

    public static V1.TokenUsage ToProto(TokenUsage usage) => new()
    {
        InputTokens = usage.InputTokens,
        OutputTokens = usage.OutputTokens,
        Estimated = usage.Estimated,
        CacheReadTokens = usage.CacheReadTokens,
        CacheWriteTokens = usage.CacheWriteTokens,
        CacheWrite1HTokens = usage.CacheWrite1hTokens,
        ReasoningTokens = usage.ReasoningTokens,
    };

    public static V1.RoutingDecision ToProto(Routing.RoutingDecision decision)
    {
        var proto = new V1.RoutingDecision
        {
            Score = decision.Score,
            Tier = ToProto(decision.Tier),
            Model = decision.Model,
            Provider = decision.Provider,
            Reason = decision.Reason,
            EstimatedCostUsd = decision.EstimatedCostUsd,
            ExplicitModel = decision.ExplicitModel,
        };
        foreach (var factor in decision.Factors)
        {
            proto.Factors.Add(ToProto(factor));
        }

        return proto;
    }

    public static V1.ComplexityFactor ToProto(Routing.ComplexityFactor factor) => new() { Name = factor.Name, Points = factor.Points, Detail = factor.Detail };

    public static V1.ComplexityTier ToProto(Routing.ComplexityTier tier) => tier switch
    {
        Routing.ComplexityTier.Simple => V1.ComplexityTier.Simple,
        Routing.ComplexityTier.Medium => V1.ComplexityTier.Medium,
        _ => V1.ComplexityTier.Complex,
    };

    public static V1.CacheTier ToProto(CacheLayer layer) => layer switch
    {
        CacheLayer.L1 => V1.CacheTier.L1,
        CacheLayer.L2 => V1.CacheTier.L2,
        CacheLayer.L3 => V1.CacheTier.L3,
        _ => V1.CacheTier.Miss,
    };

    /// <summary>Domain field names (or, starting with '.', name parts) → this contract's (chat.proto).</summary>
    private static readonly Dictionary<string, string> FieldRenames = new(StringComparer.Ordinal)
    {
        [".function.name"] = ".name",
        [".function.parameters"] = ".parameters",
        [".function.arguments"] = ".arguments",
        [".image_url.url"] = ".image.url",
        [".image_url.detail"] = ".image.detail",
        ["tool_choice.function.name"] = "tool_choice.name",
        ["response_format.json_schema.name"] = "response_format.name",
        ["response_format.json_schema.schema"] = "response_format.schema",
    };

    /// <summary>
    /// A chat limit's error (named in the domain's terms: <c>tool_choice.function.name</c>, <c>messages[2].content[1]</c>)
    /// with its field in <paramref name="request"/>'s own (<c>tool_choice.name</c>, <c>messages[2].parts[1]</c>); any
    /// other error as it is. Built only on the error path.
    /// </summary>
    public static GatewayException InRequestTerms(GatewayException error, V1.ChatRequest? request)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error.Kind != GatewayErrorKind.InvalidArgument || error.FieldViolations.Count == 0 || request is null)
        {
            return error;
        }

        var origins = new MessageOrigins(FieldRenames);
        for (var i = 0; i < request.Messages.Count; i++)
        {
            var message = request.Messages[i];
            var at = $"messages[{i}]";
            origins.Add(at,
                message.Parts.Count == 0 ? [at + ".content"] : Enumerable.Range(0, message.Parts.Count).Select(p => $"{at}.parts[{p}]"),
                Enumerable.Range(0, message.ToolCalls.Count).Select(c => $"{at}.tool_calls[{c}]"));
        }

        return origins.Remap(error);
    }

    /// <summary>A parallel item's error as the contract carries it (a google.rpc.Code and the message).</summary>
    public static V1.ItemError ToProto(GatewayException error) =>
        new() { Code = (int)GatewayStatus.ToStatusCode(error.Kind), Message = error.Message };
}
