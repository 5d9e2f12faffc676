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

    /// <summary>SQLite ledger and L3 cache files.</summary>
    [Required(AllowEmptyStrings = false)]
    public string DataPath { get; set; } = "./data";

    /// <summary>Permits a non-loopback bind without API keys. Off by default: an open LLM gateway spends your money.</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>How long shutdown waits for in-flight requests and streams.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
