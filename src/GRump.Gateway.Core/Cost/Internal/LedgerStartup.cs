using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GRump.Gateway.Cost.Internal;

/// <summary>
/// Opens the ledger store when the host starts rather than at the first metered request: a journal left by an earlier
/// run is replayed to Redis at once, and the SQLite ledger has its spend loaded before traffic arrives.
/// </summary>
internal sealed class LedgerStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<ICostStore>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
