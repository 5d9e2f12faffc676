using System.Collections.Frozen;

namespace GRump.Gateway.Intent.Internal;

/// <summary>Keyword groups that decide project type and architecture (spec steps 10–11).</summary>
[Flags]
internal enum Signals
{
    None = 0,
    ProjectMicroservice = 1 << 0,
    ProjectCli = 1 << 1,
    ProjectMobile = 1 << 2,
    ProjectLibrary = 1 << 3,
    Ui = 1 << 4,
    ArchMicroservices = 1 << 5,
    ArchServerless = 1 << 6,
    ArchEventDriven = 1 << 7,
    ArchJamstack = 1 << 8,
}

/// <summary>What a canonical feature says about the project (steps 10–11).</summary>
[Flags]
internal enum FeatureTraits
{
    None = 0,
    Ui = 1 << 0,
    Web = 1 << 1,
    Api = 1 << 2,
    Event = 1 << 3,
}

/// <summary>What a tech says about the architecture (step 11).</summary>
[Flags]
internal enum TechTraits
{
    None = 0,
    Serverless = 1 << 0,
    EventDriven = 1 << 1,
    Microservices = 1 << 2,
    JamstackHost = 1 << 3,
}

/// <summary>Facts about a key beyond the id tables of <see cref="LexEntry"/>.</summary>
[Flags]
internal enum LexFlags : byte
{
    None = 0,

    /// <summary>A negation cue (word or bigram).</summary>
    Negation = 1 << 0,

    /// <summary>The first word of some bigram key: only then is the bigram built and looked up.</summary>
    StartsBigram = 1 << 1,

    /// <summary>A verb that starts a phrase capture (step 7).</summary>
    CaptureVerb = 1 << 2,

    /// <summary>"with"/"featuring": starts a phrase capture (step 7).</summary>
    CaptureWith = 1 << 3,

    /// <summary>A role word (step 8); <see cref="Lexicon.TryGetRole"/> has the actor it names.</summary>
    Role = 1 << 4,
}

/// <summary>
/// Everything the per-token pass needs to know about one key (a word or a bigram), so it asks one table once instead
/// of one table per question. -1 means "no hit".
/// </summary>
internal readonly record struct LexEntry(int Tech, int Feature, int Phrase, FeatureAction Verb, int DataFlow, Signals Signals, LexFlags Flags)
{
    public static LexEntry None { get; } = new(-1, -1, -1, FeatureAction.Unspecified, -1, Signals.None, LexFlags.None);
}

/// <summary>One tech alias: the canonical it names and whether it needs a tech cue (the "go" rule).</summary>
internal readonly record struct TechAlias(int Tech, string Alias, bool Ambiguous);

/// <summary>One dependency rule; <see cref="ToName"/> is -1 when the target is not a feature (websocket).</summary>
internal readonly record struct DependencyRule(int FromName, int ToName, string From, string To, string Reason);

/// <summary>
/// The intent lexicon (embedded <c>Intent/lexicon.txt</c>), parsed once into frozen tables.
/// Canonical names (features, phrase targets, dependency endpoints) share one id space; tech has its own.
/// Every lookup takes a span so the hot path never allocates a string to ask; the per-token pass asks one merged
/// table (<see cref="GetEntry"/>), the per-question tables serve the rarer checks and the tests.
/// </summary>
internal sealed class Lexicon
{
    public const string ResourceName = "GRump.Gateway.Intent.lexicon.txt";

    private readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _tech;
    private readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _featureTokens;
    private readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _phrases;
    private readonly FrozenDictionary<string, FeatureAction>.AlternateLookup<ReadOnlySpan<char>> _verbs;
    private readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _dataFlows;
    private readonly FrozenDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _roles;
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _negation;
    private readonly FrozenDictionary<string, LexEntry>.AlternateLookup<ReadOnlySpan<char>> _entries;
    private readonly Dictionary<string, FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>>> _lists;

    /// <summary>The lexicon shipped with the compiler.</summary>
    public static Lexicon Default { get; } = LoadEmbedded();

    public string[] Names { get; }
    public int[] NameRank { get; }
    public FeatureTraits[] NameTraits { get; }
    public string[] TechNames { get; }
    public TechCategory[] TechCategories { get; }
    public TechTraits[] TechTraits { get; }
    public int[] TechRank { get; }
    public string[] DataFlowNames { get; }
    public TechAlias[] TechAliases { get; }
    public DependencyRule[] Dependencies { get; }

