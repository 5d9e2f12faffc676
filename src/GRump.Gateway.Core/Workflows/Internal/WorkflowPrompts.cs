using System.Text;
using GRump.Gateway.Intent;

namespace GRump.Gateway.Workflows.Internal;

/// <summary>
/// The prompt of each phase. Each phase gets the request, the compiled intent, and the previous phase's output — so
/// the chain builds on itself, and a repeated workflow hashes to the same cache keys phase by phase.
/// </summary>
internal static class WorkflowPrompts
{
    public const string Plan =
        "You are a senior software engineer. Write a concise, numbered, step-by-step implementation plan for the request: "
        + "the files or components to touch, the tests to add, and the order. No code.";

    public const string Architecture =
        "You are a software architect. Describe the architecture for the request: components and their responsibilities, "
        + "the data model, the APIs between them, and the technology choices with one reason each. Be concise.";

    public const string ShipPlan =
        "You are a senior software engineer. Turn the architecture into a numbered implementation plan with milestones; "
        + "name files, components and tests. No code.";

    public const string Code =
        "You are a senior software engineer. Write the code for the first milestone of the plan: each file in a fenced "
        + "code block preceded by its path. Only code and file paths.";

    /// <summary>The user message of a phase: the request, what the gateway understood of it, and the previous phase's output.</summary>
    public static string Task(string message, ParsedIntent intent, string? previousTitle = null, string? previous = null)
    {
        var text = new StringBuilder("Request: ").Append(message.Trim()).Append('\n');
        if (intent.Features.Count > 0)
        {
            text.Append("Features: ").AppendJoin(", ", intent.Features).Append('\n');
        }
        if (intent.TechStackHints.Count > 0)
        {
            text.Append("Technology: ").AppendJoin(", ", intent.TechStackHints).Append('\n');
        }
        if (previous is not null)
        {
            text.Append('\n').Append(previousTitle).Append(":\n").Append(previous.Trim()).Append('\n');
        }
        return text.ToString();
    }
}
