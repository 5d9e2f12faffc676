using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace GRump.Gateway.Chat;

public static class ChatServiceCollectionExtensions
{
    /// <summary>The chat pipeline: planner, invoker, cache store and the pipeline (providers, routing, cache and ledger are registered by their own features).</summary>
    public static IServiceCollection AddChat(this IServiceCollection services)
    {
        services.AddOptions<ChatOptions>().BindConfiguration(ChatOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<ChatMetrics>();
        services.TryAddSingleton<ChatPlanner>();
        services.TryAddSingleton<ChatInvoker>();
        services.TryAddSingleton<ChatCacheStore>();
        services.TryAddSingleton<ChatPipeline>();
        services.AddHostedService<TokenizerWarmup>();
        return services;
    }

    /// <summary>Loads the tokenizer's vocabulary in the background at start, so the first request does not pay ~0.7 s for it.</summary>
    private sealed class TokenizerWarmup : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = Task.Run(() => Tokens.TokenCounter.Shared.Count("warm up"), CancellationToken.None);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
