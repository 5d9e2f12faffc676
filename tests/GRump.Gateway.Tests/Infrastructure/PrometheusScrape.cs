using System.Globalization;

namespace GRump.Gateway.Tests.Infrastructure;

/// <summary>Reads the gateway's /metrics (Prometheus text format).</summary>
public static class PrometheusScrape
{
    /// <summary>The sum of every series of <paramref name="metric"/> (0 when absent), optionally only series whose labels contain <paramref name="labelFilter"/>.</summary>
    public static async Task<double> SumAsync(HttpClient http, string metric, string? labelFilter = null)
    {
        var text = await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken).DefaultTimeout();
        var sum = 0d;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(metric, StringComparison.Ordinal))
            {
                continue;
            }
            var rest = line[metric.Length..];
            if (rest.Length == 0 || (rest[0] != '{' && rest[0] != ' '))
            {
                continue; // another metric whose name starts with this one
            }
            if (labelFilter is not null && !rest.Contains(labelFilter, StringComparison.Ordinal))
            {
                continue;
            }
            var value = rest[(rest.LastIndexOf('}') + 1)..].Trim().Split(' ')[0];
            sum += double.Parse(value, CultureInfo.InvariantCulture);
        }
        return sum;
    }
}
