using System.CommandLine;
using Grpc.Core;
using GRump.Cli.Gateway;
using GRump.Cli.Output;
using GRump.Gateway.V1;

namespace GRump.Cli.Workflows;

/// <summary>
/// <c>grump ship --message "..."</c>: one ship workflow (intent → architecture → plan → code) streamed as it runs: each
/// phase's text on stdout under a heading, what each phase cost on stderr.
/// </summary>
internal static class ShipCommand
{
    public static Command Create(CommandRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var message = WorkflowOptions.Message("What to build, in plain words (e.g. \"Todo app with auth\")");
        var model = WorkflowOptions.Model("A model id for every phase [default: the gateway routes each phase by its complexity]");
        var fresh = WorkflowOptions.Fresh();
        var command = new Command("ship", "Ship a project: intent, architecture, plan and code, each phase a routed, metered model call")
        {
            message, model, fresh,
        };
        runner.SetAction(command, async (run, ct) =>
        {
            var request = Request(WorkflowOptions.RequireMessage(run.Parse.GetValue(message), "--message"), run.Parse.GetValue(model), run.Parse.GetValue(fresh));
            var result = new WorkflowResult(request.Message, run.Context.Time);
            result.Start();
            try
            {
                await foreach (var item in Stream(run, request, ct).ConfigureAwait(false))
                {
                    var phase = result.Apply(item);
                    if (!run.Json)
                    {
                        await PrintLiveAsync(run, item, phase).ConfigureAwait(false);
                    }
                }
            }
            catch (RpcException ex) when (!ct.IsCancellationRequested)
            {
                result.Fail(ex);
            }
            result.Finish();
            if (run.Json)
            {
                // One document either way: a failed workflow carries its error (and the phases that ran).
                await run.Out.WriteLineAsync(Json.Document(w => WorkflowJson.Write(w, result))).ConfigureAwait(false);
                if (result.Failure is { } failed)
                {
                    await run.Error.WriteLineAsync($"grump: {StatusNames.Of(failed.StatusCode)}: {failed.Status.Detail}").ConfigureAwait(false);
                    return ExitCodes.For(failed.StatusCode);
                }
                return ExitCodes.Ok;
            }
            if (result.Failure is { } failure)
            {
                throw failure;
            }
            await run.Error.WriteLineAsync(
                $"ship: {Format.Tokens(result.InputTokens)} in / {Format.Tokens(result.OutputTokens)} out tokens · {Format.Money(result.CostUsd)} · {Format.Duration(result.Elapsed)}")
                .ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static ShipRequest Request(string message, string? model, bool fresh) => new()
    {
        Message = message,
        Model = model?.Trim() ?? "",
        Cache = fresh ? CacheMode.WriteOnly : CacheMode.On,
    };

    /// <summary>The Ship call through the retry policy (retried only until its first event).</summary>
    public static IAsyncEnumerable<ShipResponse> Stream(Invocation run, ShipRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        return run.Gateway.Retry.StreamAsync("ship", ct => run.Gateway.Workflows.Ship(request, run.Gateway.Call(ct)), cancellationToken);
    }

    private static async Task PrintLiveAsync(Invocation run, ShipResponse item, PhaseResult? phase)
    {
        if (phase is null)
        {
            if (item.Intent is not null)
            {
                await run.Error.WriteLineAsync(Format.Intent(item.Intent)).ConfigureAwait(false);
            }
            return;
        }
        switch (item.Status)
        {
            case "started":
                await run.Out.WriteLineAsync($"## {WorkflowNames.Title(item.Phase)}").ConfigureAwait(false);
                await run.Out.WriteLineAsync().ConfigureAwait(false);
                break;
            case "delta":
                await run.Out.WriteAsync(item.Content).ConfigureAwait(false);
                break;
            case "completed":
                await run.Out.WriteLineAsync(phase.Content.Length > 0 && phase.Content[^1] == '\n' ? "" : Environment.NewLine).ConfigureAwait(false);
                await run.Error.WriteLineAsync($"{WorkflowNames.Phase(item.Phase)}: {Format.Outcome(phase.Outcome!)} · {Format.Duration(phase.Elapsed)}").ConfigureAwait(false);
                break;
        }
    }
}
