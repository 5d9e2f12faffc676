using Spectre.Console;

namespace GRump.Cli.Output;

/// <summary>
/// Spectre.Console over the CLI's own writers. Interactive: colours and live redraws; otherwise (a pipe, a file, a
/// test) plain text at a fixed width, so tables never wrap mid-cell and nothing is redrawn.
/// </summary>
internal static class Terminal
{
    public const int PlainWidth = 160;

    public static IAnsiConsole Create(TextWriter writer, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!interactive)
        {
            console.Profile.Width = PlainWidth;
        }
        return console;
    }
}
