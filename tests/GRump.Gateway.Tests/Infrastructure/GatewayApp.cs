using Grpc.Net.Client;
using GRump.Gateway.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace GRump.Gateway.Tests.Infrastructure;

/// <summary>
/// The real gateway (its Program) on real Kestrel, both endpoints on 127.0.0.1 port 0, data in a temp folder.
/// Logs are recorded, not printed; <see cref="DisposeAsync"/> fails the test if the server logged an error.
/// </summary>
public sealed class GatewayApp : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _configureServices;
    private readonly string _dataPath = Directory.CreateTempSubdirectory("grump-test-").FullName;
    private GrpcChannel? _channel;
    private HttpClient? _http;
    private bool _startFailed;

    public GatewayApp(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null)
    {
        _settings = new Dictionary<string, string?>
        {
            ["Gateway:GrpcPort"] = "0",
            ["Gateway:HttpPort"] = "0",
            ["Gateway:DataPath"] = _dataPath,
            // The learned router embeds and trains on its exemplars at start (seconds of CPU on 2 shared cores); tests of
            // other features route with the heuristic. Routing tests set Routing:Strategy themselves.
            ["Routing:Strategy"] = "heuristic",
            // Test hosts share one process: an idle trim there is a blocking full collection of every running test's heap.
            ["Memory:IdleTrim"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        _configureServices = configureServices;
        UseKestrel();
    }

    public RecordingLoggerProvider Logs { get; } = new();

    /// <summary>Set false in tests that expect the server to log an error.</summary>
    public bool FailOnLoggedErrors { get; set; } = true;

    public GatewayEndpoints Endpoints => Services.GetRequiredService<GatewayEndpoints>();

    public Uri GrpcUrl => Endpoints.GrpcUrl ?? throw new InvalidOperationException("Start the gateway first.");

    public Uri HttpUrl => Endpoints.HttpUrl ?? throw new InvalidOperationException("Start the gateway first.");

    public GrpcChannel Channel => _channel ??= GrpcChannel.ForAddress(GrpcUrl);

    public HttpClient Http => _http ??= new HttpClient { BaseAddress = HttpUrl, Timeout = TestTimeouts.Default };

    /// <summary>Starts Kestrel; throws what the host threw (e.g. bad configuration).</summary>
    public GatewayApp Start()
    {
        try
        {
            StartServer();
        }
        catch
        {
            _startFailed = true;
            throw;
        }

        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // UseSetting, not ConfigureAppConfiguration: registration code that reads configuration (providers, YARP
        // clusters) runs before Build and sees only these.
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        // OpenTelemetry subscribes to meters by name process-wide, and a MeterProvider counts every instrument it ever
        // saw against its stream limit (1,000), disposed ones included: the long-lived shared gateway would otherwise
        // stop exporting its own late-created instruments once the run has started enough other gateways.
        builder.ConfigureServices(services => services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.SetMaxMetricStreams(50_000)));
        builder.ConfigureLogging(logging =>
        {
            logging.ClearProviders();
            logging.SetMinimumLevel(LogLevel.Debug);
            logging.AddProvider(Logs);
        });
        if (_configureServices is not null)
        {
            builder.ConfigureServices(_configureServices);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        _http?.Dispose();
        if (_startFailed)
        {
            // The factory cannot dispose a host that never built; there is nothing running to stop.
            await Record.ExceptionAsync(async () => await base.DisposeAsync());
        }
        else
        {
            await base.DisposeAsync();
        }
        try
        {
            Directory.Delete(_dataPath, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }

        if (FailOnLoggedErrors)
        {
            Logs.AssertNoErrors();
        }
    }
}
