using System.Net;
using Grpc.Health.V1;
using GRump.Gateway.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Tests.Cost;

/// <summary>
/// A damaged ledger is found at start (exit code 4 and a line saying which file and what to do), not by the first
/// request; one damaged while the gateway runs makes it not ready, and metered reads answer UNAVAILABLE, never 500.
/// </summary>
public sealed class LedgerStartupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Process_DamagedLedger_ExitsWithCode4NamingTheFile()
    {
        // Arrange: ledger.db full of bytes that are not a SQLite database
        var data = Directory.CreateTempSubdirectory("grump-ledger-").FullName;
        var ledger = Path.Combine(data, "ledger.db");
        await File.WriteAllBytesAsync(ledger, [.. Enumerable.Range(0, 8192).Select(i => (byte)(i * 31))], Ct);

        // Act
        var result = await ExternalTool.RunAsync("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "GRump.Gateway.dll"), "--Gateway:GrpcPort=0", "--Gateway:HttpPort=0", $"--Gateway:DataPath={data}"], Ct, AppContext.BaseDirectory);

        // Assert
        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Contains("Cannot open the cost ledger, not starting", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(ledger, result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("move it aside", result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Listening grpc=", result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StandardOutput + result.StandardError, StringComparison.Ordinal);
        Directory.Delete(data, recursive: true);
    }

    [Fact]
    public async Task Running_LedgerGone_NotReadyAndCostCallsUnavailable()
    {
        // Arrange: a gateway whose ledger works
        await using var app = new GatewayApp().Start();
        var health = new Health.HealthClient(app.Channel);
        using (var ready = await app.Http.GetAsync("/readyz", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
        var ledger = Path.Combine(app.Services.GetRequiredService<IOptions<GRump.Gateway.Storage.DataPathOptions>>().Value.DataPath, "ledger.db");

        // Act: the ledger's files vanish while the gateway runs (someone cleaned the data folder); pooled connections
        // are dropped, so the next ones open the path afresh and find no ledger there
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(ledger)!, "ledger.db*"))
        {
            File.Delete(file);
        }
        SqliteConnection.ClearAllPools();
        using var readyz = await app.Http.GetAsync("/readyz", Ct);
        using var healthz = await app.Http.GetAsync("/healthz", Ct);
        var grpcHealth = await health.CheckAsync(new HealthCheckRequest(), cancellationToken: Ct);
        using var summary = await app.Http.GetAsync("/api/cost/summary", Ct);

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz.StatusCode);
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, grpcHealth.Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, summary.StatusCode);
        Assert.Contains("LEDGER_UNAVAILABLE", await summary.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Single(app.Logs.Entries, e => e.Message.StartsWith("Not ready: the cost ledger cannot record", StringComparison.Ordinal));
    }
}
