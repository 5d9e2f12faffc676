using Google.Protobuf.WellKnownTypes;
using GRump.Gateway.Intent;
using GRump.Gateway.Services;

namespace GRump.Gateway.Tests.Services;

public sealed class IntentMapperTests
{
    private readonly IntentCompiler _compiler = new();

    public static TheoryData<System.Type, System.Type> EnumPairs => new()
    {
        { typeof(FeatureAction), typeof(V1.FeatureAction) },
        { typeof(TechCategory), typeof(V1.TechCategory) },
        { typeof(ProjectType), typeof(V1.ProjectType) },
        { typeof(ArchitecturePattern), typeof(V1.ArchitecturePattern) },
    };

    [Theory]
    [MemberData(nameof(EnumPairs))]
    public void DomainEnums_MatchContractByNameAndValue(System.Type domain, System.Type contract)
    {
        // The mapper casts: every member must have the contract's number, and the contract no member Core lacks.
        Assert.Equal(Members(contract), Members(domain));

        static (string Name, int Value)[] Members(System.Type type) =>
            [.. System.Enum.GetValues(type).Cast<object>().Select(v => (System.Enum.GetName(type, v)!, Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture))).OrderBy(m => m.Item2)];
    }

    [Fact]
    public void ToProto_RichIntent_CopiesEveryField()
    {
        // Arrange: tech (one negated), features with edges, data flows, two actors, two sentences.
        var intent = _compiler.Compile("As an admin I want a dashboard with RBAC and realtime chat over websocket using React and Postgres, not MySQL. Deploy it on Kubernetes with CI/CD.");

        // Act
        var message = IntentMapper.ToProto(intent, constraints: null);

        // Assert
        Assert.Equal(intent.Raw, message.Raw);
        Assert.Equal(intent.Actors, message.Actors);
        Assert.Equal(intent.Features, message.Features);
        Assert.Equal(intent.DataFlows, message.DataFlows);
        Assert.Equal(intent.TechStackHints, message.TechStackHints);
        Assert.NotEmpty(message.EnrichedFeatures);
        Assert.Equal(
            intent.EnrichedFeatures.Select(f => (f.Name, (int)f.Action, f.Negated, f.Priority, f.Confidence)),
            message.EnrichedFeatures.Select(f => (f.Name, (int)f.Action, f.Negated, f.Priority, f.Confidence)));
        Assert.Contains(message.EnrichedTech, t => t.Negated);
        Assert.Equal(
            intent.EnrichedTech.Select(t => (t.Canonical, t.MatchedAs, (int)t.Category, t.Negated, t.Confidence)),
            message.EnrichedTech.Select(t => (t.Canonical, t.MatchedAs, (int)t.Category, t.Negated, t.Confidence)));
        Assert.Equal((int)intent.ProjectType, (int)message.ProjectType);
        Assert.Equal((int)intent.ArchitecturePattern, (int)message.ArchitecturePattern);
        Assert.Equal(intent.ComplexityScore, message.ComplexityScore);
        Assert.Equal(
            (intent.Confidence.Overall, intent.Confidence.Actors, intent.Confidence.Features, intent.Confidence.TechStack),
            (message.Confidence.Overall, message.Confidence.Actors, message.Confidence.Features, message.Confidence.TechStack));
        Assert.NotEmpty(message.DependencyGraph);
        Assert.Equal(intent.DependencyGraph.Select(e => (e.From, e.To, e.Reason)), message.DependencyGraph.Select(e => (e.From, e.To, e.Reason)));
        Assert.Equal(2, message.Sentences.Count);
        Assert.Equal(
            intent.Sentences.Select(s => (s.Text, s.Index, string.Join(',', s.FeaturesFound), string.Join(',', s.TechFound))),
            message.Sentences.Select(s => (s.Text, s.Index, string.Join(',', s.FeaturesFound), string.Join(',', s.TechFound))));
        Assert.True(message.Verification.WellFormed);
        Assert.Empty(message.Verification.Errors);
        Assert.Empty(message.Verification.Warnings);
        Assert.Null(message.Constraints);
    }

    [Fact]
    public void ToProto_EmptyAndFeatureless_CarryVerification()
    {
        // Act
        var empty = IntentMapper.ToProto(_compiler.Compile("   "), constraints: null);
        var vague = IntentMapper.ToProto(_compiler.Compile("Hello there"), constraints: null);

        // Assert
        Assert.False(empty.Verification.WellFormed);
        Assert.Equal(["Intent raw text is empty"], empty.Verification.Errors);
        Assert.Equal(["user"], empty.Actors);
        Assert.Equal(V1.ProjectType.Unknown, empty.ProjectType);
        Assert.Equal(V1.ArchitecturePattern.Monolith, empty.ArchitecturePattern);
        Assert.NotNull(empty.Confidence);
        Assert.True(vague.Verification.WellFormed);
        Assert.Equal(["No features extracted; intent may be underspecified"], vague.Verification.Warnings);
    }

    [Fact]
    public void ToProto_Constraints_AttachedUnchanged()
    {
        // Arrange
        var constraints = new Struct();
        constraints.Fields["budget"] = Value.ForNumber(100);
        constraints.Fields["region"] = Value.ForString("eu");

        // Act
        var intent = IntentMapper.ToProto(_compiler.Compile("Build a blog"), constraints);
        var empty = IntentMapper.ToProto(_compiler.Compile(" "), constraints);

        // Assert
        Assert.Equal(constraints, intent.Constraints);
        Assert.Equal(constraints, empty.Constraints);
        Assert.Null(IntentMapper.ToProto(_compiler.Compile("Build a blog"), constraints: null).Constraints);
    }
}
