using Microsoft.Extensions.Configuration.Memory;

namespace GRump.Gateway.Hosting;

/// <summary>
/// The gateway's log levels, set in code as the lowest-precedence configuration source: right without appsettings.json
/// (a DLL started from another directory finds none and, without these, ASP.NET Core, HttpClient and Polly log every
/// request at Information — 481 MB in a 5-minute benchmark), and still overridable by appsettings, environment
/// (<c>Logging__LogLevel__Polly=Information</c>) or the command line.
/// </summary>
/// <remarks>
/// Policy: per-request lines are Debug; one line per failure (Warning or Error by who is at fault); Information is for
/// what happens once or rarely (listening addresses, model loaded, circuit state). Frameworks log per request at
/// Information, so their categories start at Warning.
/// </remarks>
internal static class LoggingDefaults
{
    public static IReadOnlyDictionary<string, string?> Levels { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
        ["Logging:LogLevel:Polly"] = "Warning",
        ["Logging:LogLevel:Grpc"] = "Warning",
        ["Logging:LogLevel:Yarp"] = "Warning",
    };

    /// <summary>Inserts the defaults below every other configuration source.</summary>
    public static void Apply(IConfigurationBuilder configuration) =>
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Levels });
}
