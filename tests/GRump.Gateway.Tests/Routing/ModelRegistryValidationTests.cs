using GRump.Gateway.Providers;
using GRump.Gateway.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Tests.Routing;

public sealed class ModelRegistryValidationTests
{
    private static ModelDefinition Model(string id, string provider = "nim") =>
        new() { Id = id, Provider = provider, InputPricePerMillion = 1, OutputPricePerMillion = 2, Tiers = ["simple"] };

    /// <summary>Resolves the options through AddModelRouting with ValidateOnStart, as the host does.</summary>
    private static void ValidateAtStart(ModelRegistryOptions options)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddSingleton<IProviderDirectory>(new FakeProviderDirectory("local"));
        services.AddModelRouting();
        services.Configure<ModelRegistryOptions>(o =>
        {
            o.Models = options.Models;
            o.PremiumModel = options.PremiumModel;
            o.DefaultMaxOutputTokens = options.DefaultMaxOutputTokens;
        });
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public void Defaults_AreValid()
    {
        ValidateAtStart(new ModelRegistryOptions());
    }

    [Fact]
    public void DuplicateId_RefusesToStart()
    {
        var error = Assert.Throws<OptionsValidationException>(() => ValidateAtStart(new() { PremiumModel = "a", Models = [Model("a"), Model("a")] }));
        Assert.Contains("'a' is a duplicate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NegativePrice_RefusesToStart()
    {
        var bad = Model("b");
        bad.OutputPricePerMillion = -1;
        var error = Assert.Throws<OptionsValidationException>(() => ValidateAtStart(new() { PremiumModel = "a", Models = [Model("a"), bad] }));
        Assert.Contains("OutputPricePerMillion is -1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "nim", "Id is empty")]
    [InlineData("x", " ", "Provider is empty")]
    public void EmptyIdOrProvider_RefusesToStart(string id, string provider, string message)
    {
        var error = Assert.Throws<OptionsValidationException>(() => ValidateAtStart(new() { PremiumModel = "a", Models = [Model("a"), Model(id, provider)] }));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ContextWindowNotPositive_UnknownTierOrCapability_RefuseToStart()
    {
        var bad = Model("b");
        bad.ContextWindow = 0;
        bad.Tiers = ["hard"];
        bad.Capabilities = ["mind-reading"];
        var error = Assert.Throws<OptionsValidationException>(() => ValidateAtStart(new() { PremiumModel = "a", Models = [Model("a"), bad] }));
        Assert.Contains("ContextWindow is 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("unknown tier 'hard'", error.Message, StringComparison.Ordinal);
        Assert.Contains("unknown capability 'mind-reading'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 0, "code")]
    [InlineData(1, 0, "code")]
    [InlineData(0, 2, "code")]
    [InlineData(0, 0, "embedding")]
    public void UnpricedModel_RefusesToStart_UnlessFree(double input, double output, string capability)
    {
        var unpriced = Model("cheap");
        unpriced.InputPricePerMillion = input;
        unpriced.OutputPricePerMillion = output;
        unpriced.Capabilities = [capability];
        unpriced.Tiers = capability == "embedding" ? [] : ["simple"];

        var error = Assert.Throws<OptionsValidationException>(() => ValidateAtStart(new() { PremiumModel = "a", Models = [Model("a"), unpriced] }));
        unpriced.Free = true;
        ValidateAtStart(new() { PremiumModel = "a", Models = [Model("a"), unpriced] });

        Assert.Contains("(cheap)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Free: true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LocalModels_AreFree_WithoutPrices()
    {
        var local = Model("dev", "local");
        local.InputPricePerMillion = 0;
        local.OutputPricePerMillion = 0;

        ValidateAtStart(new() { PremiumModel = "a", Models = [Model("a"), local] });
    }

    [Fact]
    public void NegativeMaxOutputTokens_RefusesToStart()
    {
        var bad = Model("b");
        bad.MaxOutputTokens = -1;

        var error = Assert.Throws<OptionsValidationException>(() => ValidateAtStart(new() { PremiumModel = "a", Models = [Model("a"), bad] }));

        Assert.Contains("MaxOutputTokens is -1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PremiumModelNotInRegistry_RefusesToStart()
    {
        var error = Assert.Throws<OptionsValidationException>(() => ValidateAtStart(new() { PremiumModel = "gpt-17", Models = [Model("a")] }));
        Assert.Contains("Routing:PremiumModel 'gpt-17'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultMaxOutputTokensZero_RefusesToStart()
    {
        Assert.Throws<OptionsValidationException>(() => ValidateAtStart(new() { DefaultMaxOutputTokens = 0 }));
    }

    [Fact]
    public void UnconfiguredProviderName_IsAllowed_ItsModelsAreJustUnavailable()
    {
        // Arrange
        var options = new ModelRegistryOptions { PremiumModel = "a", Models = [Model("a", "vllm-west"), Model("b", "nim")] };
        ValidateAtStart(options);

        // Act: only nim and local configured.
        var decision = RoutingTestHelpers.Router(["local", "nim"], options).Route(RoutingTestHelpers.Chat("hi")).Decision;

        // Assert
        Assert.Equal("b", decision.Model);
    }
}
