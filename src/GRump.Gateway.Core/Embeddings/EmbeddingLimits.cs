using GRump.Gateway.Errors;

namespace GRump.Gateway.Embeddings;

/// <summary>Per-call limits of an Embed call (gRPC, REST and <c>/v1/embeddings</c>).</summary>
public static class EmbeddingLimits
{
    /// <summary>Inputs per call (OpenAI's limit).</summary>
    public const int MaxInputs = 2048;

    /// <summary>UTF-16 characters over all inputs of one call.</summary>
    public const int MaxTotalChars = 4 << 20;

    /// <summary>
    /// Throws INVALID_ARGUMENT naming <paramref name="field"/> (<c>inputs</c> on gRPC/REST, <c>input</c> on the OpenAI API)
    /// for an empty list, too many inputs, an empty input or too many characters in total.
    /// </summary>
    public static void Validate(IReadOnlyList<string> inputs, string field)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0)
        {
            GatewayErrors.ThrowInvalidArgument(field, "must contain at least one text");
        }
        if (inputs.Count > MaxInputs)
        {
            GatewayErrors.ThrowInvalidArgument(field, $"has {inputs.Count} items; at most {MaxInputs} are allowed per call");
        }
        long chars = 0;
        for (var i = 0; i < inputs.Count; i++)
        {
            var length = inputs[i]?.Length ?? 0;
            if (length == 0)
            {
                GatewayErrors.ThrowInvalidArgument($"{field}[{i}]", "must not be empty");
            }
            chars += length;
        }
        if (chars > MaxTotalChars)
        {
            GatewayErrors.ThrowInvalidArgument(field, $"totals {chars} characters; at most {MaxTotalChars} are allowed per call");
        }
    }
}
