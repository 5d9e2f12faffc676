using System.Buffers;
using System.Runtime.CompilerServices;

namespace GRump.Gateway.Intent.Internal;

/// <summary>
/// Runs the intent pipeline (spec steps 1–16) with reusable scratch buffers. Not thread-safe: the public
/// <see cref="IntentCompiler"/> keeps one per thread. Everything except the output is reused, so a short prompt
/// allocates little more than the <see cref="ParsedIntent"/> it returns: exact-size arrays of strings and structs.
/// </summary>
internal sealed class IntentWorkspace
{
    /// <summary>Negation window (step 4): token i is negated when a cue sits at c with c &lt; i ≤ c + 4.</summary>
    private const int NegationWindow = 4;

    /// <summary>Confidence of every tech hit (step 5).</summary>
    private const float TechConfidence = 0.95f;

    internal const string DefaultActor = "user";
    internal const string EmptyError = "Intent raw text is empty";
    internal const string NoFeaturesWarning = "No features extracted; intent may be underspecified";

    // Shared and read-only: every empty input and every featureless intent says the same.
    private static readonly IReadOnlyList<string> DefaultActors = Array.AsReadOnly([DefaultActor]);
    private static readonly IReadOnlyList<string> EmptyErrors = Array.AsReadOnly([EmptyError]);
    private static readonly IReadOnlyList<string> NoFeaturesWarnings = Array.AsReadOnly([NoFeaturesWarning]);

    /// <summary>Tokens before a feature searched for its verb (step 6).</summary>
    private const int VerbWindow = 4;

    /// <summary>
    /// Phrase captures (step 7) longer than this are cut at a word boundary. The spec has no limit; without one a
    /// long run-on sentence yields one capture per verb, each nearly as long as the sentence (quadratic output).
    /// </summary>
    internal const int MaxCaptureLength = 64;

    /// <summary>"for &lt;phrase&gt;" actors (step 8) look at most this many tokens ahead.</summary>
    private const int MaxForPhraseTokens = 6;

    /// <summary>A workspace that grew past this many tokens is not kept, so one huge input does not pin memory.</summary>
    private const int MaxRetainedTokens = 4096;

    private static readonly SearchValues<char> TokenPunctuation = SearchValues.Create("-_.#+/'");
    private static readonly SearchValues<char> SlashOrPlus = SearchValues.Create("/+");
    private static readonly SearchValues<char> ClauseBreaks = SearchValues.Create(",:;()[]{}");
    private static readonly SearchValues<string> VerbCaptureStops = SearchValues.Create([" with ", " that ", ","], StringComparison.Ordinal);
    private static readonly SearchValues<string> WithCaptureStops = SearchValues.Create([" and ", ","], StringComparison.Ordinal);

    private readonly Lexicon _lex;
    private readonly HashSet<string> _features = new(StringComparer.Ordinal);
    private readonly HashSet<string> _actors = new(StringComparer.Ordinal);
    private readonly List<string> _actorList = [];
    private readonly List<string> _captures = [];

    // Per-call "seen" marks, stamped with the call's generation instead of cleared.
    private readonly int[] _nameStamp;
    private readonly int[] _nameHit;
    private readonly int[] _edgesTo;
    private readonly int[] _techStamp;
    private readonly int[] _sentenceNameStamp;
    private readonly int[] _sentenceTechStamp;
    private int _generation;
    private int _sentenceGeneration;

    private char[] _text = [];
    private char[] _bigram = new char[64];
    private Token[] _tokens = new Token[64];
    private Piece[] _pieces = new Piece[8];
    private FeatureHit[] _featureHits = new FeatureHit[16];
    private TechHit[] _techHits = new TechHit[16];
    private int[] _sortNames = new int[32];
    private int[] _sortTech = new int[32];
    private int _tokenCount;
    private int _pieceCount;
    private int _sentenceCount;
    private int _featureCount;
    private int _techCount;

    public IntentWorkspace(Lexicon lexicon)
    {
        _lex = lexicon;
        _nameStamp = new int[lexicon.Names.Length];
        _nameHit = new int[lexicon.Names.Length];
        _edgesTo = new int[lexicon.Names.Length];
        _sentenceNameStamp = new int[lexicon.Names.Length];
        _techStamp = new int[lexicon.TechNames.Length];
        _sentenceTechStamp = new int[lexicon.TechNames.Length];
    }

    /// <summary>Whether this workspace is small enough to keep for the next call.</summary>
    public bool Retainable => _tokens.Length <= MaxRetainedTokens;

