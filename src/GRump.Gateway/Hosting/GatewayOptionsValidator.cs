using System.Net;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Hosting;

/// <summary>Cross-field rules of <see cref="GatewayOptions"/>; a failure stops the host before it listens.</summary>
internal sealed class GatewayOptionsValidator(IConfiguration configuration) : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        if (!IPAddress.TryParse(options.BindAddress, out var address))
        {
            failures.Add($"Gateway:BindAddress '{options.BindAddress}' is not an IP address (e.g. 127.0.0.1, ::1, 0.0.0.0).");
        }
        else if (!IPAddress.IsLoopback(address) && !options.AllowAnonymous && !configuration.GetSection("Auth:Keys").GetChildren().Any())
        {
            // Without API keys every caller is the one anonymous tenant: only an explicit opt-in may expose that.
            failures.Add($"Gateway:BindAddress {address} is not a loopback address and no API key authentication is active: " +
                "set Gateway:AllowAnonymous=true to expose the gateway without keys, or bind 127.0.0.1.");
        }

        // Kestrel would also bind endpoints from its own section, around the loopback guard above.
        if (configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
        {
            failures.Add("Kestrel:Endpoints is set: the gateway's endpoints are configured only with Gateway:BindAddress, Gateway:GrpcPort and Gateway:HttpPort.");
        }

        if (options.GrpcPort != 0 && options.GrpcPort == options.HttpPort)
        {
            failures.Add($"Gateway:GrpcPort and Gateway:HttpPort are both {options.GrpcPort}: gRPC (HTTP/2 cleartext) and HTTP/1.1 need two ports.");
        }

        if (options.DrainDelay > TimeSpan.Zero && options.DrainDelay >= options.ShutdownTimeout)
        {
            // The drain delay is spent inside the shutdown timeout: nothing would be left for calls in flight.
            failures.Add($"Gateway:DrainDelay ({options.DrainDelay}) must be shorter than Gateway:ShutdownTimeout ({options.ShutdownTimeout}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
