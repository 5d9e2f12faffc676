using System.Globalization;

namespace GRump.LoadTests.Hosting;

/// <summary>
/// The gateway's managed allocations, read from its own <c>/metrics</c> (the runtime's
/// <c>dotnet.gc.heap.total_allocated</c> counter): the difference over a scenario, divided by its calls, is the
/// gateway's allocation per call — background work (ledger writer, metrics, the scrape itself) included, so it is an
/// upper bound for the request path. Null when <c>/metrics</c> is off, keyed, or not reachable.
/// </summary>
internal static class GatewayHeap
{
    private const string Counter = "dotnet_gc_heap_total_allocated_bytes_total";

    public static async Task<long?> AllocatedBytesAsync(HttpClient http, Uri? gatewayHttp, CancellationToken cancellationToken)
    {
        if (gatewayHttp is null)
        {
            return null;
        }

        try
        {
            using var response = await http.GetAsync(new Uri(gatewayHttp, "/metrics"), cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return Parse(text);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>The counter's value in a Prometheus text exposition, or null when it is absent.</summary>
    public static long? Parse(string exposition)
    {
        foreach (var line in exposition.AsSpan().EnumerateLines())
        {
            if (!line.StartsWith(Counter, StringComparison.Ordinal) || line.Length == Counter.Length || (line[Counter.Length] != '{' && line[Counter.Length] != ' '))
            {
                continue;
            }

            var value = line[(line.LastIndexOf(' ') + 1)..];
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var bytes))
            {
                return (long)bytes;
            }
        }

        return null;
    }
}
