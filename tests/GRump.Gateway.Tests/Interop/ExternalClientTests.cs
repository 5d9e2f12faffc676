using System.Text.Json;
using GRump.Gateway.Tests.Infrastructure;

namespace GRump.Gateway.Tests.Interop;

/// <summary>
/// Clients in other languages, with nothing of ours but the .proto files (or reflection), call the real gateway.
/// Installed by .ci/run; on a developer machine without them these tests skip and say how to install them.
/// </summary>
public sealed class ExternalClientTests(SharedGateway gateway)
{
    private const string Prompt = "Build a REST API with Express and PostgreSQL";

    private static string NpmHint => $"run `npm ci --prefix {Path.Combine("tests", "interop")}`";

    private static string GoogleApiProtos => Path.Combine(ExternalTool.RepoRoot, ".buf-deps");

    private string GrpcTarget => $"{gateway.App.GrpcUrl.Host}:{gateway.App.GrpcUrl.Port}";

    private string GrpcBase => gateway.App.GrpcUrl.GetLeftPart(UriPartial.Authority);

    [Fact]
    public async Task BufCurl_ListMethodsViaReflection_ListsEveryContractService()
    {
        // Arrange
        var buf = Path.Combine(ExternalTool.InteropDir, "node_modules", ".bin", "buf");
        ExternalTool.Require(buf, NpmHint);

        // Act
        var result = await ExternalTool.RunAsync(buf, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "--list-methods", GrpcBase], TestContext.Current.CancellationToken);

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var service in Hosting.PlatformEndpointsTests.ContractServices)
        {
            Assert.Contains(service + "/", result.StandardOutput, StringComparison.Ordinal);
        }

        Assert.Contains("grump.gateway.v1.IntentService/ParseIntents", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BufCurl_ParseIntentViaReflection_ReturnsIntent()
    {
        // Arrange
        var buf = Path.Combine(ExternalTool.InteropDir, "node_modules", ".bin", "buf");
        ExternalTool.Require(buf, NpmHint);

        // Act
        var result = await ExternalTool.RunAsync(
            buf,
            ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "-d", JsonSerializer.Serialize(new { raw = Prompt }), $"{GrpcBase}/grump.gateway.v1.IntentService/ParseIntent"],
            TestContext.Current.CancellationToken);

        // Assert: canonical proto3 JSON (defaults omitted, enums by name).
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        var intent = json.RootElement.GetProperty("intent");
        Assert.Equal(Prompt, intent.GetProperty("raw").GetString());
        Assert.Equal("PROJECT_TYPE_API", intent.GetProperty("projectType").GetString());
    }

    [Fact]
    public async Task BufCurl_OversizeText_ExitsWithInvalidArgument()
    {
        // Arrange
        var buf = Path.Combine(ExternalTool.InteropDir, "node_modules", ".bin", "buf");
        ExternalTool.Require(buf, NpmHint);
        var body = Path.Combine(Directory.CreateTempSubdirectory("grump-buf-").FullName, "body.json");
        await File.WriteAllTextAsync(body, JsonSerializer.Serialize(new { raw = new string('x', 70_000) }), TestContext.Current.CancellationToken);

        // Act
        var result = await ExternalTool.RunAsync(
            buf,
            ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "-d", "@" + body, $"{GrpcBase}/grump.gateway.v1.IntentService/ParseIntent"],
            TestContext.Current.CancellationToken);

        // Assert: buf curl exits with 8 × the gRPC status code; INVALID_ARGUMENT is 3.
        Assert.True(result.ExitCode == 24, result.ToString());
        Assert.Contains("invalid_argument", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PythonClient_ParseIntent_ReturnsIntent()
    {
        // Arrange
        ExternalTool.Require("/usr/lib/python3/dist-packages/grpc_tools/protoc.py", "apt-get install python3-grpcio python3-grpc-tools");

        // Act
        var result = await ExternalTool.RunAsync(
            "/usr/bin/python3",
            [Path.Combine(ExternalTool.InteropDir, "python_client.py"), GrpcTarget, ExternalTool.ProtosDir, GoogleApiProtos, Prompt],
            TestContext.Current.CancellationToken);

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal(Prompt, json.RootElement.GetProperty("raw").GetString());
        Assert.Equal("PROJECT_TYPE_API", json.RootElement.GetProperty("project_type").GetString());
        Assert.Contains("express", json.RootElement.GetProperty("tech_stack_hints").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task NodeClient_ParseIntent_ReturnsIntent()
    {
        // Arrange
        ExternalTool.Require(Path.Combine(ExternalTool.InteropDir, "node_modules", "@grpc", "grpc-js", "package.json"), NpmHint);

        // Act
        var result = await ExternalTool.RunAsync(
            "node",
            [Path.Combine(ExternalTool.InteropDir, "node_client.mjs"), GrpcTarget, ExternalTool.ProtosDir, GoogleApiProtos, Prompt],
            TestContext.Current.CancellationToken);

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        var intent = json.RootElement.GetProperty("intent");
        Assert.Equal(Prompt, intent.GetProperty("raw").GetString());
        Assert.Contains("postgresql", intent.GetProperty("techStackHints").EnumerateArray().Select(e => e.GetString()));
    }
}
