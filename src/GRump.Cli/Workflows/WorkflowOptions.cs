using System.CommandLine;

namespace GRump.Cli.Workflows;

/// <summary>The options plan, ship and ship-parallel share.</summary>
internal static class WorkflowOptions
{
    public static Option<string> Message(string description) => new("--message", "-m")
    {
        Description = description,
        HelpName = "text",
        Required = true,
    };

    public static Option<string?> Model(string description) => new("--model")
    {
        Description = description,
        HelpName = "id",
    };

    public static Option<bool> Fresh() => new("--no-cache")
    {
        Description = "Ask the gateway for fresh answers: it does not read its cache (the new answers are stored)",
    };

    /// <summary>The message, trimmed; an empty one is a usage error naming the option.</summary>
    public static string RequireMessage(string? message, string option) =>
        string.IsNullOrWhiteSpace(message) ? throw new UsageException($"{option}: give the text to work on (it is empty).") : message.Trim();
}
