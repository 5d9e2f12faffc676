using System.ComponentModel.DataAnnotations;

namespace GRump.Gateway.Hosting;

/// <summary>Where and how the gateway listens (DESIGN.md, "Processes and ports").</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>gRPC over HTTP/2 cleartext; 0 = pick a free port (logged at start).</summary>
    [Range(0, 65535)]
    public int GrpcPort { get; set; } = 50051;

    /// <summary>HTTP/1.1: REST (transcoding), /metrics, /healthz, /readyz; 0 = pick a free port.</summary>
    [Range(0, 65535)]
    public int HttpPort { get; set; } = 3000;

    /// <summary>An IP address for both endpoints. A non-loopback address needs <see cref="AllowAnonymous"/> until API keys exist.</summary>
    [Required(AllowEmptyStrings = false)]
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>Permits a non-loopback bind without API keys. Off by default: an open LLM gateway spends your money.</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>
    /// The drain timeout: how long shutdown waits, in all (<see cref="DrainDelay"/> included), for in-flight requests
    /// and streams to finish before they are cut.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// After a stop signal, how long the gateway keeps taking new calls while it already reports not ready (/readyz
    /// 503, gRPC health NOT_SERVING), so a load balancer's health check sees it leave before its listener closes. Then
    /// new calls are refused with UNAVAILABLE (HTTP 503) while calls in flight finish. 0 (the default) for a single
    /// process; a few health-check intervals behind a balancer (docs/operations.md).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan DrainDelay { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Request bodies the gateway holds at once, in bytes as sent (the JSON doors' and REST bodies by Content-Length or as
    /// read, gRPC requests by their message size), from the moment a call starts reading its body until it ends. Beyond
    /// it a call is refused RESOURCE_EXHAUSTED (HTTP 429, retry after 1 s) before its handler runs or anything goes
    /// upstream. A call alone is always taken (within its door's body limit), so this may be smaller than one body.
    /// </summary>
    [Range(64L * 1024, long.MaxValue)]
    public long MaxRequestBytesInFlight { get; set; } = 256L * 1024 * 1024;
}
