namespace GRump.Gateway.Dashboard;

internal static partial class DashboardLog
{
    [LoggerMessage(1, LogLevel.Information, "Live cost feed opened for tenant {Tenant}")]
    public static partial void FeedOpened(ILogger logger, string tenant);

    [LoggerMessage(2, LogLevel.Information, "Live cost feed closed for tenant {Tenant} after {Events} events")]
    public static partial void FeedClosed(ILogger logger, string tenant, long events);

    [LoggerMessage(3, LogLevel.Information, "Live cost feed refused ({Status}): {Reason}")]
    public static partial void FeedRefused(ILogger logger, int status, string reason);
}
