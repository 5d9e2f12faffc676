using System.Globalization;
using System.Text;
using GRump.Gateway.Errors;
using GRump.Gateway.V1;

namespace GRump.Gateway.Services;

/// <summary>What one chat request (or AnalyzeComplexity request) may carry. Field names are ChatRequest's own.</summary>
internal static class ChatRequestLimits
{
    public const int MaxMessages = 256;
    public const int MaxTotalBytes = 256 * 1024;

    public static void Validate(ChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var messages = request.Messages;
        if (messages.Count == 0)
        {
            GatewayErrors.ThrowInvalidArgument("messages", "at least one message is required, e.g. {\"role\":\"user\",\"content\":\"...\"}.");
        }

        if (messages.Count > MaxMessages)
        {
            GatewayErrors.ThrowInvalidArgument("messages", string.Create(CultureInfo.InvariantCulture, $"{messages.Count} messages; the limit is {MaxMessages}. Trim or summarise the history."));
        }

        var totalChars = 0L;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (!IsKnownRole(message.Role))
            {
                GatewayErrors.ThrowInvalidArgument(Field(i, "role"), $"'{message.Role}' is not a role; use system, user, assistant or tool.");
            }

            if (string.IsNullOrWhiteSpace(message.Content))
            {
                GatewayErrors.ThrowInvalidArgument(Field(i, "content"), "is empty.");
            }

            totalChars += message.Content.Length;
        }

        // Cheap bound first: a UTF-16 unit is at most 3 bytes of UTF-8, so most requests skip the exact count.
        if (totalChars > MaxTotalBytes / 3)
        {
            var totalBytes = 0L;
            foreach (var message in messages)
            {
                totalBytes += Encoding.UTF8.GetByteCount(message.Content);
            }

            if (totalBytes > MaxTotalBytes)
            {
                GatewayErrors.ThrowInvalidArgument("messages", string.Create(CultureInfo.InvariantCulture,
                    $"the messages hold {totalBytes} bytes of UTF-8; the limit is {MaxTotalBytes} bytes (256 KiB) per request. Split the work or summarise first."));
            }
        }

        if (!Enum.IsDefined(request.Mode))
        {
            GatewayErrors.ThrowInvalidArgument("mode", string.Create(CultureInfo.InvariantCulture, $"{(int)request.Mode} is not a ChatMode."));
        }
    }

    private static bool IsKnownRole(string role) =>
        role is "system" or "user" or "assistant" or "tool";

    private static string Field(int index, string name) => string.Create(CultureInfo.InvariantCulture, $"messages[{index}].{name}");
}
