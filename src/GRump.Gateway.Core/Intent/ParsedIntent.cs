namespace GRump.Gateway.Intent;

/// <summary>
/// A compiled intent (spec: shared/spec/intent-compiler.md, "Output"): what <see cref="IIntentCompiler"/> returns and
/// routing reads. The doors map it to their wire shape (gRPC/REST: <c>Services/IntentContractMapper</c> in the host,
/// which also attaches the request's <c>constraints</c>: the compiler only passes them through, so they never enter
/// Core). Lists are exact-size arrays and the small parts are value types, so a compile allocates few objects.
/// </summary>
public sealed class ParsedIntent
{
    /// <summary>The input text, trimmed.</summary>
    public required string Raw { get; init; }

    /// <summary>Who uses the thing; deduped, never empty (default <c>["user"]</c>).</summary>
    public required IReadOnlyList<string> Actors { get; init; }

    /// <summary>Canonical non-negated features first, then raw phrase captures.</summary>
    public IReadOnlyList<string> Features { get; init; } = [];

    /// <summary>Data-flow keywords found, in lexicon order.</summary>
    public IReadOnlyList<string> DataFlows { get; init; } = [];

    /// <summary>Canonical, non-negated tech in order of first mention; never a negated tech.</summary>
    public IReadOnlyList<string> TechStackHints { get; init; } = [];

    /// <summary>Every lexicon feature found (negated ones included), with action and priority.</summary>
    public IReadOnlyList<FeatureEntry> EnrichedFeatures { get; init; } = [];

    /// <summary>Every tech found (negated ones included).</summary>
    public IReadOnlyList<TechHint> EnrichedTech { get; init; } = [];

    public ProjectType ProjectType { get; init; }

    public ArchitecturePattern ArchitecturePattern { get; init; }

    /// <summary>0..1 (spec step 12).</summary>
    public float ComplexityScore { get; init; }

    public IntentConfidence Confidence { get; init; }

    /// <summary>Feature dependencies, sorted by (from, to), deduped.</summary>
    public IReadOnlyList<DependencyEdge> DependencyGraph { get; init; } = [];

    /// <summary>Per-sentence annotations, in text order.</summary>
    public IReadOnlyList<SentenceAnnotation> Sentences { get; init; } = [];

    public required IntentVerification Verification { get; init; }
}

/// <summary>A lexicon feature: its canonical name, the verb acting on it, negation, priority 1 (highest)..5, confidence.</summary>
public readonly record struct FeatureEntry(string Name, FeatureAction Action, bool Negated, int Priority, float Confidence);

/// <summary>A tech: its canonical name, the alias that matched, category, negation, confidence.</summary>
public readonly record struct TechHint(string Canonical, string MatchedAs, TechCategory Category, bool Negated, float Confidence);

/// <summary>Confidence of the parts of an intent (spec step 14), each 0..1.</summary>
public readonly record struct IntentConfidence(float Overall, float Actors, float Features, float TechStack);

/// <summary>One edge of the dependency graph: <see cref="From"/> needs <see cref="To"/>, and why.</summary>
public readonly record struct DependencyEdge(string From, string To, string Reason);

/// <summary>One sentence of the input with the sorted canonical features and tech it mentions (non-negated).</summary>
public readonly record struct SentenceAnnotation(string Text, int Index, IReadOnlyList<string> FeaturesFound, IReadOnlyList<string> TechFound);

/// <summary>Whether the intent is usable (spec step 16): errors (empty input) and warnings (no features).</summary>
public readonly record struct IntentVerification(bool WellFormed, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings);

// The enums keep the contract's numbers (protos/grump/gateway/v1/intent.proto) so the host maps them with a cast;
// a test checks every member against the generated enum by name and value.

/// <summary>What the request wants done to a feature. <see cref="Unspecified"/> never appears in an intent.</summary>
public enum FeatureAction
{
    Unspecified = 0,
    Build = 1,
    Migrate = 2,
    Remove = 3,
    Integrate = 4,
    Configure = 5,
    Deploy = 6,
    Refactor = 7,
    Test = 8,
}

/// <summary>The lexicon category of a tech. <see cref="Unspecified"/> never appears in an intent.</summary>
public enum TechCategory
{
    Unspecified = 0,
    Frontend = 1,
    Backend = 2,
    Database = 3,
    Devops = 4,
    Language = 5,
    Tool = 6,
    Cloud = 7,
}

/// <summary>The kind of project (spec step 10); <see cref="Unknown"/> when nothing says.</summary>
public enum ProjectType
{
    Unspecified = 0,
    WebApp = 1,
    Api = 2,
    Cli = 3,
    MobileApp = 4,
    Library = 5,
    Microservice = 6,

    /// <summary>The compiler ran and found no signal for a type.</summary>
    Unknown = 7,
}

/// <summary>The architecture the request implies (spec step 11); <see cref="Monolith"/> by default.</summary>
public enum ArchitecturePattern
{
    Unspecified = 0,
    Monolith = 1,
    Microservices = 2,
    Serverless = 3,
    EventDriven = 4,
    Jamstack = 5,
}