    public ParsedIntent Compile(string raw)
    {
        // Step 1: normalize.
        var trimmed = raw.AsSpan().Trim();
        if (trimmed.IsEmpty)
        {
            return Empty;
        }

        var text = trimmed.Length == raw.Length ? raw : trimmed.ToString();
        var rented = ArrayPool<char>.Shared.Rent(text.Length);
        try
        {
            _text = rented;
            var lower = rented.AsSpan(0, text.Length);
            text.AsSpan().ToLowerInvariant(lower);
            // Typographic apostrophes ("don’t") read like ASCII ones for the negation cues.
            lower.Replace('\u2019', '\'');
            Reset();
            SplitSentences(lower);
            Tokenize(lower);
            Classify();
            MarkNegation();
            FindTech();
            FindFeatures();
            return Build(text);
        }
        finally
        {
            _text = [];
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Step 1: empty input is the caller's data, not a transport error; the enums still say "no signal". Immutable,
    /// so one instance serves every empty input.
    /// </summary>
    private static ParsedIntent Empty { get; } = new()
    {
        Raw = string.Empty,
        Actors = DefaultActors,
        ProjectType = ProjectType.Unknown,
        ArchitecturePattern = ArchitecturePattern.Monolith,
        Verification = new IntentVerification(WellFormed: false, EmptyErrors, []),
    };

    private void Reset()
    {
        if (++_generation == int.MaxValue)
        {
            Array.Clear(_nameStamp);
            Array.Clear(_techStamp);
            _generation = 1;
        }

        _tokenCount = 0;
        _pieceCount = 0;
        _sentenceCount = 0;
        _featureCount = 0;
        _techCount = 0;
        _features.Clear();
        _actors.Clear();
        _actorList.Clear();
        _captures.Clear();
    }

    private ReadOnlySpan<char> Text(int start, int end) => _text.AsSpan(start, end - start);

    private ReadOnlySpan<char> Tok(int t) => _text.AsSpan(_tokens[t].Start, _tokens[t].End - _tokens[t].Start);

    private bool SamePiece(int a, int b) => _tokens[a].Piece == _tokens[b].Piece;

    // ------------------------------------------------------------------ step 2: sentences

    private void SplitSentences(ReadOnlySpan<char> s)
    {
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            var ends = c switch
            {
                '!' or '?' or ';' or '\n' or '\r' => true,
                // "Node.js", "v1.2", "fly.io" keep going; so does ".NET" (a '.' right before a letter or digit),
                // a superset of the spec's "between two letters/digits" that also covers a leading dot.
                '.' => i + 1 >= s.Length || !char.IsLetterOrDigit(s[i + 1]),
                _ => false,
            };
            if (ends)
            {
                AddPiece(s, start, i + 1);
                start = i + 1;
            }
        }

        if (start < s.Length)
        {
            AddPiece(s, start, s.Length);
        }
    }

    private void AddPiece(ReadOnlySpan<char> s, int start, int end)
    {
        var a = start;
        var b = end;
        while (a < b && char.IsWhiteSpace(s[a]))
        {
            a++;
        }

        while (b > a && char.IsWhiteSpace(s[b - 1]))
        {
            b--;
        }

        if (_pieceCount == _pieces.Length)
        {
            Array.Resize(ref _pieces, _pieces.Length * 2);
        }

        _pieces[_pieceCount++] = new Piece
        {
            Start = start,
            End = end,
            TrimStart = a,
            TrimEnd = b,
            Sentence = b - a > 1 ? _sentenceCount++ : -1,
        };
    }

    // ------------------------------------------------------------------ step 3: tokens

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsTokenChar(char c) => char.IsLetterOrDigit(c) || TokenPunctuation.Contains(c);

    private void Tokenize(ReadOnlySpan<char> s)
    {
        var piece = 0;
        var i = 0;
        while (i < s.Length)
        {
            if (!IsTokenChar(s[i]))
            {
                i++;
                continue;
            }

            while (_pieces[piece].End <= i)
            {
                piece++;
            }

            // A token never crosses a sentence boundary.
            var limit = _pieces[piece].End;
            var j = i + 1;
            while (j < limit && IsTokenChar(s[j]))
            {
                j++;
            }

            AddToken(s, i, j, piece);
            i = j;
        }
    }

    private void AddToken(ReadOnlySpan<char> s, int a, int b, int piece)
    {
        // Leading punctuation goes, except a dot that starts a word (".net").
        while (a < b && !char.IsLetterOrDigit(s[a]) && !(s[a] == '.' && a + 1 < b && char.IsLetterOrDigit(s[a + 1])))
        {
            a++;
        }

        // Trailing punctuation goes, except '#' and '+' ("c#", "c++").
        while (b > a && !char.IsLetterOrDigit(s[b - 1]) && s[b - 1] is not ('#' or '+'))
        {
            b--;
        }

        if (a == b)
        {
            return;
        }

        // '/' and '+' stay inside a token the lexicon knows ("ci/cd", "c++"); elsewhere they join words the user
        // listed ("React/Vue", "react+node"), so the token splits there (the spec keeps them; this keeps both techs).
        var word = s[a..b];
        if (word.IndexOfAny(SlashOrPlus) >= 0 && !_lex.TechAliasExists(word) && !_lex.FeatureTokenExists(word))
        {
            // Split at '/' first, then (one level down) at '+', so "c++/rust" keeps "c++".
            var separator = word.Contains('/') ? '/' : '+';
            var part = a;
            for (var k = a; k <= b; k++)
            {
                if (k == b || s[k] == separator)
                {
                    if (k > part)
                    {
                        AddToken(s, part, k, piece);
                    }

                    part = k + 1;
                }
            }

            return;
        }

        if (_tokenCount == _tokens.Length)
        {
            Array.Resize(ref _tokens, _tokens.Length * 2);
        }

        _tokens[_tokenCount++] = new Token
        {
            Start = a,
            End = b,
            Piece = piece,
            TokenTech = -1,
            BigramTech = -1,
            Tech = -1,
            Feature = -1,
            BigramPhrase = -1,
            DataFlow = -1,
            BigramDataFlow = -1,
        };
    }

    /// <summary>Joins tokens t and t+1 with one space when both are in one sentence and t can start a bigram.</summary>
    private bool TryBigram(int t, out ReadOnlySpan<char> bigram)
    {
        bigram = default;
        if (t + 1 >= _tokenCount || !SamePiece(t, t + 1))
        {
            return false;
        }

        // Classify has already looked the word up (it runs left to right), so the flag is set for every t asked here.
        if ((_tokens[t].Word & LexFlags.StartsBigram) == 0)
        {
            return false;
        }

        var first = Tok(t);

        var second = Tok(t + 1);
        var length = first.Length + 1 + second.Length;
        if (_bigram.Length < length)
        {
            _bigram = new char[Math.Max(length, _bigram.Length * 2)];
        }

        first.CopyTo(_bigram);
        _bigram[first.Length] = ' ';
        second.CopyTo(_bigram.AsSpan(first.Length + 1));
        bigram = _bigram.AsSpan(0, length);
        return true;
    }

    /// <summary>
    /// Every lexicon lookup for every token and bigram, once: one merged table answers all the questions about a key
    /// (tech, feature, verb, data flow, signals, cue, capture word, role), the bigram only when its first word starts one.
    /// </summary>
    private void Classify()
    {
        for (var t = 0; t < _tokenCount; t++)
        {
            ref var token = ref _tokens[t];
            var entry = _lex.GetEntry(Tok(t));
            token.Word = entry.Flags;
            if ((entry.Flags & LexFlags.Negation) != 0 && !IsVoidCue(t))
            {
                token.Flags |= TokenFlags.Cue | TokenFlags.CueStart;
            }

            token.TokenTech = entry.Tech;
            token.Feature = entry.Feature;
            token.Verb = entry.Verb;
            token.DataFlow = entry.DataFlow;
            token.Signals = entry.Signals;

            if ((entry.Flags & LexFlags.StartsBigram) == 0 || !TryBigram(t, out var bigram))
            {
                continue;
            }

            var pair = _lex.GetEntry(bigram);
            if ((pair.Flags & LexFlags.Negation) != 0)
            {
                // Cue bigrams ("instead of") sit at their second word.
                token.Flags |= TokenFlags.CueStart;
                _tokens[t + 1].Flags |= TokenFlags.Cue;
            }

            token.BigramTech = pair.Tech;
            token.BigramPhrase = pair.Phrase;
            if (pair.Phrase >= 0)
            {
                // The spec is silent: a verb that starts a feature phrase is a noun there ("push notifications",
                // "audit logs") and does not set the action of the features around it.
                token.Verb = FeatureAction.Unspecified;
            }

            token.BigramDataFlow = pair.DataFlow;
            token.Signals |= pair.Signals;
        }
    }

    // ------------------------------------------------------------------ step 4: negation

    /// <summary>A cue word in an idiom that negates nothing: "drag and drop", "not only", "no matter".</summary>
    private bool IsVoidCue(int t)
    {
        if (t + 1 < _tokenCount && SamePiece(t, t + 1) && _lex.NegationVoidAfter.Contains(Tok(t + 1)))
        {
            return true;
        }

        return t >= 2 && SamePiece(t - 2, t) && TryBigram(t - 2, out var before) && _lex.NegationVoidBefore.Contains(before);
    }

    private void MarkNegation()
    {
        // The latest cue has the furthest-reaching window, so it is the only one to remember.
        // The window stops at a sentence end (the spec is silent): "No auth. Use React." keeps React.
        var cue = -1;
        for (var t = 0; t < _tokenCount; t++)
        {
            if (cue >= 0 && t - cue <= NegationWindow && SamePiece(cue, t))
            {
                _tokens[t].Flags |= TokenFlags.Negated;
            }

            if ((_tokens[t].Flags & TokenFlags.Cue) != 0)
            {
                cue = t;
            }
        }
    }

    // ------------------------------------------------------------------ step 5: tech

    private void FindTech()
    {
        for (var t = 0; t < _tokenCount; t++)
        {
            ref var token = ref _tokens[t];
            int aliasIndex;
            if (token.BigramTech >= 0 && (!_lex.TechAliases[token.BigramTech].Ambiguous || HasTechCue(t)))
            {
                aliasIndex = token.BigramTech;
            }
            else if (token.TokenTech >= 0 && (!_lex.TechAliases[token.TokenTech].Ambiguous || HasTechCue(t)))
            {
                aliasIndex = token.TokenTech;
            }
            else
            {
                continue;
            }

            var alias = _lex.TechAliases[aliasIndex];
            token.Tech = alias.Tech;
            if (_techStamp[alias.Tech] != _generation)
            {
                _techStamp[alias.Tech] = _generation;
                if (_techCount == _techHits.Length)
                {
                    Array.Resize(ref _techHits, _techHits.Length * 2);
                }

                _techHits[_techCount++] = new TechHit { Tech = alias.Tech, MatchedAs = alias.Alias, Negated = token.IsNegated };
            }

            if (aliasIndex == token.BigramTech)
            {
                // "asp.net core", "spring boot": the second word belongs to this match.
                t++;
            }
        }
    }

    /// <summary>
    /// The "go" rule: an everyday-word alias is tech only right after a tech cue ("written in go", "using go"),
    /// right after another tech ("react next"), or after "and"/"or" that follows a tech ("rust and go").
    /// </summary>
    private bool HasTechCue(int t)
    {
        if (t == 0 || !SamePiece(t - 1, t))
        {
            return false;
        }

        if (_tokens[t - 1].Tech >= 0 || _lex.TechCues.Contains(Tok(t - 1)))
        {
            return true;
        }

        return t >= 2 && SamePiece(t - 2, t) && _tokens[t - 2].Tech >= 0 && _lex.TechConjunctions.Contains(Tok(t - 1));
    }

    // ------------------------------------------------------------------ step 6: features

    private void FindFeatures()
    {
        for (var t = 0; t < _tokenCount; t++)
        {
            if (_tokens[t].Feature >= 0)
            {
                AddFeature(_tokens[t].Feature, t, 0.90f);
            }
        }

        for (var t = 0; t < _tokenCount; t++)
        {
            if (_tokens[t].BigramPhrase >= 0)
            {
                // A phrase is negated by its first word's position.
                AddFeature(_tokens[t].BigramPhrase, t, 0.85f);
            }
        }
    }

    private void AddFeature(int name, int position, float confidence)
    {
        // First occurrence of a canonical wins, as for tech.
        if (_nameStamp[name] == _generation)
        {
            return;
        }

        _nameStamp[name] = _generation;
        _nameHit[name] = _featureCount;
        _edgesTo[name] = 0;
        if (_featureCount == _featureHits.Length)
        {
            Array.Resize(ref _featureHits, _featureHits.Length * 2);
        }

        _featureHits[_featureCount++] = new FeatureHit
        {
            Name = name,
            Position = position,
            Negated = _tokens[position].IsNegated,
            Confidence = confidence,
        };
    }

    private bool HasFeature(int name) =>
        name >= 0 && _nameStamp[name] == _generation && !_featureHits[_nameHit[name]].Negated;

    private FeatureAction ActionFor(int position, FeatureAction firstVerb)
    {
        // Nearest verb in the 4 tokens before the feature (same sentence), else the text's first verb, else BUILD.
        for (var k = position - 1; k >= 0 && k >= position - VerbWindow && SamePiece(k, position); k--)
        {
            if (_tokens[k].Verb != FeatureAction.Unspecified)
            {
                return _tokens[k].Verb;
            }
        }

        return firstVerb;
    }

    // ------------------------------------------------------------------ step 7: phrase captures

    /// <summary>
    /// Step 7, verb captures then "with"/"featuring" captures, each left to right. Captures come from the lowercased
    /// text (the spec does not say), so they compare cleanly with canonical names and with each other.
    /// </summary>
    private void CapturePhrases()
    {
        for (var t = 0; t < _tokenCount; t++)
        {
            if (!_tokens[t].IsNegated && (_tokens[t].Word & LexFlags.CaptureVerb) != 0)
            {
                Capture(t, VerbCaptureStops);
            }
        }

        for (var t = 0; t < _tokenCount; t++)
        {
            if (!_tokens[t].IsNegated && (_tokens[t].Word & LexFlags.CaptureWith) != 0)
            {
                Capture(t, WithCaptureStops);
            }
        }
    }

    private void Capture(int t, SearchValues<string> stops)
    {
        var start = _tokens[t].End;
        // The piece end is the sentence terminator ('.', '!', '?', ';', newline) or the end of the text.
        var pieceEnd = _pieces[_tokens[t].Piece].End;
        // Looking further than the longest capture is pointless and would make run-on input quadratic.
        var limit = Math.Min(pieceEnd, start + MaxCaptureLength + 16);
        var stop = Text(start, limit).IndexOfAny(stops);
        var end = stop < 0 ? limit : start + stop;

        // Negated spans are not captured: the phrase ends where a negation cue begins ("vue instead of react").
        for (var k = t + 1; k < _tokenCount && _tokens[k].Start < end; k++)
        {
            if ((_tokens[k].Flags & TokenFlags.CueStart) != 0)
            {
                end = _tokens[k].Start;
                break;
            }
        }

        var phrase = CleanCapture(Text(start, end));
        if (phrase.Length > MaxCaptureLength)
        {
            var cut = phrase[..(MaxCaptureLength + 1)].LastIndexOfAny(' ', '\t');
            phrase = CleanCapture(cut > 0 ? phrase[..cut] : phrase[..(char.IsHighSurrogate(phrase[MaxCaptureLength - 1]) ? MaxCaptureLength - 1 : MaxCaptureLength)]);
        }

        // A capture that is only a known alias ("with express", "with dark mode") already shows up as tech or a
        // canonical feature; repeating it as a raw feature is noise (the spec is silent).
        if (phrase.Length <= 2 || _lex.TechAliasExists(phrase) || _lex.FeatureTokenExists(phrase) || _lex.PhraseExists(phrase))
        {
            return;
        }

        var lookup = _features.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.Contains(phrase))
        {
            return;
        }

        var value = phrase.ToString();
        _features.Add(value);
        _captures.Add(value);
    }

