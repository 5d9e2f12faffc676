using System.Diagnostics.Metrics;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Intent;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Chat;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Tests.Routing;

/// <summary>A provider directory that reports the given names; it serves no calls (routing never makes one).</summary>
internal sealed class FakeProviderDirectory(params string[] available) : IProviderDirectory
{
    private readonly HashSet<string> _available = new(available, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Available => _available;

    public bool IsAvailable(string provider) => _available.Contains(provider);

    public IChatProvider GetChat(string provider) => throw new NotSupportedException();

    public IEmbeddingProvider GetEmbedding(string provider) => throw new NotSupportedException();
}

internal static class RoutingTestHelpers
{
    public static readonly IIntentCompiler Compiler = new IntentCompiler();

    /// <summary>A router over the default registry (or <paramref name="options"/>) with the given providers configured.</summary>
    public static ModelRouter Router(string[]? providers = null, ModelRegistryOptions? options = null, IMeterFactory? meterFactory = null)
    {
        options ??= new ModelRegistryOptions();
        var wrapped = Options.Create(options);
        return new ModelRouter(
            new ModelRegistry(wrapped),
            new FakeProviderDirectory(providers ?? ["local", "nim", "anthropic"]),
            Compiler,
            new RoutingMetrics(meterFactory ?? new TestMeterFactory()),
            wrapped);
    }

    public static ChatRequest Chat(string content, ChatMode mode = ChatMode.Unspecified) =>
        new() { Messages = [ChatMessage.FromText(ChatRole.User, content)], Mode = mode };

    /// <summary>A one-message request with the caller's routing preferences, <c>max_tokens</c> and named model.</summary>
    public static ChatRequest WithRouting(string text, Action<RoutingBuilder>? configure = null, int maxTokens = 0, string model = "")
    {
        var routing = new RoutingBuilder();
        configure?.Invoke(routing);
        return Chat(text) with
        {
            Model = model,
            MaxTokens = maxTokens,
            Routing = new RoutingPreferences(routing.MaxCostPerRequestUsd, routing.PreferCheaper) { RequiredCapabilities = routing.RequiredCapabilities },
        };
    }

    public static double Points(this RoutingDecision decision, string factor)
    {
        foreach (var f in decision.Factors)
        {
            if (f.Name == factor)
            {
                return f.Points;
            }
        }

        return 0;
    }
}

/// <summary>The caller's routing preferences, set in a lambda by the tests.</summary>
internal sealed class RoutingBuilder
{
    public double MaxCostPerRequestUsd { get; set; }

    public bool PreferCheaper { get; set; }

    public List<string> RequiredCapabilities { get; } = [];
}
