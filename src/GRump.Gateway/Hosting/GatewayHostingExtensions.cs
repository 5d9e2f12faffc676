using GRump.Gateway.Hosting.Internal;
using GRump.Gateway.Cost;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Hosting;

/// <summary>Kestrel endpoints, validated options, graceful shutdown, and a clean exit on bad configuration.</summary>
public static class GatewayHostingExtensions
{
    public static WebApplicationBuilder AddGatewayHosting(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        LoggingDefaults.Add(builder.Configuration);
        // The slim builder adds the console logger as "simple" after the configuration is bound: honour
        // Logging:Console:FormatterName (json, systemd) as WebApplication.CreateBuilder does.
        builder.Services.AddOptions<ConsoleLoggerOptions>().PostConfigure<IConfiguration>((console, configuration) =>
        {
            if (configuration["Logging:Console:FormatterName"] is { Length: > 0 } formatter)
            {
                console.FormatterName = formatter;
            }
        });
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddSingleton<GatewayEndpoints>();
        services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<GatewayOptions>, GatewayEndpoints>((kestrel, options, endpoints) => endpoints.Configure(kestrel, options.Value));
        // HostOptions are read while the host is built, before options validation runs: read the raw value here
        // (a bad one is still reported by GatewayOptions' validation at start).
        var shutdownTimeout = builder.Configuration[$"{GatewayOptions.SectionName}:{nameof(GatewayOptions.ShutdownTimeout)}"];
        services.Configure<HostOptions>(host => host.ShutdownTimeout =
            TimeSpan.TryParse(shutdownTimeout, System.Globalization.CultureInfo.InvariantCulture, out var timeout) && timeout >= TimeSpan.Zero ? timeout : new GatewayOptions().ShutdownTimeout);
        services.AddHostedService<ListeningLogger>();

        // Graceful shutdown: not ready at once, serve through the drain delay, then refuse new calls while the
        // ones in flight finish (docs/operations.md).
        services.AddSingleton<GatewayDrain>();
        services.AddHostedService<DrainCoordinator>();
        services.AddHealthChecks().AddCheck<DrainHealthCheck>("shutdown", tags: ["ready"]);

        // The health check service logs every Unhealthy probe result at Error. Not ready is an expected state here
        // (shutting down, a full worker queue) that a balancer polls every second: the drain and the pool log their
        // own transitions once, and /readyz and grpc.health report the reason.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService", LogLevel.Critical);
        return builder;
    }

    /// <summary>
    /// Builds the app, maps its endpoints and runs until shutdown; returns the exit code (2 = bad configuration,
    /// 3 = cannot listen, 4 = the cost ledger cannot be opened). Build is inside the guard because Kestrel reads the validated endpoint options while the
    /// app is built.
    /// </summary>
    public static async Task<int> BuildAndRunGatewayAsync(this WebApplicationBuilder builder, Action<WebApplication> mapEndpoints)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(mapEndpoints);
        ILogger? logger = null;
        WebApplication? app = null;
        try
        {
            app = builder.Build();
            logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("GRump.Gateway");

            // Every ValidateOnStart rule, now: a bad value is reported here, before any service starts or binds.
            app.Services.GetService<IStartupValidator>()?.Validate();
            app.UseRefuseWhileStopping();
            // The ledger opens now, not at the first request: a damaged ledger.db stops the gateway before it listens.
            _ = app.Services.GetService<ICostStore>();
            mapEndpoints(app);
            await app.RunAsync().ConfigureAwait(false); // disposes the app when it returns or throws
            return 0;
        }
        catch (Exception exception) when (ValidationFailures(exception) is { } failures)
        {
            await ReportAsync(app, logger, l => HostingLog.InvalidConfiguration(l, failures)).ConfigureAwait(false);
            return 2;
        }
        catch (CostLedgerUnusableException exception)
        {
            await ReportAsync(app, logger, l => HostingLog.LedgerUnusable(l, exception.Message)).ConfigureAwait(false);
            return 4;
        }
        catch (IOException exception) when (exception.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            await ReportAsync(app, logger, l => HostingLog.CannotListen(l, exception.Message)).ConfigureAwait(false);
            return 3;
        }
    }

    private static string? ValidationFailures(Exception exception) => exception switch
    {
        OptionsValidationException validation => string.Join(" ", validation.Failures),
        AggregateException aggregate when aggregate.InnerExceptions.All(e => e is OptionsValidationException) =>
            string.Join(" ", aggregate.InnerExceptions.SelectMany(e => ((OptionsValidationException)e).Failures)),
        _ => BindingFailure(exception),
    };

    /// <summary>
    /// A value the configuration binder could not convert (<c>--Workers:TaskTimeout=banana</c>) is thrown as a plain
    /// InvalidOperationException while options are bound, before any validator runs; its message names the key, the
    /// value and the type wanted, in one line.
    /// </summary>
    private static string? BindingFailure(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            switch (exception)
            {
                case InvalidOperationException { Source: "Microsoft.Extensions.Configuration.Binder" }:
                    return exception.Message;
                case AggregateException aggregate when aggregate.InnerExceptions.Select(BindingFailure).FirstOrDefault(f => f is not null) is { } inner:
                    return inner;
                default:
                    break;
            }
        }
        return null;
    }

    /// <summary>Logs why the gateway stops, then disposes the logging so the line is written before the process exits.</summary>
    private static async Task ReportAsync(WebApplication? app, ILogger? logger, Action<ILogger> log)
    {
        if (logger is null)
        {
            // The app failed to build, so its logging does not exist: use a console logger of our own.
            using var factory = LoggerFactory.Create(logging => logging.AddSimpleConsole());
            log(factory.CreateLogger("GRump.Gateway"));
            return;
        }

        log(logger);
        if (app is not null)
        {
            await app.DisposeAsync().ConfigureAwait(false);
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
