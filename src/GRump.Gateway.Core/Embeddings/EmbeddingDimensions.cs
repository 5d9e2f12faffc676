using GRump.Gateway.Errors;
using GRump.Gateway.Routing;

namespace GRump.Gateway.Embeddings;

/// <summary>
/// OpenAI's <c>dimensions</c>: a model's own size is always accepted; a smaller one only from models trained to be cut
/// short (<see cref="ModelDefinition.ShortenableEmbeddings"/>), served as the full vector's first values scaled back
/// to unit length — what such models' <c>dimensions</c> parameter does (OpenAI documents the equivalence for
/// text-embedding-3). Done here, not upstream, so one cached full vector serves every size and coalesced batches
/// stay one per model. Anything else is INVALID_ARGUMENT naming <c>dimensions</c>, before any upstream call.
/// </summary>
public static class EmbeddingDimensions
{
    public static void Validate(ModelDefinition model, int dimensions)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (dimensions < 1)
        {
            GatewayErrors.ThrowInvalidArgument("dimensions", "must be at least 1");
        }
        if (model.EmbeddingDimensions == 0)
        {
            GatewayErrors.ThrowInvalidArgument("dimensions", $"the size of {model.Id}'s embeddings is not configured (Routing:Models: EmbeddingDimensions); leave dimensions out");
        }
        if (dimensions == model.EmbeddingDimensions)
        {
            return;
        }
        if (!model.ShortenableEmbeddings)
        {
            GatewayErrors.ThrowInvalidArgument("dimensions", $"{model.Id} returns {model.EmbeddingDimensions} dimensions and cannot shorten them; leave dimensions out or send {model.EmbeddingDimensions}");
        }
        if (dimensions > model.EmbeddingDimensions)
        {
            GatewayErrors.ThrowInvalidArgument("dimensions", $"{model.Id} returns at most {model.EmbeddingDimensions} dimensions");
        }
    }

    /// <summary>New vectors of the first <paramref name="dimensions"/> values, each scaled to unit length (the inputs may be shared: never changed).</summary>
    public static IReadOnlyList<float[]> Shorten(IReadOnlyList<float[]> vectors, int dimensions)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        var shortened = new float[vectors.Count][];
        for (var i = 0; i < vectors.Count; i++)
        {
            var full = vectors[i];
            if (full.Length <= dimensions)
            {
                shortened[i] = full; // already that size (Validate allows at most the model's own)
                continue;
            }
            var vector = full.AsSpan(0, dimensions).ToArray();
            var squares = 0d;
            foreach (var value in vector)
            {
                squares += (double)value * value;
            }
            if (squares > 0)
            {
                // In double: for tiny (subnormal) values 1/norm overflows a float, and the vector would become infinities.
                var scale = 1 / Math.Sqrt(squares);
                for (var k = 0; k < vector.Length; k++)
                {
                    vector[k] = (float)(vector[k] * scale);
                }
            }
            shortened[i] = vector;
        }
        return shortened;
    }
}
