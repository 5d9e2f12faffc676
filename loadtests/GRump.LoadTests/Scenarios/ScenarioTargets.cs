using System.Net;
using Grpc.Net.Client;

namespace GRump.LoadTests.Scenarios;

/// <summary>Which server a scenario loads (its CPU is the scenario's server CPU).</summary>
internal enum ScenarioTarget
{
    /// <summary>The gateway (gRPC or HTTP endpoint).</summary>
    Gateway,

    /// <summary>The fake upstream, called directly: the baseline of the gateway's chat and embeddings scenarios.</summary>
    Upstream,

    /// <summary>GRump.Benchmarks' bench server (<c>serve</c>): a bare Kestrel gRPC server with a Noop RPC.</summary>
    BareServer,

    /// <summary>A second gateway with <c>Embeddings__Coalescing=false</c> (only when the runner starts the processes).</summary>
    GatewayNoCoalescing,
}

/// <summary>The endpoints under test, their process ids when known, and the clients shared by all scenarios.</summary>
internal sealed class ScenarioTargets : IDisposable
{
    private readonly Dictionary<Uri, GrpcChannel> _channels = [];
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
    })
    { Timeout = TimeSpan.FromSeconds(60) };

    public Uri? GatewayGrpc { get; init; }

    public Uri? GatewayHttp { get; init; }

    public Uri? Upstream { get; init; }

    public Uri? NoCoalescingGrpc { get; set; }

    public Uri? BareGrpc { get; init; }

    public int? BarePid { get; init; }

    public int? GatewayPid { get; init; }

    public int? UpstreamPid { get; init; }

    public int? NoCoalescingPid { get; set; }

    public HttpClient Http => _http;

    public int? PidOf(ScenarioTarget target) => target switch
    {
        ScenarioTarget.Gateway => GatewayPid,
        ScenarioTarget.Upstream => UpstreamPid,
        ScenarioTarget.GatewayNoCoalescing => NoCoalescingPid,
        ScenarioTarget.BareServer => BarePid,
        _ => null,
    };

    public GrpcChannel Channel(Uri? address, string option)
    {
        if (address is null)
        {
            throw new ScenarioSetupException($"this scenario needs {option}");
        }

        lock (_channels)
        {
            if (!_channels.TryGetValue(address, out var channel))
            {
                channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
                {
                    // Kestrel allows 100 streams per connection: more users than that need more connections.
                    HttpHandler = new SocketsHttpHandler
                    {
                        EnableMultipleHttp2Connections = true,
                        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
                    },
                    MaxReceiveMessageSize = 16 * 1024 * 1024,
                });
                _channels[address] = channel;
            }

            return channel;
        }
    }

    public static Uri Require(Uri? address, string option) =>
        address ?? throw new ScenarioSetupException($"this scenario needs {option}");

    public void Dispose()
    {
        lock (_channels)
        {
            foreach (var channel in _channels.Values)
            {
                channel.Dispose();
            }

            _channels.Clear();
        }

        _http.Dispose();
    }
}

/// <summary>A scenario cannot run: a target is missing or did not start.</summary>
internal sealed class ScenarioSetupException(string message, Exception? inner = null) : Exception(message, inner);
