using System.CommandLine;
using GRump.Cli.Output;
using GRump.Gateway.V1;
using Spectre.Console;

namespace GRump.Cli.Cost;

/// <summary>
/// <c>grump cost summary | budget [get|set] | recommendations</c>: the gateway's ledger and budgets (CostService), for
/// the key's own tenant, or another with <c>--user</c> and an admin key.
/// </summary>
internal static class CostCommands
{
    public static Command Create(CommandRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var command = new Command("cost", "Spend, budgets and savings from the gateway's cost ledger");
        command.Add(SummaryCommand(runner));
        command.Add(BudgetCommand(runner));
        command.Add(RecommendationsCommand(runner));
        return command;
    }

    private static Option<string?> User() => new("--user")
    {
        Description = "The tenant (userId) [default: the API key's own; another needs an admin key]",
        HelpName = "id",
    };

    private static Command SummaryCommand(CommandRunner runner)
    {
        var user = User();
        var from = new Option<string?>("--from") { Description = "First day, YYYY-MM-DD (UTC) [default: 30 days ago]", HelpName = "date" };
        var to = new Option<string?>("--to") { Description = "Last day, YYYY-MM-DD (UTC) [default: today]", HelpName = "date" };
        var command = new Command("summary", "Cost, requests, cache hit rate and savings, by model, operation and day") { user, from, to };
        runner.SetAction(command, async (run, ct) =>
        {
            var request = new GetSummaryRequest { UserId = run.Parse.GetValue(user) ?? "", StartDate = run.Parse.GetValue(from) ?? "", EndDate = run.Parse.GetValue(to) ?? "" };
            var summary = await run.Gateway.Retry.RunAsync("cost summary", c => run.Gateway.Cost.GetSummaryAsync(request, run.Gateway.Call(c)).ResponseAsync, ct).ConfigureAwait(false);
            if (run.Json)
            {
                await run.Out.WriteLineAsync(Json.Message(summary)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            var console = Terminal.Create(run.Out, run.Context.Interactive);
            console.WriteLine($"Cost for {summary.UserId}, {summary.StartDate} to {summary.EndDate}");
            var totals = new Grid().AddColumn().AddColumn();
            totals.AddRow("total", Markup.Escape($"{Format.Money(summary.TotalCost)} over {Format.Tokens(summary.TotalRequests)} requests"));
            totals.AddRow("cache", Markup.Escape($"hit rate {Format.Percent(summary.CacheHitRate)}, saved {Format.Money(summary.CacheSavings)}"));
            totals.AddRow("routing", Markup.Escape($"saved {Format.Money(summary.ModelRoutingSavings)}"));
            totals.AddRow("all savings", Markup.Escape(Format.Money(summary.TotalSavings)));
            console.Write(totals);
            console.Write(Breakdown("Model", summary.CostByModel));
            console.Write(Breakdown("Operation", summary.CostByOperation));
            var days = new Table().Border(TableBorder.Rounded).AddColumn("Day").AddColumn(new TableColumn("Cost").RightAligned()).AddColumn(new TableColumn("Requests").RightAligned());
            foreach (var day in summary.CostByDay.Where(d => d.Requests > 0))
            {
                days.AddRow(day.Date, Markup.Escape(Format.Money(day.Cost)), Format.Tokens(day.Requests));
            }
            console.Write(days);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Table Breakdown(string what, IDictionary<string, double> costs)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn(what).AddColumn(new TableColumn("Cost").RightAligned());
        foreach (var (name, cost) in costs.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal))
        {
            table.AddRow(Markup.Escape(name), Markup.Escape(Format.Money(cost)));
        }
        return table;
    }

    private static Command BudgetCommand(CommandRunner runner)
    {
        var getUser = User();
        var get = new Command("get", "Show the budget and what is spent against it") { getUser };
        runner.SetAction(get, (run, ct) => GetBudgetAsync(run, run.Parse.GetValue(getUser), ct));

        var setUser = User();
        var daily = new Option<double?>("--daily") { Description = "Daily limit in USD (0 = none) [default: keep the current one]", HelpName = "usd" };
        var monthly = new Option<double?>("--monthly") { Description = "Monthly limit in USD (0 = none) [default: keep the current one]", HelpName = "usd" };
        var alert = new Option<double?>("--alert-threshold") { Description = "Alert at this percent of a limit, 1-100 [default: keep the current one]", HelpName = "percent" };
        var set = new Command("set", "Set the daily and monthly limits and the alert threshold") { setUser, daily, monthly, alert };
        runner.SetAction(set, async (run, ct) =>
        {
            var (d, m, a) = (run.Parse.GetValue(daily), run.Parse.GetValue(monthly), run.Parse.GetValue(alert));
            if (d is null && m is null && a is null)
            {
                throw new UsageException("cost budget set: give --daily, --monthly or --alert-threshold.");
            }
            var tenant = run.Parse.GetValue(setUser) ?? "";
            var request = new SetBudgetRequest { UserId = tenant };
            if (d is null || m is null || a is null)
            {
                // The contract sets all three at once: keep the ones not given as they are.
                var current = await run.Gateway.Retry.RunAsync("cost budget", c => run.Gateway.Cost.GetBudgetAsync(new GetBudgetRequest { UserId = tenant }, run.Gateway.Call(c)).ResponseAsync, ct).ConfigureAwait(false);
                request.DailyLimitUsd = current.Budget?.DailyLimitUsd ?? 0;
                request.MonthlyLimitUsd = current.Budget?.MonthlyLimitUsd ?? 0;
                request.AlertThresholdPercent = current.Budget?.AlertThresholdPercent ?? 0;
            }
            request.DailyLimitUsd = d ?? request.DailyLimitUsd;
            request.MonthlyLimitUsd = m ?? request.MonthlyLimitUsd;
            request.AlertThresholdPercent = a ?? request.AlertThresholdPercent;
            var response = await run.Gateway.Retry.RunAsync("cost budget set", c => run.Gateway.Cost.SetBudgetAsync(request, run.Gateway.Call(c)).ResponseAsync, ct).ConfigureAwait(false);
            return await PrintBudgetAsync(run, response.Budget, response.Status, () => Json.Message(response)).ConfigureAwait(false);
        });

        var user = User();
        var command = new Command("budget", "Show (get, the default) or set (set) the tenant's budget") { user, get, set };
        runner.SetAction(command, (run, ct) => GetBudgetAsync(run, run.Parse.GetValue(user), ct));
        return command;
    }

    private static async Task<int> GetBudgetAsync(Invocation run, string? user, CancellationToken cancellationToken)
    {
        var response = await run.Gateway.Retry.RunAsync("cost budget", c => run.Gateway.Cost.GetBudgetAsync(new GetBudgetRequest { UserId = user ?? "" }, run.Gateway.Call(c)).ResponseAsync, cancellationToken).ConfigureAwait(false);
        return await PrintBudgetAsync(run, response.Budget, response.Status, () => Json.Message(response)).ConfigureAwait(false);
    }

    private static async Task<int> PrintBudgetAsync(Invocation run, Budget? budget, BudgetStatus? status, Func<string> json)
    {
        if (run.Json)
        {
            await run.Out.WriteLineAsync(json()).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        budget ??= new Budget();
        status ??= new BudgetStatus();
        static string Limit(double usd) => usd > 0 ? Format.Money(usd) : "none";
        var state = status.Exhausted ? "EXHAUSTED: calls are refused until the period ends or the limit is raised" : status.Alert ? "ALERT: past the threshold" : "ok";
        await run.Out.WriteLineAsync(
            $"""
            Budget for {budget.UserId}: daily {Limit(budget.DailyLimitUsd)}, monthly {Limit(budget.MonthlyLimitUsd)}, alert at {Format.Number(budget.AlertThresholdPercent)} %
              today       {Format.Money(status.DailySpentUsd)}{(budget.DailyLimitUsd > 0 ? $" ({Format.Number(status.DailyPercent)} %)" : "")}
              this month  {Format.Money(status.MonthlySpentUsd)}{(budget.MonthlyLimitUsd > 0 ? $" ({Format.Number(status.MonthlyPercent)} %)" : "")}
              reserved    {Format.Money(status.ReservedUsd)} (calls in flight)
              status      {state}
            """).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private static Command RecommendationsCommand(CommandRunner runner)
    {
        var user = User();
        var command = new Command("recommendations", "What would cut the cost: cache, routing and budget advice from the ledger") { user };
        runner.SetAction(command, async (run, ct) =>
        {
            var request = new GetRecommendationsRequest { UserId = run.Parse.GetValue(user) ?? "" };
            var response = await run.Gateway.Retry.RunAsync("cost recommendations", c => run.Gateway.Cost.GetRecommendationsAsync(request, run.Gateway.Call(c)).ResponseAsync, ct).ConfigureAwait(false);
            if (run.Json)
            {
                await run.Out.WriteLineAsync(Json.Message(response)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            if (response.Recommendations.Count == 0)
            {
                await run.Out.WriteLineAsync("No recommendations: nothing in the ledger suggests a cheaper way.").ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            foreach (var r in response.Recommendations)
            {
                var saving = r.EstimatedSavingsUsd > 0 ? $" (saves about {Format.Money(r.EstimatedSavingsUsd)} a month)" : "";
                await run.Out.WriteLineAsync($"[{r.Severity}] {r.Title}{saving}").ConfigureAwait(false);
                await run.Out.WriteLineAsync($"    {r.Detail}").ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