    // The tables themselves, for tests that walk every entry.
    public FrozenDictionary<string, int> TechTable => _tech.Dictionary;
    public FrozenDictionary<string, int> FeatureTokenTable => _featureTokens.Dictionary;
    public FrozenDictionary<string, int> PhraseTable => _phrases.Dictionary;
    public FrozenDictionary<string, FeatureAction> VerbTable => _verbs.Dictionary;
    public FrozenDictionary<string, int> DataFlowTable => _dataFlows.Dictionary;
    public FrozenDictionary<string, string> RoleTable => _roles.Dictionary;
    public FrozenSet<string> NegationCues => _negation.Set;

    public FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> NegationVoidBefore { get; }
    public FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> NegationVoidAfter { get; }
    public FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> TechCues { get; }
    public FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> TechConjunctions { get; }
    public FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> People { get; }
    public FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> Determiners { get; }
    public FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> ForStops { get; }
    public FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> NotActors { get; }

    private Lexicon(LexiconBuilder b)
    {
        Names = [.. b.Names];
        NameTraits = [.. b.NameTraits];
        NameRank = Rank(Names);
        TechNames = [.. b.TechNames];
        TechCategories = [.. b.TechCategories];
        TechTraits = [.. b.TechTraits];
        TechRank = Rank(TechNames);
        DataFlowNames = [.. b.DataFlowNames];
        if (DataFlowNames.Length > 64)
        {
            throw new FormatException("at most 64 data flows (they are tracked in one 64-bit mask)");
        }

        TechAliases = [.. b.TechAliases];

        var rules = b.Dependencies.ToArray();
        // Pre-sorted by (from, to) and deduped once here, so emitting edges in rule order is already sorted (step 9).
        Array.Sort(rules, static (x, y) =>
        {
            var c = string.CompareOrdinal(x.From, y.From);
            return c != 0 ? c : string.CompareOrdinal(x.To, y.To);
        });
        var deduped = new List<DependencyRule>(rules.Length);
        foreach (var rule in rules)
        {
            if (deduped.Count == 0 || deduped[^1].From != rule.From || deduped[^1].To != rule.To)
            {
                deduped.Add(rule);
            }
        }

        Dependencies = [.. deduped];

        _tech = b.Tech.ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        _featureTokens = b.FeatureTokens.ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        _phrases = b.Phrases.ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        _verbs = b.Verbs.ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        _dataFlows = b.DataFlows.ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        _roles = b.Roles.ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

        _lists = new Dictionary<string, FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>>>(StringComparer.Ordinal);
        foreach (var (name, items) in b.Lists)
        {
            _lists[name] = items.ToFrozenSet(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        }

        _negation = List("negation");
        NegationVoidBefore = List("negation-void-before");
        NegationVoidAfter = List("negation-void-after");
        TechCues = List("tech-cue");
        TechConjunctions = List("tech-conjunction");
        People = List("people");
        Determiners = List("determiner");
        ForStops = List("for-stop");
        NotActors = List("not-actor");

        // A bigram is built and looked up only when its left word starts some bigram key (LexFlags.StartsBigram).
        var firstWords = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in b.AllKeys())
        {
            var space = key.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0)
            {
                firstWords.Add(key[..space]);
            }
        }

        _entries = Entries(b, firstWords).ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The merged table behind <see cref="GetEntry"/>: one entry per key of any per-question table.</summary>
    private static Dictionary<string, LexEntry> Entries(LexiconBuilder b, HashSet<string> bigramFirstWords)
    {
        var entries = new Dictionary<string, LexEntry>(StringComparer.Ordinal);
        void Update(string key, Func<LexEntry, LexEntry> change) =>
            entries[key] = change(entries.TryGetValue(key, out var entry) ? entry : LexEntry.None);
        void Flag(IEnumerable<string> keys, LexFlags flag)
        {
            foreach (var key in keys)
            {
                Update(key, e => e with { Flags = e.Flags | flag });
            }
        }

        foreach (var (key, alias) in b.Tech)
        {
            Update(key, e => e with { Tech = alias });
        }

        foreach (var (key, name) in b.FeatureTokens)
        {
            Update(key, e => e with { Feature = name });
        }

        foreach (var (key, name) in b.Phrases)
        {
            Update(key, e => e with { Phrase = name });
        }

        foreach (var (key, verb) in b.Verbs)
        {
            Update(key, e => e with { Verb = verb });
        }

        foreach (var (key, flow) in b.DataFlows)
        {
            Update(key, e => e with { DataFlow = flow });
        }

        foreach (var (key, signals) in b.Signals)
        {
            Update(key, e => e with { Signals = signals });
        }

        Flag(b.Roles.Keys, LexFlags.Role);
        Flag(bigramFirstWords, LexFlags.StartsBigram);
        foreach (var (list, flag) in (ReadOnlySpan<(string, LexFlags)>)[("negation", LexFlags.Negation), ("capture-verb", LexFlags.CaptureVerb), ("capture-with", LexFlags.CaptureWith)])
        {
            if (b.Lists.TryGetValue(list, out var keys))
            {
                Flag(keys, flag);
            }
        }

        return entries;
    }

