using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GRump.Gateway.Workflows;

public static class WorkflowsServiceCollectionExtensions
{
    /// <summary>Plan and Ship over the chat pipeline (register <c>AddChat</c> and the intent compiler too).</summary>
    public static IServiceCollection AddWorkflows(this IServiceCollection services)
    {
        services.TryAddSingleton<WorkflowRunner>();
        return services;
    }
}
