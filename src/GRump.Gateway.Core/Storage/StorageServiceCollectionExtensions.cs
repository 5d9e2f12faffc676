using Microsoft.Extensions.DependencyInjection;

namespace GRump.Gateway.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>The data folder's options (<c>Gateway:DataPath</c>), validated at start; features that write files take them.</summary>
    public static IServiceCollection AddDataPath(this IServiceCollection services)
    {
        services.AddOptions<DataPathOptions>().BindConfiguration(DataPathOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }
}
