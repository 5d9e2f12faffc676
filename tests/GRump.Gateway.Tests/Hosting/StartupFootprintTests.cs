using GRump.Gateway.Tests.Infrastructure;

namespace GRump.Gateway.Tests.Hosting;

/// <summary>
/// What the gateway loads at start stays resident for the life of the process (issue 22, docs/performance.md "What
/// loads at start"): the real process, its mapped files read from /proc.
/// </summary>
public sealed class StartupFootprintTests
{
    // Each was mapped at start before, and none is used until a feature asks for it: the XML stack (YARP's data
    // protection key ring, the dashboard's embedded-file manifest), expression trees (minimal-API request delegates
    // compiled at start), MVC (an application-part attribute read by the hosting-startup scan), IIS and QUIC
    // (WebApplication.CreateBuilder's defaults).
    public static TheoryData<string> UnusedAtStart =>
    [
        "System.Private.Xml.dll",
        "System.Linq.Expressions.dll",
        "Microsoft.AspNetCore.Mvc.Core.dll",
        "Microsoft.AspNetCore.Server.IIS.dll",
        "System.Net.Quic.dll",
    ];

    [Theory]
    [MemberData(nameof(UnusedAtStart))]
    public async Task Start_ServingChatAndRestRequests_DoesNotLoad(string assembly)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "reads /proc/PID/maps");
        var ct = TestContext.Current.CancellationToken;
        var home = Directory.CreateTempSubdirectory("grump-home-").FullName;
        await using var gateway = await GatewayProcess.StartAsync(new Dictionary<string, string> { ["HOME"] = home }, ct);
        using var http = new HttpClient { BaseAddress = gateway.HttpUrl, Timeout = TestTimeouts.Default };

        // Act: a health probe and a minimal-API endpoint (its request delegate is generated at build time now)
        var health = await http.GetStringAsync("/healthz", ct);
        using var models = await http.GetAsync("/v1/models", ct);
        var maps = await File.ReadAllTextAsync($"/proc/{gateway.Id}/maps", ct);

        // Assert
        Assert.Equal("Healthy", health);
        Assert.True(models.IsSuccessStatusCode, $"/v1/models: {(int)models.StatusCode}");
        Assert.DoesNotContain("/" + assembly, maps, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(home, "*", SearchOption.AllDirectories)); // no data-protection key ring
        Directory.Delete(home, recursive: true);
    }
}
