using System.Text.Json;
using GRump.Gateway.Chat;

namespace GRump.Gateway.Providers;

/// <summary>OpenAI's <c>tool_calls</c> array, as both its requests (assistant turns) and its answers carry it.</summary>
public static class OpenAiToolCalls
{
    /// <summary>Writes <c>"tool_calls": [{id, type: "function", function: {name, arguments}}]</c>; nothing when there are none.</summary>
    public static void Write(Utf8JsonWriter writer, IReadOnlyList<ToolCall> calls)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(calls);
        if (calls.Count == 0)
        {
            return;
        }

        writer.WriteStartArray("tool_calls");
        foreach (var call in calls)
        {
            writer.WriteStartObject();
            writer.WriteString("id", call.Id);
            writer.WriteString("type", "function");
            writer.WriteStartObject("function");
            writer.WriteString("name", call.Name);
            writer.WriteString("arguments", call.ArgumentsJson);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}
