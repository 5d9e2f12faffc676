using System.Diagnostics;

namespace GRump.Gateway.Tests.Infrastructure;

/// <summary>Runs an external client (buf, python3, node) with a bounded wait and captures what it printed.</summary>
public static class ExternalTool
{
    public static readonly bool InCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string InteropDir => Path.Combine(RepoRoot, "tests", "interop");

    public static string ProtosDir => Path.Combine(RepoRoot, "protos");

    /// <summary>
    /// Skips the test on a developer machine without the tool (README says how to install it); in CI a missing
    /// tool is a failure, so a green CI run always means the client really ran.
    /// </summary>
    public static void Require(string path, string installHint)
    {
        if (File.Exists(path))
        {
            return;
        }

        if (InCi)
        {
            Assert.Fail($"{path} is missing: {installHint} (.ci/run installs it).");
        }

        Assert.Skip($"{path} is missing: {installHint}");
    }

    public static async Task<Result> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoRoot,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).WaitAsync(timeout ?? TestTimeouts.Default, cancellationToken);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GRump.Gateway.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("GRump.Gateway.sln not found above " + AppContext.BaseDirectory);
    }

    public sealed record Result(int ExitCode, string StandardOutput, string StandardError)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}";
    }
}
