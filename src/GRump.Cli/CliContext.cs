namespace GRump.Cli;

/// <summary>
/// Everything the CLI takes from its process: output streams, clock, environment. Tests run the whole CLI in-process
/// with their own (string writers, a fake clock, a private cache folder); <see cref="FromProcess"/> is the real one.
/// </summary>
internal sealed class CliContext
{
    public const string UrlVariable = "GRUMP_URL";
    public const string ApiKeyVariable = "GRUMP_API_KEY";
    public const string CacheDirVariable = "GRUMP_CACHE_DIR";
    public const string DefaultUrl = "http://127.0.0.1:50051";

    /// <summary>Results: what scripts read (plan text, tables, JSON).</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Progress, per-call details (model, tokens, cost), retries and errors.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>Retry delays and cache ages; the time a workflow took.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    public required Func<string, string?> Environment { get; init; }

    /// <summary>True when stdout and stderr are terminals: live progress lines and colours instead of plain lines.</summary>
    public bool Interactive { get; init; }

    /// <summary>Where plan results are cached: <c>GRUMP_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/grump</c>, else <c>~/.cache/grump</c>.</summary>
    public string CacheDirectory
    {
        get
        {
            if (Environment(CacheDirVariable) is { Length: > 0 } dir)
            {
                return dir;
            }
            if (Environment("XDG_CACHE_HOME") is { Length: > 0 } xdg)
            {
                return Path.Combine(xdg, "grump");
            }
            var home = Environment("HOME") is { Length: > 0 } h ? h : System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);
            return home.Length > 0 ? Path.Combine(home, ".cache", "grump") : Path.Combine(Path.GetTempPath(), "grump-cache");
        }
    }

    public static CliContext FromProcess() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        Environment = System.Environment.GetEnvironmentVariable,
        Interactive = !Console.IsOutputRedirected && !Console.IsErrorRedirected && System.Environment.GetEnvironmentVariable("TERM") is not "dumb",
    };
}
