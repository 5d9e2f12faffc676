using GRump.Gateway.Tests.Infrastructure;

namespace GRump.Gateway.Tests.Diagnostics;

/// <summary>The seed's own command, <c>curl …/metrics | grep llm_cost</c>, shows something on a fresh gateway.</summary>
public sealed class SeedCountersTests
{
    [Fact]
    public async Task Metrics_FreshGateway_SeedCountersExistAtZero()
    {
        // Arrange: a process of its own, so no other test's gateway has recorded anything into its meters
        await using var gateway = await GatewayProcess.StartAsync(new Dictionary<string, string>(), TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = gateway.HttpUrl, Timeout = TestTimeouts.Default };

        // Act
        var metrics = await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);

        // Assert
        foreach (var counter in new[] { "llm_cost_usd_total", "cache_savings_usd_total", "model_routing_savings_usd_total", "tiered_cache_hits_total", "tiered_cache_misses_total" })
        {
            var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(counter + "{", StringComparison.Ordinal));
            Assert.True(line is not null, $"{counter} is missing from /metrics on a fresh gateway");
            Assert.EndsWith(" 0", line.TrimEnd(), StringComparison.Ordinal);
        }
    }
}
