using System.ComponentModel.DataAnnotations;

namespace GRump.Gateway.Storage;

/// <summary>
/// Where the gateway keeps its files (<c>Gateway:DataPath</c>): the SQLite ledger, the ledger's outage journal and the
/// L3 disk cache. Read from this one place (validated at start), never from raw configuration by each feature.
/// </summary>
public sealed class DataPathOptions
{
    public const string SectionName = "Gateway";

    /// <summary>The data folder; relative to the working directory.</summary>
    [Required(AllowEmptyStrings = false)]
    public string DataPath { get; set; } = "./data";

    /// <summary><paramref name="name"/> inside the data folder.</summary>
    public string PathOf(string name) => Path.Combine(DataPath, name);
}
