using GRump.Gateway.Errors;

namespace GRump.Gateway.Workflows;

/// <summary>What a Plan or Ship request may carry; beyond it is INVALID_ARGUMENT naming the field.</summary>
public static class WorkflowLimits
{
    /// <summary>Characters of the message: a project description, not a document (later phases carry earlier output too).</summary>
    public const int MaxMessageChars = 16 * 1024;

    public const int MaxModelChars = 256;

    public static void Validate(WorkflowRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Message))
        {
            GatewayErrors.ThrowInvalidArgument("message", "is empty; say what to plan or build");
        }
        if (request.Message.Length > MaxMessageChars)
        {
            GatewayErrors.ThrowInvalidArgument("message", $"has {request.Message.Length} characters; at most {MaxMessageChars} are allowed");
        }
        if (request.Model.Length > MaxModelChars)
        {
            GatewayErrors.ThrowInvalidArgument("model", $"is longer than {MaxModelChars} characters");
        }
        if (!Enum.IsDefined(request.Cache))
        {
            GatewayErrors.ThrowInvalidArgument("cache", $"{(int)request.Cache} is not a cache mode (use CACHE_MODE_ON, _OFF, _READ_ONLY or _WRITE_ONLY)");
        }
    }
}