    /// <summary>Trims whitespace and punctuation (keeping "c#" and ".net" intact).</summary>
    private static ReadOnlySpan<char> CleanCapture(ReadOnlySpan<char> s)
    {
        var a = 0;
        var b = s.Length;
        while (a < b && (char.IsWhiteSpace(s[a]) || (char.IsPunctuation(s[a]) && s[a] is not ('.' or '#'))))
        {
            a++;
        }

        while (b > a && (char.IsWhiteSpace(s[b - 1]) || (char.IsPunctuation(s[b - 1]) && s[b - 1] != '#')))
        {
            b--;
        }

        return s[a..b];
    }

    // ------------------------------------------------------------------ step 8: actors

    private void FindActors()
    {
        var consumed = -1;
        for (var t = 0; t < _tokenCount; t++)
        {
            var word = Tok(t);
            if (word is "as")
            {
                consumed = ActorAfterAsA(t);
            }
            else if (word is "for" && !_tokens[t].IsNegated)
            {
                ActorAfterFor(t);
            }

            if (t != consumed && !_tokens[t].IsNegated && (_tokens[t].Word & LexFlags.Role) != 0 && _lex.TryGetRole(word, out var role))
            {
                AddActor(role);
            }
        }

        if (_actorList.Count == 0)
        {
            _actorList.Add(DefaultActor);
        }
    }

