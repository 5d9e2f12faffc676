using GRump.Gateway.Errors;
using GRump.Gateway.V1;

namespace GRump.Gateway.Chat;

/// <summary>What one chat request may carry; anything beyond is INVALID_ARGUMENT naming the field.</summary>
public static class ChatLimits
{
    public const int MaxMessages = 512;
    /// <summary>UTF-8 bytes of all message contents together (1 MiB, about 250k tokens of English).</summary>
    public const int MaxTotalContentBytes = 1 << 20;
    public const int MaxStopSequences = 4;
    public const int MaxStopChars = 256;
    public const int MaxIdChars = 256;
    public const int MaxOutputTokens = 1_000_000;
    public const int MaxParallelRequests = 1000;

    private static readonly string[] Roles = ["system", "user", "assistant", "tool"];

    /// <summary>Throws INVALID_ARGUMENT for the first problem found, with <paramref name="prefix"/> before field names.</summary>
    public static void Validate(ChatRequest? request, string prefix = "")
    {
        if (request is null)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "chat", "is required");
        }
        if (request.Messages.Count == 0)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "messages", "must contain at least one message");
        }
        if (request.Messages.Count > MaxMessages)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "messages", $"has {request.Messages.Count} messages; at most {MaxMessages} are allowed");
        }
        long total = 0;
        for (var i = 0; i < request.Messages.Count; i++)
        {
            var message = request.Messages[i];
            if (Array.IndexOf(Roles, message.Role) < 0)
            {
                GatewayErrors.ThrowInvalidArgument($"{prefix}messages[{i}].role", $"'{Shorten(message.Role)}' is not one of system, user, assistant, tool");
            }
            if (string.IsNullOrWhiteSpace(message.Content))
            {
                GatewayErrors.ThrowInvalidArgument($"{prefix}messages[{i}].content", "is empty");
            }
            total += message.Content.Length;
        }
        // A UTF-16 unit is at most 3 bytes of UTF-8: most requests skip the exact count.
        if (total * 3 > MaxTotalContentBytes)
        {
            total = request.Messages.Sum(m => (long)System.Text.Encoding.UTF8.GetByteCount(m.Content));
            if (total > MaxTotalContentBytes)
            {
                GatewayErrors.ThrowInvalidArgument(prefix + "messages",
                    $"the messages hold {total} bytes of UTF-8; the limit is {MaxTotalContentBytes} bytes (1 MiB) per request. Split the work or summarise first.");
            }
        }
        if (request.Model.Length > MaxIdChars)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "model", $"is longer than {MaxIdChars} characters");
        }
        if (request.SessionId.Length > MaxIdChars)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "session_id", $"is longer than {MaxIdChars} characters");
        }
        if (request.HasTemperature && (request.Temperature is < 0 or > 2 || float.IsNaN(request.Temperature)))
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "temperature", "must be between 0 and 2");
        }
        if (request.HasTopP && (request.TopP is <= 0 or > 1 || float.IsNaN(request.TopP)))
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "top_p", "must be greater than 0 and at most 1");
        }
        if (request.MaxTokens is < 0 or > MaxOutputTokens)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "max_tokens", $"must be between 0 (model default) and {MaxOutputTokens}");
        }
        if (request.Stop.Count > MaxStopSequences)
        {
            GatewayErrors.ThrowInvalidArgument(prefix + "stop", $"has {request.Stop.Count} sequences; at most {MaxStopSequences} are allowed");
        }
        foreach (var stop in request.Stop)
        {
            if (stop.Length is 0 or > MaxStopChars)
            {
                GatewayErrors.ThrowInvalidArgument(prefix + "stop", $"each sequence must be 1–{MaxStopChars} characters");
            }
        }
        if (request.Routing is { } routing)
        {
            if (routing.MaxCostPerRequestUsd < 0 || double.IsNaN(routing.MaxCostPerRequestUsd))
            {
                GatewayErrors.ThrowInvalidArgument(prefix + "routing.max_cost_per_request_usd", "must be 0 (no cap) or positive");
            }
            if (routing.RequiredCapabilities.Count > 16)
            {
                GatewayErrors.ThrowInvalidArgument(prefix + "routing.required_capabilities", "at most 16 are allowed");
            }
        }
        if (!Enum.IsDefined(request.Mode) || !Enum.IsDefined(request.Cache))
        {
            GatewayErrors.ThrowInvalidArgument(prefix + (Enum.IsDefined(request.Mode) ? "cache" : "mode"), "is not a known value");
        }
    }

    private static string Shorten(string value) => value.Length <= 32 ? value : value[..32] + "…";
}
