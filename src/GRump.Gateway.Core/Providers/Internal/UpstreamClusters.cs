using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace GRump.Gateway.Providers.Internal;

/// <summary>
/// The upstreams as YARP clusters: one cluster per provider, one destination per replica, active health checks when a
/// path is configured and passive health (failures the chat path and the passthrough report) always. Callers ask for destinations
/// in the order to try them: healthy ones first, rotating, then the rest — a cluster whose every replica is marked
/// unhealthy is still tried rather than failed outright.
/// </summary>
internal sealed class UpstreamClusters(IProxyStateLookup state, IDestinationHealthUpdater health)
{
    private static readonly TimeSpan ReactivationPeriod = TimeSpan.FromSeconds(30);
    private int _rotation;

    public static ClusterConfig ClusterFor(ProviderSettings provider)
    {
        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal);
        for (var i = 0; i < provider.Destinations.Count; i++)
        {
            destinations[$"{provider.Name}-{i}"] = new DestinationConfig { Address = provider.Destinations[i].ToString() };
        }
        var activePath = provider.Options.HealthCheckPath.Trim().TrimStart('/');
        return new ClusterConfig
        {
            ClusterId = provider.Name,
            Destinations = destinations,
            LoadBalancingPolicy = "RoundRobin",
            HealthCheck = new HealthCheckConfig
            {
                Passive = new PassiveHealthCheckConfig { Enabled = true, ReactivationPeriod = ReactivationPeriod },
                Active = activePath.Length == 0 ? null : new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = TimeSpan.FromSeconds(15),
                    Timeout = TimeSpan.FromSeconds(5),
                    Policy = "ConsecutiveFailures",
                    Path = activePath,
                },
            },
        };
    }

    /// <summary>Destinations of <paramref name="provider"/> in the order to try them.</summary>
    public IReadOnlyList<DestinationState> Order(string provider)
    {
        if (!state.TryGetCluster(provider, out var cluster))
        {
            return [];
        }
        var all = cluster.DestinationsState.AllDestinations;
        var available = cluster.DestinationsState.AvailableDestinations;
        if (all.Count == 1)
        {
            return all;
        }
        var ordered = new List<DestinationState>(all.Count);
        var start = available.Count == 0 ? 0 : (int)((uint)Interlocked.Increment(ref _rotation) % (uint)available.Count);
        for (var i = 0; i < available.Count; i++)
        {
            ordered.Add(available[(start + i) % available.Count]);
        }
        foreach (var destination in all)
        {
            if (!ordered.Contains(destination))
            {
                ordered.Add(destination);
            }
        }
        return ordered;
    }

    /// <summary>A destination failed before answering: take it out of rotation for a while (YARP passive health).</summary>
    public void ReportFailure(string provider, DestinationState destination)
    {
        if (state.TryGetCluster(provider, out var cluster))
        {
            health.SetPassive(cluster, destination, DestinationHealth.Unhealthy, ReactivationPeriod);
        }
    }
}
