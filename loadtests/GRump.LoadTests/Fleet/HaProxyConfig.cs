using System.Globalization;
using System.Text;

namespace GRump.LoadTests.Fleet;

/// <summary>The balancer's configuration (Debian's HAProxy 2.6) and its stats page.</summary>
internal static class HaProxyConfig
{
    /// <summary>
    /// Round robin per request (HTTP mode: each h2 stream is balanced on its own). Only connection failures are
    /// retried on another replica: a chat call that reached a replica may have spent money upstream, so it is never
    /// replayed. Health checks are HTTP/1.1 GET /readyz on each replica's HTTP port, for both backends.
    /// </summary>
    public static string Render(int grpcPort, int httpPort, int statsPort, IEnumerable<FleetReplica> replicas, TimeSpan checkInterval)
    {
        var inter = (int)checkInterval.TotalMilliseconds;
        var config = new StringBuilder();
        config.Append(CultureInfo.InvariantCulture, $$"""
            global
              maxconn 4096

            defaults
              mode http
              timeout connect 2s
              timeout client 120s
              timeout server 120s
              timeout http-request 10s
              retries 2
              option redispatch 1
              retry-on conn-failure
              option httpchk GET /readyz
              timeout check 3s
              default-server inter {{inter}}ms fall 2 rise 2

            frontend grpc
              bind 127.0.0.1:{{grpcPort}} proto h2
              default_backend {{FleetCluster.GrpcBackend}}

            frontend http
              bind 127.0.0.1:{{httpPort}}
              default_backend {{FleetCluster.HttpBackend}}

            frontend stats
              bind 127.0.0.1:{{statsPort}}
              stats enable
              stats uri /stats

            backend {{FleetCluster.GrpcBackend}}
              balance roundrobin
              http-response set-header x-fleet-server %s

            """);
        foreach (var r in replicas)
        {
            config.Append(CultureInfo.InvariantCulture, $"  server {r.Name} 127.0.0.1:{r.GrpcPort} proto h2 check port {r.HttpPort} check-proto h1\n");
        }

        config.Append(CultureInfo.InvariantCulture, $"""

            backend {FleetCluster.HttpBackend}
              balance roundrobin
              http-response set-header x-fleet-server %s

            """);
        foreach (var r in replicas)
        {
            config.Append(CultureInfo.InvariantCulture, $"  server {r.Name} 127.0.0.1:{r.HttpPort} check\n");
        }

        return config.ToString();
    }

    /// <summary>(backend, server) → status ("UP", "DOWN", "UP 1/2", ...) from the stats page's CSV.</summary>
    public static Dictionary<(string Backend, string Server), string> ServerStates(string csv)
    {
        var states = new Dictionary<(string, string), string>();
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
        {
            return states;
        }

        var header = lines[0].TrimStart('#', ' ').Split(',');
        int px = Array.IndexOf(header, "pxname"), sv = Array.IndexOf(header, "svname"), status = Array.IndexOf(header, "status");
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(',');
            if (fields.Length > status && fields[sv] is not ("FRONTEND" or "BACKEND"))
            {
                states[(fields[px], fields[sv])] = fields[status];
            }
        }

        return states;
    }
}
