using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace GRump.Gateway.Hosting;

/// <summary>The two Kestrel endpoints; after start they hold the bound ports (also when configured as 0).</summary>
public sealed class GatewayEndpoints
{
    private ListenOptions? _grpc;
    private ListenOptions? _http;

    /// <summary>The gRPC endpoint's URL, e.g. http://127.0.0.1:50051; null before the server bound it.</summary>
    public Uri? GrpcUrl => ToUrl(_grpc);

    /// <summary>The HTTP/1.1 endpoint's URL; null before the server bound it.</summary>
    public Uri? HttpUrl => ToUrl(_http);

    internal void Configure(KestrelServerOptions kestrel, GatewayOptions options)
    {
        var address = IPAddress.Parse(options.BindAddress);
        kestrel.AddServerHeader = false;
        kestrel.Listen(address, options.GrpcPort, listen =>
        {
            // h2c only: a cleartext port cannot offer both HTTP/1.1 and HTTP/2 (no ALPN), and gRPC needs HTTP/2.
            listen.Protocols = HttpProtocols.Http2;
            _grpc = listen;
        });
        kestrel.Listen(address, options.HttpPort, listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            _http = listen;
        });
    }

    private static Uri? ToUrl(ListenOptions? listen) =>
        listen?.IPEndPoint is { Port: > 0 } endPoint ? new Uri($"http://{FormatHost(endPoint.Address)}:{endPoint.Port}") : null;

    private static string FormatHost(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}
