namespace GRump.LoadTests;

/// <summary>
/// <c>dotnet run -c Release --project loadtests/GRump.LoadTests -- --scenario all --duration 10s --out &lt;dir&gt;</c>:
/// see <see cref="Cli.RunOptions.Usage"/> and loadtests/README.md; <c>-- fuzz ...</c> runs the fuzz suite
/// (<see cref="Fuzz.FuzzCommand"/>).
/// </summary>
internal static class LoadTestProgram
{
    public static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        // The live line rewrites itself with \r: only on a terminal, not in CI logs.
        var progress = Console.IsErrorRedirected || args.Contains("--no-progress") ? null : Console.Error;
        try
        {
            if (args is ["fleet", .. var fleetArgs])
            {
                return await Fleet.FleetCommand.RunAsync(fleetArgs, LoadTestRunner.Configuration, Console.Out, cancel.Token);
            }

            if (args.Length > 0 && args[0] == "fuzz")
            {
                return await Fuzz.FuzzCommand.RunAsync(args[1..], Console.Out, cancel.Token);
            }
            return await LoadTestRunner.RunAsync(args, Console.Out, progress, cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("cancelled");
            return 130;
        }
    }
}
