using System.Buffers;
using System.Text.Json;
using GRump.Gateway.Embeddings.Internal;

namespace GRump.Gateway.Embeddings;

/// <summary>Embedding vectors in JSON answers (the OpenAI API's <c>"embedding": [...]</c>).</summary>
public static class EmbeddingJson
{
    /// <summary>
    /// Writes <paramref name="vector"/> as a JSON array of numbers, the same bytes as one
    /// <see cref="Utf8JsonWriter.WriteNumberValue(float)"/> per value, written as one raw value at a third of the cost
    /// (<see cref="FloatText"/>). Values must be finite, as for the writer.
    /// </summary>
    public static void WriteVector(Utf8JsonWriter writer, ReadOnlySpan<float> vector)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var buffer = ArrayPool<byte>.Shared.Rent(2 + vector.Length * (FloatText.MaxLength + 1));
        try
        {
            var span = buffer.AsSpan();
            var n = 0;
            span[n++] = (byte)'[';
            for (var i = 0; i < vector.Length; i++)
            {
                if (i > 0)
                {
                    span[n++] = (byte)',';
                }

                if (!float.IsFinite(vector[i]))
                {
                    throw new ArgumentException($"The value at {i} is not finite; JSON has no number for it.", nameof(vector));
                }

                if (!FloatText.TryFormat(vector[i], span[n..], out var written))
                {
                    // The buffer has room for the longest float text and a comma per value: a bug, not a caller's fault.
                    throw new InvalidOperationException($"The value at {i} did not fit its {FloatText.MaxLength} bytes.");
                }

                n += written;
            }

            span[n++] = (byte)']';
            writer.WriteRawValue(span[..n], skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
