using System.CommandLine;
using System.Text;
using GRump.Cli.Caching;
using GRump.Cli.Output;
using GRump.Gateway.V1;

namespace GRump.Cli.Workflows;

/// <summary>
/// <c>grump plan --message "..."</c>: the gateway compiles the intent and streams a plan (WorkflowService.Plan). A repeat
/// within the hour is answered from the client cache without a call; <c>--no-cache</c> skips it and asks for a fresh answer.
/// </summary>
internal static class PlanCommand
{
    public static Command Create(CommandRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var message = WorkflowOptions.Message("What to plan, in plain words (e.g. \"Add authentication\")");
        var model = WorkflowOptions.Model("A model id [default: the gateway routes by complexity]");
        var noCache = new Option<bool>("--no-cache")
        {
            Description = "Skip the client cache (neither read nor written) and ask the gateway for a fresh answer, not its cached one",
        };
        var command = new Command("plan", "Plan a change: the gateway compiles its intent and streams a step-by-step plan (cached here for 1 h)")
        {
            message, model, noCache,
        };
        runner.SetAction(command, (run, ct) => RunAsync(run, run.Parse.GetValue(message), run.Parse.GetValue(model), run.Parse.GetValue(noCache), ct));
        return command;
    }

    private static async Task<int> RunAsync(Invocation run, string? message, string? model, bool noCache, CancellationToken cancellationToken)
    {
        var request = new PlanRequest
        {
            Message = WorkflowOptions.RequireMessage(message, "--message"),
            Model = model?.Trim() ?? "",
            // A fresh answer: the gateway skips its cache read but stores the new answer for the next caller.
            Cache = noCache ? CacheMode.WriteOnly : CacheMode.On,
        };
        var started = run.Context.Time.GetTimestamp();
        var cache = new PlanCache(run.Context.CacheDirectory, run.Context.Time);
        var key = PlanCache.Key(run.Gateway.Url, run.Gateway.ApiKey, request);
        if (!noCache && cache.TryRead(key, out var cached))
        {
            return await PrintAsync(run, request, cached.Events, cached.SavedAt, started, streamed: false).ConfigureAwait(false);
        }

        var events = new List<PlanResponse>();
        await foreach (var item in run.Gateway.Retry.StreamAsync("plan", ct => run.Gateway.Workflows.Plan(request, run.Gateway.Call(ct)), cancellationToken).ConfigureAwait(false))
        {
            events.Add(item);
            if (!run.Json)
            {
                await PrintLiveAsync(run, item).ConfigureAwait(false);
            }
        }
        if (events.Count == 0 || events[^1].EventCase != PlanResponse.EventOneofCase.Outcome)
        {
            // Never a silent success: a plan without its outcome is cut, and is not cached.
            await run.Out.WriteLineAsync().ConfigureAwait(false);
            return await run.FailAsync("INTERNAL", "the plan stream ended before its outcome; nothing was cached", ExitCodes.Failure).ConfigureAwait(false);
        }
        if (!noCache)
        {
            try
            {
                cache.Write(key, events);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await run.Error.WriteLineAsync($"grump: warning: the plan could not be cached in {cache.Directory}: {ex.Message}").ConfigureAwait(false);
            }
        }
        return await PrintAsync(run, request, events, savedAt: null, started, streamed: true).ConfigureAwait(false);
    }

    /// <summary>As events arrive: the intent on stderr, the plan's text on stdout.</summary>
    private static async Task PrintLiveAsync(Invocation run, PlanResponse item)
    {
        switch (item.EventCase)
        {
            case PlanResponse.EventOneofCase.Intent:
                await run.Error.WriteLineAsync(Format.Intent(item.Intent)).ConfigureAwait(false);
                break;
            case PlanResponse.EventOneofCase.Delta:
                await run.Out.WriteAsync(item.Delta.Content).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>The finished plan: the rest of the text output (or the whole JSON document), then the summary line.</summary>
    private static async Task<int> PrintAsync(Invocation run, PlanRequest request, IReadOnlyList<PlanResponse> events, DateTimeOffset? savedAt, long started, bool streamed)
    {
        var content = new StringBuilder();
        Intent? intent = null;
        ChatOutcome? outcome = null;
        foreach (var item in events)
        {
            switch (item.EventCase)
            {
                case PlanResponse.EventOneofCase.Intent:
                    intent = item.Intent;
                    break;
                case PlanResponse.EventOneofCase.Delta:
                    content.Append(item.Delta.Content);
                    break;
                case PlanResponse.EventOneofCase.Outcome:
                    outcome = item.Outcome;
                    break;
            }
        }
        var elapsed = run.Context.Time.GetElapsedTime(started);
        if (run.Json)
        {
            await run.Out.WriteLineAsync(Json.Document(w =>
            {
                w.WriteStartObject();
                w.WriteString("message", request.Message);
                w.WriteBoolean("clientCache", savedAt is not null);
                if (savedAt is { } saved)
                {
                    w.WriteString("savedAt", saved);
                }
                else
                {
                    w.WriteNull("savedAt");
                }
                w.WriteString("content", content.ToString());
                Json.WriteMessage(w, "intent", intent);
                Json.WriteMessage(w, "outcome", outcome);
                w.WriteNumber("elapsedMs", Math.Round(elapsed.TotalMilliseconds, 1));
                w.WriteEndObject();
            })).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        if (!streamed)
        {
            if (intent is not null)
            {
                await run.Error.WriteLineAsync(Format.Intent(intent)).ConfigureAwait(false);
            }
            await run.Out.WriteAsync(content.ToString()).ConfigureAwait(false);
        }
        if (content.Length == 0 || content[^1] != '\n')
        {
            await run.Out.WriteLineAsync().ConfigureAwait(false);
        }
        var source = savedAt is { } at
            ? $"from the client cache (saved {Format.Age(run.Context.Time.GetUtcNow() - at)} ago; --no-cache asks again)"
            : Format.Outcome(outcome!);
        await run.Error.WriteLineAsync($"plan: {source} · {Format.Duration(elapsed)}").ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