    /// <summary>"as a|an &lt;word&gt;"; returns the index of a role word folded into the actor, else -1.</summary>
    private int ActorAfterAsA(int t)
    {
        // Whole tokens only, so "has a" never matches. Skipped: "as a result", "as a service" (not-actor list) and
        // words the lexicon knows as tech or features ("as a dashboard").
        if (t + 2 >= _tokenCount || !SamePiece(t, t + 2) || Tok(t + 1) is not ("a" or "an"))
        {
            return -1;
        }

        var word = Tok(t + 2);
        if (!char.IsLetter(word[0]) || _tokens[t + 2].IsNegated || _lex.NotActors.Contains(word) ||
            _lex.TechAliasExists(word) || _lex.FeatureTokenExists(word) || _lex.IsNegation(word))
        {
            return -1;
        }

        if (_lex.TryGetRole(word, out var role))
        {
            AddActor(role);
            return -1;
        }

        // The spec takes one word; a role word right after it makes a compound the user meant
        // ("as a product manager" is a product manager, not a "product").
        if (t + 3 < _tokenCount && SamePiece(t, t + 3) && (_tokens[t + 3].Word & LexFlags.Role) != 0)
        {
            AddActor(Text(_tokens[t + 2].Start, _tokens[t + 3].End));
            return t + 3;
        }

        AddActor(word);
        return -1;
    }

