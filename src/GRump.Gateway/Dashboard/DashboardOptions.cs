using System.ComponentModel.DataAnnotations;

namespace GRump.Gateway.Dashboard;

/// <summary><c>Dashboard</c> configuration: the page at <c>/</c> and its live feed (docs/dashboard.md).</summary>
public sealed class DashboardOptions
{
    public const string SectionName = "Dashboard";

    /// <summary>Serve the page and its assets at <c>/</c> and <c>/dashboard/*</c>. The live feed and data routes stay either way.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Live feeds (<c>GET /api/cost/events</c>) one tenant may hold open at once; more are 429.</summary>
    [Range(1, 1000)]
    public int MaxFeedsPerTenant { get; set; } = 16;

    /// <summary>
    /// A comment line sent on an idle feed this often, so the page (and any proxy) can tell a quiet feed from a dead
    /// one: the page reconnects when it hears nothing for three intervals.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);
}
