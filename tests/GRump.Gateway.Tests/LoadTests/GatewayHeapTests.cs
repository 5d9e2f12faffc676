using GRump.Gateway.Tests.Infrastructure;
using GRump.LoadTests.Hosting;

namespace GRump.Gateway.Tests.LoadTests;

/// <summary>The runner's per-call allocation column reads the real gateway's /metrics.</summary>
public sealed class GatewayHeapTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AllocatedBytesAsync_RealGateway_ReadsAGrowingCounter()
    {
        // Arrange
        await using var app = new GatewayApp().Start();

        // Act
        var first = await GatewayHeap.AllocatedBytesAsync(app.Http, app.HttpUrl, Ct).DefaultTimeout();
        _ = new byte[64 * 1024];
        var second = await GatewayHeap.AllocatedBytesAsync(app.Http, app.HttpUrl, Ct).DefaultTimeout();

        // Assert
        Assert.NotNull(first);
        Assert.True(first > 0);
        Assert.True(second > first, $"{first} then {second}");
    }

    [Fact]
    public async Task AllocatedBytesAsync_MetricsOff_IsNull()
    {
        // Arrange
        await using var app = new GatewayApp(new Dictionary<string, string?> { ["Diagnostics:Telemetry"] = "false" }).Start();

        // Act
        var bytes = await GatewayHeap.AllocatedBytesAsync(app.Http, app.HttpUrl, Ct).DefaultTimeout();

        // Assert
        Assert.Null(bytes);
    }

    [Theory]
    [InlineData("dotnet_gc_heap_total_allocated_bytes_total{otel_scope_name=\"System.Runtime\"} 664769408\n", 664769408L)]
    [InlineData("# TYPE dotnet_gc_heap_total_allocated_bytes_total counter\ndotnet_gc_heap_total_allocated_bytes_total 1.5e3\n", 1500L)]
    [InlineData("dotnet_gc_heap_total_allocated_bytes_total_other 5\n", null)]
    [InlineData("", null)]
    public void Parse_Exposition_ReadsTheCounter(string exposition, long? expected) =>
        Assert.Equal(expected, GatewayHeap.Parse(exposition));
}