    private void ActorAfterFor(int t)
    {
        // "for <phrase>" up to " to ", a clause word or the sentence end, and only when the phrase names people
        // ("for small business owners"; "for caching" is no actor). The phrase ends at its last people word.
        var k = t + 1;
        while (k < _tokenCount && SamePiece(t, k) && k - t <= 2 && _lex.Determiners.Contains(Tok(k)))
        {
            k++;
        }

        var first = k;
        var last = -1;
        var onlyRoles = true;
        for (; k < _tokenCount && SamePiece(t, k) && k - first < MaxForPhraseTokens; k++)
        {
            if (Text(_tokens[k - 1].End, _tokens[k].Start).IndexOfAny(ClauseBreaks) >= 0)
            {
                break;
            }

            var word = Tok(k);
            if (_lex.ForStops.Contains(word) || (_tokens[k].Flags & TokenFlags.CueStart) != 0)
            {
                break;
            }

            if (_lex.People.Contains(word))
            {
                last = k;
                onlyRoles &= (_tokens[k].Word & LexFlags.Role) != 0;
            }
        }

        // No people, or only role words ("for users and guests"), which the role rule reports on its own.
        if (last >= 0 && !onlyRoles)
        {
            AddActor(Text(_tokens[first].Start, _tokens[last].End));
        }
    }

