using System.CommandLine;
using GRump.Cli.Output;
using GRump.Gateway.V1;
using Spectre.Console;

namespace GRump.Cli.Models;

/// <summary><c>grump models</c>: the gateway's model registry (RoutingService.ListModels) — prices, context, tiers, availability.</summary>
internal static class ModelsCommand
{
    public static Command Create(CommandRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var command = new Command("models", "The models the gateway routes to: provider, price per million tokens, context, tiers");
        runner.SetAction(command, async (run, ct) =>
        {
            var response = await run.Gateway.Retry.RunAsync("models", c => run.Gateway.Routing.ListModelsAsync(new ListModelsRequest(), run.Gateway.Call(c)).ResponseAsync, ct).ConfigureAwait(false);
            if (run.Json)
            {
                await run.Out.WriteLineAsync(Json.Message(response)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("Model").AddColumn("Provider").AddColumn(new TableColumn("$/M in").RightAligned()).AddColumn(new TableColumn("$/M out").RightAligned())
                .AddColumn(new TableColumn("Context").RightAligned()).AddColumn("Tiers").AddColumn("Capabilities").AddColumn("Available");
            foreach (var m in response.Models)
            {
                table.AddRow(
                    Markup.Escape(m.Id),
                    Markup.Escape(m.Provider),
                    Markup.Escape(Format.Number(m.InputPricePerMillionUsd)),
                    Markup.Escape(Format.Number(m.OutputPricePerMillionUsd)),
                    Format.Tokens(m.ContextWindow),
                    Markup.Escape(m.Tiers.Count > 0 ? string.Join(", ", m.Tiers) : "-"),
                    Markup.Escape(string.Join(", ", m.Capabilities)),
                    m.Available ? "yes" : "no (provider not configured)");
            }
            Terminal.Create(run.Out, run.Context.Interactive).Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }
}
