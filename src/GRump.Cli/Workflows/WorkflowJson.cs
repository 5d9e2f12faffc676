using System.Text.Json;
using GRump.Cli.Gateway;
using GRump.Cli.Output;

namespace GRump.Cli.Workflows;

/// <summary>The JSON shape of a ship workflow (<c>ship --json</c>, and each entry of <c>ship-parallel --json</c>).</summary>
internal static class WorkflowJson
{
    public static void Write(Utf8JsonWriter w, WorkflowResult result)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(result);
        w.WriteStartObject();
        w.WriteString("message", result.Message);
        w.WriteString("status", result.Succeeded ? "ok" : "failed");
        if (result.Failure is { } failure)
        {
            w.WriteStartObject("error");
            w.WriteString("code", StatusNames.Of(failure.StatusCode));
            w.WriteString("message", failure.Status.Detail);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("error");
        }
        w.WriteNumber("elapsedMs", Math.Round(result.Elapsed.TotalMilliseconds, 1));
        w.WriteNumber("costUsd", result.CostUsd);
        w.WriteNumber("cacheSavingsUsd", result.CacheSavingsUsd);
        w.WriteNumber("inputTokens", result.InputTokens);
        w.WriteNumber("outputTokens", result.OutputTokens);
        w.WriteStartArray("models");
        foreach (var model in result.Models)
        {
            w.WriteStringValue(model);
        }
        w.WriteEndArray();
        Json.WriteMessage(w, "intent", result.Intent);
        w.WriteStartArray("phases");
        foreach (var phase in result.Phases)
        {
            w.WriteStartObject();
            w.WriteString("phase", WorkflowNames.Phase(phase.Phase));
            w.WriteString("content", phase.Content.ToString());
            Json.WriteMessage(w, "outcome", phase.Outcome);
            w.WriteNumber("elapsedMs", Math.Round(phase.Elapsed.TotalMilliseconds, 1));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
