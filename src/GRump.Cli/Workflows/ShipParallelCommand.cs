using System.CommandLine;
using Grpc.Core;
using GRump.Cli.Output;
using Spectre.Console;

namespace GRump.Cli.Workflows;

/// <summary>
/// <c>grump ship-parallel --messages "Todo app,Blog platform,E-commerce site"</c>: N ship workflows at once over one
/// connection, a live progress line each, then a table (status, models, tokens, cost, time) and each result.
/// One workflow's failure is its row's status, not the end of the others.
/// </summary>
internal static class ShipParallelCommand
{
    public const int MaxWorkflows = 100;
    public const int DefaultMaxParallel = 32;

    public static Command Create(CommandRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var messages = new Option<string>("--messages")
        {
            Description = "Comma-separated projects to ship at once (e.g. \"Todo app,Blog platform,E-commerce site\")",
            HelpName = "a,b,c",
            Required = true,
        };
        var model = WorkflowOptions.Model("A model id for every phase [default: the gateway routes each phase by its complexity]");
        var fresh = WorkflowOptions.Fresh();
        var maxParallel = new Option<int>("--max-parallel")
        {
            Description = $"How many workflows run at the same time [default: {DefaultMaxParallel}]",
            HelpName = "n",
            DefaultValueFactory = _ => DefaultMaxParallel,
        };
        var command = new Command("ship-parallel", "Ship several projects concurrently, with live progress and a cost table")
        {
            messages, model, fresh, maxParallel,
        };
        runner.SetAction(command, (run, ct) => RunAsync(run, Split(run.Parse.GetValue(messages)), run.Parse.GetValue(model), run.Parse.GetValue(fresh), run.Parse.GetValue(maxParallel), ct));
        return command;
    }

    /// <summary>The workflows named by <c>--messages</c>: split on commas, trimmed, empty ones dropped.</summary>
    public static IReadOnlyList<string> Split(string? messages)
    {
        var items = (messages ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (items.Length == 0)
        {
            throw new UsageException("--messages: give at least one project, comma-separated (e.g. \"Todo app,Blog platform\").");
        }
        if (items.Length > MaxWorkflows)
        {
            throw new UsageException($"--messages: {items.Length} projects; at most {MaxWorkflows} at once.");
        }
        return items;
    }

    private static async Task<int> RunAsync(Invocation run, IReadOnlyList<string> messages, string? model, bool fresh, int maxParallel, CancellationToken cancellationToken)
    {
        if (maxParallel is < 1 or > DefaultMaxParallel)
        {
            throw new UsageException($"--max-parallel: between 1 and {DefaultMaxParallel} (got {maxParallel}).");
        }
        var results = messages.Select(m => new WorkflowResult(m, run.Context.Time)).ToArray();
        IWorkflowProgress progress = run.Context.Interactive && !run.Json
            ? new LiveProgress(Terminal.Create(run.Error, interactive: true), run.Context.Time)
            : new LineProgress(run.Error);
        using var gate = new SemaphoreSlim(maxParallel);
        await progress.RunAsync(async () =>
        {
            foreach (var result in results)
            {
                progress.Started(result);
            }
            await Task.WhenAll(results.Select(r => RunOneAsync(run, r, model, fresh, gate, progress, cancellationToken))).ConfigureAwait(false);
        }).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();

        if (run.Json)
        {
            await run.Out.WriteLineAsync(Json.Document(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("workflows");
                foreach (var result in results)
                {
                    WorkflowJson.Write(w, result);
                }
                w.WriteEndArray();
                w.WriteNumber("succeeded", results.Count(r => r.Succeeded));
                w.WriteNumber("failed", results.Count(r => !r.Succeeded));
                w.WriteNumber("costUsd", results.Sum(r => r.CostUsd));
                w.WriteEndObject();
            })).ConfigureAwait(false);
        }
        else
        {
            var console = Terminal.Create(run.Out, run.Context.Interactive);
            console.Write(Table(results));
            foreach (var result in results.Where(r => r.Succeeded))
            {
                await PrintResultAsync(run.Out, result).ConfigureAwait(false);
            }
            if (run.Context.Interactive)
            {
                // The live lines showed only the status code; the plain-line progress already printed these.
                foreach (var result in results.Where(r => r.Failure is not null))
                {
                    await run.Error.WriteLineAsync($"grump: {result.Message}: {Gateway.StatusNames.Of(result.Failure!.StatusCode)}: {result.Failure.Status.Detail}").ConfigureAwait(false);
                }
            }
        }
        return ExitCode(results);
    }

