using GRump.Gateway.Tests.Infrastructure;

namespace GRump.Gateway.Tests.Hosting;

/// <summary>
/// The gateway process does not watch its content root for configuration changes: the watcher covers every subfolder,
/// so each write under <c>./data</c> (the ledger, the L3 cache) woke it — ~5 % of a core under chat load. Nothing reads
/// options again after start.
/// </summary>
public sealed class ConfigurationWatchTests
{
    [Fact]
    public async Task Process_AfterStartAndChats_RunsNoFileWatcherThread()
    {
        // Arrange: the real process, its data folder inside its working directory (the content root), as ./data ships.
        await using var gateway = await GatewayProcess.StartAsync(new Dictionary<string, string> { ["Gateway:DataPath"] = "./data" }, TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = gateway.HttpUrl, Timeout = TestTimeouts.Default };

        // Act: calls that write the ledger and the cache under ./data.
        for (var i = 0; i < 3; i++)
        {
            using var answer = await http.PostAsync("/v1/chat/completions",
                new StringContent($$"""{"model":"grump-local-dev","messages":[{"role":"user","content":"hello {{i}}"}]}""", System.Text.Encoding.UTF8, "application/json"),
                TestContext.Current.CancellationToken);
            Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
        }

        var threads = Directory.GetDirectories($"/proc/{gateway.Id}/task").Select(ThreadName).ToArray();

        // Assert: .NET names the FileSystemWatcher's thread ".NET File Watch" on Linux.
        Assert.NotEmpty(threads);
        Assert.DoesNotContain(threads, name => name.StartsWith(".NET File Watch", StringComparison.Ordinal));
    }

    /// <summary>A thread's name, or empty when it ended while being read.</summary>
    private static string ThreadName(string task)
    {
        try
        {
            return File.ReadAllText(Path.Combine(task, "comm")).Trim();
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }
}
