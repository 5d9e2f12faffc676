using System.Reflection;
using Xunit.v3;

namespace GRump.Gateway.Tests.Infrastructure;

/// <summary>One gateway with default settings for all tests that only read from it (xunit assembly fixture).</summary>
public sealed class SharedGateway : IAsyncLifetime
{
    /// <summary>The running instance, for <see cref="SharedGatewayErrorsAttribute"/>.</summary>
    internal static SharedGateway? Current { get; private set; }

    public GatewayApp App { get; } = new();

    public ValueTask InitializeAsync()
    {
        App.Start();
        Current = this;
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Current = null;
        return App.DisposeAsync();
    }
}

/// <summary>
/// Fails the test that was running when the shared gateway logged an unexpected Error, once, instead of failing the
/// assembly's cleanup (which reports every test of the run again).
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class SharedGatewayErrorsAttribute : BeforeAfterTestAttribute
{
    public override void After(MethodInfo methodUnderTest, IXunitTest test) => SharedGateway.Current?.App.Logs.AssertNoErrors();
}
