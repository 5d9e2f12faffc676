using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using GRump.Gateway.Intent;

namespace GRump.Gateway.Services;

/// <summary>
/// The one translation of Core's <see cref="ParsedIntent"/> into the contract's <see cref="V1.Intent"/>, for
/// ParseIntent, ParseIntentBatch and ParseIntents. The request's <c>constraints</c> are attached here: the contract
/// passes them through unchanged, so the compiler never sees them. Enums keep the contract's numbers in Core and map
/// with a cast (tested member by member).
/// </summary>
internal static class IntentMapper
{
    public static V1.Intent ToProto(ParsedIntent intent, Struct? constraints)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var message = new V1.Intent
        {
            Raw = intent.Raw,
            Constraints = constraints,
            ProjectType = (V1.ProjectType)intent.ProjectType,
            ArchitecturePattern = (V1.ArchitecturePattern)intent.ArchitecturePattern,
            ComplexityScore = intent.ComplexityScore,
            Confidence = new V1.IntentConfidence
            {
                Overall = intent.Confidence.Overall,
                Actors = intent.Confidence.Actors,
                Features = intent.Confidence.Features,
                TechStack = intent.Confidence.TechStack,
            },
            Verification = new V1.Verification { WellFormed = intent.Verification.WellFormed },
        };
        AddAll(message.Actors, intent.Actors);
        AddAll(message.Features, intent.Features);
        AddAll(message.DataFlows, intent.DataFlows);
        AddAll(message.TechStackHints, intent.TechStackHints);
        AddAll(message.Verification.Errors, intent.Verification.Errors);
        AddAll(message.Verification.Warnings, intent.Verification.Warnings);

        var features = intent.EnrichedFeatures;
        message.EnrichedFeatures.Capacity = features.Count;
        for (var i = 0; i < features.Count; i++)
        {
            var feature = features[i];
            message.EnrichedFeatures.Add(new V1.FeatureEntry
            {
                Name = feature.Name,
                Action = (V1.FeatureAction)feature.Action,
                Negated = feature.Negated,
                Priority = feature.Priority,
                Confidence = feature.Confidence,
            });
        }

        var tech = intent.EnrichedTech;
        message.EnrichedTech.Capacity = tech.Count;
        for (var i = 0; i < tech.Count; i++)
        {
            var hint = tech[i];
            message.EnrichedTech.Add(new V1.TechHint
            {
                Canonical = hint.Canonical,
                MatchedAs = hint.MatchedAs,
                Category = (V1.TechCategory)hint.Category,
                Negated = hint.Negated,
                Confidence = hint.Confidence,
            });
        }

        var edges = intent.DependencyGraph;
        message.DependencyGraph.Capacity = edges.Count;
        for (var i = 0; i < edges.Count; i++)
        {
            var edge = edges[i];
            message.DependencyGraph.Add(new V1.DependencyEdge { From = edge.From, To = edge.To, Reason = edge.Reason });
        }

        var sentences = intent.Sentences;
        message.Sentences.Capacity = sentences.Count;
        for (var i = 0; i < sentences.Count; i++)
        {
            var sentence = sentences[i];
            var annotation = new V1.SentenceAnnotation { Text = sentence.Text, Index = sentence.Index };
            AddAll(annotation.FeaturesFound, sentence.FeaturesFound);
            AddAll(annotation.TechFound, sentence.TechFound);
            message.Sentences.Add(annotation);
        }

        return message;
    }

    private static void AddAll(RepeatedField<string> target, IReadOnlyList<string> source)
    {
        if (source.Count == 0)
        {
            return;
        }

        target.Capacity = source.Count;
        for (var i = 0; i < source.Count; i++)
        {
            target.Add(source[i]);
        }
    }
}