    private void AddActor(string actor)
    {
        if (_actors.Add(actor))
        {
            _actorList.Add(actor);
        }
    }

    private void AddActor(ReadOnlySpan<char> actor)
    {
        if (!_actors.GetAlternateLookup<ReadOnlySpan<char>>().Contains(actor))
        {
            AddActor(actor.ToString());
        }
    }

    // ------------------------------------------------------------------ steps 9–16: assemble the message

    private ParsedIntent Build(string text)
    {
        var (firstVerb, signals, flows) = ScanTokens();
        var (features, liveFeatures) = Features();
        var edges = Dependencies();
        var enrichedFeatures = EnrichedFeatures(firstVerb);
        var (enrichedTech, techStackHints, tech) = Tech();
        FindActors();
        var traits = FeatureTraits.None;
        for (var i = 0; i < _featureCount; i++)
        {
            if (!_featureHits[i].Negated)
            {
                traits |= _lex.NameTraits[_featureHits[i].Name];
            }
        }

        // Step 12: complexity over non-negated features, non-negated tech and edges.
        var complexity = (liveFeatures + tech.Live > 0 ? 0.1 : 0.0)
            + Math.Min(0.4, 0.08 * liveFeatures)
            + Math.Min(0.3, 0.05 * tech.Live)
            + Math.Min(0.2, 0.04 * edges.Length);

        return new ParsedIntent
        {
            Raw = text,
            Actors = _actorList.Count == 1 && _actorList[0] == DefaultActor ? DefaultActors : [.. _actorList],
            Features = features,
            DataFlows = DataFlows(flows),
            TechStackHints = techStackHints,
            EnrichedFeatures = enrichedFeatures,
            EnrichedTech = enrichedTech,
            ProjectType = ProjectTypeOf(signals, traits, tech),
            ArchitecturePattern = ArchitectureOf(signals, traits, tech),
            ComplexityScore = (float)Math.Min(1.0, complexity),
            Confidence = Confidence(),
            DependencyGraph = edges,
            Sentences = AnnotateSentences(text),
            // Step 16: verification.
            Verification = new IntentVerification(WellFormed: true, [], features.Length == 0 ? NoFeaturesWarnings : []),
        };
    }

    /// <summary>The text's first verb (action fallback), keyword signals and data flows of non-negated tokens.</summary>
    private (FeatureAction FirstVerb, Signals Signals, ulong Flows) ScanTokens()
    {
        var firstVerb = FeatureAction.Unspecified;
        var signals = Signals.None;
        ulong flows = 0;
        for (var t = 0; t < _tokenCount; t++)
        {
            ref readonly var token = ref _tokens[t];
            if (firstVerb == FeatureAction.Unspecified)
            {
                firstVerb = token.Verb;
            }

            // Negated keywords say what the project is not, so they count for nothing, like negated tech (the spec
            // only says "negated tech does not count"; "not a CLI" is no CLI either).
            if (token.IsNegated)
            {
                continue;
            }

            signals |= token.Signals;
            if (token.DataFlow >= 0)
            {
                flows |= 1UL << token.DataFlow;
            }

            if (token.BigramDataFlow >= 0)
            {
                flows |= 1UL << token.BigramDataFlow;
            }
        }

        return (firstVerb == FeatureAction.Unspecified ? FeatureAction.Build : firstVerb, signals, flows);
    }

    /// <summary>Non-negated canonical features first, then phrase captures (step 7) not already present.</summary>
    private (string[] Features, int Live) Features()
    {
        var live = 0;
        for (var i = 0; i < _featureCount; i++)
        {
            if (!_featureHits[i].Negated)
            {
                live++;
                _features.Add(_lex.Names[_featureHits[i].Name]);
            }
        }

        CapturePhrases();
        if (live + _captures.Count == 0)
        {
            return ([], 0);
        }

        var features = new string[live + _captures.Count];
        var n = 0;
        for (var i = 0; i < _featureCount; i++)
        {
            if (!_featureHits[i].Negated)
            {
                features[n++] = _lex.Names[_featureHits[i].Name];
            }
        }

        _captures.CopyTo(features, n);
        return (features, live);
    }

    /// <summary>Step 9. The rule table is sorted by (from, to) and deduped at load, so rule order is output order.</summary>
    private DependencyEdge[] Dependencies()
    {
        var count = 0;
        foreach (var rule in _lex.Dependencies)
        {
            if (HasFeature(rule.FromName))
            {
                count++;
            }
        }

        if (count == 0)
        {
            return [];
        }

        var edges = new DependencyEdge[count];
        var n = 0;
        foreach (var rule in _lex.Dependencies)
        {
            if (HasFeature(rule.FromName))
            {
                edges[n++] = new DependencyEdge(rule.From, rule.To, rule.Reason);
                if (rule.ToName >= 0 && _nameStamp[rule.ToName] == _generation)
                {
                    _edgesTo[rule.ToName]++;
                }
            }
        }

        return edges;
    }

