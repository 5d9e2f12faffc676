using System.Text;
using Google.Protobuf;
using GRump.Gateway.Intent;
using GRump.Gateway.Services;

namespace GRump.Gateway.Tests.Intent;

/// <summary>
/// Seeded random inputs (reproducible: the seed is fixed and printed in failures): the compiler never throws, always
/// returns well-formed output, and is deterministic to the byte.
/// </summary>
public class IntentPropertyTests
{
    private const int Seed = 20_260_417;
    private const int Cases = 2_000;

    private static readonly string[] Words =
    [
        "build", "a", "an", "the", "app", "with", "and", "for", "users", "as", "admin", "don't", "not", "no", "instead",
        "of", "rather", "than", "react", "vue", "node.js", "c#", "c++", "go", "golang", "in", "using", "postgres", "pg",
        "k8s", "auth", "login", "log", "sign", "up", "real-time", "chat", "rbac", "payments", "e-commerce", "dashboard",
        "microservices", "serverless", "cli", "mobile", "library", "kafka", "vercel", "fly.io", ".net", "asp.net",
        "core", "has", "develop", "featuring", "that", "to", "customers", "students", "ci/cd", "api", "rest", "to",
    ];

    private static readonly string Separators = " ,.;!?\n\t-'/#+:()\"";

    private readonly IntentCompiler _compiler = new();

    [Fact]
    public void Compile_RandomStrings_NeverThrowAndAreWellFormed()
    {
        var random = new Random(Seed);
        for (var i = 0; i < Cases; i++)
        {
            var raw = RandomText(random, i);
            ParsedIntent intent;
            try
            {
                intent = _compiler.Compile(raw);
            }
            catch (Exception ex)
            {
                Assert.Fail($"case {i} (seed {Seed}) threw {ex.GetType().Name}: {ex.Message}\ninput: {Escape(raw)}");
                return;
            }

            AssertWellFormed(intent, raw, i);
        }
    }

    [Fact]
    public void Compile_SameInputs_ByteIdenticalOutput()
    {
        // Arrange
        var random = new Random(Seed + 1);
        var inputs = Enumerable.Range(0, Cases / 4).Select(i => RandomText(random, i)).ToArray();

        // Act: one by one, then again in reverse order on a fresh compiler and on other threads.
        var first = inputs.Select(raw => Wire(_compiler.Compile(raw))).ToArray();
        var second = new byte[inputs.Length][];
        var other = new IntentCompiler();
        for (var i = inputs.Length - 1; i >= 0; i--)
        {
            second[i] = Wire(other.Compile(inputs[i]));
        }

        var parallel = new byte[inputs.Length][];
        Parallel.For(0, inputs.Length, new ParallelOptions { CancellationToken = TestContext.Current.CancellationToken },
            i => parallel[i] = Wire(_compiler.Compile(inputs[i])));

        // Assert
        for (var i = 0; i < inputs.Length; i++)
        {
            Assert.True(first[i].AsSpan().SequenceEqual(second[i]), $"case {i} differs: {Escape(inputs[i])}");
            Assert.True(first[i].AsSpan().SequenceEqual(parallel[i]), $"case {i} differs in parallel: {Escape(inputs[i])}");
        }
    }

    [Fact]
    public void Compile_LargeInput_IsWellFormedAndBounded()
    {
        // Arrange: 24,000+ chars of prompt-like text, and 12,000 chars of one run-on verb phrase.
        var random = new Random(Seed + 2);
        var sb = new StringBuilder();
        while (sb.Length < 24_000)
        {
            sb.Append(Words[random.Next(Words.Length)]).Append(Separators[random.Next(Separators.Length)]);
        }

        var runOn = string.Concat(Enumerable.Repeat("build wonderful ", 750));

        // Act
        var large = _compiler.Compile(sb.ToString());
        var run = _compiler.Compile(runOn);

        // Assert
        AssertWellFormed(large, sb.ToString(), -1);
        AssertWellFormed(run, runOn, -2);
        Assert.All(run.Features, f => Assert.True(f.Length <= 64));
    }

