using System.ComponentModel.DataAnnotations;

namespace GRump.Gateway.Passthrough;

/// <summary>
/// <c>Passthrough</c> configuration: the <c>/v1/*</c> paths the gateway forwards to an upstream although it does not
/// implement them. Default: none — an unlisted path is 404 and never reaches an upstream. Every forwarded call is
/// authenticated, rate limited, budgeted (a reservation before the call) and metered (a ledger row after it), like
/// the native endpoints. Rules are checked at start (docs/security.md).
/// </summary>
public sealed class PassthroughOptions
{
    public const string SectionName = "Passthrough";

    /// <summary>The allow-list, in order (the first route that matches a path and method wins).</summary>
    public List<PassthroughRoute> Routes { get; set; } = [];

    /// <summary>Largest request body forwarded (it is read whole: a usage route rewrites its output limit).</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Largest JSON response read for its usage; a bigger answer is forwarded whole and billed at its reservation.</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxMeteredResponseBytes { get; set; } = 16 * 1024 * 1024;
}

/// <summary>One forwarded path.</summary>
public sealed class PassthroughRoute
{
    /// <summary><c>/v1/…</c>, exact; or ending in <c>/*</c> for every path below it (e.g. <c>/v1/files/*</c>).</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>HTTP methods forwarded (GET, POST, PUT, PATCH, DELETE); empty = POST.</summary>
    public List<string> Methods { get; set; } = [];

    /// <summary>
    /// <c>usage</c>: the JSON body names a model of the registry, which is priced; the gateway caps its output, reserves
    /// the worst case and bills the usage in the response (OpenAI JSON or SSE). <c>per-call</c>: every successful call
    /// costs <see cref="PricePerCallUsd"/> (for paths whose usage cannot be read).
    /// </summary>
    public string Metering { get; set; } = PassthroughMetering.Usage;

    /// <summary>Per-call routes: USD billed per successful call (required; 0 only for a path that truly costs nothing).</summary>
    public double? PricePerCallUsd { get; set; }

    /// <summary>Per-call routes: the provider forwarded to; empty = <c>nim</c>, else the first OpenAI-compatible provider.</summary>
    public string Provider { get; set; } = string.Empty;

    /// <summary>
    /// Usage routes: the body field that caps the output (<c>max_tokens</c>; <c>max_output_tokens</c> for the Responses
    /// API); empty = the path produces no output tokens (only input is reserved and billed).
    /// </summary>
    public string OutputLimitField { get; set; } = "max_tokens";

    /// <summary>Methods, with the default applied.</summary>
    public IReadOnlyList<string> EffectiveMethods => Methods.Count == 0 ? ["POST"] : Methods;
}

public static class PassthroughMetering
{
    public const string Usage = "usage";
    public const string PerCall = "per-call";
}
