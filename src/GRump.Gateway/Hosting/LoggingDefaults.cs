using Microsoft.Extensions.Configuration.Memory;

namespace GRump.Gateway.Hosting;

/// <summary>
/// The log levels the logging policy (docs/logging.md) relies on, as the configuration source of lowest precedence:
/// they hold when <c>appsettings.json</c> is not found (the gateway started from another working directory, where
/// ASP.NET Core and HttpClient would log every request at Information), and appsettings, the environment or the
/// command line can still change any of them.
/// </summary>
internal static class LoggingDefaults
{
    public static readonly IReadOnlyDictionary<string, string?> Levels = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft"] = "Warning",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
        ["Logging:LogLevel:Yarp"] = "Warning",
        // YARP's forwarder logs an unreachable upstream at Warning with the exception's stack trace; the passthrough
        // answers 503 and logs it itself, once, in one line (PassthroughProxy).
        ["Logging:LogLevel:Yarp.ReverseProxy.Forwarder.HttpForwarder"] = "Error",
        // Microsoft.Extensions.Http.Resilience logs each upstream attempt at Information.
        ["Logging:LogLevel:Polly"] = "Warning",
        // grpc-dotnet logs a request it cannot read at Information with the exception's stack trace, and each status a
        // handler returns; the gateway logs those itself, once, without a stack (GrpcLog, RequestFrameGuard).
        ["Logging:LogLevel:Grpc"] = "Warning",
        // A failing readiness check is an Error line on every probe (every few seconds, per prober): /readyz and
        // grpc.health report it, and the failing part logs its own transition once (LedgerHealthCheck).
        ["Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks"] = "Critical",
    };

    public static void Add(IConfigurationBuilder configuration) =>
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Levels });
}
