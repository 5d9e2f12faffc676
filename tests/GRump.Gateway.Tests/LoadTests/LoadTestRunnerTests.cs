using GRump.Fakes;
using GRump.Gateway.Tests.Infrastructure;
using GRump.LoadTests;

namespace GRump.Gateway.Tests.LoadTests;

/// <summary>The runner's entry point in-process against a real (in-process) fake upstream: exit codes and report files.</summary>
public sealed class LoadTestRunnerTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "grump-load-test-" + Guid.CreateVersion7().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_ThresholdBreached_ExitsNonZeroAndStillWritesReports()
    {
        // Arrange
        await using var fake = await FakeUpstream.StartAsync(Ct).DefaultTimeout();
        using var output = new StringWriter();

        // Act: no HTTP round trip takes under a microsecond.
        var exit = await LoadTestRunner.RunAsync(Args(fake, "p99<1us"), output, null, Ct).DefaultTimeout();

        // Assert
        Assert.Equal(LoadTestRunner.ThresholdBreached, exit);
        Assert.Contains("FAIL  chat-direct: p99<1us", output.ToString(), StringComparison.Ordinal);
        Assert.True(new FileInfo(Path.Combine(_out, "report.html")).Length > 0);
    }

    [Fact]
    public async Task RunAsync_ThresholdsMet_ExitsZeroWithAllReports()
    {
        // Arrange
        await using var fake = await FakeUpstream.StartAsync(Ct).DefaultTimeout();
        using var output = new StringWriter();

        // Act
        var exit = await LoadTestRunner.RunAsync(Args(fake, "errors<1%"), output, null, Ct).DefaultTimeout();

        // Assert
        Assert.True(exit == LoadTestRunner.Passed, output.ToString());
        Assert.True(fake.RequestCount > 0);
        foreach (var file in new[] { "report.md", "results.csv", "report.html", "chat-direct.hgrm" })
        {
            Assert.True(new FileInfo(Path.Combine(_out, file)).Length > 0, file);
        }

        Assert.Contains("| chat-direct | c=2 |", await File.ReadAllTextAsync(Path.Combine(_out, "report.md"), Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ScenarioWithoutItsTarget_ExitsSetupFailed()
    {
        // Arrange
        await using var fake = await FakeUpstream.StartAsync(Ct).DefaultTimeout();
        using var output = new StringWriter();

        // Act: chat-grpc needs --gateway-grpc
        var exit = await LoadTestRunner.RunAsync(["--scenario", "chat-grpc", "--upstream", fake.BaseUrl, "--duration", "1s", "--out", _out], output, null, Ct)
            .DefaultTimeout();

        // Assert
        Assert.Equal(LoadTestRunner.SetupFailed, exit);
        Assert.Contains("--gateway-grpc", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--scenario", "nope")]
    [InlineData("--duration", "soon")]
    [InlineData("--threshold", "p99~1ms")]
    [InlineData("--rate", "-5/s")]
    public async Task RunAsync_BadArguments_ExitsTwo(string option, string value)
    {
        // Arrange
        using var output = new StringWriter();

        // Act
        var exit = await LoadTestRunner.RunAsync([option, value, "--upstream", "http://127.0.0.1:1"], output, null, Ct).DefaultTimeout();

        // Assert
        Assert.Equal(LoadTestRunner.BadArguments, exit);
    }

    public void Dispose()
    {
        if (Directory.Exists(_out))
        {
            Directory.Delete(_out, recursive: true);
        }
    }

    private string[] Args(FakeUpstream fake, string threshold) =>
        ["--scenario", "chat-direct", "--upstream", fake.BaseUrl, "--duration", "500ms", "--warmup", "100ms", "--concurrency", "2",
         "--threshold", threshold, "--out", _out, "--no-progress"];
}
