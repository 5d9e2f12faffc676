using Grpc.Core;
using GRump.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using ReflectionV1 = Grpc.Reflection.V1;

namespace GRump.Gateway.Tests.Hosting;

/// <summary>A client that hangs up is ordinary traffic (buf curl and grpcurl do it all the time): never an Error line.</summary>
public sealed class ClientHangUpTests
{
    private const int Resets = 40;

    [Fact]
    public async Task ReflectionStream_ClientResetsMidStream_LogsNoError()
    {
        // Arrange: a gateway of its own, so the count of hang-ups it logs is this test's alone.
        await using var app = NewApp();
        var client = new ReflectionV1.ServerReflection.ServerReflectionClient(app.Channel);

        // Act: each call gets an answer, then the client resets the stream while the server waits for the next request.
        for (var i = 0; i < Resets; i++)
        {
            using var call = client.ServerReflectionInfo(cancellationToken: TestContext.Current.CancellationToken);
            await call.RequestStream.WriteAsync(new ReflectionV1.ServerReflectionRequest { ListServices = "" }, TestContext.Current.CancellationToken).DefaultTimeout();
            Assert.True(await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken).DefaultTimeout());
        }

        // Assert: every reset was seen as the client going away (Debug), and none as an error (checked on dispose).
        await WaitForHangUpsAsync(app, "ServerReflectionInfo", Resets);
    }

    [Fact]
    public async Task ReflectionStream_ClientCancelsBeforeAnswer_LogsNoError()
    {
        // Arrange
        await using var app = NewApp();
        var client = new ReflectionV1.ServerReflection.ServerReflectionClient(app.Channel);

        // Act: the request is written and the call cancelled at once, racing the server's read of it.
        for (var i = 0; i < Resets; i++)
        {
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            using var call = client.ServerReflectionInfo(cancellationToken: cancel.Token);
            await call.RequestStream.WriteAsync(new ReflectionV1.ServerReflectionRequest { ListServices = "" }, TestContext.Current.CancellationToken).DefaultTimeout();
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<RpcException>(() => ReadToEndAsync(call.ResponseStream)).DefaultTimeout();
        }

        // Assert: disposing the app fails the test if any of these was logged at Error.
        await WaitForHangUpsAsync(app, "ServerReflectionInfo", 1);
    }

    // Hang-ups are logged at Debug, below the shipped default level: let this test see them.
    private static GatewayApp NewApp() =>
        new GatewayApp(new Dictionary<string, string?> { ["Logging:LogLevel:GRump.Gateway.Endpoints"] = "Debug" }).Start();

    private static async Task ReadToEndAsync<T>(IAsyncStreamReader<T> stream)
    {
        while (await stream.MoveNext(CancellationToken.None))
        {
        }
    }

    /// <summary>Waits until the server logged <paramref name="count"/> hang-ups of <paramref name="method"/> (at Debug).</summary>
    private static async Task WaitForHangUpsAsync(GatewayApp app, string method, int count)
    {
        // Distinct entries: the recorder may offer an entry both to the scan of past entries and as a new one.
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        await app.Logs.WaitForAsync(e =>
        {
            if (e.Level != LogLevel.Debug || !e.Message.Contains(method, StringComparison.Ordinal)
                || !e.Message.Contains("cancelled by the client", StringComparison.Ordinal))
            {
                return false;
            }
            lock (seen)
            {
                seen.Add(e);
                return seen.Count >= count;
            }
        }, TestContext.Current.CancellationToken);
    }
}
