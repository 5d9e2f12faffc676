using System.Text.Json;
using GRump.Gateway.Chat;

namespace GRump.Gateway.Providers.Internal;

/// <summary>Request-body fields the upstream APIs share.</summary>
internal static class RequestJson
{
    /// <summary><c>temperature</c> and <c>top_p</c> when the request sets them (both APIs have them).</summary>
    public static void WriteSampling(Utf8JsonWriter writer, ChatRequest request)
    {
        if (request.Temperature is { } temperature)
        {
            writer.WriteNumber("temperature", temperature);
        }
        if (request.TopP is { } topP)
        {
            writer.WriteNumber("top_p", topP);
        }
    }

    /// <summary>The stop sequences under the API's own name (<c>stop</c>, <c>stop_sequences</c>), when there are any.</summary>
    public static void WriteStop(Utf8JsonWriter writer, string name, IReadOnlyList<string> stop)
    {
        if (stop.Count == 0)
        {
            return;
        }
        writer.WriteStartArray(name);
        foreach (var sequence in stop)
        {
            writer.WriteStringValue(sequence);
        }
        writer.WriteEndArray();
    }
}
