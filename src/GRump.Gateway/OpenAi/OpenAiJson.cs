using System.Text.Json;
using System.Text.Json.Serialization;

namespace GRump.Gateway.OpenAi;

/// <summary>The parts of OpenAI's chat request the gateway reads (unknown fields are ignored, as OpenAI-compatible servers do).</summary>
internal sealed class OpenAiChatRequest
{
    public string? Model { get; set; }

    public List<OpenAiMessage>? Messages { get; set; }

    public bool? Stream { get; set; }

    public OpenAiStreamOptions? StreamOptions { get; set; }

    public float? Temperature { get; set; }

    public float? TopP { get; set; }

    public int? MaxTokens { get; set; }

    public int? MaxCompletionTokens { get; set; }

    public long? Seed { get; set; }

    /// <summary>A string or an array of strings.</summary>
    public JsonElement Stop { get; set; }

    public int? N { get; set; }

    /// <summary>Gateway extension: <c>ON</c>, <c>OFF</c>, <c>READ_ONLY</c>, <c>WRITE_ONLY</c>.</summary>
    [JsonPropertyName("x_grump_cache")]
    public string? Cache { get; set; }
}

internal sealed class OpenAiMessage
{
    public string? Role { get; set; }

    /// <summary>A string, or an array of content parts of which the gateway accepts <c>text</c> parts.</summary>
    public JsonElement Content { get; set; }
}

internal sealed class OpenAiStreamOptions
{
    public bool? IncludeUsage { get; set; }
}

internal sealed class OpenAiEmbeddingRequest
{
    public string? Model { get; set; }

    /// <summary>A string or an array of strings.</summary>
    public JsonElement Input { get; set; }

    /// <summary><c>float</c> (default) or <c>base64</c> (little-endian float32, what the OpenAI SDKs ask for).</summary>
    public string? EncodingFormat { get; set; }

    /// <summary>Shorter embeddings, for models that support them (<see cref="Embeddings.EmbeddingDimensions"/>).</summary>
    public int? Dimensions { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, ReadCommentHandling = JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(OpenAiChatRequest))]
[JsonSerializable(typeof(OpenAiEmbeddingRequest))]
internal sealed partial class OpenAiJsonContext : JsonSerializerContext;
