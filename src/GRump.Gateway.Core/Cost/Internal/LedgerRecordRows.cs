using Microsoft.Data.Sqlite;

namespace GRump.Gateway.Cost.Internal;

/// <summary>
/// A <see cref="CostRecord"/> as a SQLite row: the same columns in the embedded ledger's <c>records</c> table and the
/// Redis store's journal, so the two cannot drift apart. Money is REAL (an 8-byte IEEE double: stored exactly).
/// </summary>
internal static class LedgerRecordRows
{
    /// <summary>The record's columns, in <see cref="Bind"/>'s and <see cref="Read"/>'s order.</summary>
    public const string Columns = "id, tenant, session, model, provider, operation, input_tokens, output_tokens, cost, cache_hit, cache_savings, routing_savings, ts, day, " +
        "cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens";

    private static readonly string[] ParameterNames = ["$id", "$tenant", "$session", "$model", "$provider", "$operation", "$in", "$out", "$cost", "$hit", "$cs", "$rs", "$ts", "$day", "$crt", "$cwt", "$cw1", "$rt"];

    /// <summary>Columns added after the first schema: a table from before gains them (0 for its old rows).</summary>
    private static readonly string[] AddedColumns = ["cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens"];

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
        p[14].Value = r.CacheReadTokens;
        p[15].Value = r.CacheWriteTokens;
        p[16].Value = r.CacheWrite1hTokens;
        p[17].Value = r.ReasoningTokens;
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
        CacheReadTokens = reader.GetInt64(first + 14),
        CacheWriteTokens = reader.GetInt64(first + 15),
        CacheWrite1hTokens = reader.GetInt64(first + 16),
        ReasoningTokens = reader.GetInt64(first + 17),
    };

    /// <summary>
    /// Adds the record columns <paramref name="table"/> lacks (it was created by an older schema): integers, 0 for the
    /// rows already there. <paramref name="table"/> is one of ours, never input.
    /// </summary>
    public static void AddMissingColumns(SqliteCommand command, string table)
    {
        var columns = new HashSet<string>(StringComparer.Ordinal);
        command.CommandText = $"SELECT name FROM pragma_table_info('{table}')";
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                columns.Add(reader.GetString(0));
            }
        }
        foreach (var column in AddedColumns.Where(column => !columns.Contains(column)))
        {
            command.CommandText = $"ALTER TABLE {table} ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0";
            command.ExecuteNonQuery();
        }
    }
}
