namespace GRump.Gateway.Workers;

/// <summary>What a queued task does; labels stats and metrics.</summary>
public enum WorkKind
{
    ParseIntent,
    BuildContext,
    LargeJson,
}
