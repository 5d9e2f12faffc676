using System.Diagnostics;
using System.Text.RegularExpressions;
using Grpc.Core;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Tests.Hosting;

public sealed partial class HostingTests
{
    [Theory]
    [InlineData("Gateway:GrpcPort", "70000", "GrpcPort")]
    [InlineData("Gateway:BindAddress", "not-an-ip", "not an IP address")]
    [InlineData("Gateway:BindAddress", "0.0.0.0", "Gateway:AllowAnonymous=true")]
    public async Task Start_BadConfigValue_FailsBeforeListening(string key, string value, string expectedMessage)
    {
        // Arrange
        await using var app = new GatewayApp(new Dictionary<string, string?> { [key] = value }) { FailOnLoggedErrors = false };

        // Act
        var error = Record.Exception(() => app.Start());

        // Assert
        var validation = error as OptionsValidationException ?? (error as AggregateException)?.InnerExceptions.OfType<OptionsValidationException>().FirstOrDefault();
        Assert.True(validation is not null, $"Expected an options validation failure, got {error}");
        Assert.Contains(expectedMessage, string.Join(" ", validation.Failures), StringComparison.Ordinal);
        Assert.DoesNotContain(app.Logs.Entries, e => e.Message.Contains("listening", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Start_NonLoopbackWithAnonymousAllowed_Listens()
    {
        // Arrange
        await using var app = new GatewayApp(new Dictionary<string, string?> { ["Gateway:BindAddress"] = "0.0.0.0", ["Gateway:AllowAnonymous"] = "true" });

        // Act
        app.Start();

        // Assert
        Assert.NotNull(app.Endpoints.HttpUrl);
    }

    [Theory]
    [InlineData("--Gateway:BindAddress=0.0.0.0", "AllowAnonymous")]
    [InlineData("--Gateway:HttpPort=-1", "HttpPort")]
    [InlineData("--Workers:QueueCapacity=0", "QueueCapacity")]
    [InlineData("--Embeddings:QueueMaxChars=1000", "QueueMaxChars")]
    [InlineData("--Gateway:MaxRequestBytesInFlight=1000", "MaxRequestBytesInFlight")]
    [InlineData("--Workers:TaskTimeout=00:00:00", "TaskTimeout")]
    [InlineData("--Intent:InlineMaxChars=-1", "InlineMaxChars")]
    [InlineData("--Gateway:HttpPort=abc", "'abc' at 'Gateway:HttpPort'")]
    [InlineData("--Workers:TaskTimeout=banana", "'banana' at 'Workers:TaskTimeout'")]
    [InlineData("--Cache:L1MaxEntries=lots", "'lots' at 'Cache:L1MaxEntries'")]
    [InlineData("--Diagnostics:Telemetry=banana", "'banana' at 'Diagnostics:Telemetry'")]
    [InlineData("--Providers:Nim:MaxRetries=abc", "'abc' at 'Providers:Nim:MaxRetries'")]
    [InlineData("--Providers:Nim:MaxRetries=50", "Providers:Nim:MaxRetries")]
    [InlineData("--Providers:vllm:Kind=openai", "Providers:vllm:BaseUrl is required")]
    [InlineData("--Providers:vllm:BaseUrl=ftp://x", "'ftp://x/v1/' is not an absolute http(s) URL")]
    [InlineData("--Providers:vllm:BaseUrl=http://x --Providers:vllm:Kind=grpc", "Providers:vllm:Kind 'grpc' is unknown")]
    [InlineData("--Providers:vllm:BaseUrl=http://x --Providers:vllm:EmbeddingEncoding=hex", "Providers:vllm:EmbeddingEncoding: Use 'float' or 'base64'.")]
    [InlineData("--Passthrough:Routes:0:Path=/v1/embeddings", "served by the gateway itself")]
    [InlineData("--Auth:RequestsPerMinute=-1", "RequestsPerMinute")]
    public async Task Process_BadConfig_ExitsNonZeroWithClearMessage(string badSetting, string expectedMessage)
    {
        // Act
        var result = await ExternalTool.RunAsync("dotnet", [GatewayDll, "--Gateway:GrpcPort=0", "--Gateway:HttpPort=0", .. badSetting.Split(' ')], TestContext.Current.CancellationToken, AppContext.BaseDirectory);

        // Assert: exit 2 and one clear line naming the key — no unhandled exception, no stack trace
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("Invalid configuration, not starting", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(expectedMessage, result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", result.StandardError + result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StandardError + result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Listening grpc=", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_PortInUse_ExitsWithCode3AndSaysWhy()
    {
        // Arrange
        using var occupant = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((System.Net.IPEndPoint)occupant.LocalEndpoint).Port;

        // Act
        var result = await ExternalTool.RunAsync("dotnet", [GatewayDll, "--Gateway:GrpcPort=0", $"--Gateway:HttpPort={port}"], TestContext.Current.CancellationToken, AppContext.BaseDirectory);

        // Assert
        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("Cannot listen", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_PortZero_LogsListeningLineAndStopsCleanlyOnSigterm()
    {
        // Arrange
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Directory.CreateTempSubdirectory("grump-proc-").FullName };
        foreach (var argument in new[] { GatewayDll, "--Gateway:GrpcPort=0", "--Gateway:HttpPort=0" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        try
        {
            // Act
            Match? listening = null;
            var before = new List<string>();
            while (listening is null)
            {
                var line = await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().DefaultTimeout()
                    ?? throw new InvalidOperationException("The gateway exited before listening: " + await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken));
                before.Add(line);
                var match = ListeningLine().Match(line);
                listening = match.Success ? match : null;
            }

            using var http = new HttpClient { BaseAddress = new Uri(listening.Groups["http"].Value), Timeout = TestTimeouts.Default };
            var health = await http.GetStringAsync("/healthz", TestContext.Current.CancellationToken);
            using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(listening.Groups["grpc"].Value);
            var parsed = await new IntentService.IntentServiceClient(channel).ParseIntentAsync(new ParseIntentRequest { Raw = "hello" }, cancellationToken: TestContext.Current.CancellationToken);
            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).DefaultTimeout();

            // Assert: the default ./data is the working directory's, and the start says where the ledger is
            Assert.Equal("Healthy", health);
            Assert.Equal("hello", parsed.Intent.Raw);
            Assert.Equal(0, process.ExitCode);
            Assert.Contains(before, l => l.Contains($"Cost ledger: SQLite at {Path.Combine(start.WorkingDirectory, "data", "ledger.db")}", StringComparison.Ordinal));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Shutdown_WithOpenBidiStream_LetsTheStreamFinish()
    {
        // Arrange
        await using var app = new GatewayApp().Start();
        using var call = new IntentService.IntentServiceClient(app.Channel).ParseIntents(cancellationToken: TestContext.Current.CancellationToken);
        await call.RequestStream.WriteAsync(new ParseIntentsRequest { Raw = "before shutdown" }, TestContext.Current.CancellationToken).DefaultTimeout();
        Assert.True(await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken).DefaultTimeout());

        // Act
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.StopApplication();
        await call.RequestStream.WriteAsync(new ParseIntentsRequest { Raw = "during shutdown" }, TestContext.Current.CancellationToken).DefaultTimeout();
        await call.RequestStream.CompleteAsync().DefaultTimeout();
        var rest = new List<string>();
        while (await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken).DefaultTimeout())
        {
            rest.Add(call.ResponseStream.Current.Intent.Raw);
        }

        // Assert
        Assert.Equal(["during shutdown"], rest);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    private static string GatewayDll => Path.Combine(AppContext.BaseDirectory, "GRump.Gateway.dll");

    [GeneratedRegex(@"Listening grpc=(?<grpc>http://\S+) http=(?<http>http://\S+)")]
    private static partial Regex ListeningLine();
}
