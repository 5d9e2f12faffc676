namespace GRump.Gateway.Tests.Infrastructure;

/// <summary>One gateway with default settings for all tests that only read from it (xunit assembly fixture).</summary>
public sealed class SharedGateway : IAsyncLifetime
{
    public GatewayApp App { get; } = new();

    public ValueTask InitializeAsync()
    {
        App.Start();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();
}
