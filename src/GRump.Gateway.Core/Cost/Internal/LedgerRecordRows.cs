using Microsoft.Data.Sqlite;

namespace GRump.Gateway.Cost.Internal;

/// <summary>
/// A <see cref="CostRecord"/> as a SQLite row: the same columns in the embedded ledger's <c>records</c> table and the
/// Redis store's journal, so the two cannot drift apart. Money is REAL (an 8-byte IEEE double: stored exactly).
/// </summary>
internal static class LedgerRecordRows
{
    /// <summary>The record's columns, in <see cref="Bind"/>'s and <see cref="Read"/>'s order.</summary>
    public const string Columns = "id, tenant, session, model, provider, operation, input_tokens, output_tokens, cost, cache_hit, cache_savings, routing_savings, ts, day";

    private static readonly string[] ParameterNames = ["$id", "$tenant", "$session", "$model", "$provider", "$operation", "$in", "$out", "$cost", "$hit", "$cs", "$rs", "$ts", "$day"];

    /// <summary><c>$id, $tenant, …</c>: the VALUES list for <see cref="Columns"/>.</summary>
    public static readonly string Values = string.Join(", ", ParameterNames);

    /// <summary>Adds the record's parameters to a prepared insert; bind each row with <see cref="Bind"/>.</summary>
    public static SqliteParameter[] AddParameters(SqliteCommand command) =>
        [.. ParameterNames.Select(name => command.Parameters.Add(new SqliteParameter { ParameterName = name }))];

    public static void Bind(SqliteParameter[] p, CostRecord r)
    {
        p[0].Value = r.Id.ToString("N");
        p[1].Value = r.Tenant;
        p[2].Value = r.Session;
        p[3].Value = r.Model;
        p[4].Value = r.Provider;
        p[5].Value = r.Operation;
        p[6].Value = r.InputTokens;
        p[7].Value = r.OutputTokens;
        p[8].Value = r.CostUsd;
        p[9].Value = r.CacheHit ? 1 : 0;
        p[10].Value = r.CacheSavingsUsd;
        p[11].Value = r.RoutingSavingsUsd;
        p[12].Value = r.Timestamp.ToUnixTimeMilliseconds();
        p[13].Value = Periods.Day(r.Timestamp);
    }

    /// <summary>The record in <see cref="Columns"/> starting at column <paramref name="first"/>.</summary>
    public static CostRecord Read(SqliteDataReader reader, int first) => new()
    {
        Id = Guid.ParseExact(reader.GetString(first), "N"),
        Tenant = reader.GetString(first + 1),
        Session = reader.GetString(first + 2),
        Model = reader.GetString(first + 3),
        Provider = reader.GetString(first + 4),
        Operation = reader.GetString(first + 5),
        InputTokens = reader.GetInt64(first + 6),
        OutputTokens = reader.GetInt64(first + 7),
        CostUsd = reader.GetDouble(first + 8),
        CacheHit = reader.GetInt64(first + 9) != 0,
        CacheSavingsUsd = reader.GetDouble(first + 10),
        RoutingSavingsUsd = reader.GetDouble(first + 11),
        Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(first + 12)),
    };
}
