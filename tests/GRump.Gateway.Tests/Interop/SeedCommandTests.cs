using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Interop;

/// <summary>The seed document's own curl commands, verbatim except for the port, against a started gateway.</summary>
public sealed class SeedCommandTests
{
    private const string SetBudget = """
        curl -X POST http://localhost:3000/api/cost/budget \
          -H "Content-Type: application/json" \
          -d '{
            "userId": "default",
            "dailyLimitUsd": 10.0,
            "monthlyLimitUsd": 200.0,
            "alertThresholdPercent": 80
          }'
        """;

    [Fact]
    public async Task SeedCurlCommands_WorkAgainstTheGateway()
    {
        ExternalTool.Require("/usr/bin/curl", "apt-get install curl");
        var ct = TestContext.Current.CancellationToken;
        await using var app = new GatewayApp().Start();
        await new ChatService.ChatServiceClient(app.Channel).CompleteAsync(new CompleteRequest
        {
            Chat = new ChatRequest { Messages = { new ChatMessage { Role = "user", Content = "hello" } } },
        }, cancellationToken: ct);

        var budget = await CurlAsync(app, SetBudget);
        var summary = await CurlAsync(app, "curl http://localhost:3000/api/cost/summary?userId=default");
        var recommendations = await CurlAsync(app, "curl http://localhost:3000/api/cost/recommendations?userId=default");
        var stats = await CurlAsync(app, "curl http://localhost:3000/api/cost/stats");
        var metrics = await CurlAsync(app, "curl http://localhost:3000/metrics | grep llm_cost");

        Assert.Contains("\"dailyLimitUsd\":10", budget, StringComparison.Ordinal);
        Assert.Contains("\"totalRequests\":1", summary, StringComparison.Ordinal);
        Assert.Contains("\"recommendations\":[", recommendations, StringComparison.Ordinal);
        Assert.Contains("\"workers\":{", stats, StringComparison.Ordinal);
        Assert.Contains("llm_cost_usd_total{", metrics, StringComparison.Ordinal);
    }

    private static async Task<string> CurlAsync(GatewayApp app, string command)
    {
        var script = command.Replace("http://localhost:3000", app.HttpUrl.ToString().TrimEnd('/'), StringComparison.Ordinal);
        var result = await ExternalTool.RunAsync("bash", ["-c", "set -o pipefail; " + script.Replace("curl ", "curl -sS --fail-with-body ", StringComparison.Ordinal)], TestContext.Current.CancellationToken);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.StandardOutput;
    }
}
