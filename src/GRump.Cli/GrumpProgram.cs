namespace GRump.Cli;

/// <summary>The process entry point: the real console, clock and environment.</summary>
internal static class GrumpProgram
{
    public static Task<int> Main(string[] args) => GrumpCli.RunAsync(args, CliContext.FromProcess());
}
