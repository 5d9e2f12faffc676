using System.CommandLine;

namespace GRump.Cli;

/// <summary>Options every command takes (declared once on the root, recursive).</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Url { get; } = new("--url")
    {
        Description = $"The gateway's gRPC address [default: ${CliContext.UrlVariable}, else {CliContext.DefaultUrl}]",
        HelpName = "url",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print one JSON document on stdout (for scripts); errors too",
        Recursive = true,
    };

    public void AddTo(Command root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Add(Url);
        root.Add(Json);
    }
}
