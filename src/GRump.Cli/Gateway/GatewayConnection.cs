using Grpc.Core;
using Grpc.Net.Client;
using GRump.Gateway.V1;

namespace GRump.Cli.Gateway;

/// <summary>
/// One gateway for one command: the channel (created on first use, so a cached <c>plan</c> never opens a socket), the
/// API key sent with every call, and the retry policy every call goes through.
/// </summary>
internal sealed class GatewayConnection(Uri url, string? apiKey, CliContext context) : IDisposable
{
    private GrpcChannel? _channel;

    public Uri Url => url;

    /// <summary>The key from <c>GRUMP_API_KEY</c>; null in anonymous mode.</summary>
    public string? ApiKey => apiKey;

    public RetryPolicy Retry { get; } = new(context.Time, context.Error);

    public WorkflowService.WorkflowServiceClient Workflows => new(Channel);

    public CostService.CostServiceClient Cost => new(Channel);

    public CacheService.CacheServiceClient Cache => new(Channel);

    public RoutingService.RoutingServiceClient Routing => new(Channel);

    public Grpc.Health.V1.Health.HealthClient Health => new(Channel);

    private GrpcChannel Channel => _channel ??= GrpcChannel.ForAddress(url, new GrpcChannelOptions
    {
        HttpHandler = new HttpStatusObserver.Handler(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            // ship-parallel multiplexes its workflows on one connection; more streams than the server's limit open another.
            EnableMultipleHttp2Connections = true,
        }),
        DisposeHttpClient = true,
        MaxReceiveMessageSize = 16 * 1024 * 1024,
    });

    /// <summary>Call options carrying the key (<c>Authorization: Bearer</c>) and the command's cancellation.</summary>
    public CallOptions Call(CancellationToken cancellationToken)
    {
        Metadata? headers = null;
        if (!string.IsNullOrEmpty(apiKey))
        {
            headers = [new Metadata.Entry("authorization", "Bearer " + apiKey)];
        }
        return new CallOptions(headers, cancellationToken: cancellationToken);
    }

    public void Dispose() => _channel?.Dispose();
}
