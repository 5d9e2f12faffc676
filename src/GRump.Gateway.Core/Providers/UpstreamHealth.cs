using System.Collections.Concurrent;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace GRump.Gateway.Providers;

/// <summary>
/// What each upstream looks like right now (CostService.GetStats, the dashboard): its destinations' YARP health
/// (active checks and the failures the chat path reported) and the state of the circuit breaker in front of each
/// destination's host, which the resilience pipeline reports through its callbacks.
/// </summary>
public sealed class UpstreamHealth(IProxyStateLookup state, ProviderMetrics metrics)
{
    private readonly ConcurrentDictionary<(string Provider, string Authority), string> _circuits = new();

    /// <summary>Records a circuit transition (<see cref="CircuitStates"/>) of a provider's destination host.</summary>
    public void CircuitChanged(string provider, string? authority, string circuitState)
    {
        if (authority is { Length: > 0 })
        {
            _circuits[(provider, authority)] = circuitState;
        }
    }

    /// <summary>Every provider cluster with its destinations, ordered by provider then destination id.</summary>
    public IReadOnlyList<UpstreamSnapshot> Snapshot()
    {
        var inFlight = metrics.InFlight();
        var upstreams = new List<UpstreamSnapshot>();
        foreach (var cluster in state.GetClusters().OrderBy(c => c.ClusterId, StringComparer.Ordinal))
        {
            var destinations = new List<DestinationSnapshot>();
            foreach (var destination in cluster.Destinations.Values.OrderBy(d => d.DestinationId, StringComparer.Ordinal))
            {
                var address = destination.Model.Config.Address;
                var authority = Uri.TryCreate(address, UriKind.Absolute, out var uri) ? uri.Authority : address;
                destinations.Add(new DestinationSnapshot(
                    destination.DestinationId,
                    address,
                    Name(destination.Health.Active),
                    Name(destination.Health.Passive),
                    _circuits.GetValueOrDefault((cluster.ClusterId, authority), CircuitStates.Closed)));
            }
            upstreams.Add(new UpstreamSnapshot(cluster.ClusterId, inFlight.GetValueOrDefault(cluster.ClusterId), destinations));
        }
        return upstreams;
    }

    private static string Name(DestinationHealth health) => health switch
    {
        DestinationHealth.Healthy => "healthy",
        DestinationHealth.Unhealthy => "unhealthy",
        _ => "unknown",
    };
}

/// <summary>Circuit breaker states as GetStats reports them.</summary>
public static class CircuitStates
{
    public const string Closed = "closed";
    public const string Open = "open";
    public const string HalfOpen = "half_open";
}

public sealed record UpstreamSnapshot(string Provider, int InFlight, IReadOnlyList<DestinationSnapshot> Destinations);

public sealed record DestinationSnapshot(string Id, string Address, string ActiveHealth, string PassiveHealth, string Circuit);
