using GRump.Cli.Gateway;
using GRump.Cli.Output;
using GRump.Gateway.V1;
using Spectre.Console;

namespace GRump.Cli.Workflows;

/// <summary>What ship-parallel shows while its workflows run: one live line each on a terminal, plain lines otherwise.</summary>
internal interface IWorkflowProgress
{
    /// <summary>Runs <paramref name="work"/> while the progress display is up.</summary>
    Task RunAsync(Func<Task> work);

    void Started(WorkflowResult workflow);

    void Updated(WorkflowResult workflow, ShipResponse item, PhaseResult? phase);

    void Finished(WorkflowResult workflow);
}

/// <summary>
/// Not a terminal (a pipe, a CI log, a test): one line on stderr per phase completed and per workflow finished,
/// never a redraw. Workflows run concurrently, so lines are written under a lock.
/// </summary>
internal sealed class LineProgress(TextWriter error) : IWorkflowProgress
{
    private readonly Lock _lock = new();

    public Task RunAsync(Func<Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return work();
    }

    public void Started(WorkflowResult workflow) => Write($"[{workflow.Message}] started");

    public void Updated(WorkflowResult workflow, ShipResponse item, PhaseResult? phase)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.Status == "completed" && phase?.Outcome is { } outcome)
        {
            Write($"[{workflow.Message}] {WorkflowNames.Phase(item.Phase)} done · {Format.Outcome(outcome)} · {Format.Duration(phase.Elapsed)}");
        }
    }

    public void Finished(WorkflowResult workflow)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        Write(workflow.Failure is { } failure
            ? $"[{workflow.Message}] failed: {StatusNames.Of(failure.StatusCode)}: {failure.Status.Detail}"
            : $"[{workflow.Message}] done · {Format.Money(workflow.CostUsd)} · {Format.Duration(workflow.Elapsed)}");
    }

    private void Write(string line)
    {
        lock (_lock)
        {
            error.WriteLine(line);
        }
    }
}

/// <summary>A terminal: Spectre.Console's live progress, one line per workflow (phase, characters so far, bar, time).</summary>
internal sealed class LiveProgress(IAnsiConsole console, TimeProvider time) : IWorkflowProgress
{
    // intent, architecture, plan, code: the bar advances one step per phase completed.
    private const double Steps = 4;

    private readonly Dictionary<WorkflowResult, ProgressTask> _tasks = [];
    private readonly Lock _lock = new();
    private ProgressContext? _context;

    public Task RunAsync(Func<Task> work) =>
        new Progress(console, time)
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                _context = context;
                await work().ConfigureAwait(false);
            });

    public void Started(WorkflowResult workflow)
    {
        lock (_lock)
        {
            _tasks[workflow] = _context!.AddTask(Describe(workflow, "queued"), maxValue: Steps);
        }
    }

    public void Updated(WorkflowResult workflow, ShipResponse item, PhaseResult? phase)
    {
        ArgumentNullException.ThrowIfNull(item);
        lock (_lock)
        {
            var task = _tasks[workflow];
            if (phase is null)
            {
                task.Increment(1);
                task.Description = Describe(workflow, "intent compiled");
                return;
            }
            if (item.Status == "completed")
            {
                task.Increment(1);
            }
            task.Description = Describe(workflow, $"{WorkflowNames.Phase(phase.Phase)} · {Format.Tokens(phase.Content.Length)} chars");
        }
    }

    public void Finished(WorkflowResult workflow)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        lock (_lock)
        {
            var task = _tasks[workflow];
            task.Description = Describe(workflow, workflow.Failure is { } failure ? $"[red]{StatusNames.Of(failure.StatusCode)}[/]" : $"[green]done[/] · {Format.Money(workflow.CostUsd)}");
            task.Value = Steps;
            task.StopTask();
        }
    }

    private static string Describe(WorkflowResult workflow, string state) => $"{Markup.Escape(Shorten(workflow.Message))}: {state}";

    private static string Shorten(string text) => text.Length <= 32 ? text : text[..31] + "…";
}