    /// <summary>Enriched features with action (step 6) and priority (step 13), negated ones included.</summary>
    private FeatureEntry[] EnrichedFeatures(FeatureAction firstVerb)
    {
        if (_featureCount == 0)
        {
            return [];
        }

        var entries = new FeatureEntry[_featureCount];
        for (var i = 0; i < _featureCount; i++)
        {
            ref readonly var hit = ref _featureHits[i];
            var raw = (1.0 - ((double)i / _featureCount)) + Math.Min(0.4, 0.2 * _edgesTo[hit.Name]);
            entries[i] = new FeatureEntry(
                Name: _lex.Names[hit.Name],
                Action: ActionFor(hit.Position, firstVerb),
                Negated: hit.Negated,
                Priority: raw >= 0.9 ? 1 : raw >= 0.7 ? 2 : raw >= 0.5 ? 3 : raw >= 0.3 ? 4 : 5,
                Confidence: hit.Confidence);
        }

        return entries;
    }

    /// <summary>
    /// Enriched tech (all, with negation) and tech_stack_hints (never a negated tech). The spec's "then keyword hits
    /// not already present" adds nothing here: every keyword is a lexicon alias, already matched by whole token.
    /// </summary>
    private (TechHint[] Enriched, string[] Hints, TechSummary Summary) Tech()
    {
        var summary = default(TechSummary);
        if (_techCount == 0)
        {
            return ([], [], summary);
        }

        var enriched = new TechHint[_techCount];
        for (var i = 0; i < _techCount; i++)
        {
            ref readonly var hit = ref _techHits[i];
            var category = _lex.TechCategories[hit.Tech];
            enriched[i] = new TechHint(_lex.TechNames[hit.Tech], hit.MatchedAs, category, hit.Negated, TechConfidence);
            if (!hit.Negated)
            {
                summary.Live++;
                summary.Frontend |= category == TechCategory.Frontend;
                summary.Backend |= category == TechCategory.Backend;
                summary.Database |= category == TechCategory.Database;
                summary.Traits |= _lex.TechTraits[hit.Tech];
            }
        }

        var hints = summary.Live == 0 ? [] : new string[summary.Live];
        for (int i = 0, n = 0; i < _techCount; i++)
        {
            if (!_techHits[i].Negated)
            {
                hints[n++] = _lex.TechNames[_techHits[i].Tech];
            }
        }

        return (enriched, hints, summary);
    }

    /// <summary>Data flows of non-negated tokens, in lexicon order.</summary>
    private string[] DataFlows(ulong flows)
    {
        if (flows == 0)
        {
            return [];
        }

        var names = new string[System.Numerics.BitOperations.PopCount(flows)];
        var n = 0;
        for (var f = 0; flows != 0 && f < _lex.DataFlowNames.Length; f++)
        {
            if ((flows & (1UL << f)) != 0)
            {
                names[n++] = _lex.DataFlowNames[f];
                flows &= ~(1UL << f);
            }
        }

        return names;
    }

    /// <summary>Step 14.</summary>
    private IntentConfidence Confidence()
    {
        var actors = _actorList.Count > 1 || _actorList[0] != DefaultActor ? 0.9 : 0.3;
        var confident = 0;
        for (var i = 0; i < _featureCount; i++)
        {
            if (_featureHits[i].Confidence > 0.5f)
            {
                confident++;
            }
        }

        var features = _featureCount == 0 ? 0.1 : Math.Max(0.2, (double)confident / _featureCount);
        // Every tech hit has the same confidence, so the mean is that confidence.
        var techStack = _techCount == 0 ? 0.1 : TechConfidence;
        var overall = Math.Min(1.0, (0.2 * actors) + (0.4 * features) + (0.3 * techStack) + Math.Min(0.1, 0.05 * _sentenceCount));
        return new IntentConfidence(Overall: (float)overall, Actors: (float)actors, Features: (float)features, TechStack: (float)techStack);
    }

    private static ProjectType ProjectTypeOf(Signals signals, FeatureTraits traits, TechSummary tech)
    {
        // Step 10: first rule that fires.
        if ((signals & Signals.ProjectMicroservice) != 0)
        {
            return ProjectType.Microservice;
        }

        if ((signals & Signals.ProjectCli) != 0)
        {
            return ProjectType.Cli;
        }

        if ((signals & Signals.ProjectMobile) != 0)
        {
            return ProjectType.MobileApp;
        }

        if ((signals & Signals.ProjectLibrary) != 0)
        {
            return ProjectType.Library;
        }

        var uiIsh = (signals & Signals.Ui) != 0 || (traits & FeatureTraits.Ui) != 0;
        if (tech.Backend && tech.Database && !tech.Frontend && !uiIsh)
        {
            return ProjectType.Api;
        }

        if (tech.Frontend || uiIsh || (traits & FeatureTraits.Web) != 0)
        {
            return ProjectType.WebApp;
        }

        if (tech.Backend || tech.Database)
        {
            return ProjectType.Api;
        }

        // Added to the spec's chain: an API feature ("Build a REST API") with no other signal is an API.
        return (traits & FeatureTraits.Api) != 0 ? ProjectType.Api : ProjectType.Unknown;
    }

