using GRump.Gateway.Intent;
using Microsoft.Extensions.DependencyInjection;

namespace GRump.Gateway.Tests.Intent;

public class IntentServiceCollectionExtensionsTests
{
    [Fact]
    public void AddIntentCompiler_Resolved_IsOneSharedCompiler()
    {
        // Arrange
        using var provider = new ServiceCollection().AddIntentCompiler().AddIntentCompiler().BuildServiceProvider();

        // Act
        var first = provider.GetRequiredService<IIntentCompiler>();
        var second = provider.GetRequiredService<IIntentCompiler>();

        // Assert
        Assert.IsType<IntentCompiler>(first);
        Assert.Same(first, second);
        Assert.Equal("Build a blog", first.Compile(" Build a blog ").Raw);
    }
}