    private static void AssertWellFormed(ParsedIntent intent, string raw, int i)
    {
        var context = $"case {i} (seed {Seed}): {Escape(raw.Length > 200 ? raw[..200] : raw)}";
        Assert.NotEmpty(intent.Actors);
        Assert.Equal(intent.Actors.Count, intent.Actors.Distinct().Count());
        Assert.Equal(raw.Trim(), intent.Raw);
        Assert.NotEqual(ProjectType.Unspecified, intent.ProjectType);
        Assert.NotEqual(ArchitecturePattern.Unspecified, intent.ArchitecturePattern);
        Assert.InRange(intent.ComplexityScore, 0f, 1f);
        Assert.InRange(intent.Confidence.Overall, 0f, 1f);
        Assert.InRange(intent.Confidence.Actors, 0f, 1f);
        Assert.InRange(intent.Confidence.Features, 0f, 1f);
        Assert.InRange(intent.Confidence.TechStack, 0f, 1f);
        Assert.Equal(intent.Raw.Length > 0, intent.Verification.WellFormed);
        Assert.Equal(intent.Features.Count, intent.Features.Distinct().Count());
        foreach (var feature in intent.EnrichedFeatures)
        {
            Assert.InRange(feature.Priority, 1, 5);
            Assert.InRange(feature.Confidence, 0f, 1f);
            Assert.NotEqual(FeatureAction.Unspecified, feature.Action);
        }

        foreach (var tech in intent.EnrichedTech)
        {
            Assert.InRange(tech.Confidence, 0f, 1f);
            Assert.NotEqual(TechCategory.Unspecified, tech.Category);
            Assert.True(!tech.Negated || !intent.TechStackHints.Contains(tech.Canonical), context);
        }

        var edges = intent.DependencyGraph.Select(e => (e.From, e.To)).ToArray();
        Assert.Equal(edges.OrderBy(e => e.From, StringComparer.Ordinal).ThenBy(e => e.To, StringComparer.Ordinal), edges);
        Assert.Equal(edges.Length, edges.Distinct().Count());
        for (var s = 0; s < intent.Sentences.Count; s++)
        {
            Assert.Equal(s, intent.Sentences[s].Index);
            Assert.True(intent.Sentences[s].Text.Length > 1, context);
        }

        // Maps to the contract, serializes (lone surrogates included) and round-trips.
        var bytes = Wire(intent);
        Assert.NotNull(GRump.Gateway.V1.Intent.Parser.ParseFrom(bytes));
    }

    /// <summary>The bytes a client receives for this intent (the host's one mapping), so "byte-identical" means on the wire.</summary>
    private static byte[] Wire(ParsedIntent intent) => IntentMapper.ToProto(intent, constraints: null).ToByteArray();

    /// <summary>Mixes prompt words, separators, control chars, random BMP chars, lone surrogates and pairs.</summary>
    private static string RandomText(Random random, int i)
    {
        var max = i % 50 == 0 ? 10_500 : i % 5 == 0 ? 2_000 : 200;
        var length = random.Next(max + 1);
        var sb = new StringBuilder(length + 16);
        while (sb.Length < length)
        {
            switch (random.Next(10))
            {
                case < 4:
                    var word = Words[random.Next(Words.Length)];
                    sb.Append(random.Next(3) == 0 ? word.ToUpperInvariant() : word);
                    break;
                case 4:
                case 5:
                    sb.Append(Separators[random.Next(Separators.Length)]);
                    break;
                case 6:
                    sb.Append((char)random.Next(0, 32));
                    break;
                case 7:
                    sb.Append((char)random.Next(0xD800, 0xE000)); // lone surrogate
                    break;
                case 8:
                    sb.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x10FFFF)));
                    break;
                default:
                    sb.Append((char)random.Next(0x20, 0xD800));
                    break;
            }
        }

        return sb.ToString();
    }

    private static string Escape(string s) =>
        string.Concat(s.Select(c => c < 32 || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