    /// <summary>The actor a role word names (only asked for tokens whose entry has <see cref="LexFlags.Role"/>).</summary>
    public bool TryGetRole(ReadOnlySpan<char> key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? actor) =>
        _roles.TryGetValue(key, out actor);

    public bool IsNegation(ReadOnlySpan<char> key) => _negation.Contains(key);

    /// <summary>Every fact about <paramref name="key"/> in one lookup; <see cref="LexEntry.None"/> when it is unknown.</summary>
    public LexEntry GetEntry(ReadOnlySpan<char> key) => _entries.TryGetValue(key, out var entry) ? entry : LexEntry.None;

    public bool TechAliasExists(ReadOnlySpan<char> key) => _tech.ContainsKey(key);

    public bool FeatureTokenExists(ReadOnlySpan<char> key) => _featureTokens.ContainsKey(key);

    public bool PhraseExists(ReadOnlySpan<char> key) => _phrases.ContainsKey(key);

    /// <summary>Parses a lexicon text; throws <see cref="FormatException"/> on a malformed line.</summary>
    public static Lexicon Parse(TextReader reader)
    {
        var builder = new LexiconBuilder();
        string? section = null;
        string? argument = null;
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var text = line.Trim();
            if (text.Length == 0 || text[0] == '#')
            {
                continue;
            }

            if (text[0] == '[')
            {
                if (text[^1] != ']')
                {
                    throw new FormatException($"lexicon line {lineNumber}: unterminated section header");
                }

                var header = text[1..^1].Trim();
                var space = header.IndexOf(' ', StringComparison.Ordinal);
                section = space < 0 ? header : header[..space];
                argument = space < 0 ? null : header[(space + 1)..].Trim();
                continue;
            }

            if (section is null)
            {
                throw new FormatException($"lexicon line {lineNumber}: entry outside a section");
            }

            builder.Add(section, argument, text, lineNumber);
        }

