using Grpc.Core;
using Grpc.Net.Client;
using GRump.Fakes;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Cost;

/// <summary>A killed gateway loses no record of a response it completed.</summary>
public sealed class LedgerDurabilityTests
{
    [Fact]
    public async Task SigkillDuringLoad_EveryCompletedResponseIsInTheLedgerAfterRestart()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await FakeUpstream.StartAsync(ct);
        var settings = new Dictionary<string, string>
        {
            ["NVIDIA_NIM_URL"] = fake.BaseUrl,
            ["NVIDIA_NIM_API_KEY"] = "durability",
            ["Gateway:DataPath"] = Directory.CreateTempSubdirectory("grump-ledger-").FullName,
        };
        var completed = 0;
        await using (var gateway = await GatewayProcess.StartAsync(settings, ct))
        {
            using var channel = GrpcChannel.ForAddress(gateway.GrpcUrl);
            var client = new ChatService.ChatServiceClient(channel);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var load = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        var chat = new ChatRequest { Model = ModelRegistry.KimiK25, Messages = { new ChatMessage { Role = "user", Content = $"w{worker} r{i}" } } };
                        await client.CompleteAsync(new CompleteRequest { Chat = chat }, cancellationToken: stop.Token);
                        Interlocked.Increment(ref completed);
                    }
                    catch (RpcException)
                    {
                        return; // the gateway is gone
                    }
                }
            }, ct)).ToList();

            await fake.WaitForRequestAsync(r => r.Sequence >= 200, ct);
            await gateway.KillAsync();
            await Task.WhenAll(load).DefaultTimeout();
        }

        await using var restarted = await GatewayProcess.StartAsync(settings, ct);
        using var again = GrpcChannel.ForAddress(restarted.GrpcUrl);
        var summary = await new CostService.CostServiceClient(again).GetSummaryAsync(new GetSummaryRequest(), cancellationToken: ct);

        Assert.True(completed >= 150, $"only {completed} responses completed before the kill");
        Assert.InRange(summary.TotalRequests, completed, fake.RequestCount);
    }
}
