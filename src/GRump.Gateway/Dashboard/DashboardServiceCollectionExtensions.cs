using GRump.Gateway.Dashboard.Internal;
using GRump.Gateway.Diagnostics;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Dashboard;

/// <summary>
/// The cost dashboard: a static page at <c>/</c> (assets under <c>/dashboard/</c>, embedded in the assembly so the
/// gateway serves them from any working directory and offline), the live feed <c>GET /api/cost/events</c> (Server-Sent
/// Events of WatchCost) and <c>GET /api/dashboard/session</c> (who the key is). The page reads everything else from
/// the CostService's REST routes with the same key.
/// </summary>
public static class DashboardServiceCollectionExtensions
{
    public static IServiceCollection AddDashboard(this IServiceCollection services)
    {
        services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<LiveFeedLimiter>();
        return services;
    }

    public static WebApplication MapDashboard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Created now, so the operations panel's percentiles cover traffic from the first request on.
        app.Services.GetRequiredService<RecentActivity>();
        if (app.Services.GetRequiredService<IOptions<DashboardOptions>>().Value.Enabled)
        {
            DashboardAssets.Map(app);
        }
        app.MapGet("/api/cost/events", CostEventStream.StreamAsync);
        app.MapGet("/api/dashboard/session", DashboardSession.GetAsync);
        return app;
    }
}
