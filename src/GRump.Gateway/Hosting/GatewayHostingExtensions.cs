using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Hosting;

/// <summary>Kestrel endpoints, validated options, graceful shutdown, and a clean exit on bad configuration.</summary>
public static class GatewayHostingExtensions
{
    public static WebApplicationBuilder AddGatewayHosting(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddSingleton<GatewayEndpoints>();
        services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<GatewayOptions>, GatewayEndpoints>((kestrel, options, endpoints) => endpoints.Configure(kestrel, options.Value));
        services.AddOptions<HostOptions>()
            .Configure<IOptions<GatewayOptions>>((host, options) => host.ShutdownTimeout = options.Value.ShutdownTimeout);
        services.AddHostedService<ListeningLogger>();
        return builder;
    }

    /// <summary>Runs until shutdown; returns the process exit code (2 = bad configuration, 3 = cannot listen).</summary>
    public static async Task<int> RunGatewayAsync(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("GRump.Gateway");
        try
        {
            await app.RunAsync().ConfigureAwait(false);
            return 0;
        }
        catch (OptionsValidationException exception)
        {
            HostingLog.InvalidConfiguration(logger, string.Join(" ", exception.Failures));
            return 2;
        }
        catch (AggregateException exception) when (exception.InnerExceptions.All(e => e is OptionsValidationException))
        {
            HostingLog.InvalidConfiguration(logger, string.Join(" ", exception.InnerExceptions.SelectMany(e => ((OptionsValidationException)e).Failures)));
            return 2;
        }
        catch (IOException exception) when (exception.InnerException is System.Net.Sockets.SocketException || exception.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
        {
            HostingLog.CannotListen(logger, exception.Message);
            return 3;
        }
    }

    /// <summary>Logs the bound endpoints once the server listens.</summary>
    private sealed class ListeningLogger(IHostApplicationLifetime lifetime, GatewayEndpoints endpoints, ILogger<ListeningLogger> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            lifetime.ApplicationStarted.Register(() =>
            {
                // An in-memory test server binds no endpoint, so there is nothing to report.
                if (endpoints is { GrpcUrl: { } grpc, HttpUrl: { } http })
                {
                    HostingLog.Listening(logger, grpc.GetLeftPart(UriPartial.Authority), http.GetLeftPart(UriPartial.Authority));
                }
            });
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
