using System.Numerics.Tensors;

namespace GRump.Gateway.Routing.Internal;

/// <summary>
/// The exemplars' sentence vectors, for the nearest exemplar of a prompt (unit vectors: cosine similarity = dot product).
/// Exact search: a few hundred to a few thousand exemplars × 384 dimensions is tens of microseconds with vectorised dots,
/// far below the cost of embedding the prompt itself.
/// </summary>
internal sealed class ExemplarIndex
{
    private readonly float[] _vectors;
    private readonly ComplexityTier[] _tiers;
    private readonly string[] _ids;
    private readonly int _dimensions;

    public ExemplarIndex(IReadOnlyList<float[]> vectors, IReadOnlyList<ComplexityTier> tiers, IReadOnlyList<string> ids)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(tiers);
        ArgumentNullException.ThrowIfNull(ids);
        if (vectors.Count == 0 || vectors.Count != tiers.Count || vectors.Count != ids.Count)
        {
            throw new ArgumentException("An index needs at least one exemplar, and as many tiers and ids as vectors.", nameof(vectors));
        }

        _dimensions = vectors[0].Length;
        _vectors = new float[vectors.Count * _dimensions];
        for (var i = 0; i < vectors.Count; i++)
        {
            if (vectors[i].Length != _dimensions)
            {
                throw new ArgumentException("Every exemplar vector must have the same length.", nameof(vectors));
            }

            vectors[i].CopyTo(_vectors, i * _dimensions);
        }

        _tiers = [.. tiers];
        _ids = [.. ids];
    }

    public int Count => _tiers.Length;

    /// <summary>Exemplars per tier (simple, medium, complex).</summary>
    public int[] TierCounts()
    {
        var counts = new int[ComplexityTiers.Count];
        foreach (var tier in _tiers)
        {
            counts[(int)tier]++;
        }

        return counts;
    }

    /// <summary>The exemplar most similar to <paramref name="query"/>.</summary>
    public NearestExemplar Nearest(ReadOnlySpan<float> query)
    {
        if (query.Length != _dimensions)
        {
            throw new ArgumentException($"The query has {query.Length} dimensions; the index has {_dimensions}.", nameof(query));
        }

        var best = 0;
        var bestSimilarity = float.NegativeInfinity;
        var vectors = _vectors.AsSpan();
        for (var i = 0; i < _tiers.Length; i++)
        {
            var similarity = TensorPrimitives.Dot(query, vectors.Slice(i * _dimensions, _dimensions));
            if (similarity > bestSimilarity)
            {
                best = i;
                bestSimilarity = similarity;
            }
        }

        return new NearestExemplar(_ids[best], _tiers[best], bestSimilarity);
    }
}

internal readonly record struct NearestExemplar(string Id, ComplexityTier Tier, float Similarity);
