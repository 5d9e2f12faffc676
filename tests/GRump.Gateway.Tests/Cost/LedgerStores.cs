using GRump.Gateway.Caching;
using GRump.Gateway.Cost;
using GRump.Gateway.Cost.Internal;
using GRump.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GRump.Gateway.Tests.Cost;

/// <summary>
/// A ledger store with data of its own: a temp folder (the SQLite ledger, or the Redis store's journal) and, for Redis,
/// a fresh key prefix — as one gateway replica would have.
/// </summary>
internal sealed class LedgerStores : IAsyncDisposable
{
    private readonly TestMeterFactory _meters = new();
    private readonly bool _ownsFolder;
    private readonly RedisConnection? _connection;

    private LedgerStores(ICostStore store, string prefix, string folder, bool ownsFolder, RedisConnection? connection = null)
    {
        _connection = connection;
        Store = store;
        Prefix = prefix;
        Folder = folder;
        _ownsFolder = ownsFolder;
    }

    public ICostStore Store { get; }

    public RedisCostStore RedisStore => (RedisCostStore)Store;

    public string Prefix { get; }

    public string Folder { get; }

    public string JournalPath => Path.Combine(Folder, "ledger-journal.db");

    public static LedgerStores Sqlite()
    {
        var folder = Directory.CreateTempSubdirectory("grump-ledger-").FullName;
        return new LedgerStores(new SqliteCostStore(Path.Combine(folder, "ledger.db"), 1000, NullLogger.Instance), string.Empty, folder, ownsFolder: true);
    }

    /// <summary>A Redis store (one replica): its own prefix unless given one (a fleet shares it), its own journal folder unless given one (a restart keeps it).</summary>
    public static LedgerStores Redis(string configuration, string? prefix = null, string? folder = null, CostOptions? options = null,
        ILogger? logger = null, TimeProvider? time = null)
    {
        prefix ??= $"grump:test:{Guid.CreateVersion7():N}:";
        var owns = folder is null;
        folder ??= Directory.CreateTempSubdirectory("grump-ledger-").FullName;
        options ??= new CostOptions { RedisKeyPrefix = prefix };
        options.RedisKeyPrefix = prefix;
        var meters = new TestMeterFactory();
        // A connection of its own: each store is a replica.
        var connection = new RedisConnection(configuration);
        var store = new RedisCostStore(connection, Path.Combine(folder, "ledger-journal.db"), options, time ?? TimeProvider.System, meters, logger ?? NullLogger.Instance);
        return new LedgerStores(store, prefix, folder, owns, connection);
    }

    public async ValueTask DisposeAsync()
    {
        await ((IAsyncDisposable)Store).DisposeAsync();
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
        _meters.Dispose();
        if (_ownsFolder)
        {
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }
}
