using GRump.Gateway.Providers;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Tests.Routing;

/// <summary><c>Routing:Strategy</c>, <c>Routing:Shadow</c> and the exemplar files are checked before the gateway listens.</summary>
public sealed class RoutingStrategyOptionsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("grump-exemplars-").FullName;

    /// <summary>Binds <paramref name="settings"/> and validates at start through AddModelRouting, as the host does.</summary>
    private static RoutingStrategyOptions ValidateAtStart(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddSingleton<IProviderDirectory>(new FakeProviderDirectory("local"));
        services.AddModelRouting();
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        return provider.GetRequiredService<IOptions<RoutingStrategyOptions>>().Value;
    }

    private string File(string name, params string[] lines)
    {
        var path = Path.Combine(_folder, name);
        System.IO.File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Defaults_AreHybridWithoutShadow()
    {
        var options = ValidateAtStart([]);
        Assert.Equal("hybrid", options.Strategy);
        Assert.Equal(string.Empty, options.Shadow);
        Assert.True(options.BuiltInExemplars);
    }

    [Theory]
    [InlineData("heuristic")]
    [InlineData("Embedding")]
    [InlineData(" HYBRID ")]
    public void KnownStrategy_AnyCase_IsValid(string name)
    {
        ValidateAtStart(new() { ["Routing:Strategy"] = name });
    }

    [Fact]
    public void UnknownStrategy_RefusesToStart_ListingTheNames()
    {
        var error = Assert.Throws<OptionsValidationException>(() => ValidateAtStart(new() { ["Routing:Strategy"] = "smart" }));
        Assert.Contains("Routing:Strategy 'smart' is not a routing strategy; use one of: heuristic, embedding, hybrid.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownShadow_OrShadowEqualToStrategy_RefusesToStart()
    {
        var unknown = Assert.Throws<OptionsValidationException>(() => ValidateAtStart(new() { ["Routing:Shadow"] = "oracle" }));
        var same = Assert.Throws<OptionsValidationException>(() => ValidateAtStart(new() { ["Routing:Strategy"] = "heuristic", ["Routing:Shadow"] = "heuristic" }));
        Assert.Contains("Routing:Shadow 'oracle' is not a routing strategy", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("a shadow must differ from Routing:Strategy", same.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingExemplarFile_RefusesToStart()
    {
        var path = Path.Combine(_folder, "absent.jsonl");
        var error = Assert.Throws<OptionsValidationException>(() => ValidateAtStart(new() { ["Routing:ExemplarFiles:0"] = path }));
        Assert.Contains($"Routing:ExemplarFiles:0 '{path}' does not exist.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadExemplarLine_RefusesToStart_NamingFileAndLine()
    {
        var path = File("bad.jsonl",
            """{"id": "a", "tier": "simple", "messages": [{"role": "user", "content": "hi"}]}""",
            """{"id": "b", "tier": "hard", "messages": [{"role": "user", "content": "prove it"}]}""");
        var error = Assert.Throws<OptionsValidationException>(() => ValidateAtStart(new() { ["Routing:ExemplarFiles:0"] = path }));
        Assert.Contains($"{path} line 2: tier 'hard' is not simple, medium or complex.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoExemplarsAtAll_ForALearnedStrategy_RefusesToStart()
    {
        var empty = File("empty.jsonl", "# nothing yet", string.Empty);
        var error = Assert.Throws<OptionsValidationException>(() => ValidateAtStart(new() { ["Routing:BuiltInExemplars"] = "false", ["Routing:ExemplarFiles:0"] = empty }));
        Assert.Contains("the embedding router has nothing to learn from", error.Message, StringComparison.Ordinal);

        // The heuristic needs none.
        ValidateAtStart(new() { ["Routing:Strategy"] = "heuristic", ["Routing:BuiltInExemplars"] = "false" });
    }

    [Theory]
    [InlineData("Routing:ComplexProbability", "0")]
    [InlineData("Routing:ComplexProbability", "1.5")]
    [InlineData("Routing:EmbedAbove", "-0.1")]
    [InlineData("Routing:ExemplarMatch", "0.1")]
    [InlineData("Routing:EmbeddingCacheEntries", "-1")]
    [InlineData("Routing:EncoderLayers", "0")]
    [InlineData("Routing:EncoderLayers", "7")]
    public void OutOfRangeNumber_RefusesToStart(string key, string value)
    {
        var error = Assert.Throws<OptionsValidationException>(() => ValidateAtStart(new() { [key] = value }));
        Assert.Contains(key.Split(':')[1], error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, 2, false)]
    [InlineData("3", 3, false)]
    [InlineData("6", 6, true)]
    public void EncoderLayers_GiveTheRouterItsOwnCutModel_OrTheProvidersWholeOne(string? layers, int expected, bool sharesTheProvidersModel)
    {
        // Arrange: routing and the local embedding provider in one container, as the gateway registers them.
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(layers is null ? [] : new Dictionary<string, string?> { ["Routing:EncoderLayers"] = layers }).Build());
        services.AddSingleton<IProviderDirectory>(new FakeProviderDirectory("local"));
        services.AddLogging();
        services.AddSingleton<GRump.Gateway.Embeddings.LocalSentenceModel>();
        services.AddModelRouting();
        using var provider = services.BuildServiceProvider();

        // Act (resolving loads nothing: the model loads on first use)
        var encoder = provider.GetRequiredKeyedService<GRump.Gateway.Embeddings.LocalSentenceModel>(RoutingStrategyOptions.EncoderServiceKey);
        var whole = provider.GetRequiredService<GRump.Gateway.Embeddings.LocalSentenceModel>();

        // Assert
        Assert.Equal(expected, encoder.Layers);
        Assert.Equal(GRump.Gateway.Embeddings.LocalSentenceModel.AllLayers, whole.Layers);
        Assert.Equal(sharesTheProvidersModel, ReferenceEquals(encoder, whole));
        Assert.False(encoder.IsLoaded);
    }

    [Theory]
    [InlineData("--Routing:Strategy=smart", "Routing:Strategy 'smart' is not a routing strategy")]
    [InlineData("--Routing:Shadow=hybrid", "a shadow must differ from Routing:Strategy")]
    [InlineData("--Routing:ComplexProbability=2", "ComplexProbability")]
    public async Task Process_BadRoutingStrategy_ExitsNonZeroBeforeListening(string badSetting, string expectedMessage)
    {
        // Act
        var result = await ExternalTool.RunAsync("dotnet", [GatewayProcess.GatewayDll, "--Gateway:GrpcPort=0", "--Gateway:HttpPort=0", badSetting],
            TestContext.Current.CancellationToken, AppContext.BaseDirectory);

        // Assert
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("Invalid configuration, not starting", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(expectedMessage, result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Listening grpc=", result.StandardOutput, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