    private static ArchitecturePattern ArchitectureOf(Signals signals, FeatureTraits traits, TechSummary tech)
    {
        // Step 11: first rule that fires.
        if ((signals & Signals.ArchMicroservices) != 0)
        {
            return ArchitecturePattern.Microservices;
        }

        if ((signals & Signals.ArchServerless) != 0)
        {
            return ArchitecturePattern.Serverless;
        }

        if ((signals & Signals.ArchEventDriven) != 0)
        {
            return ArchitecturePattern.EventDriven;
        }

        if ((signals & Signals.ArchJamstack) != 0)
        {
            return ArchitecturePattern.Jamstack;
        }

        if ((tech.Traits & TechTraits.Serverless) != 0)
        {
            return ArchitecturePattern.Serverless;
        }

        if ((tech.Traits & TechTraits.EventDriven) != 0 || (traits & FeatureTraits.Event) != 0)
        {
            return ArchitecturePattern.EventDriven;
        }

        if ((tech.Traits & TechTraits.Microservices) != 0)
        {
            return ArchitecturePattern.Microservices;
        }

        if ((tech.Traits & TechTraits.JamstackHost) != 0 && tech.Frontend && !tech.Backend)
        {
            return ArchitecturePattern.Jamstack;
        }

        return ArchitecturePattern.Monolith;
    }

    private SentenceAnnotation[] AnnotateSentences(string text)
    {
        if (_sentenceCount == 0)
        {
            return [];
        }

        // Tokens are ordered by piece, so one forward walk visits each sentence's tokens.
        var sentences = new SentenceAnnotation[_sentenceCount];
        var t = 0;
        for (var p = 0; p < _pieceCount; p++)
        {
            ref readonly var piece = ref _pieces[p];
            if (piece.Sentence < 0)
            {
                while (t < _tokenCount && _tokens[t].Piece == p)
                {
                    t++;
                }

                continue;
            }

            if (++_sentenceGeneration == int.MaxValue)
            {
                Array.Clear(_sentenceNameStamp);
                Array.Clear(_sentenceTechStamp);
                _sentenceGeneration = 1;
            }

            var names = 0;
            var techs = 0;
            for (; t < _tokenCount && _tokens[t].Piece == p; t++)
            {
                ref readonly var token = ref _tokens[t];
                if (token.IsNegated)
                {
                    // The spec is silent: annotations list what the sentence asks for, like features and hints.
                    continue;
                }

                if (token.Feature >= 0 && _sentenceNameStamp[token.Feature] != _sentenceGeneration)
                {
                    _sentenceNameStamp[token.Feature] = _sentenceGeneration;
                    InsertSorted(ref _sortNames, names++, token.Feature, _lex.NameRank);
                }

                if (token.Tech >= 0 && _sentenceTechStamp[token.Tech] != _sentenceGeneration)
                {
                    _sentenceTechStamp[token.Tech] = _sentenceGeneration;
                    InsertSorted(ref _sortTech, techs++, token.Tech, _lex.TechRank);
                }
            }

            var featuresFound = names == 0 ? [] : new string[names];
            for (var i = 0; i < names; i++)
            {
                featuresFound[i] = _lex.Names[_sortNames[i]];
            }

            var techFound = techs == 0 ? [] : new string[techs];
            for (var i = 0; i < techs; i++)
            {
                techFound[i] = _lex.TechNames[_sortTech[i]];
            }

            sentences[piece.Sentence] = new SentenceAnnotation(
                Text: piece.TrimStart == 0 && piece.TrimEnd == text.Length ? text : text[piece.TrimStart..piece.TrimEnd],
                Index: piece.Sentence,
                FeaturesFound: featuresFound,
                TechFound: techFound);
        }

        return sentences;
    }

    /// <summary>Insertion into a sorted prefix of <paramref name="count"/> ids; short lists (≤ lexicon size).</summary>
    private static void InsertSorted(ref int[] buffer, int count, int id, int[] rank)
    {
        if (count == buffer.Length)
        {
            Array.Resize(ref buffer, buffer.Length * 2);
        }

        var i = count;
        while (i > 0 && rank[buffer[i - 1]] > rank[id])
        {
            buffer[i] = buffer[i - 1];
            i--;
        }

        buffer[i] = id;
    }

    /// <summary>What the non-negated tech says about the project (steps 10–12).</summary>
    private struct TechSummary
    {
        public int Live;
        public bool Frontend;
        public bool Backend;
        public bool Database;
        public TechTraits Traits;
    }
}
