namespace GRump.Gateway.Intent.Internal;

[Flags]
internal enum TokenFlags : byte
{
    None = 0,

    /// <summary>A negation cue ends at this token (a cue word, or the second word of a cue bigram).</summary>
    Cue = 1 << 0,

    /// <summary>A negation cue starts at this token; phrase captures stop here.</summary>
    CueStart = 1 << 1,

    /// <summary>Inside a cue's 4-token window (step 4).</summary>
    Negated = 1 << 2,
}

/// <summary>
/// One token: a range of the lowercased text plus every lexicon lookup for it and for the bigram it starts,
/// done once in a single classification pass. -1 means "no hit".
/// </summary>
internal struct Token
{
    public int Start;
    public int End;
    public int Piece;
    public int TokenTech;
    public int BigramTech;
    public int Tech;
    public int Feature;
    public int BigramPhrase;
    public int DataFlow;
    public int BigramDataFlow;
    public Signals Signals;
    public FeatureAction Verb;
    public TokenFlags Flags;

    /// <summary>The lexicon's flags for this token's word (capture word, role, …).</summary>
    public LexFlags Word;

    public readonly bool IsNegated => (Flags & TokenFlags.Negated) != 0;
}

/// <summary>A piece of text between sentence terminators (step 2); <see cref="Sentence"/> is -1 when dropped.</summary>
internal struct Piece
{
    public int Start;
    public int End;
    public int TrimStart;
    public int TrimEnd;
    public int Sentence;
}

/// <summary>A feature found by the lexicon (step 6).</summary>
internal struct FeatureHit
{
    public int Name;
    public int Position;
    public bool Negated;
    public float Confidence;
}

/// <summary>A tech found by the lexicon (step 5).</summary>
internal struct TechHit
{
    public int Tech;
    public string MatchedAs;
    public bool Negated;
}
