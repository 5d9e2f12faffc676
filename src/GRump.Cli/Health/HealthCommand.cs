using System.CommandLine;
using Grpc.Health.V1;
using GRump.Cli.Output;

namespace GRump.Cli.Health;

/// <summary>
/// <c>grump health</c>: the gateway's gRPC health check (grpc.health.v1, open without a key) and how long it took.
/// No retries: a probe reports the state now (scripts loop on it), and a retry would hide a gateway that is down.
/// </summary>
internal static class HealthCommand
{
    public static Command Create(CommandRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var command = new Command("health", "Is the gateway serving? Exit code 0 if so, 3 if not");
        runner.SetAction(command, async (run, ct) =>
        {
            var started = run.Context.Time.GetTimestamp();
            var response = await run.Gateway.Health.CheckAsync(new HealthCheckRequest(), run.Gateway.Call(ct)).ResponseAsync.ConfigureAwait(false);
            var elapsed = run.Context.Time.GetElapsedTime(started);
            var status = response.Status switch
            {
                HealthCheckResponse.Types.ServingStatus.Serving => "SERVING",
                HealthCheckResponse.Types.ServingStatus.NotServing => "NOT_SERVING",
                HealthCheckResponse.Types.ServingStatus.ServiceUnknown => "SERVICE_UNKNOWN",
                _ => "UNKNOWN",
            };
            if (run.Json)
            {
                await run.Out.WriteLineAsync(Json.Document(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("status", status);
                    w.WriteString("url", run.Gateway.Url.ToString());
                    w.WriteNumber("latencyMs", Math.Round(elapsed.TotalMilliseconds, 2));
                    w.WriteEndObject();
                })).ConfigureAwait(false);
            }
            else
            {
                await run.Out.WriteLineAsync($"{status} at {run.Gateway.Url} ({Format.Duration(elapsed)})").ConfigureAwait(false);
            }
            return response.Status == HealthCheckResponse.Types.ServingStatus.Serving ? ExitCodes.Ok : ExitCodes.Unavailable;
        });
        return command;
    }
}