    private static async Task RunOneAsync(Invocation run, WorkflowResult result, string? model, bool fresh, SemaphoreSlim gate, IWorkflowProgress progress, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            result.Start();
            await foreach (var item in ShipCommand.Stream(run, ShipCommand.Request(result.Message, model, fresh), cancellationToken).ConfigureAwait(false))
            {
                var phase = result.Apply(item);
                progress.Updated(result, item, phase);
            }
            result.Finish();
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            result.Fail(ex);
        }
        finally
        {
            gate.Release();
        }
        progress.Finished(result);
    }

    private static Table Table(WorkflowResult[] results)
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("Workflow");
        table.AddColumn("Status");
        table.AddColumn("Models");
        table.AddColumn(new TableColumn("Tokens in / out").RightAligned());
        table.AddColumn(new TableColumn("Cost").RightAligned());
        table.AddColumn(new TableColumn("Saved (cache)").RightAligned());
        table.AddColumn(new TableColumn("Time").RightAligned());
        foreach (var r in results)
        {
            var status = r.Failure is { } failure ? "[red]" + Markup.Escape(Gateway.StatusNames.Of(failure.StatusCode)) + "[/]" : "[green]ok[/]";
            table.AddRow(
                Markup.Escape(r.Message),
                status,
                Markup.Escape(r.Models.Count > 0 ? string.Join(", ", r.Models) : "-"),
                $"{Format.Tokens(r.InputTokens)} / {Format.Tokens(r.OutputTokens)}",
                Markup.Escape(Format.Money(r.CostUsd)),
                Markup.Escape(Format.Money(r.CacheSavingsUsd)),
                Format.Duration(r.Elapsed));
        }
        table.AddRow(
            "[bold]total[/]",
            $"{results.Count(r => r.Succeeded)}/{results.Length} ok",
            "",
            $"{Format.Tokens(results.Sum(r => r.InputTokens))} / {Format.Tokens(results.Sum(r => r.OutputTokens))}",
            Markup.Escape(Format.Money(results.Sum(r => r.CostUsd))),
            Markup.Escape(Format.Money(results.Sum(r => r.CacheSavingsUsd))),
            "");
        return table;
    }

    private static async Task PrintResultAsync(TextWriter output, WorkflowResult result)
    {
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync($"# {result.Message}").ConfigureAwait(false);
        foreach (var phase in result.Phases)
        {
            await output.WriteLineAsync().ConfigureAwait(false);
            await output.WriteLineAsync($"## {WorkflowNames.Title(phase.Phase)}").ConfigureAwait(false);
            await output.WriteLineAsync().ConfigureAwait(false);
            await output.WriteLineAsync(phase.Content.ToString().TrimEnd()).ConfigureAwait(false);
        }
    }

    /// <summary>0 when all succeeded; when all failed alike, that failure's code; otherwise <see cref="ExitCodes.Partial"/>.</summary>
    private static int ExitCode(WorkflowResult[] results)
    {
        var failures = results.Where(r => r.Failure is not null).Select(r => r.Failure!.StatusCode).ToList();
        if (failures.Count == 0)
        {
            return ExitCodes.Ok;
        }
        return failures.Count == results.Length && failures.Distinct().Count() == 1 ? ExitCodes.For(failures[0]) : ExitCodes.Partial;
    }
}
