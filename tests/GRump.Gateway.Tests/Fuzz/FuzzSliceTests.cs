using GRump.Gateway.Tests.Infrastructure;
using GRump.LoadTests.Fuzz;

namespace GRump.Gateway.Tests.Fuzz;

/// <summary>
/// The CI slice of the fuzz suite (the long run is <c>loadtests fuzz</c>, see docs/hygiene.md): seeded hostile gRPC
/// frames and HTTP bodies against a gateway with API keys and one without. Every call answered, never gRPC UNKNOWN,
/// INTERNAL only for frames that break the protocol or do not deserialize, no HTTP 5xx but 501/503, the gateway healthy
/// afterwards — and its log free of Errors and of stack traces below Error (checked when the gateway is disposed).
/// </summary>
public sealed class FuzzSliceTests
{
    private const int CallsPerGateway = 250;
    private const string UserKey = "fuzz-slice-user-key-0123456789";
    private const string AdminKey = "fuzz-slice-admin-key-0123456789";

    [Fact]
    public async Task Fuzz_KeyedGateway_KeepsEveryRule()
    {
        await using var app = new GatewayApp(new Dictionary<string, string?>
        {
            ["Auth:Keys:0:Key"] = UserKey, ["Auth:Keys:0:Tenant"] = "fuzz", ["Auth:Keys:0:Role"] = "user",
            ["Auth:Keys:1:Key"] = AdminKey, ["Auth:Keys:1:Tenant"] = "ops", ["Auth:Keys:1:Role"] = "admin",
        }).Start();
        await RunAsync(app, seed: 1, UserKey, AdminKey);
    }

    [Fact]
    public async Task Fuzz_AnonymousGateway_KeepsEveryRule()
    {
        await using var app = new GatewayApp().Start();
        await RunAsync(app, seed: 2, userKey: null, adminKey: null);
    }

    private static async Task RunAsync(GatewayApp app, int seed, string? userKey, string? adminKey)
    {
        // Act
        var report = await FuzzRunner.RunAsync(new FuzzOptions(app.GrpcUrl, app.HttpUrl)
        {
            Seed = seed,
            Calls = CallsPerGateway,
            Concurrency = 4,
            UserKey = userKey,
            AdminKey = adminKey,
            CallTimeout = TestTimeouts.Default,
        }, TestContext.Current.CancellationToken).DefaultTimeout();

        // Assert (the log policy is checked when the app is disposed)
        Assert.True(report.Passed, report.ToMarkdown());
        Assert.Equal(CallsPerGateway, report.Total("grpc") + report.Total("http"));
        Assert.True(report.Total("grpc") > CallsPerGateway / 3 && report.Total("http") > CallsPerGateway / 3, report.ToMarkdown());
    }
}
