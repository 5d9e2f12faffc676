using GRump.Gateway.Errors;

namespace GRump.Gateway.Endpoints;

/// <summary>
/// Where each domain message came from in a door's request (Anthropic's system is not a message and its tool results
/// are blocks of a user turn; Responses' instructions and input items are not messages one for one). The chat limits
/// name domain fields (<c>messages[3].content[1]</c>); a client needs the field in what it sent.
/// </summary>
/// <param name="renames">Domain field names (or, starting with '.', name parts) → the door's.</param>
internal sealed class MessageOrigins(IReadOnlyDictionary<string, string> renames)
{
    private readonly List<(string Message, List<string> Parts, List<string> Calls)> _origins = [];

    /// <summary>The next domain message came from <paramref name="message"/>, its parts and tool calls from these paths.</summary>
    public void Add(string message, IEnumerable<string> parts, IEnumerable<string> calls) => _origins.Add((message, [.. parts], [.. calls]));

    /// <summary>The last domain message gained a tool call from <paramref name="path"/>.</summary>
    public void AddCall(string path) => _origins[^1].Calls.Add(path);

    /// <summary>The same error with its field in the request's own terms.</summary>
    public GatewayException Remap(GatewayException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var violation = error.FieldViolations[0];
        var field = Map(violation.Field);
        return field == violation.Field
            ? error
            : new GatewayException(error.Kind, $"{field}: {violation.Description}", [new(field, violation.Description)]) { Reason = error.Reason };
    }

    private string Map(string field)
    {
        if (renames.TryGetValue(field, out var renamed))
        {
            return renamed;
        }

        if (!field.StartsWith("messages[", StringComparison.Ordinal))
        {
            return Rename(field);
        }

        var close = field.IndexOf(']', StringComparison.Ordinal);
        if (close < 0 || !int.TryParse(field.AsSpan(9, close - 9), out var index) || (uint)index >= (uint)_origins.Count)
        {
            return field;
        }

        var (message, parts, calls) = _origins[index];
        var rest = field[(close + 1)..];
        if (TryIndex(rest, ".content[", out var part, out var after) && part < parts.Count)
        {
            return parts[part] + Rename(after);
        }

        if (TryIndex(rest, ".tool_calls[", out var call, out after) && call < calls.Count)
        {
            return calls[call] + Rename(after);
        }

        return rest switch
        {
            ".content" when parts.Count == 1 && calls.Count == 0 => parts[0],
            _ => message + Rename(rest),
        };
    }

    /// <summary>Renames the parts of a field the door names differently (<c>.function.name</c> → <c>.name</c>).</summary>
    private string Rename(string field)
    {
        foreach (var (from, to) in renames)
        {
            if (from.StartsWith('.'))
            {
                field = field.Replace(from, to, StringComparison.Ordinal);
            }
        }

        return field;
    }

    private static bool TryIndex(string rest, string prefix, out int index, out string after)
    {
        index = -1;
        after = string.Empty;
        if (!rest.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var close = rest.IndexOf(']', prefix.Length);
        if (close < 0 || !int.TryParse(rest.AsSpan(prefix.Length, close - prefix.Length), out index))
        {
            return false;
        }

        after = rest[(close + 1)..];
        return true;
    }
}