        builder.Complete();
        return new Lexicon(builder);
    }

    private static Lexicon LoadEmbedded()
    {
        using var stream = typeof(Lexicon).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing");
        using var reader = new StreamReader(stream);
        return Parse(reader);
    }

    private FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> List(string name) =>
        _lists.TryGetValue(name, out var set)
            ? set
            : FrozenSet<string>.Empty.GetAlternateLookup<ReadOnlySpan<char>>();

    private static int[] Rank(string[] names)
    {
        var order = new int[names.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (x, y) => string.CompareOrdinal(names[x], names[y]));
        var rank = new int[names.Length];
        for (var r = 0; r < order.Length; r++)
        {
            rank[order[r]] = r;
        }

        return rank;
    }

    /// <summary>Mutable collector used only while parsing.</summary>
    private sealed class LexiconBuilder
    {
        private readonly Dictionary<string, int> _nameIds = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _techIds = new(StringComparer.Ordinal);
        private readonly List<(string Key, int Name)> _featureSelfKeys = [];
        private HashSet<string> _ambiguous = new(StringComparer.Ordinal);

        public List<string> Names { get; } = [];
        public List<FeatureTraits> NameTraits { get; } = [];
        public List<string> TechNames { get; } = [];
        public List<TechCategory> TechCategories { get; } = [];
        public List<TechTraits> TechTraits { get; } = [];
        public List<string> DataFlowNames { get; } = [];
        public List<DependencyRule> Dependencies { get; } = [];
        public Dictionary<string, int> Tech { get; } = new(StringComparer.Ordinal);
        public List<TechAlias> TechAliases { get; } = [];
        public Dictionary<string, int> FeatureTokens { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, int> Phrases { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, FeatureAction> Verbs { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, int> DataFlows { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, string> Roles { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Signals> Signals { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, HashSet<string>> Lists { get; } = new(StringComparer.Ordinal);

        public IEnumerable<string> AllKeys()
        {
            foreach (var key in Tech.Keys)
            {
                yield return key;
            }

            foreach (var key in Phrases.Keys)
            {
                yield return key;
            }

            foreach (var key in DataFlows.Keys)
            {
                yield return key;
            }

            foreach (var key in Signals.Keys)
            {
                yield return key;
            }

            foreach (var name in (string[])["negation", "negation-void-before"])
            {
                if (Lists.TryGetValue(name, out var list))
                {
                    foreach (var key in list)
                    {
                        yield return key;
                    }
                }
            }
        }

        public void Add(string section, string? argument, string text, int line)
        {
            switch (section)
            {
                case "tech":
                    AddTech(ParseEnum<TechCategory>(argument, line), text, line);
                    break;
                case "feature":
                    AddEntry(text, line, (canonical, aliases) =>
                    {
                        var id = NameId(canonical);
                        foreach (var alias in aliases)
                        {
                            AddUnique(FeatureTokens, alias, id, line);
                        }

                        _featureSelfKeys.Add((canonical, id));
                    });
                    break;
                case "phrase":
                    AddEntry(text, line, (canonical, aliases) =>
                    {
                        // "access control" alone: the bigram is the only alias and names the canonical by its words.
                        var bigrams = aliases.Count == 0 ? [canonical] : aliases;
                        var name = aliases.Count == 0 ? canonical.Replace(' ', '-') : canonical;
                        var id = NameId(name);
                        foreach (var bigram in bigrams)
                        {
                            RequireBigram(bigram, line);
                            AddUnique(Phrases, bigram, id, line);
                        }
                    });
                    break;
                case "verb":
                    var action = ParseEnum<FeatureAction>(argument, line);
                    foreach (var verb in SplitList(text))
                    {
                        AddUnique(Verbs, verb, action, line);
                    }

                    break;
                case "list":
                    if (argument is null)
                    {
                        throw new FormatException($"lexicon line {line}: [list] needs a name");
                    }

                    if (!Lists.TryGetValue(argument, out var list))
                    {
                        Lists[argument] = list = new HashSet<string>(StringComparer.Ordinal);
                    }

                    foreach (var item in SplitList(text))
                    {
                        list.Add(item);
                    }

                    if (argument == "tech-ambiguous")
                    {
                        _ambiguous = list;
                        for (var i = 0; i < TechAliases.Count; i++)
                        {
                            TechAliases[i] = TechAliases[i] with { Ambiguous = list.Contains(TechAliases[i].Alias) };
                        }
                    }

                    break;
                case "role":
                    AddEntry(text, line, (actor, aliases) =>
                    {
                        AddUnique(Roles, actor, actor, line);
                        foreach (var alias in aliases)
                        {
                            AddUnique(Roles, alias, actor, line);
                        }
                    });
                    break;
                case "dataflow":
                    AddEntry(text, line, (canonical, aliases) =>
                    {
                        var id = DataFlowNames.Count;
                        DataFlowNames.Add(canonical);
                        AddUnique(DataFlows, canonical, id, line);
                        foreach (var alias in aliases)
                        {
                            AddUnique(DataFlows, alias, id, line);
                        }
                    });
                    break;
                case "dependency":
                    AddDependency(text, line);
                    break;
                case "signal":
                    var signal = argument switch
                    {
                        "project-microservice" => Internal.Signals.ProjectMicroservice,
                        "project-cli" => Internal.Signals.ProjectCli,
                        "project-mobile" => Internal.Signals.ProjectMobile,
                        "project-library" => Internal.Signals.ProjectLibrary,
                        "ui" => Internal.Signals.Ui,
                        "arch-microservices" => Internal.Signals.ArchMicroservices,
                        "arch-serverless" => Internal.Signals.ArchServerless,
                        "arch-event-driven" => Internal.Signals.ArchEventDriven,
                        "arch-jamstack" => Internal.Signals.ArchJamstack,
                        _ => throw new FormatException($"lexicon line {line}: unknown signal '{argument}'"),
                    };
                    foreach (var key in SplitList(text))
                    {
                        Signals[key] = Signals.GetValueOrDefault(key) | signal;
                    }

                    break;
                case "trait":
                    var trait = argument switch
                    {
                        "ui" => FeatureTraits.Ui,
                        "web" => FeatureTraits.Web,
                        "api" => FeatureTraits.Api,
                        "event" => FeatureTraits.Event,
                        _ => throw new FormatException($"lexicon line {line}: unknown trait '{argument}'"),
                    };
                    foreach (var name in SplitList(text))
                    {
                        var id = NameId(name);
                        NameTraits[id] |= trait;
                    }

                    break;
                case "tech-trait":
                    var techTrait = argument switch
                    {
                        "serverless" => Internal.TechTraits.Serverless,
                        "event-driven" => Internal.TechTraits.EventDriven,
                        "microservices" => Internal.TechTraits.Microservices,
                        "jamstack-host" => Internal.TechTraits.JamstackHost,
                        _ => throw new FormatException($"lexicon line {line}: unknown tech trait '{argument}'"),
                    };
                    foreach (var name in SplitList(text))
                    {
                        if (!_techIds.TryGetValue(name, out var tech))
                        {
                            throw new FormatException($"lexicon line {line}: unknown tech '{name}'");
                        }

                        TechTraits[tech] |= techTrait;
                    }

                    break;
                default:
                    throw new FormatException($"lexicon line {line}: unknown section '{section}'");
            }

        }

        /// <summary>Called once after the last line.</summary>
        public void Complete()
        {
            // The canonical spelling of a feature ("single-sign-on") matches itself unless an alias claims it.
            foreach (var (key, id) in _featureSelfKeys)
            {
                FeatureTokens.TryAdd(key, id);
            }
        }

        private void AddTech(TechCategory category, string text, int line)
        {
            AddEntry(text, line, (canonical, aliases) =>
            {
                if (_techIds.ContainsKey(canonical))
                {
                    throw new FormatException($"lexicon line {line}: duplicate tech '{canonical}'");
                }

                var id = TechNames.Count;
                _techIds[canonical] = id;
                TechNames.Add(canonical);
                TechCategories.Add(category);
                TechTraits.Add(Internal.TechTraits.None);
                AddTechAlias(canonical, id, line);
                foreach (var alias in aliases)
                {
                    AddTechAlias(alias, id, line);
                }
            });
        }

        private void AddTechAlias(string alias, int tech, int line)
        {
            AddUnique(Tech, alias, TechAliases.Count, line);
            TechAliases.Add(new TechAlias(tech, alias, _ambiguous.Contains(alias)));
        }

        private void AddDependency(string text, int line)
        {
            var arrow = text.IndexOf('>', StringComparison.Ordinal);
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (arrow <= 0 || colon <= arrow)
            {
                throw new FormatException($"lexicon line {line}: expected 'from > to: reason'");
            }

            var from = text[..arrow].Trim();
            var to = text[(arrow + 1)..colon].Trim();
            var reason = text[(colon + 1)..].Trim();
            if (from.Length == 0 || to.Length == 0 || reason.Length == 0)
            {
                throw new FormatException($"lexicon line {line}: expected 'from > to: reason'");
            }

            var fromId = NameId(from);
            // A target that is tech (websocket) is not a feature: no name id, so it never raises a priority.
            var toId = _techIds.ContainsKey(to) ? -1 : NameId(to);
            Dependencies.Add(new DependencyRule(fromId, toId, from, to, reason));
        }

        private int NameId(string name)
        {
            if (!_nameIds.TryGetValue(name, out var id))
            {
                id = Names.Count;
                _nameIds[name] = id;
                Names.Add(name);
                NameTraits.Add(FeatureTraits.None);
            }

            return id;
        }

        private static void AddEntry(string text, int line, Action<string, List<string>> add)
        {
            var colon = text.IndexOf(": ", StringComparison.Ordinal);
            var canonical = (colon < 0 ? text : text[..colon]).Trim();
            if (canonical.Length == 0 || canonical.Contains(',', StringComparison.Ordinal))
            {
                throw new FormatException($"lexicon line {line}: expected 'canonical' or 'canonical: alias, alias'");
            }

            var aliases = colon < 0 ? [] : SplitList(text[(colon + 2)..]);
            add(canonical, aliases);
        }

        private static List<string> SplitList(string text)
        {
            var items = new List<string>();
            foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                items.Add(part);
            }

            return items;
        }

        private static void RequireBigram(string key, int line)
        {
            var space = key.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0 || key.IndexOf(' ', space + 1) >= 0)
            {
                throw new FormatException($"lexicon line {line}: phrase '{key}' must be exactly two words");
            }
        }

        private static void AddUnique<T>(Dictionary<string, T> table, string key, T value, int line)
        {
            if (!table.TryAdd(key, value))
            {
                throw new FormatException($"lexicon line {line}: duplicate key '{key}'");
            }
        }

        private static T ParseEnum<T>(string? text, int line)
            where T : struct, Enum
        {
            if (text is not null && Enum.TryParse<T>(text.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true, out var value))
            {
                return value;
            }

            throw new FormatException($"lexicon line {line}: unknown {typeof(T).Name} '{text}'");
        }
    }
}
