using System.CommandLine;
using System.CommandLine.Invocation;
using GRump.Cli.Caching;
using GRump.Cli.Cost;
using GRump.Cli.Health;
using GRump.Cli.Models;
using GRump.Cli.Workflows;

namespace GRump.Cli;

/// <summary>
/// The <c>grump</c> command line: parses, runs one command against the gateway, returns the exit code. The process
/// entry point and the tests both come through <see cref="RunAsync"/>.
/// </summary>
internal static class GrumpCli
{
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var globals = new GlobalOptions();
        var runner = new CommandRunner(globals, context);
        var root = new RootCommand("grump: plan and ship through the GRump gateway, and see what it cost. Gateway: --url or $GRUMP_URL; key: $GRUMP_API_KEY.")
        {
            PlanCommand.Create(runner),
            ShipCommand.Create(runner),
            ShipParallelCommand.Create(runner),
            CostCommands.Create(runner),
            CacheClearCommand.Create(runner),
            ModelsCommand.Create(runner),
            HealthCommand.Create(runner),
        };
        globals.AddTo(root);

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction)
        {
            // Usage errors get their own exit code (2, as getopt tools do), not the library's generic 1.
            foreach (var error in parse.Errors)
            {
                await context.Error.WriteLineAsync($"grump: {error.Message}").ConfigureAwait(false);
            }
            await context.Error.WriteLineAsync($"Run 'grump {CommandPath(parse)}--help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        var invocation = new InvocationConfiguration { Output = context.Out, Error = context.Error };
        return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var command = parse.CommandResult; command is not null; command = command.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (command.Command is not RootCommand)
            {
                names.Insert(0, command.Command.Name);
            }
        }
        return names.Count == 0 ? "" : string.Join(' ', names) + " ";
    }
}
